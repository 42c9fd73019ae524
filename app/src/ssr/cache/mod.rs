//! The read cache: the answers of the read endpoints, in two levels.
//!
//! - In process (moka, bounded in bytes): every instance has one. It is
//!   also what makes concurrent misses of one key load once (single flight).
//! - Redis (fred), shared by every instance, when `REDIS_URL` is set. Redis
//!   is an optimisation, never a dependency: when it is down, slow (past the
//!   command timeout) or unreachable at start-up, answers come from the
//!   in-process level or the database, and fred reconnects in the background.
//!
//! Beside each typed value, the encoded answer of the request that asked
//! for it ([`answers`]): a repeated `GET` is answered with its bytes and
//! `ETag` without running the server function.
//!
//! Keys are built in one place, [`key`]: `reach:v4:{kind}:{version}:{hash}`
//! where `hash` is the xxh3 of the normalized arguments and `version` says
//! which state of the data the answer was computed from:
//!
//! - for an answer about one account (or a few: [`Kind::per_account`]),
//!   those accounts' revisions, which the database's triggers move on with
//!   every write to that account and nothing else: a run writing other
//!   accounts leaves it standing;
//! - for every other answer (lists, boards, totals), the generations of the
//!   data domains it reads ([`db::generations`]), which every write moves
//!   once.
//!
//! Either moves in the transaction of the write, so no answer computed
//! before a write is served after the instance read them again: at once
//! after its own write, [`CacheSettings::fresh_for`] after another
//! process's ([`db::generations::Freshness`]). The other exception is a
//! collection run's writes: its batches' generations move at most
//! `EngineSettings::publish_every` (5 s) after their commit
//! (`reach::collect::engine::publish`), and the answers kept before a
//! run's write (an account's own too) may be served
//! [`CacheSettings::stale_for`] longer while their successors are computed
//! ([`answers`]): until the run's end for answers about every account,
//! across it for an account's own if found current during the run.

mod answers;
mod keys;
mod redis;
mod versions;
mod versions_db;

use std::any::Any;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use moka::Expiry;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::model::{CacheBackend, CacheKindStats, CacheStats};
use db::generations;

