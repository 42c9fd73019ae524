//! Reach's own performance, measured in process: latency of every endpoint
//! and of every kind of database query, as HDR histograms since start and
//! over a recent window. `/api/performance` reports them with the cache's
//! counters, the pool, the collectors' latest timings and the process.
//!
//! The HTTP layer that feeds [`Metrics::record_request`] is in the server
//! (`startup.rs`); the database feeds [`Metrics::record_query`] through
//! sea-orm's metric callback; the collector feeds the collector figures.
//! Every figure is also kept for Prometheus (`prometheus.rs`, `/metrics`).

mod prometheus;

pub use prometheus::RunFigures;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use metrics::Label;
use sea_orm::{DatabaseConnection, DbBackend};

use crate::model::{DatabaseStats, Latency, SeriesStats};
use crate::ssr::cache::Cache;
use prometheus::Exporter;

/// The recent window: this many slots of [`SLOT`] each.
const SLOTS: u64 = 5;
const SLOT: Duration = Duration::from_secs(60);
/// The longest latency told apart (longer ones count as this).
const MAX_MICROS: u64 = 60_000_000;
/// Most series kept per map: a flood of odd paths cannot grow memory
/// without bound; the rest share one series.
const MAX_SERIES: usize = 256;
const OVERFLOW_SERIES: &str = "(other)";

/// Every figure measured since start; cheap to clone and share.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    /// The instance's name, as in its runs and `/api/instances`.
    instance: String,
    started: Instant,
    requests: Mutex<HashMap<String, Series>>,
    queries: Mutex<HashMap<String, Series>>,
    exporter: Exporter,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::named("local")
    }
}

impl Metrics {
    /// The figures of the instance called `instance`.
    pub fn named(instance: &str) -> Self {
        Self {
            inner: Arc::new(Inner {
                instance: instance.to_owned(),
                started: Instant::now(),
                requests: Mutex::default(),
                queries: Mutex::default(),
                exporter: Exporter::default(),
            }),
        }
    }
}

/// Which map a series is in, and so its Prometheus names and label.
#[derive(Clone, Copy)]
enum SeriesKind {
    Request,
    Query,
}

impl SeriesKind {
    fn map(self, inner: &Inner) -> &Mutex<HashMap<String, Series>> {
        match self {
            SeriesKind::Request => &inner.requests,
            SeriesKind::Query => &inner.queries,
        }
    }

    fn exported(self, exporter: &Exporter, name: &str) -> Exported {
        let (duration, errors, label) = match self {
            SeriesKind::Request => (
                prometheus::HTTP_DURATION,
                prometheus::HTTP_ERRORS,
                "endpoint",
            ),
            SeriesKind::Query => (prometheus::QUERY_DURATION, prometheus::QUERY_ERRORS, "kind"),
        };
        let labels = || vec![Label::new(label, name.to_owned())];
        Exported {
            duration: exporter.histogram(duration, labels()),
            errors: exporter.counter(errors, labels()),
        }
    }
}

