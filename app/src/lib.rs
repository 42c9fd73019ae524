//! Reach's dashboard: one Leptos application in islands mode. The server
//! renders every page whole (the router, the data, the tables); only the
//! parts that react in the browser are islands (`#[island]`: the charts, the
//! theme switch, the forms that write, the runs' live progress, the live
//! performance figures), and only they are compiled to WASM and hydrated.
//! The larger ones are lazy: each is a WASM chunk of its own, fetched only
//! by pages that show it (see [`preload`]).
//!
//! Compiled twice: with `ssr` into the server (which also brings the database
//! layer and the application state), and with `hydrate` into the WASM bundle.
//! Modules that touch the database exist only under `ssr`; everything that
//! crosses the wire is in [`model`] (the `types` crate) and [`error`].

pub mod api;
pub mod components;
pub mod error;
pub mod format;
/// The wire types, from their own crate (`types`): the name the rest of
/// Reach has always used for them.
pub use types as model;
mod pages;
mod preload;
/// Everything that exists only on the server, behind the one `ssr` gate.
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::components::live::PageLive;
use crate::components::session::{Session, SessionMenu};
use crate::components::status::OfflineBanner;
use crate::components::theme::{ThemeChoice, ThemeToggle};
use crate::components::updates::LiveUpdates;

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
                <HydrationScripts options=options.clone() islands=true />
                // Keeps the reader's place when a link changes what part of
                // a page shows (range, metric, mode): plain navigation.
                <script src="/keep-scroll.js" defer nonce=leptos::nonce::use_nonce()></script>
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
    Session::provide();

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
                <LiveUpdates />
                <SessionMenu />
                <ThemeToggle />
            </header>
            <OfflineBanner />
            <main id="main" tabindex="-1">
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
                    <Route path=path!("/digests") view=pages::digests::DigestsPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=components::session::LoginPage ssr=SsrMode::Async />
                </Routes>
            </main>
            // Last in the page: hydrated after every other island.
            <PageLive />
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
/// line. A `<details>` opens without JavaScript; choosing a section loads
/// its page, which starts with the menu closed.
#[component]
fn PhoneMenu() -> impl IntoView {
    view! {
        <details class="phone-menu">
            <summary>"Menu"</summary>
            <nav aria-label="Main">
                <NavLinks />
            </nav>
        </details>
    }
}

/// Named by the browser entry point so that the linker keeps this crate,
/// whose islands are the WASM module's exports.
#[cfg(feature = "hydrate")]
pub fn islands_linked() {}
