//! The same figures as `/api/performance`, for Prometheus: `GET /metrics`
//! in its text format, through the `metrics` crate and its Prometheus
//! exporter.
//!
//! Each [`super::Metrics`] owns its recorder rather than installing the
//! process-wide one, so that every application built in a process (the
//! integration tests build many) reports only its own figures. Timings are
//! recorded as they happen (requests, queries, collector requests, runs);
//! the figures that already live elsewhere (the cache's counters, the pool,
//! the process) are read when Prometheus scrapes, in [`Exporter::render`].

use std::time::Duration;

use metrics::{Counter, Histogram, Key, Label, Level, Metadata, Recorder, Unit};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusRecorder};

use crate::model::{CacheBackend, CacheStats, DatabaseStats};

const METADATA: Metadata<'static> = Metadata::new("reach", Level::INFO, Some(module_path!()));

/// Bucket bounds of request and query latencies (seconds): from half a
/// millisecond to a minute.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];
/// Bucket bounds of whole collection runs and rate-limit waits (seconds).
const LONG_BUCKETS: &[f64] = &[
    0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0,
];

pub(super) const HTTP_DURATION: &str = "reach_http_request_duration_seconds";
pub(super) const HTTP_ERRORS: &str = "reach_http_request_errors_total";
pub(super) const QUERY_DURATION: &str = "reach_db_query_duration_seconds";
pub(super) const QUERY_ERRORS: &str = "reach_db_query_errors_total";
const COLLECTOR_REQUESTS: &str = "reach_collector_requests_total";
const COLLECTOR_DURATION: &str = "reach_collector_request_duration_seconds";
const RATE_LIMIT_WAIT: &str = "reach_collector_rate_limit_wait_seconds";
const RUNS: &str = "reach_collection_runs_total";
const RUN_DURATION: &str = "reach_collection_run_duration_seconds";
const RUN_REST: &str = "reach_collection_run_rest_seconds";
const RUN_ACCOUNTS: &str = "reach_collection_accounts_total";
const CACHE_REQUESTS: &str = "reach_cache_requests_total";
const CACHE_ERRORS: &str = "reach_cache_redis_errors_total";
const CACHE_FALLBACKS: &str = "reach_cache_fallbacks_total";
const CACHE_STALE: &str = "reach_cache_stale_total";
const CACHE_ENTRIES: &str = "reach_cache_entries";
const CACHE_MEMORY: &str = "reach_cache_memory_bytes";
const CACHE_BACKEND: &str = "reach_cache_backend";
const POOL_CONNECTIONS: &str = "reach_db_pool_connections";
const UPTIME: &str = "reach_uptime_seconds";
const BUILD_INFO: &str = "reach_build_info";
const RESIDENT_MEMORY: &str = "process_resident_memory_bytes";

/// One application's Prometheus recorder.
pub(super) struct Exporter {
    recorder: PrometheusRecorder,
}

impl Default for Exporter {
    fn default() -> Self {
        let recorder = PrometheusBuilder::new()
            .set_buckets(LATENCY_BUCKETS)
            .and_then(|builder| {
                builder.set_buckets_for_metric(Matcher::Full(RUN_DURATION.into()), LONG_BUCKETS)
            })
            .and_then(|builder| {
                builder.set_buckets_for_metric(Matcher::Full(RUN_REST.into()), LONG_BUCKETS)
            })
            .and_then(|builder| {
                builder.set_buckets_for_metric(Matcher::Full(RATE_LIMIT_WAIT.into()), LONG_BUCKETS)
            })
            .expect("non-empty bucket lists")
            .build_recorder();
        let exporter = Self { recorder };
        exporter.describe();
        exporter
    }
}

impl Exporter {
    /// The `# HELP` and `# TYPE` lines.
    fn describe(&self) {
        let seconds = Some(Unit::Seconds);
        let histograms = [
            (
                HTTP_DURATION,
                "Time to answer a request, by route template or server function.",
            ),
            (
                QUERY_DURATION,
                "Time of a database statement, by verb and table (web side).",
            ),
            (
                COLLECTOR_DURATION,
                "Time of a request to a platform's API, by platform.",
            ),
            (
                RATE_LIMIT_WAIT,
                "Time a collector request waited for its platform's rate limit.",
            ),
            (RUN_DURATION, "Duration of a collection run."),
            (
                RUN_REST,
                "Time a collection run rested so that reads kept part of the processor (REACH_COLLECT_DUTY).",
            ),
        ];
        for (name, help) in histograms {
            self.recorder
                .describe_histogram(name.into(), seconds, help.into());
        }
        let counters = [
            (HTTP_ERRORS, "Requests answered with a 5xx status."),
            (QUERY_ERRORS, "Database statements that failed."),
            (
                COLLECTOR_REQUESTS,
                "Requests to platforms' APIs, by platform and outcome.",
            ),
            (RUNS, "Collection runs ended, by status."),
            (
                RUN_ACCOUNTS,
                "Accounts handled by collection runs, by outcome (ok, failed, skipped).",
            ),
            (
                CACHE_REQUESTS,
                "Cached reads by kind and result (local_hit, redis_hit, miss).",
            ),
            (
                CACHE_ERRORS,
                "Redis commands of the cache that failed or timed out.",
            ),
            (
                CACHE_FALLBACKS,
                "Cached reads that went without Redis because it was down or failed.",
            ),
            (
                CACHE_STALE,
                "Local hits answered with an answer before a run's latest publication while its successor was computed.",
            ),
        ];
        for (name, help) in counters {
            self.recorder
                .describe_counter(name.into(), None, help.into());
        }
        let gauges = [
            (
                CACHE_ENTRIES,
                "Answers held in this instance's memory cache.",
                None,
            ),
            (
                CACHE_MEMORY,
                "Size of the answers held in memory, as JSON.",
                Some(Unit::Bytes),
            ),
            (
                CACHE_BACKEND,
                "1 for the cache backend answering now (redis, in_process, degraded).",
                None,
            ),
            (
                POOL_CONNECTIONS,
                "Database pool connections, by state (idle, in_use).",
                None,
            ),
            (UPTIME, "Seconds since this instance started.", seconds),
            (
                BUILD_INFO,
                "Always 1; the version and the instance's name are labels.",
                None,
            ),
            (
                RESIDENT_MEMORY,
                "Resident memory of the process.",
                Some(Unit::Bytes),
            ),
        ];
        for (name, help, unit) in gauges {
            self.recorder.describe_gauge(name.into(), unit, help.into());
        }
    }

