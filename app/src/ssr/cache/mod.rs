//! The read cache: the answers of the read endpoints, in two levels.
//!
//! - In process (moka, bounded in bytes): every instance has one. It is
//!   also what makes concurrent misses of one key load once (single flight).
//! - Redis (fred), shared by every instance, when `REDIS_URL` is set. Redis
//!   is an optimisation, never a dependency: when it is down, slow (past the
//!   command timeout) or unreachable at start-up, answers come from the
//!   in-process level or the database, and fred reconnects in the background.
//!
//! Keys are built in one place, [`key`]: `reach:v3:{kind}:{generations}:{hash}`
//! where `generations` are the counters of the data domains the kind reads
//! ([`db::generations`]) and `hash` is the xxh3 of the normalized
//! arguments. Writes bump the counters in their own transaction, so no
//! answer computed before a write is ever served after it.

mod redis;

use std::any::Any;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::Expiry;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::model::{CacheBackend, CacheKindStats, CacheStats};
use db::generations::{self, Domain, Generations};

pub use redis::RedisCache;

/// The version of the key layout and of the cached values' shape: bump it
/// when either changes, and old entries are never read again.
const KEY_PREFIX: &str = "reach:v3";

/// A kind of cached answer: one per read endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Overview,
    Accounts,
    Account,
    History,
    Runs,
    Run,
    Tags,
    Compare,
    Growth,
    Leaderboard,
    Projection,
    Events,
    Rollups,
    Brands,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::Overview,
        Kind::Accounts,
        Kind::Account,
        Kind::History,
        Kind::Runs,
        Kind::Run,
        Kind::Tags,
        Kind::Compare,
        Kind::Growth,
        Kind::Leaderboard,
        Kind::Projection,
        Kind::Events,
        Kind::Rollups,
        Kind::Brands,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Overview => "overview",
            Kind::Accounts => "accounts",
            Kind::Account => "account",
            Kind::History => "history",
            Kind::Runs => "runs",
            Kind::Run => "run",
            Kind::Tags => "tags",
            Kind::Compare => "compare",
            Kind::Growth => "growth",
            Kind::Leaderboard => "leaderboard",
            Kind::Projection => "projection",
            Kind::Events => "events",
            Kind::Rollups => "rollups",
            Kind::Brands => "brands",
        }
    }

    /// The data an answer of this kind is computed from.
    pub fn domains(self) -> &'static [Domain] {
        match self {
            Kind::Overview => &[
                Domain::Accounts,
                Domain::Snapshots,
                Domain::Runs,
                Domain::Events,
            ],
            Kind::Events => &[Domain::Accounts, Domain::Events],
            // Rows carry a sparkline of their snapshots.
            Kind::Accounts => &[Domain::Accounts, Domain::Snapshots],
            Kind::Account => &[Domain::Accounts, Domain::Snapshots],
            Kind::History => &[Domain::Snapshots],
            Kind::Rollups => &[Domain::Accounts, Domain::Snapshots],
            Kind::Runs => &[Domain::Runs],
            Kind::Run => &[Domain::Runs, Domain::Accounts],
            Kind::Tags => &[Domain::Accounts],
            // Sums of the account rows, which carry the follower changes.
            Kind::Brands => &[Domain::Accounts],
            Kind::Compare | Kind::Growth | Kind::Leaderboard | Kind::Projection => {
                &[Domain::Accounts, Domain::Snapshots]
            }
        }
    }

    /// How long an answer is kept. Writes invalidate at once whatever the
    /// TTL; it only bounds memory held by answers nobody asks for.
    pub fn default_ttl(self) -> Duration {
        let minutes = match self {
            Kind::Overview
            | Kind::Accounts
            | Kind::Runs
            | Kind::Tags
            | Kind::Leaderboard
            | Kind::Events
            | Kind::Brands => 5,
            Kind::Account | Kind::Run => 10,
            Kind::History | Kind::Compare | Kind::Growth | Kind::Projection | Kind::Rollups => 15,
        };
        Duration::from_secs(minutes * 60)
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown kind of cached data `{s}` (one of {})",
                    Kind::ALL.map(Kind::as_str).join(", ")
                )
            })
    }
}

/// The cache key of an answer of `kind` to `arguments` while the data is at
/// `generations`.
pub fn key(kind: Kind, generations: &Generations, arguments: &impl Serialize) -> String {
    // JSON of a typed argument tuple is normalized: field order is fixed and
    // the values were validated before they got here.
    let arguments = serde_json::to_vec(arguments).unwrap_or_default();
    let hash = xxhash_rust::xxh3::xxh3_64(&arguments);
    let generations = kind
        .domains()
        .iter()
        .map(|domain| generations.of(*domain).to_string())
        .collect::<Vec<_>>()
        .join(".");
    format!("{KEY_PREFIX}:{}:{generations}:{hash:016x}", kind.as_str())
}

