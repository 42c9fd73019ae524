//! The dashboard's pages, one module per route.

pub mod account;
pub mod accounts;
pub mod overview;
pub mod runs;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="empty">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to the overview"</a></p>
        </section>
    }
}
