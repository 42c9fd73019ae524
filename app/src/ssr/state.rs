//! The application state shared by every request, server side only.
//!
//! `leptos_routes_with_context` provides it as context to page rendering and
//! to server functions, which reach it through the accessors below. They are
//! fallible: outside a request the server set up there is no state, and a
//! server function answers that with an internal error instead of a panic.
//!
//! Over 500 lines by a little: the state's parts are small types of their
//! own, each beside the accessor that reads it; `Assets` is the one to move
//! out if it grows.

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
    pub sharing: SharingSettings,
    /// This instance's digest sender, woken when one is queued.
    pub digests: DigestsHandle,
    /// Live updates' hub: the open `/api/live` streams.
    pub live: crate::ssr::live::Live,
    /// What this instance's collector can say of each platform.
    pub collectors: CollectorsView,
    /// Built files whose names are known only once they are built.
    pub assets: Assets,
}

/// Built files whose names carry their content's hash, found in the site
/// directory at start (cargo-leptos' own files are named in `hash.txt`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assets {
    /// `/vendor/echarts.<hash>.js`, ECharts as `scripts/setup.sh` built it;
    /// the newest if there are several; `None` if there is none.
    pub echarts: Option<Arc<str>>,
    /// The split build's chunks, by lazy function (see [`SplitChunks`]).
    pub chunks: SplitChunks,
}

/// What `cargo leptos build --split` wrote: the WASM chunks each lazy
/// function needs (its `__wasm_split_manifest*.json`) and the loader that
/// fetches them. A page names its lazy islands' chunks in its `<head>`, so the
/// browser fetches them beside the main WASM rather than after it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SplitChunks {
    /// `/pkg/__wasm_split.<hash>.js`.
    pub loader: Option<Arc<str>>,
    /// Lazy function name (`line_chart_loader_<hash>`) → the URLs of
    /// its chunks, `/pkg/chunk_12.<hash>.wasm`.
    pub by_function: Arc<std::collections::BTreeMap<String, Vec<String>>>,
}

impl SplitChunks {
    /// Reads the newest manifest in `pkg`; empty without one (a build
    /// without `--split`, or the tests' application without a site).
    fn read(pkg: &std::path::Path, url_prefix: &str) -> Self {
        let newest = |prefix: &str, suffix: &str| {
            newest_file(pkg, |name| {
                name.starts_with(prefix) && name.ends_with(suffix)
            })
        };
        let Some(manifest) = newest("__wasm_split_manifest", ".json") else {
            return Self::default();
        };
        let parsed = std::fs::read_to_string(pkg.join(&manifest))
            .ok()
            .and_then(|text| {
                serde_json::from_str::<std::collections::BTreeMap<String, Vec<String>>>(&text).ok()
            });
        let Some(parsed) = parsed else {
            tracing::warn!(manifest, "cannot read the split WASM's manifest");
            return Self::default();
        };
        let by_function = parsed
            .into_iter()
            .map(|(function, chunks)| {
                let urls = chunks
                    .into_iter()
                    .filter(|chunk| pkg.join(format!("{chunk}.wasm")).is_file())
                    .map(|chunk| format!("{url_prefix}/{chunk}.wasm"))
                    .collect();
                (function, urls)
            })
            .collect();
        Self {
            loader: newest("__wasm_split.", ".js")
                .map(|name| format!("{url_prefix}/{name}").into()),
            by_function: Arc::new(by_function),
        }
    }

    /// The chunks of the lazy function whose name starts with `prefix`
    /// (leading underscores aside).
    pub fn of(&self, prefix: &str) -> &[String] {
        let prefix = prefix.trim_start_matches('_');
        self.by_function
            .iter()
            .find(|(function, _)| function.trim_start_matches('_').starts_with(prefix))
            .map_or(&[], |(_, urls)| urls.as_slice())
    }
}

/// The name of the most recently modified file in `dir` that `wanted`
/// accepts (a rebuild may leave older ones beside it).
fn newest_file(dir: &std::path::Path, wanted: impl Fn(&str) -> bool) -> Option<String> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let modified = entry.metadata().and_then(|m| m.modified()).ok()?;
            wanted(&name).then_some((modified, name))
        })
        .max()
        .map(|(_, name)| name)
}

