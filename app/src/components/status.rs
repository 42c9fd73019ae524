//! What a region of a page shows while its data loads or when it fails:
//! skeletons with the final layout's size, an error with a way to load it again, and
//! a banner while the browser is offline.

use leptos::prelude::*;

use crate::error::{ApiError, ErrorKind};

/// Grey placeholder rows with the table's shape, so nothing jumps when the
/// data arrives.
#[component]
pub fn TableSkeleton(rows: usize, columns: usize) -> impl IntoView {
    view! {
        <tbody class="skeleton" aria-busy="true">
            {(0..rows)
                .map(|_| {
                    view! {
                        <tr>
                            {(0..columns)
                                .map(|_| view! { <td><span class="bone"></span></td> })
                                .collect_view()}
                        </tr>
                    }
                })
                .collect_view()}
        </tbody>
    }
}

/// A placeholder of a card's size.
#[component]
pub fn CardSkeleton() -> impl IntoView {
    view! {
        <div class="card skeleton" aria-busy="true">
            <span class="bone wide"></span>
            <span class="bone"></span>
        </div>
    }
}

/// The failure of one region, in its place: what failed, and a way to retry.
#[component]
pub fn ErrorPanel(
    /// What was being loaded ("the accounts").
    what: &'static str,
    error: ApiError,
) -> impl IntoView {
    // A page rendered on the server with a failed region answers with the
    // failure's status (a missing account's page is a 404).
    #[cfg(feature = "ssr")]
    error.set_response_status();
    let hint = match error.kind {
        ErrorKind::Network => "Check your connection; Reach may be offline.",
        ErrorKind::Unavailable => "The database is busy or down; retrying usually helps.",
        ErrorKind::BadRequest => "The address asks for something Reach does not understand.",
        ErrorKind::NotFound => "It may have been removed.",
        ErrorKind::Conflict => "It exists already.",
        ErrorKind::MethodNotAllowed
        | ErrorKind::PayloadTooLarge
        | ErrorKind::UriTooLong
        | ErrorKind::HeadersTooLarge => "Reach does not take a request like this one.",
        ErrorKind::RequestTimeout => "The request took too long; try again.",
        ErrorKind::Unauthorized => "Sign in as an admin to do this.",
        ErrorKind::Forbidden => "Reach refused a request that did not come from its own pages.",
        ErrorKind::TooManyRequests => "Too many requests from this address; wait a moment.",
        ErrorKind::Internal => "The server logged the details.",
    };
    let kind = error.kind;
    view! {
        <div class="error-panel" role="alert">
            <p>
                <strong>{format!("Could not load {what}: ")}</strong>
                {error.message}
            </p>
            <p class="hint">{hint}</p>
            // Asking again helps only where the failure may pass; a missing
            // or refused thing offers a way back instead.
            {if kind.may_pass() {
                // The page is rendered on the server: asking again is
                // loading it again.
                view! { <p><a class="retry" href=this_page()>"Retry"</a></p> }.into_any()
            } else {
                view! { <p><a href="/">"Back to the overview"</a></p> }.into_any()
            }}
        </div>
    }
}

/// An [`ErrorPanel`] in the place of a table's rows.
#[component]
pub fn TableError(
    what: &'static str,
    /// The table's column count, for the panel to span them all.
    columns: usize,
    error: ApiError,
) -> impl IntoView {
    view! {
        <tbody>
            <tr>
                <td colspan=columns>
                    <ErrorPanel what error />
                </td>
            </tr>
        </tbody>
    }
}

/// The address of the page being rendered (path and query).
fn this_page() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<axum::http::request::Parts>()
            .and_then(|parts| parts.uri.path_and_query().map(|p| p.to_string()))
            .unwrap_or_else(|| "/".to_owned())
    }
    #[cfg(not(feature = "ssr"))]
    {
        "/".to_owned()
    }
}

/// Says so while the browser is offline: what is on screen stays, and other
/// pages will load when the connection returns.
#[island]
pub fn OfflineBanner() -> impl IntoView {
    // The server renders pages for browsers that reached it: online.
    let online = RwSignal::new(true);
    #[cfg(feature = "hydrate")]
    {
        Effect::new(move |_| online.set(window().navigator().on_line()));
        let on = window_event_listener(leptos::ev::online, move |_| online.set(true));
        let off = window_event_listener(leptos::ev::offline, move |_| online.set(false));
        on_cleanup(move || {
            on.remove();
            off.remove();
        });
    }
    view! {
        <Show when=move || !online.get()>
            <div class="offline-banner" role="status" data-testid="offline">
                "You are offline. What is on screen stays; other pages will load when the connection returns."
            </div>
        </Show>
    }
}