impl Metrics {
    /// The instance these figures are of.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    pub fn uptime(&self) -> Duration {
        self.inner.started.elapsed()
    }

    /// The recent window's length.
    pub fn window() -> Duration {
        SLOT * SLOTS as u32
    }

    /// One request to `endpoint` (a route template or a server function's
    /// path, never a raw path with ids) that took `elapsed`.
    pub fn record_request(&self, endpoint: &str, elapsed: Duration, failed: bool) {
        self.record(SeriesKind::Request, endpoint, elapsed, failed);
    }

    /// One database statement, named by [`query_kind`].
    pub fn record_query(&self, sql: &str, elapsed: Duration, failed: bool) {
        self.record(SeriesKind::Query, &query_kind(sql), elapsed, failed);
    }

    /// One request of a collector to `platform`'s API, whatever came of it
    /// (`ok`, `not_found`, `rate_limited`, `timeout`, `error`).
    pub fn record_collector_request(&self, platform: &str, outcome: &str, elapsed: Duration) {
        self.inner
            .exporter
            .collector_request(platform, outcome, elapsed);
    }

    /// A collector request waited this long for `platform`'s rate limit.
    pub fn record_rate_limit_wait(&self, platform: &str, waited: Duration) {
        self.inner.exporter.rate_limit_wait(platform, waited);
    }

    /// A collection run ended.
    pub fn record_run(&self, run: &RunFigures) {
        self.inner.exporter.run_ended(run);
    }

    pub fn requests(&self) -> Vec<SeriesStats> {
        self.summarize(&self.inner.requests)
    }

    pub fn queries(&self) -> Vec<SeriesStats> {
        self.summarize(&self.inner.queries)
    }

    /// Everything in Prometheus' text format, the cache's counters, the
    /// pool and the process read now.
    pub async fn prometheus_text(&self, db: &DatabaseConnection, cache: &Cache) -> String {
        let snapshot = prometheus::Snapshot {
            cache: cache.stats().await,
            database: database_stats(db, Vec::new()),
            uptime: self.uptime(),
            resident_bytes: resident_bytes(),
            instance: self.instance().to_owned(),
        };
        self.inner.exporter.render(&snapshot)
    }

    /// Keeps the Prometheus histograms bounded between scrapes: call it
    /// every few seconds.
    pub fn run_upkeep(&self) {
        self.inner.exporter.run_upkeep();
    }

    fn slot(&self) -> u64 {
        self.inner.started.elapsed().as_secs() / SLOT.as_secs()
    }

    fn record(&self, kind: SeriesKind, name: &str, elapsed: Duration, failed: bool) {
        let slot = self.slot();
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(MAX_MICROS);
        let mut map = kind
            .map(&self.inner)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = map.get_mut(name) {
            return series.record(micros, failed, slot);
        }
        let name = if map.len() < MAX_SERIES {
            name
        } else {
            OVERFLOW_SERIES
        };
        map.entry(name.to_owned())
            .or_insert_with(|| Series::new(kind.exported(&self.inner.exporter, name)))
            .record(micros, failed, slot);
    }

    /// Every series, the slowest (by p99 since start) first.
    fn summarize(&self, map: &Mutex<HashMap<String, Series>>) -> Vec<SeriesStats> {
        let slot = self.slot();
        let map = map.lock().unwrap_or_else(PoisonError::into_inner);
        let mut stats: Vec<SeriesStats> = map
            .iter()
            .map(|(name, series)| series.stats(name, slot))
            .collect();
        stats.sort_by(|a, b| b.overall.p99_ms.total_cmp(&a.overall.p99_ms));
        stats
    }
}

/// One series: counts, a histogram since start, and one per recent slot.
struct Series {
    errors: u64,
    overall: Histogram<u64>,
    recent: VecDeque<(u64, Histogram<u64>)>,
    exported: Exported,
}

/// A series' Prometheus side, registered once when the series is created.
struct Exported {
    duration: metrics::Histogram,
    errors: metrics::Counter,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

impl Series {
    fn new(exported: Exported) -> Self {
        Self {
            errors: 0,
            overall: histogram(),
            recent: VecDeque::new(),
            exported,
        }
    }

    fn record(&mut self, micros: u64, failed: bool, slot: u64) {
        let micros = micros.clamp(1, MAX_MICROS);
        self.overall.saturating_record(micros);
        self.exported.duration.record(micros as f64 / 1e6);
        if failed {
            self.errors += 1;
            self.exported.errors.increment(1);
        }
        if self.recent.back().is_none_or(|(last, _)| *last != slot) {
            self.recent.push_back((slot, histogram()));
        }
        while self
            .recent
            .front()
            .is_some_and(|(first, _)| first + SLOTS <= slot)
        {
            self.recent.pop_front();
        }
        if let Some((_, current)) = self.recent.back_mut() {
            current.saturating_record(micros);
        }
    }

