//! The application state shared by every request, server side only.
//!
//! `leptos_routes_with_context` provides it as context to page rendering and
//! to server functions, which reach it through the helpers below.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;
use leptos::prelude::{LeptosOptions, expect_context};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::cache::Cache;
use crate::metrics::Metrics;
use crate::model::CollectAnswer;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub cache: Cache,
    pub collect: CollectTrigger,
    pub metrics: Metrics,
}

/// The database pool of the running server.
///
/// Panics outside a request: server functions always run inside one.
pub fn db() -> DatabaseConnection {
    expect_context::<AppState>().db
}

/// The read cache of the running server.
pub fn cache() -> Cache {
    expect_context::<AppState>().cache
}

/// This instance's performance figures.
pub fn metrics() -> Metrics {
    expect_context::<AppState>().metrics
}

/// The handle that asks this instance's collector for a run.
pub fn collect_trigger() -> CollectTrigger {
    expect_context::<AppState>().collect
}

/// Manual collection requests, from the dashboard and the API to the
/// collector task of this instance. A request while a run is under way does
/// not queue another: the run in progress already collects what is due.
#[derive(Clone, Debug, Default)]
pub struct CollectTrigger {
    inner: Arc<TriggerState>,
}

#[derive(Debug, Default)]
struct TriggerState {
    wake: Notify,
    busy: AtomicBool,
}

impl CollectTrigger {
    /// Asks for a run now.
    pub fn request(&self) -> CollectAnswer {
        if self.inner.busy.load(Ordering::Acquire) {
            CollectAnswer::AlreadyRunning
        } else {
            self.inner.wake.notify_one();
            CollectAnswer::Started
        }
    }

    /// Completes when a run is asked for (the collector's side).
    pub async fn requested(&self) {
        self.inner.wake.notified().await;
    }

    /// The collector says whether it is running.
    pub fn set_busy(&self, busy: bool) {
        self.inner.busy.store(busy, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_request_wakes_the_collector_unless_it_is_busy() {
        let trigger = CollectTrigger::default();
        assert_eq!(trigger.request(), CollectAnswer::Started);
        // The request waits for the collector even if it was not listening yet.
        trigger.requested().await;
        trigger.set_busy(true);
        assert_eq!(trigger.request(), CollectAnswer::AlreadyRunning);
        trigger.set_busy(false);
        assert_eq!(trigger.request(), CollectAnswer::Started);
    }
}
