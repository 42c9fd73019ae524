//! The application state shared by every request, server side only.
//!
//! `leptos_routes_with_context` provides it as context to page rendering and
//! to server functions, which reach it through the accessors below. They are
//! fallible: outside a request the server set up there is no state, and a
//! server function answers that with an internal error instead of a panic.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::FromRef;
use leptos::prelude::{LeptosOptions, use_context};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::error::ApiError;
use crate::model::{CollectAnswer, Platform, PlatformBudget, PlatformHealth};
use crate::ssr::cache::Cache;
use crate::ssr::metrics::Metrics;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub cache: Cache,
    pub collect: CollectTrigger,
    pub metrics: Metrics,
    pub access: AccessSettings,
    /// What this instance's collector can say of each platform.
    pub collectors: CollectorsView,
}

/// What this instance's collector knows of a platform: whether it can
/// collect it, what it lacks, and its budget. The server implements it;
/// the app only reads it.
pub trait DescribeCollector: Send + Sync {
    /// `platform`'s setup, and its budget given `accounts` to collect.
    fn describe(&self, platform: Platform, accounts: u64) -> CollectorSetup;
}

/// One platform's setup on this instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectorSetup {
    /// `Live`, `NotConfigured` or `NoCollector` (failing is read from the
    /// accounts).
    pub health: PlatformHealth,
    pub needs: Option<String>,
    pub budget: Option<PlatformBudget>,
}

/// [`DescribeCollector`], shared.
#[derive(Clone)]
pub struct CollectorsView(pub Arc<dyn DescribeCollector>);

impl CollectorsView {
    pub fn describe(&self, platform: Platform, accounts: u64) -> CollectorSetup {
        self.0.describe(platform, accounts)
    }
}

/// What this instance's collectors can say of each platform.
pub fn collectors() -> Result<CollectorsView, ApiError> {
    Ok(state()?.collectors)
}

/// Who may do what, and how often: from the server's configuration.
#[derive(Clone, Copy, Debug)]
pub struct AccessSettings {
    /// Whether anyone may read (`REACH_PUBLIC_READ`); if not, every page
    /// and read needs an admin too.
    pub public_read: bool,
    /// How long a session lasts (`REACH_SESSION_TTL`).
    pub session_ttl: chrono::Duration,
    /// When its cookie is `Secure` (`REACH_SECURE_COOKIES`).
    pub secure_cookies: CookieSecurity,
    /// Whether the client address is the last of `X-Forwarded-For` (the
    /// one the proxy in front saw; `REACH_TRUST_PROXY`), for a server
    /// behind a proxy.
    pub trust_proxy: bool,
    /// Sign-in attempts per client address and minute (0: unlimited).
    pub login_per_minute: u32,
    /// API requests per client address and second (0: unlimited).
    pub api_per_second: u32,
}

impl AccessSettings {
    /// What `reach serve` uses when nothing is configured: the one place
    /// these defaults are written (the command line takes them from here).
    pub const DEFAULT: AccessSettings = AccessSettings {
        public_read: true,
        session_ttl: chrono::Duration::days(7),
        secure_cookies: CookieSecurity::Auto,
        trust_proxy: false,
        login_per_minute: 10,
        api_per_second: 100,
    };
}

impl Default for AccessSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The state of the running server, for the request being handled.
pub fn state() -> Result<AppState, ApiError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("no application state in this context: not a request the server set up");
        ApiError::internal()
    })
}

/// The database pool of the running server.
pub fn db() -> Result<DatabaseConnection, ApiError> {
    Ok(state()?.db)
}

/// The read cache of the running server.
pub fn cache() -> Result<Cache, ApiError> {
    Ok(state()?.cache)
}

/// This instance's performance figures.
pub fn metrics() -> Result<Metrics, ApiError> {
    Ok(state()?.metrics)
}

/// Who may do what on this server.
pub fn access_settings() -> Result<AccessSettings, ApiError> {
    Ok(state()?.access)
}

/// The handle that asks this instance's collector for a run.
pub fn collect_trigger() -> Result<CollectTrigger, ApiError> {
    Ok(state()?.collect)
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

/// When the session cookie is marked `Secure` (`REACH_SECURE_COOKIES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CookieSecurity {
    /// When the request came over HTTPS, as a proxy in front says with
    /// `X-Forwarded-Proto: https` (a forged header can only make the cookie
    /// stricter).
    #[default]
    Auto,
    Always,
    Never,
}

impl CookieSecurity {
    pub fn applies(self, headers: &axum::http::HeaderMap) -> bool {
        match self {
            CookieSecurity::Always => true,
            CookieSecurity::Never => false,
            CookieSecurity::Auto => headers
                .get("x-forwarded-proto")
                .and_then(|proto| proto.to_str().ok())
                .is_some_and(|proto| proto.eq_ignore_ascii_case("https")),
        }
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