    fn stats(&self, name: &str, slot: u64) -> SeriesStats {
        let mut recent = histogram();
        for (at, slot_histogram) in &self.recent {
            if at + SLOTS > slot {
                // Same bounds on both sides: adding cannot fail.
                let _ = recent.add(slot_histogram);
            }
        }
        SeriesStats {
            name: name.to_owned(),
            count: self.overall.len(),
            errors: self.errors,
            recent: latency(&recent),
            overall: latency(&self.overall),
        }
    }
}

fn latency(histogram: &Histogram<u64>) -> Latency {
    let ms = |micros: u64| micros as f64 / 1000.0;
    Latency {
        count: histogram.len(),
        p50_ms: ms(histogram.value_at_quantile(0.50)),
        p95_ms: ms(histogram.value_at_quantile(0.95)),
        p99_ms: ms(histogram.value_at_quantile(0.99)),
        max_ms: ms(histogram.max()),
    }
}

/// A statement's kind: its verb and first table, e.g. `SELECT accounts`,
/// so that one query shape is one series whatever its parameters.
pub fn query_kind(sql: &str) -> String {
    // Called for every statement: walk the words, collect none.
    let mut words = sql.split_whitespace();
    let verb = words.next().map_or("?".to_owned(), str::to_uppercase);
    let after = match verb.as_str() {
        "INSERT" => "INTO",
        "UPDATE" => "UPDATE",
        _ => "FROM",
    };
    let table = if verb == "UPDATE" {
        words.next()
    } else {
        words
            .find(|w| w.eq_ignore_ascii_case(after))
            .and_then(|_| words.next())
    }
    .map(|t| t.trim_matches(|c: char| c == '"' || c == '`' || c == '(' || c == ')'))
    .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("SELECT"))
    .unwrap_or("(subquery)");
    format!("{verb} {table}")
}

/// The pool and the query series of `db`.
pub fn database_stats(db: &DatabaseConnection, queries: Vec<SeriesStats>) -> DatabaseStats {
    let (backend, pool_size, pool_idle) = match db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            ("postgres", pool.size(), pool.num_idle())
        }
        _ => {
            let pool = db.get_sqlite_connection_pool();
            ("sqlite", pool.size(), pool.num_idle())
        }
    };
    DatabaseStats {
        backend: backend.to_owned(),
        pool_size,
        pool_idle: u32::try_from(pool_idle).unwrap_or(u32::MAX),
        queries,
    }
}

