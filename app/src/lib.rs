//! Reach's dashboard: one Leptos application rendered on the server and
//! hydrated in the browser.
//!
//! Compiled twice: with `ssr` into the server (which also brings the database
//! layer and the application state), and with `hydrate` into the WASM bundle.
//! Modules that touch the database exist only under `ssr`; everything that
//! crosses the wire is in [`model`] (the `types` crate) and [`error`].

pub mod api;
pub mod client_cache;
pub mod components;
pub mod error;
pub mod format;
/// The wire types, from their own crate (`types`): the name the rest of
/// Reach has always used for them.
pub use types as model;
mod pages;
/// Everything that exists only on the server, behind the one `ssr` gate.
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::session::{LoginPage, Session, SessionMenu};
use crate::components::status::OfflineBanner;
use crate::components::theme::{ThemeChoice, ThemeState, ThemeToggle};

/// The HTML document around the application, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = ThemeChoice::of_this_page();
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options=options.clone() />
                <HashedStylesheet options id="leptos" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    ThemeState::provide();
    Session::provide();
    mark_hydrated();

    view! {
        <Title text="Reach" />
        <Router>
            <header class="topbar">
                <a class="brand" href="/">"Reach"</a>
                <nav>
                    <A href="/" exact=true>"Overview"</A>
                    <A href="/accounts">"Accounts"</A>
                    <A href="/leaderboard">"Leaderboard"</A>
                    <A href="/brands">"Brands"</A>
                    <A href="/compare">"Compare"</A>
                    <A href="/runs">"Runs"</A>
                    <A href="/performance">"Performance"</A>
                    // Rendered by the server, outside the router.
                    <a href="/api/docs" rel="external">"API"</a>
                </nav>
                <SessionMenu />
                <ThemeToggle />
            </header>
            <OfflineBanner />
            <main>
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    // Async: the server waits for the data and sends complete HTML
                    // with the right status (404 for a missing account); reads take
                    // milliseconds, so streaming would only add client-side work.
                    <Route path=path!("/") view=pages::overview::OverviewPage ssr=SsrMode::Async />
                    <Route path=path!("/accounts") view=pages::accounts::AccountsPage ssr=SsrMode::Async />
                    <Route path=path!("/accounts/:id") view=pages::account::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/leaderboard") view=pages::leaderboard::LeaderboardPage ssr=SsrMode::Async />
                    <Route path=path!("/brands") view=pages::brands::BrandsPage ssr=SsrMode::Async />
                    <Route path=path!("/brands/:id") view=pages::brands::BrandPage ssr=SsrMode::Async />
                    <Route path=path!("/compare") view=pages::compare::ComparePage ssr=SsrMode::Async />
                    <Route path=path!("/runs") view=pages::runs::RunsPage ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id") view=pages::runs::RunPage ssr=SsrMode::Async />
                    <Route path=path!("/performance") view=pages::performance::PerformancePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// Sets `data-hydrated` on `<body>` once the WASM has taken over, so that
/// tests (and curious users) can tell a live page from server-rendered HTML.
fn mark_hydrated() {
    Effect::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}