pub use answers::{Answer, AnswerKey, Computing, Refresh};
pub use keys::{Kind, Version, key};
pub use redis::RedisCache;

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
    /// How long after it was last found current (computed, or served to a
    /// request whose data had not changed) an answer may still be served,
    /// while its successor is computed, when only collection runs' batches
    /// came after it (zero: never). Longer than a run's publishing lag, or the
    /// answer before a publication is always too old to stand in; longer
    /// than the time between runs, or an account's page, written once a
    /// run, never has an answer young enough to stand in for it.
    pub stale_for: Duration,
    /// How long a reading of the data's versions answers this instance's
    /// later requests ([`db::generations::Freshness`]); zero: never.
    pub fresh_for: Duration,
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
        stale_for: Duration::from_secs(30),
        fresh_for: Duration::from_millis(100),
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
    /// The accounts' revisions, read for concurrent requests together.
    revisions: generations::SharedRevisions,
    /// Where they are read, if not on the requests' pool.
    versions_db: Option<DatabaseConnection>,
    stale_for: Duration,
    /// The keys of the answers being computed by a request now.
    computing: std::sync::Mutex<std::collections::HashSet<String>>,
    /// The latest kept aggregate answer per request, whatever the data's
    /// version: what may stand in for its successor.
    latest: moka::future::Cache<String, answers::Latest>,
    /// The key of the latest typed value kept per answer, whatever the
    /// data's version ([`Cache::supersede`]).
    versions: moka::future::Cache<String, String>,
    /// One answer computed in the background at a time
    /// ([`Cache::background_turn`]).
    background: Arc<tokio::sync::Semaphore>,
    /// The moment kept answers count their confirmations from
    /// ([`answers::Answer`]).
    epoch: std::time::Instant,
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
    answer_hits: AtomicU64,
    stale_hits: AtomicU64,
    waited: AtomicU64,
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
        let freshness = generations::Freshness {
            within: settings.fresh_for,
            ..Default::default()
        };
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
                generations: generations::SharedReads::new(freshness.clone()),
                revisions: generations::SharedRevisions::new(freshness),
                versions_db: None,
                stale_for: settings.stale_for,
                computing: Default::default(),
                // As long as the longest-lived answer it names, so that
                // every answer kept is superseded by its successor.
                latest: moka::future::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(ttls.iter().copied().max().unwrap_or_default())
                    .build(),
                // As long as the longest-lived value it names.
                versions: moka::future::Cache::builder()
                    .max_capacity(100_000)
                    .time_to_live(ttls.iter().copied().max().unwrap_or_default())
                    .build(),
                background: Arc::new(tokio::sync::Semaphore::new(1)),
                epoch: std::time::Instant::now(),
            }),
        })
    }

    /// Where this process's writes are counted.
    pub fn local_writes(&self) -> generations::LocalWrites {
        self.inner.generations.local_writes()
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
        debug_assert!(!kind.per_account(), "{kind:?} is keyed by accounts");
        if self.inner.disabled {
            return self.uncached(kind, load).await;
        }
        let (key, _) = self.current_key(db, kind, None, arguments).await?;
        self.get_or_load_key(kind, key, load).await
    }

    /// [`Cache::get_or_load`] for the kinds [`Kind::per_account`]: the
    /// answer about `accounts`, versioned by their revisions only, so that
    /// writes to other accounts leave it cached.
    pub async fn get_or_load_for<T, E, F, Fut>(
        &self,
        db: &DatabaseConnection,
        kind: Kind,
        accounts: &[i64],
        arguments: &impl Serialize,
        load: F,
    ) -> Result<T, ApiError>
    where
        T: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
        E: Into<ApiError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        debug_assert!(kind.per_account(), "{kind:?} is keyed by domains");
        if self.inner.disabled {
            return self.uncached(kind, load).await;
        }
        let (key, _) = self
            .current_key(db, kind, Some(accounts), arguments)
            .await?;
        self.get_or_load_key(kind, key, load).await
    }

    /// The key of an answer of `kind` to `arguments` with the data as it
    /// is now: versioned by the accounts it is about, or (`None`) by the
    /// generations of the domains it reads. Beside it, what had been
    /// written when it was read, as [`answers`] tells a run's writes from
    /// others (`None` when none of the accounts exists).
    async fn current_key(
        &self,
        db: &DatabaseConnection,
        kind: Kind,
        accounts: Option<&[i64]>,
        arguments: &impl Serialize,
    ) -> Result<(String, Option<answers::Written>), ApiError> {
        let db = self.versions_db(db);
        Ok(match accounts {
            None => {
                let generations = self.inner.generations.current(db).await?;
                let key = key(kind, Version::Domains(&generations), arguments);
                (key, Some(answers::Written::settled(generations.settled())))
            }
            Some(accounts) => {
                let revisions = self.inner.revisions.read(db, accounts).await?;
                let of: Vec<(i64, Option<i64>)> =
                    accounts.iter().copied().zip(revisions.of).collect();
                (
                    key(kind, Version::Accounts(&of), arguments),
                    revisions.written.map(answers::Written::accounts),
                )
            }
        })
    }

    /// The answer, computed every time (the cache is disabled).
    async fn uncached<T, E, F, Fut>(&self, kind: Kind, load: F) -> Result<T, ApiError>
    where
        E: Into<ApiError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        bump(&self.inner.stats[kind as usize].misses);
        // Storage's error becomes the API's as it comes out of the load.
        load().await.map_err(Into::into)
    }

    async fn get_or_load_key<T, E, F, Fut>(
        &self,
        kind: Kind,
        key: String,
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
        if entry.is_fresh() {
            self.supersede(&key).await;
        } else {
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
                        answer_hits: read(&counters.answer_hits),
                        stale_hits: read(&counters.stale_hits),
                        waited: read(&counters.waited),
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