/// The resident memory of this process, where the system says (Linux).
pub fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_named_by_verb_and_table() {
        assert_eq!(
            query_kind(r#"SELECT "accounts"."id" FROM "accounts" WHERE 1"#),
            "SELECT accounts"
        );
        assert_eq!(
            query_kind(r#"INSERT INTO "snapshots" ("a") VALUES (1)"#),
            "INSERT snapshots"
        );
        assert_eq!(
            query_kind(r#"UPDATE "accounts" SET x = 1"#),
            "UPDATE accounts"
        );
        assert_eq!(
            query_kind("SELECT COUNT(*) AS num_items FROM (SELECT 1) AS sub"),
            "SELECT (subquery)"
        );
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let metrics = Metrics::default();
        for ms in 1..=100 {
            metrics.record_request("/api/x", Duration::from_millis(ms), ms == 100);
        }
        let stats = &metrics.requests()[0];
        assert_eq!((stats.count, stats.errors), (100, 1));
        assert!((stats.overall.p50_ms - 50.0).abs() < 0.5, "{stats:?}");
        assert!((stats.overall.p99_ms - 99.0).abs() < 0.5, "{stats:?}");
        assert!((stats.overall.max_ms - 100.0).abs() < 0.5, "{stats:?}");
        assert_eq!(stats.recent.count, 100);
    }

    #[test]
    fn prometheus_text_carries_every_figure() {
        use crate::model::{CacheBackend, CacheKindStats, CacheStats};
        let metrics = Metrics::default();
        metrics.record_request("GET /api/accounts", Duration::from_millis(3), false);
        metrics.record_request("GET /api/accounts", Duration::from_millis(700), true);
        metrics.record_query("SELECT 1 FROM accounts", Duration::from_micros(200), false);
        metrics.record_collector_request("github", "ok", Duration::from_millis(40));
        metrics.record_rate_limit_wait("github", Duration::from_secs(2));
        metrics.record_run(&RunFigures {
            status: "finished",
            duration: Duration::from_secs(12),
            rested: Duration::from_secs(6),
            ok: 5,
            failed: 1,
            skipped: 0,
        });
        let snapshot = prometheus::Snapshot {
            cache: CacheStats {
                backend: CacheBackend::InProcess,
                entries: 4,
                memory_bytes: 2048,
                kinds: vec![CacheKindStats {
                    kind: "accounts".to_owned(),
                    local_hits: 7,
                    answer_hits: 5,
                    stale_hits: 1,
                    waited: 2,
                    redis_hits: 0,
                    misses: 3,
                    errors: 0,
                    fallbacks: 0,
                }],
            },
            database: DatabaseStats {
                backend: "sqlite".to_owned(),
                pool_size: 3,
                pool_idle: 1,
                queries: Vec::new(),
            },
            uptime: Duration::from_secs(90),
            resident_bytes: Some(1 << 20),
            instance: "reach-1".to_owned(),
        };
        let text = metrics.inner.exporter.render(&snapshot);
        for line in [
            r#"reach_http_request_duration_seconds_count{endpoint="GET /api/accounts"} 2"#,
            r#"reach_http_request_duration_seconds_bucket{endpoint="GET /api/accounts",le="0.005"} 1"#,
            r#"reach_http_request_errors_total{endpoint="GET /api/accounts"} 1"#,
            r#"reach_db_query_duration_seconds_count{kind="SELECT accounts"} 1"#,
            r#"reach_collector_requests_total{platform="github",outcome="ok"} 1"#,
            r#"reach_collector_rate_limit_wait_seconds_sum{platform="github"} 2"#,
            r#"reach_collection_runs_total{status="finished"} 1"#,
            r#"reach_collection_accounts_total{outcome="failed"} 1"#,
            r#"reach_collection_run_duration_seconds_bucket{le="15"} 1"#,
            "reach_collection_run_rest_seconds_sum 6",
            r#"reach_cache_requests_total{kind="accounts",result="local_hit"} 7"#,
            r#"reach_cache_requests_total{kind="accounts",result="miss"} 3"#,
            r#"reach_cache_backend{backend="in_process"} 1"#,
            r#"reach_cache_backend{backend="redis"} 0"#,
            r#"reach_db_pool_connections{backend="sqlite",state="in_use"} 2"#,
            "reach_uptime_seconds 90",
            concat!(
                r#"reach_build_info{version=""#,
                env!("CARGO_PKG_VERSION"),
                r#"",reach_instance="reach-1"} 1"#
            ),
            "process_resident_memory_bytes 1048576",
            "# TYPE reach_http_request_duration_seconds histogram",
            "# HELP reach_collector_requests_total Requests to platforms' APIs, by platform and outcome.",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "no line {line:?} in\n{text}"
            );
        }
    }

    #[test]
    fn the_recent_window_forgets_old_slots() {
        let exported = SeriesKind::Request.exported(&Exporter::default(), "s");
        let mut series = Series::new(exported);
        series.record(1_000, false, 0);
        series.record(2_000, false, 3);
        assert_eq!(series.stats("s", 4).recent.count, 2);
        // Slot 0 has left the window of five slots.
        assert_eq!(series.stats("s", 5).recent.count, 1);
        series.record(3_000, false, 9);
        assert_eq!(series.stats("s", 9).recent.count, 1);
        assert_eq!(series.stats("s", 9).overall.count, 3);
    }
}
