//! The dashboard's routes as lazily loaded pages.
//!
//! Each page's code (its views, the server functions it calls, the charts)
//! is a WASM chunk of its own: cargo-leptos' `--split` cuts the bundle at
//! every `#[lazy_route]`, the server names the chunks a page needs in its
//! `<head>` (preloaded with the HTML), and the browser loads another page's
//! chunk only when the reader goes there. The main bundle keeps what every
//! page shares: the router, the top bar and the session.
//!
//! Leptos would name a page's chunks in its `<head>` itself, but does not
//! with `SsrMode::Async` (the page then fetches them only once the main WASM
//! runs, one round trip later): `preload_chunks` does it.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

/// Declares `$route`, a lazy route that renders `$page`. A page reads its
/// own data (its resources are created inside the view, so on a move
/// between pages the chunk loads first, then the data).
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:path) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                preload_chunks(stringify!($route));
                view! { <$page /> }.into_any()
            }
        }
    };
}

lazy_page!(
    /// `/`
    OverviewRoute => crate::pages::overview::OverviewPage
);
lazy_page!(
    /// `/accounts`
    AccountsRoute => crate::pages::accounts::AccountsPage
);
lazy_page!(
    /// `/accounts/:id`
    AccountRoute => crate::pages::account::AccountPage
);
lazy_page!(
    /// `/leaderboard`
    LeaderboardRoute => crate::pages::leaderboard::LeaderboardPage
);
lazy_page!(
    /// `/brands`
    BrandsRoute => crate::pages::brands::BrandsPage
);
lazy_page!(
    /// `/brands/:id`
    BrandRoute => crate::pages::brands::BrandPage
);
lazy_page!(
    /// `/compare`
    CompareRoute => crate::pages::compare::ComparePage
);
lazy_page!(
    /// `/runs`
    RunsRoute => crate::pages::runs::RunsPage
);
lazy_page!(
    /// `/runs/:id`
    RunRoute => crate::pages::runs::RunPage
);
lazy_page!(
    /// `/performance`
    PerformanceRoute => crate::pages::performance::PerformancePage
);
lazy_page!(
    /// `/login`
    LoginRoute => crate::components::session::LoginPage
);

/// Names `route`'s chunks (and the loader that fetches them) in the page's
/// `<head>`, so the browser fetches them beside the main WASM. The split's
/// manifest keys a route by its view function, `__{route}_view_{hash}`
/// (`#[lazy_route]`'s name, snake case).
#[cfg(feature = "ssr")]
fn preload_chunks(route: &str) {
    use leptos_meta::Link;
    let Some(state) = use_context::<crate::ssr::state::AppState>() else {
        return;
    };
    let chunks = &state.assets.chunks;
    let prefix = format!("__{}_view_", snake_case(route));
    // Rendered for their effect: leptos_meta moves them into the <head>.
    for url in chunks.of(&prefix) {
        let _ = view! {
            <Link rel="preload" href=url.clone() as_="fetch" type_="application/wasm" crossorigin="anonymous" />
        }
        .to_html();
    }
    if let Some(loader) = &chunks.loader {
        let _ =
            view! { <Link rel="modulepreload" href=loader.to_string() crossorigin="anonymous" /> }
                .to_html();
    }
}

/// `OverviewRoute` → `overview_route`.
#[cfg(any(feature = "ssr", test))]
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_route_is_keyed_by_its_snake_case_name() {
        assert_eq!(super::snake_case("OverviewRoute"), "overview_route");
        assert_eq!(super::snake_case("RunRoute"), "run_route");
    }
}