    pub(super) fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        self.recorder
            .register_histogram(&Key::from_parts(name, labels), &METADATA)
    }

    pub(super) fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>, value: f64) {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
            .set(value);
    }

    /// Folds recorded samples into the histograms: without it, samples pile
    /// up between scrapes (or forever, with no Prometheus scraping).
    pub(super) fn run_upkeep(&self) {
        self.recorder.handle().run_upkeep();
    }

    pub(super) fn collector_request(&self, platform: &str, outcome: &str, elapsed: Duration) {
        let platform = Label::new("platform", platform.to_owned());
        self.histogram(COLLECTOR_DURATION, vec![platform.clone()])
            .record(elapsed.as_secs_f64());
        self.counter(
            COLLECTOR_REQUESTS,
            vec![platform, Label::new("outcome", outcome.to_owned())],
        )
        .increment(1);
    }

    pub(super) fn rate_limit_wait(&self, platform: &str, waited: Duration) {
        self.histogram(
            RATE_LIMIT_WAIT,
            vec![Label::new("platform", platform.to_owned())],
        )
        .record(waited.as_secs_f64());
    }

    pub(super) fn run_ended(&self, run: &RunFigures) {
        self.counter(RUNS, vec![Label::new("status", run.status.to_owned())])
            .increment(1);
        self.histogram(RUN_DURATION, Vec::new())
            .record(run.duration.as_secs_f64());
        self.histogram(RUN_REST, Vec::new())
            .record(run.rested.as_secs_f64());
        for (outcome, count) in [
            ("ok", run.ok),
            ("failed", run.failed),
            ("skipped", run.skipped),
        ] {
            self.counter(RUN_ACCOUNTS, vec![Label::new("outcome", outcome)])
                .increment(count);
        }
    }

    /// The text Prometheus scrapes, with the figures read now.
    pub(super) fn render(&self, now: &Snapshot) -> String {
        for kind in &now.cache.kinds {
            let by_kind = |name| {
                vec![
                    Label::new("kind", kind.kind.clone()),
                    Label::new("result", name),
                ]
            };
            for (result, value) in [
                ("local_hit", kind.local_hits),
                ("redis_hit", kind.redis_hits),
                ("miss", kind.misses),
            ] {
                self.counter(CACHE_REQUESTS, by_kind(result))
                    .absolute(value);
            }
            let kind_only = || vec![Label::new("kind", kind.kind.clone())];
            self.counter(CACHE_ERRORS, kind_only())
                .absolute(kind.errors);
            self.counter(CACHE_FALLBACKS, kind_only())
                .absolute(kind.fallbacks);
            self.counter(CACHE_STALE, kind_only())
                .absolute(kind.stale_hits);
        }
        self.gauge(CACHE_ENTRIES, Vec::new(), now.cache.entries as f64);
        self.gauge(CACHE_MEMORY, Vec::new(), now.cache.memory_bytes as f64);
        for backend in [
            CacheBackend::Redis,
            CacheBackend::InProcess,
            CacheBackend::Degraded,
        ] {
            let current = f64::from(u8::from(backend == now.cache.backend));
            self.gauge(
                CACHE_BACKEND,
                vec![Label::new("backend", backend.as_str())],
                current,
            );
        }
        let idle = f64::from(now.database.pool_idle);
        let in_use = f64::from(now.database.pool_size) - idle;
        for (state, value) in [("idle", idle), ("in_use", in_use)] {
            let labels = vec![
                Label::new("backend", now.database.backend.clone()),
                Label::new("state", state),
            ];
            self.gauge(POOL_CONNECTIONS, labels, value);
        }
        self.gauge(UPTIME, Vec::new(), now.uptime.as_secs_f64());
        self.gauge(
            BUILD_INFO,
            vec![
                Label::new("version", env!("CARGO_PKG_VERSION")),
                Label::new("reach_instance", now.instance.clone()),
            ],
            1.0,
        );
        if let Some(bytes) = now.resident_bytes {
            self.gauge(RESIDENT_MEMORY, Vec::new(), bytes as f64);
        }
        self.recorder.handle().render()
    }
}

/// How a collection run ended, for [`super::Metrics::run_ended`].
#[derive(Clone, Debug)]
pub struct RunFigures {
    /// `finished` or `interrupted`.
    pub status: &'static str,
    pub duration: Duration,
    /// How long it rested so that readers kept part of the processor.
    pub rested: Duration,
    pub ok: u64,
    pub failed: u64,
    pub skipped: u64,
}

/// The figures read at scrape time.
pub(super) struct Snapshot {
    pub cache: CacheStats,
    pub database: DatabaseStats,
    pub uptime: Duration,
    pub resident_bytes: Option<u64>,
    /// The instance's name: Prometheus' own `instance` label is the
    /// scraped address, which says nothing of runs.
    pub instance: String,
}
