//! Reach's own performance, measured in process: latency of every endpoint
//! and of every kind of database query, as HDR histograms since start and
//! over a recent window. `/api/performance` reports them with the cache's
//! counters, the pool, the collectors' latest timings and the process.
//!
//! The HTTP layer that feeds [`Metrics::record_request`] is in the server
//! (`startup.rs`); the database feeds [`Metrics::record_query`] through
//! sea-orm's metric callback.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use sea_orm::{DatabaseConnection, DbBackend};

use crate::model::{DatabaseStats, Latency, SeriesStats};

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
    started: Instant,
    requests: Mutex<HashMap<String, Series>>,
    queries: Mutex<HashMap<String, Series>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                started: Instant::now(),
                requests: Mutex::default(),
                queries: Mutex::default(),
            }),
        }
    }
}

impl Metrics {
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
        self.record(&self.inner.requests, endpoint, elapsed, failed);
    }

    /// One database statement, named by [`query_kind`].
    pub fn record_query(&self, sql: &str, elapsed: Duration, failed: bool) {
        self.record(&self.inner.queries, &query_kind(sql), elapsed, failed);
    }

    pub fn requests(&self) -> Vec<SeriesStats> {
        self.summarize(&self.inner.requests)
    }

    pub fn queries(&self) -> Vec<SeriesStats> {
        self.summarize(&self.inner.queries)
    }

    fn slot(&self) -> u64 {
        self.inner.started.elapsed().as_secs() / SLOT.as_secs()
    }

    fn record(
        &self,
        map: &Mutex<HashMap<String, Series>>,
        name: &str,
        elapsed: Duration,
        failed: bool,
    ) {
        let slot = self.slot();
        let micros = u64::try_from(elapsed.as_micros()).unwrap_or(MAX_MICROS);
        let mut map = map.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(series) = map.get_mut(name) {
            return series.record(micros, failed, slot);
        }
        let name = if map.len() < MAX_SERIES {
            name
        } else {
            OVERFLOW_SERIES
        };
        map.entry(name.to_owned())
            .or_default()
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
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_MICROS, 3).expect("valid histogram bounds")
}

impl Default for Series {
    fn default() -> Self {
        Self {
            errors: 0,
            overall: histogram(),
            recent: VecDeque::new(),
        }
    }
}

impl Series {
    fn record(&mut self, micros: u64, failed: bool, slot: u64) {
        let micros = micros.clamp(1, MAX_MICROS);
        self.overall.saturating_record(micros);
        if failed {
            self.errors += 1;
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
    fn the_recent_window_forgets_old_slots() {
        let mut series = Series::default();
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
