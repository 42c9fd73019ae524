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
mod routes;
/// Everything that exists only on the server, behind the one `ssr` gate.
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use crate::components::session::{Session, SessionMenu};
use crate::components::status::OfflineBanner;
use crate::components::theme::{ThemeChoice, ThemeState, ThemeToggle};

/// The HTML document around the application, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let theme = ThemeChoice::of_this_page();
    // Where the charts find ECharts (its name is its content's hash).
    #[cfg(feature = "ssr")]
    let echarts = use_context::<ssr::state::AppState>()
        .and_then(|state| state.assets.echarts)
        .map(|url| url.to_string());
    #[cfg(not(feature = "ssr"))]
    let echarts: Option<String> = None;
    view! {
        <!DOCTYPE html>
        <html lang="en" data-theme=theme.attribute()>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="description" content="Reach: a self-hosted tracker of public social-media accounts — growth, leaderboards, projections and collection health." />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                {echarts.map(|url| view! { <meta name="reach-echarts" content=url /> })}
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
    components::time::Clock::provide();

    view! {
        // Each page names itself ("Accounts · Reach"); a page without a
        // name of its own is "Reach".
        <Title formatter=|text: String| if text.is_empty() || text == "Reach" { "Reach".to_owned() } else { format!("{text} · Reach") } text="Reach" />
        <Router>
            // The browser's own jump (rel=external keeps the router out):
            // focus moves into the page, past the navigation.
            <a class="skip-link" href="#main" rel="external">"Skip to content"</a>
            <header class="topbar">
                <a class="brand" href="/">"Reach"</a>
                <nav class="primary" aria-label="Main">
                    <NavLinks />
                </nav>
                <PhoneMenu />
                <SessionMenu />
                <ThemeToggle />
            </header>
            <OfflineBanner />
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <pages::NotFound /> }>
                    // Async: the server waits for the data and sends complete HTML
                    // with the right status (404 for a missing account); reads take
                    // milliseconds, so streaming would only add client-side work.
                    <Route path=path!("/") view={Lazy::<routes::OverviewRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/accounts") view={Lazy::<routes::AccountsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/accounts/:id") view={Lazy::<routes::AccountRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/leaderboard") view={Lazy::<routes::LeaderboardRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/brands") view={Lazy::<routes::BrandsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/brands/:id") view={Lazy::<routes::BrandRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/compare") view={Lazy::<routes::CompareRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/runs") view={Lazy::<routes::RunsRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/runs/:id") view={Lazy::<routes::RunRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/performance") view={Lazy::<routes::PerformanceRoute>::new()} ssr=SsrMode::Async />
                    <Route path=path!("/login") view={Lazy::<routes::LoginRoute>::new()} ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// The dashboard's sections, in the top bar (and in the phone's menu).
#[component]
fn NavLinks() -> impl IntoView {
    view! {
        <A href="/" exact=true>"Overview"</A>
        <A href="/accounts">"Accounts"</A>
        <A href="/leaderboard">"Leaderboard"</A>
        <A href="/brands">"Brands"</A>
        <A href="/compare">"Compare"</A>
        <A href="/runs">"Runs"</A>
        <A href="/performance">"Performance"</A>
        // Rendered by the server, outside the router.
        <a href="/api/docs" rel="external">"API"</a>
    }
}

/// On a phone the sections fold into a menu, so the top bar stays one
/// line. A `<details>` opens without JavaScript (before hydration too);
/// once live, choosing a section closes it again.
#[component]
fn PhoneMenu() -> impl IntoView {
    let menu = NodeRef::<leptos::html::Details>::new();
    let close = move |_| {
        if let Some(menu) = menu.get_untracked() {
            menu.set_open(false);
        }
    };
    view! {
        <details class="phone-menu" node_ref=menu>
            <summary>"Menu"</summary>
            <nav aria-label="Main" on:click=close>
                <NavLinks />
            </nav>
        </details>
    }
}

/// Sets `data-hydrated` on `<body>` once the WASM has taken over, so that
/// tests (and curious users) can tell a live page from server-rendered HTML.
/// The browser entry point calls it when hydration has finished, the page's
/// lazily loaded chunk included (an effect would run while that loads).
#[cfg(feature = "hydrate")]
pub fn mark_hydrated() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