/// How the cache is set up.
#[derive(Clone, Debug)]
pub struct CacheSettings {
    /// Redis, shared by every instance; `None` keeps the cache in process.
    pub redis_url: Option<String>,
    /// The longest a request waits for Redis before going without it.
    pub redis_timeout: Duration,
    /// Time to live per kind (the rest keep [`Kind::default_ttl`]).
    pub ttls: Vec<(Kind, Duration)>,
    /// Most bytes of answers held in process (measured as their JSON).
    pub capacity_bytes: u64,
    /// Every read goes to the database (for measurements and debugging).
    pub disabled: bool,
}

impl CacheSettings {
    /// The defaults: the one place they are written (the command line takes
    /// them from here).
    pub const DEFAULT: CacheSettings = CacheSettings {
        redis_url: None,
        redis_timeout: Duration::from_millis(25),
        ttls: Vec::new(),
        capacity_bytes: 64 << 20,
        disabled: false,
    };
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The read cache, cheap to clone (one per server, in `AppState`).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

struct Inner {
    local: moka::future::Cache<String, Entry>,
    redis: Option<RedisCache>,
    ttls: [Duration; Kind::ALL.len()],
    stats: [KindCounters; Kind::ALL.len()],
    disabled: bool,
    generations: generations::SharedReads,
}

/// An answer held in process: the typed value itself, so that a hit costs a
/// clone and no decoding.
#[derive(Clone)]
struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    ttl: Duration,
    /// The size of its JSON, which the capacity counts.
    weight: u32,
}

/// Entries live as long as their kind's TTL.
struct PerKindExpiry;

impl Expiry<String, Entry> for PerKindExpiry {
    fn expire_after_create(&self, _key: &String, entry: &Entry, _now: Instant) -> Option<Duration> {
        Some(entry.ttl)
    }
}

#[derive(Default)]
struct KindCounters {
    local_hits: AtomicU64,
    redis_hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
    fallbacks: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Cache {
    /// Builds the cache. With a Redis URL, the connection is made in the
    /// background: Reach starts (and serves) whether Redis is up or not.
    pub fn new(settings: &CacheSettings) -> Result<Self, CacheError> {
        let redis = settings
            .redis_url
            .as_deref()
            .map(|url| RedisCache::connect(url, settings.redis_timeout))
            .transpose()?;
        let mut ttls = Kind::ALL.map(Kind::default_ttl);
        for (kind, ttl) in &settings.ttls {
            ttls[*kind as usize] = *ttl;
        }
        Ok(Self {
            inner: Arc::new(Inner {
                local: moka::future::Cache::builder()
                    .weigher(|_key, entry: &Entry| entry.weight)
                    .max_capacity(settings.capacity_bytes)
                    .expire_after(PerKindExpiry)
                    .build(),
                redis,
                ttls,
                stats: Default::default(),
                disabled: settings.disabled,
                generations: generations::SharedReads::default(),
            }),
        })
    }

    /// An in-process cache with default settings.
    pub fn in_process() -> Self {
        Self::new(&CacheSettings::default()).expect("no Redis to connect to")
    }

    /// The answer of `kind` to `arguments`: cached, or computed by `load`
    /// (once, however many requests ask for it at the same time).
    pub async fn get_or_load<T, E, F, Fut>(
        &self,
        db: &DatabaseConnection,
        kind: Kind,
        arguments: &impl Serialize,
        load: F,
    ) -> Result<T, ApiError>
    where
        T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
        E: Into<ApiError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        // Storage's error becomes the API's as it comes out of the load.
        let load = || async { load().await.map_err(Into::into) };
        if self.inner.disabled {
            bump(&self.inner.stats[kind as usize].misses);
            return load().await;
        }
        let generations = self.inner.generations.current(db).await?;
        let key = key(kind, &generations, arguments);
        let ttl = self.inner.ttls[kind as usize];
        let entry = self
            .inner
            .local
            .entry(key.clone())
            .or_try_insert_with(async {
                let (value, size): (T, usize) = self.load_shared(kind, &key, ttl, load).await?;
                Ok::<_, ApiError>(Entry {
                    value: Arc::new(value),
                    ttl,
                    // Keys count too, and nothing weighs nothing.
                    weight: u32::try_from(size + key.len()).unwrap_or(u32::MAX),
                })
            })
            .await
            // Requests that waited for another one's load share its error.
            .map_err(|error| (*error).clone())?;
        if !entry.is_fresh() {
            bump(&self.inner.stats[kind as usize].local_hits);
        }
        entry
            .into_value()
            .value
            .downcast_ref::<T>()
            .cloned()
            .ok_or_else(|| {
                // One key is only ever filled by one endpoint, with one type.
                tracing::error!(key, "a cached value has another type");
                ApiError::internal()
            })
    }

