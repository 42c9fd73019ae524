//! The instance's own figures: cache, latencies, database, collectors (`/api/performance`, `/api/cache`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::run::{PlatformTiming, RunSummary};

/// Which cache answers reads now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CacheBackend {
    /// Redis, shared by the instances (with the in-process level in front).
    Redis,
    /// In process only: no Redis is configured.
    InProcess,
    /// Redis is configured but unreachable: in process until it is back.
    Degraded,
}

impl CacheBackend {
    /// The name it has in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheBackend::Redis => "redis",
            CacheBackend::InProcess => "in_process",
            CacheBackend::Degraded => "degraded",
        }
    }
}

/// The cache's counters since start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CacheStats {
    pub backend: CacheBackend,
    /// Answers held in this instance's memory, and their size as JSON.
    pub entries: u64,
    pub memory_bytes: u64,
    pub kinds: Vec<CacheKindStats>,
}

/// One kind of cached answer's counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CacheKindStats {
    pub kind: String,
    /// Answered from this instance's memory.
    pub local_hits: u64,
    /// Of those, answered with the bytes of an earlier identical request's
    /// answer, without running the server function or encoding anything.
    #[serde(default)]
    pub answer_hits: u64,
    /// Of those, answered with the answer before a run's latest published
    /// batch while another request computed its successor (at most
    /// `REACH_CACHE_STALE_FOR` old).
    #[serde(default)]
    pub stale_hits: u64,
    /// Requests whose kept answer was out of date with nothing to stand
    /// in for it: each waited for an answer to be computed (its own or
    /// another request's), where `misses` also counts the computations
    /// made in the background.
    #[serde(default)]
    pub waited: u64,
    /// Answered from Redis.
    pub redis_hits: u64,
    /// Computed from the database.
    pub misses: u64,
    /// Redis commands that failed or timed out.
    pub errors: u64,
    /// Requests that went without Redis because it was down or failed.
    pub fallbacks: u64,
}

/// Latency percentiles of one series, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One measured series: an endpoint, or a kind of database query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeriesStats {
    /// A route template (`/accounts/{id}`), an API path, or a query kind
    /// (`SELECT accounts`).
    pub name: String,
    pub count: u64,
    pub errors: u64,
    /// Over the last [`Performance::window_seconds`].
    pub recent: Latency,
    /// Since the instance started.
    pub overall: Latency,
}

/// The database as this instance sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DatabaseStats {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Connections open, and how many of them are idle.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub queries: Vec<SeriesStats>,
}

/// The collectors' figures from the latest finished run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CollectorStats {
    pub run: RunSummary,
    pub platforms: Vec<PlatformTiming>,
}

/// Reach's own performance (`/api/performance`), for this instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Performance {
    /// This instance's name (as in runs and `/api/instances`).
    pub instance: String,
    pub version: String,
    pub uptime_seconds: u64,
    /// Resident memory, where the system tells it.
    pub rss_bytes: Option<u64>,
    /// The length of the recent window of every series.
    pub window_seconds: u64,
    /// Per endpoint, the slowest first.
    pub endpoints: Vec<SeriesStats>,
    pub database: DatabaseStats,
    pub cache: CacheStats,
    /// `None` until a run has finished.
    pub collectors: Option<CollectorStats>,
}

/// A `reach serve` process sharing the database (`/api/instances`): live
/// while it beats, every few seconds, on the database's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceRow {
    pub name: String,
    pub version: String,
    pub started_at: DateTime<Utc>,
    pub heartbeat_at: DateTime<Utc>,
    /// How long ago it last beat, by the database's clock.
    pub seconds_since_heartbeat: f64,
}
