//! The application state shared by every request, server side only.
//!
//! `leptos_routes_with_context` provides it as context to page rendering and
//! to server functions, which reach it through the helpers below.

use axum::extract::FromRef;
use leptos::prelude::{LeptosOptions, expect_context};
use sea_orm::DatabaseConnection;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
}

/// The database pool of the running server.
///
/// Panics outside a request: server functions always run inside one.
pub fn db() -> DatabaseConnection {
    expect_context::<AppState>().db
}