impl Assets {
    /// Looks for the files under `options.site_root`.
    pub fn find(options: &LeptosOptions) -> Self {
        let vendor = std::path::Path::new(options.site_root.as_ref()).join("vendor");
        let echarts = newest_file(&vendor, |name| {
            name.strip_prefix("echarts.")
                .and_then(|rest| rest.strip_suffix(".js"))
                .is_some_and(|hash| !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        let pkg = options.site_pkg_dir.as_ref();
        Self {
            echarts: echarts.map(|name| format!("/vendor/{name}").into()),
            chunks: SplitChunks::read(
                &std::path::Path::new(options.site_root.as_ref()).join(pkg),
                &format!("/{pkg}"),
            ),
        }
    }
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

/// What Reach gives to other programs beside its API: from the server's
/// configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharingSettings {
    /// The most accounts `/metrics/accounts` exports for Prometheus
    /// (`REACH_ACCOUNT_METRICS_LIMIT`; 0 turns it off). Each account is a
    /// handful of series in the scraper's database for as long as it keeps
    /// them, so the bound is the operator's.
    pub account_metrics_limit: u32,
    /// Where people reach this server (`REACH_PUBLIC_URL`, no trailing
    /// `/`), for the absolute addresses share cards give link previews;
    /// unset: the address each request was sent to.
    pub public_url: Option<Arc<str>>,
    /// Who may show share cards in a frame (`REACH_CARD_FRAME_ANCESTORS`),
    /// as CSP `frame-ancestors` sources; unset: no one.
    pub card_frame_ancestors: Option<Arc<str>>,
}

impl SharingSettings {
    /// What `reach serve` uses when nothing is configured: the one place
    /// these defaults are written.
    pub const DEFAULT: SharingSettings = SharingSettings {
        account_metrics_limit: 1000,
        public_url: None,
        card_frame_ancestors: None,
    };
}

impl Default for SharingSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// What the app knows of this instance's digest sender: whether it can
/// send e-mail, and how to wake it when a delivery is queued (the others
/// find it on their next look).
#[derive(Clone, Debug, Default)]
pub struct DigestsHandle {
    /// An SMTP server is configured (`REACH_SMTP_URL`, `REACH_SMTP_FROM`).
    pub email: bool,
    wake: Arc<Notify>,
}

impl DigestsHandle {
    pub fn new(email: bool) -> Self {
        Self {
            email,
            wake: Arc::default(),
        }
    }

    /// Asks the sender to look for queued deliveries now.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Until [`DigestsHandle::wake`] is called (or was, since the last
    /// wait).
    pub async fn woken(&self) {
        self.wake.notified().await;
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
/// collector task of this instance, and from it the cluster's requests
/// (every instance picks up a "collect now" asked of any one). A request
/// while a run is under way does not queue another: the run in progress
/// already collects what is due.
#[derive(Clone, Debug, Default)]
pub struct CollectTrigger {
    inner: Arc<TriggerState>,
}

#[derive(Debug, Default)]
struct TriggerState {
    wake: Notify,
    busy: AtomicBool,
    /// When the schedule starts the next run (`None`: on request only).
    next: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// The newest request's moment: the run collects what was not
    /// attempted since (`None`: now).
    asked_at: std::sync::Mutex<Option<chrono::DateTime<chrono::Utc>>>,
    /// The newest cluster-wide request answered.
    request_id: std::sync::atomic::AtomicI64,
    /// How long a silent instance still counts as running a run.
    liveness: std::sync::Mutex<Option<std::time::Duration>>,
    /// Watched accounts waiting for their own run ([`CollectTrigger::watch`]).
    watched: std::sync::Mutex<std::collections::BTreeSet<i64>>,
    watch_wake: Notify,
    /// How often a watched account is collected (the collector's setting).
    watch_every: std::sync::Mutex<Option<std::time::Duration>>,
}

impl CollectTrigger {
    /// The default of [`CollectTrigger::liveness`]: four beats of five seconds.
    pub const DEFAULT_LIVENESS: std::time::Duration = std::time::Duration::from_secs(20);
    /// The default of [`CollectTrigger::watch_every`] (`REACH_WATCH_EVERY`).
    pub const DEFAULT_WATCH_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

    /// Asks this instance for a run now.
    pub fn request(&self) -> CollectAnswer {
        if self.is_busy() {
            CollectAnswer::AlreadyRunning
        } else {
            self.inner.wake.notify_one();
            CollectAnswer::Started
        }
    }

    /// Asks this instance for a run of what was not attempted since `at`:
    /// the cluster-wide request `id` (recorded in the database, picked up by
    /// every instance), answered once.
    pub fn request_since(&self, id: i64, at: chrono::DateTime<chrono::Utc>) {
        if self.inner.request_id.fetch_max(id, Ordering::AcqRel) < id {
            *lock(&self.inner.asked_at) = Some(at);
            self.inner.wake.notify_one();
        }
    }

    /// The moment the pending request asks from, once (the collector's side).
    pub fn take_asked_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        lock(&self.inner.asked_at).take()
    }

    pub fn is_busy(&self) -> bool {
        self.inner.busy.load(Ordering::Acquire)
    }

    /// How long an instance may be silent and still count as alive (the
    /// collector's setting).
    pub fn liveness(&self) -> std::time::Duration {
        lock(&self.inner.liveness).unwrap_or(Self::DEFAULT_LIVENESS)
    }

    pub fn set_liveness(&self, liveness: std::time::Duration) {
        *lock(&self.inner.liveness) = Some(liveness);
    }

    /// Asks this instance's collector to collect one account now, if it was
    /// not attempted within [`CollectTrigger::watch_every`]: the account
    /// page's live count. The account's own run waits for a run under way
    /// and, like every run, for its platform's budget.
    pub fn watch(&self, account: i64) {
        lock(&self.inner.watched).insert(account);
        self.inner.watch_wake.notify_one();
    }

    /// The watched accounts asked for since the last call (the collector's side).
    pub fn take_watched(&self) -> Vec<i64> {
        std::mem::take(&mut *lock(&self.inner.watched))
            .into_iter()
            .collect()
    }

    /// Completes when an account is watched (the collector's side).
    pub async fn watch_requested(&self) {
        self.inner.watch_wake.notified().await;
    }

    /// The shortest time between two collections of a watched account.
    pub fn watch_every(&self) -> std::time::Duration {
        lock(&self.inner.watch_every).unwrap_or(Self::DEFAULT_WATCH_EVERY)
    }

    pub fn set_watch_every(&self, every: std::time::Duration) {
        *lock(&self.inner.watch_every) = Some(every);
    }

    /// When the schedule starts its next run, as the collector last said.
    pub fn next_cycle(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        *lock(&self.inner.next)
    }

    /// Says when the schedule starts its next run (the collector's side).
    pub fn set_next_cycle(&self, next: Option<chrono::DateTime<chrono::Utc>>) {
        *lock(&self.inner.next) = next;
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

/// A plain value behind a mutex: a panic elsewhere leaves it usable.
fn lock<T>(mutex: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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

    #[test]
    fn the_next_cycle_is_what_the_collector_last_said() {
        let trigger = CollectTrigger::default();
        assert_eq!(trigger.next_cycle(), None);
        let at = chrono::DateTime::from_timestamp(1_800_000_000, 0);
        trigger.clone().set_next_cycle(at);
        assert_eq!(trigger.next_cycle(), at);
    }

    #[test]
    fn built_files_are_found_by_their_hashed_names() {
        let site = std::env::temp_dir().join(format!("reach-assets-{}", std::process::id()));
        let vendor = site.join("vendor");
        std::fs::create_dir_all(&vendor).unwrap();
        let options = LeptosOptions::builder()
            .output_name("reach")
            .site_root(site.to_string_lossy().into_owned())
            .build();
        // Not built yet: no name to give.
        assert_eq!(Assets::find(&options).echarts, None);
        // Files that are not a hashed build are no candidates.
        for name in ["echarts.min.js", "echarts.js", "echarts.4c43.js.br"] {
            std::fs::write(vendor.join(name), "").unwrap();
        }
        std::fs::write(vendor.join("echarts.4c436637dcf4b702.js"), "").unwrap();
        assert_eq!(
            Assets::find(&options).echarts.as_deref(),
            Some("/vendor/echarts.4c436637dcf4b702.js")
        );
        // The split's chunks, by lazy function; a chunk missing on disk is
        // never named.
        let pkg = site.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(
            pkg.join("__wasm_split_manifest.Ab1.json"),
            r#"{"__overview_route_view_99": ["chunk_1.Xy", "chunk_2.Zz"]}"#,
        )
        .unwrap();
        std::fs::write(pkg.join("chunk_1.Xy.wasm"), "").unwrap();
        std::fs::write(pkg.join("__wasm_split.Qq.js"), "").unwrap();
        let chunks = Assets::find(&options).chunks;
        assert_eq!(
            chunks.of("__overview_route_view_"),
            ["/pkg/chunk_1.Xy.wasm"]
        );
        assert!(chunks.of("__runs_route_view_").is_empty());
        assert_eq!(chunks.loader.as_deref(), Some("/pkg/__wasm_split.Qq.js"));
        std::fs::remove_dir_all(site).unwrap();
    }
}
