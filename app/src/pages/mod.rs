//! The dashboard's pages, one module per route.

pub mod account;
pub mod accounts;
pub mod brands;
pub mod compare;
pub mod digests;
pub mod leaderboard;
pub mod overview;
pub mod performance;
pub mod runs;

use leptos::prelude::*;
use leptos_meta::Title;

/// Calls `refetch` every `interval_ms` while `active` holds (in the
/// browser; the server renders once).
pub fn poll_while(
    interval_ms: u32,
    active: impl Fn() -> bool + 'static,
    refetch: impl Fn() + Copy + 'static,
) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if active() {
            leptos::task::spawn_local(async move {
                gloo_timers::future::TimeoutFuture::new(interval_ms).await;
                refetch();
            });
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (interval_ms, active, refetch);
}

/// Percent-encodes a query value (RFC 3986 unreserved characters pass).
pub(crate) fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A query string as the router parses it, for the pages' tests.
#[cfg(test)]
pub(crate) fn query_map(query: &str) -> leptos_router::params::ParamsMap {
    let mut map = leptos_router::params::ParamsMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').expect("key=value");
        map.insert(key.to_owned(), value.to_owned());
    }
    map
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="empty">
            <Title text="Page not found" />
        <h1>"Page not found"</h1>
            <p><a href="/">"Back to the overview"</a></p>
        </section>
    }
}