    /// Redis first (when it is up), then the database; what the database
    /// gives is stored in Redis for the other instances. Returns the answer
    /// and the size of its JSON.
    async fn load_shared<T, F, Fut>(
        &self,
        kind: Kind,
        key: &str,
        ttl: Duration,
        load: F,
    ) -> Result<(T, usize), ApiError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        let counters = &self.inner.stats[kind as usize];
        let redis = self.inner.redis.as_ref();
        if let Some(redis) = redis {
            match redis.get(key).await {
                Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
                    Ok(value) => {
                        bump(&counters.redis_hits);
                        return Ok((value, bytes.len()));
                    }
                    Err(error) => {
                        bump(&counters.errors);
                        tracing::warn!(key, %error, "unreadable cached value");
                    }
                },
                Ok(None) => {}
                Err(redis::Unavailable::Down) => bump(&counters.fallbacks),
                Err(redis::Unavailable::Failed(error)) => {
                    bump(&counters.errors);
                    bump(&counters.fallbacks);
                    tracing::debug!(key, %error, "Redis failed; going without it");
                }
            }
        }
        bump(&counters.misses);
        let value = load().await?;
        let bytes = match serde_json::to_vec(&value) {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(key, %error, "cannot encode an answer");
                return Err(ApiError::internal());
            }
        };
        let size = bytes.len();
        if let Some(redis) = redis.filter(|redis| redis.is_up())
            && let Err(error) = redis.set(key, bytes, ttl).await
        {
            bump(&counters.errors);
            tracing::debug!(key, %error, "cannot store in Redis");
        }
        Ok((value, size))
    }

    /// Waits, at most `within`, for the Redis connection started by
    /// [`Cache::new`], and says which backend answers then. A server that
    /// waits for this before it announces itself serves its first reads
    /// from the shared cache; Redis down only delays the start by `within`
    /// (the connection keeps being retried in the background).
    pub async fn ready(&self, within: std::time::Duration) -> CacheBackend {
        if let Some(redis) = &self.inner.redis {
            let _ = tokio::time::timeout(within, redis.connected()).await;
        }
        self.backend()
    }

    /// Which backend answers now.
    pub fn backend(&self) -> CacheBackend {
        match &self.inner.redis {
            None => CacheBackend::InProcess,
            Some(redis) if redis.is_up() => CacheBackend::Redis,
            Some(_) => CacheBackend::Degraded,
        }
    }

    /// Counters since start, per kind, and what the in-process level holds.
    pub async fn stats(&self) -> CacheStats {
        // Evictions are applied lazily: settle them before counting.
        self.inner.local.run_pending_tasks().await;
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        CacheStats {
            backend: self.backend(),
            entries: self.inner.local.entry_count(),
            memory_bytes: self.inner.local.weighted_size(),
            kinds: Kind::ALL
                .into_iter()
                .map(|kind| {
                    let counters = &self.inner.stats[kind as usize];
                    CacheKindStats {
                        kind: kind.as_str().to_owned(),
                        local_hits: read(&counters.local_hits),
                        redis_hits: read(&counters.redis_hits),
                        misses: read(&counters.misses),
                        errors: read(&counters.errors),
                        fallbacks: read(&counters.fallbacks),
                    }
                })
                .collect(),
        }
    }
}

/// The cache cannot be set up (a malformed `REDIS_URL`).
#[derive(Debug, thiserror::Error)]
#[error("REDIS_URL: {0}")]
pub struct CacheError(String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_kind_its_generations_and_the_arguments() {
        let generations = Generations::default();
        let a = key(Kind::Accounts, &generations, &(1, "followers"));
        assert!(a.starts_with("reach:v3:accounts:0.0:"), "{a}");
        assert_eq!(a, key(Kind::Accounts, &generations, &(1, "followers")));
        assert_ne!(a, key(Kind::Accounts, &generations, &(2, "followers")));
        let overview = key(Kind::Overview, &generations, &());
        assert!(
            overview.starts_with("reach:v3:overview:0.0.0.0:"),
            "{overview}"
        );
    }

    #[test]
    fn kinds_parse_by_name() {
        assert_eq!("history".parse::<Kind>(), Ok(Kind::History));
        assert!("everything".parse::<Kind>().is_err());
    }
}
