//! The cached reads' answers as they went out: the encoded body and its
//! `ETag`, kept beside the typed values so that a repeated `GET` is
//! answered without running its server function or encoding anything.
//!
//! An answer is keyed like a typed value (its kind and the version of the
//! data it was computed from: the domains' generations or its accounts'
//! revisions) and the request's path and query as sent. The query is not
//! normalized: two spellings of one request are two entries, each computed
//! by the server function from that very request. Only `200` answers are
//! kept, after every check a request goes through (access, arguments) has
//! passed.
//!
//! An answer also keeps its body compressed for each coding clients ask
//! for, made by the HTTP layer the first time one is asked for: compressing
//! on every request cost more than everything else a kept answer does.
//!
//! When a collection run made an answer stale (a periodic publication of
//! its writes for a list, board, total or the overview; a write's commit
//! for an account's own answers), the answer before keeps being served
//! while one request computes its successor in the background
//! ([`Cache::refresh`], `reach::http::caching`), if it was found current
//! at most `stale_for` ago and no write but runs' came since
//! ([`db::generations::Generations::settled`] for answers about every
//! account, which a run's start and end move;
//! [`db::generations::AccountWrites`] for an account's own, which lets
//! them stand in across a run's end if they were found current during the
//! run, as when runs follow one another). No request then waits for a
//! recomputation a run caused, and a run's write is on an answer about
//! every account at most `publish_every + stale_for` after its commit (on
//! the next read once the run has ended), on an account's own answers at
//! most `stale_for`, the run's end and upkeep included. Every other write
//! is on the next read, and so is a run's end on a page last found current
//! before the run.
//!
//! Over the 500-line guideline by its unit tests: the stand-in rules are
//! tested here, beside the code that applies them.
//!
//! "Found current": when it was computed, and again whenever a request
//! was answered with it ([`Cache::answer`]), since that request's key,
//! read from the data, was the answer's. An answer computed long ago and
//! asked for all along is a stand-in when a run writes.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::body::Bytes;
use axum::http::HeaderMap;
use sea_orm::DatabaseConnection;
use serde::Serialize;

use super::{Cache, Entry, Kind, bump};
use crate::error::ApiError;

/// An answer as it went out.
pub struct Answer {
    /// The server function's headers (its content type).
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Its weak `ETag`, computed once when it was kept.
    pub etag: String,
    /// The body in Brotli, once a client asked for it.
    pub brotli: OnceLock<Bytes>,
    /// The body in gzip, once a client asked for it.
    pub gzip: OnceLock<Bytes>,
    /// The latest request that found it current.
    confirmed: Confirmed,
}

/// The latest moment an answer was found current, and what had been
/// written then. Two maxima updated apart: a pair read back may join a
/// moment with what was written at an earlier one, which only says less
/// was written than was, and so stands in less often, never wrongly.
struct Confirmed {
    /// [`Written::covers`] then; `i64::MIN` while unknown.
    covers: AtomicI64,
    /// Nanoseconds from the cache's epoch to that moment.
    at: AtomicU64,
}

impl Answer {
    /// An answer of `body` as it went out with `headers`.
    pub fn new(headers: HeaderMap, body: Bytes) -> Self {
        Self {
            etag: Self::etag_of(&body),
            headers,
            body,
            brotli: OnceLock::new(),
            gzip: OnceLock::new(),
            confirmed: Confirmed {
                covers: AtomicI64::new(i64::MIN),
                at: AtomicU64::new(0),
            },
        }
    }

    /// The weak `ETag` of a body: a hash of its bytes.
    pub fn etag_of(body: &[u8]) -> String {
        format!("W/\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(body))
    }
}

/// Where an answer is kept: its key and kind.
pub struct AnswerKey {
    kind: Kind,
    key: String,
    /// The key without the data's version, which its predecessors share,
    /// and the data's state when it was read; `None` for a key that
    /// nothing may stand in for (in tests).
    succession: Option<Succession>,
}

/// An answer's place among the answers to the same request.
#[derive(Clone)]
struct Succession {
    /// The answer's key without the version of the data.
    identity: String,
    /// What had been written when the key was read (with the key, in the
    /// same statement); `None` when unknown (no such account), then read
    /// by [`Cache::refresh`] on a miss.
    written: Option<Written>,
    /// When the key's version was read: the answer shows at least every
    /// write published (or, for named accounts, committed) before.
    read_at: Instant,
}

/// What had been written when a key was read, as [`db::generations`]
/// tells a run's writes from others: `settled` for an answer about every
/// account, [`db::generations::AccountWrites`] for one about named
/// accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Written {
    /// Grows with every write that is not a run's and that should be on
    /// the next read.
    now: i64,
    /// The largest `now` an answer found current then may stand in for.
    covers: i64,
}

impl Written {
    /// For an answer about every account.
    pub(super) fn settled(settled: i64) -> Self {
        Self {
            now: settled,
            covers: settled,
        }
    }

    /// For an answer about named accounts.
    pub(super) fn accounts(written: db::generations::AccountWrites) -> Self {
        Self {
            now: written.now,
            covers: written.covers,
        }
    }
}

/// The latest answer kept for a request (by [`Succession::identity`]);
/// what it showed and when is on the answer itself ([`Confirmed`]).
#[derive(Clone)]
pub(super) struct Latest {
    key: String,
    /// When its key was read: a later computation is not replaced by an
    /// earlier one that finished after it.
    read_at: Instant,
}

/// What a request whose answer is not kept may do.
pub struct Refresh {
    /// The answer before, which may be served in its place meanwhile.
    pub predecessor: Option<Arc<Answer>>,
    /// Present when no other request is computing the answer: this one
    /// does (with its predecessor, it may do so in the background).
    pub computing: Option<Computing>,
}

/// A request computing an answer; while it lives, the other requests for
/// that answer are not asked to compute it.
pub struct Computing {
    flight: Option<(Cache, String)>,
}

impl Drop for Computing {
    fn drop(&mut self) {
        if let Some((cache, key)) = self.flight.take() {
            cache
                .inner
                .computing
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&key);
        }
    }
}

impl Cache {
    /// Waits for the turn of an answer computed in the background, while
    /// its predecessor is served: one at a time, so that on a small machine
    /// they leave the other cores to the requests (which are answered
    /// meanwhile) rather than compete with them. Its holder rests as long
    /// as it worked before giving it up (`reach::http::caching`).
    pub async fn background_turn(&self) -> tokio::sync::OwnedSemaphorePermit {
        self.inner
            .background
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// The key of the answer to `request` (its path and query as sent),
    /// an answer of `kind` about `accounts` (`None`: about every account),
    /// while the data is as it is now; `live` is what else it shows that
    /// no write changes. `None` while the cache is disabled.
    pub async fn answer_key(
        &self,
        db: &DatabaseConnection,
        kind: Kind,
        accounts: Option<&[i64]>,
        request: &impl Serialize,
        live: &str,
    ) -> Result<Option<AnswerKey>, ApiError> {
        if self.inner.disabled {
            return Ok(None);
        }
        let read_at = Instant::now();
        let (key, written) = self.current_key(db, kind, accounts, request).await?;
        let succession = super::keys::without_version(&key).map(|identity| Succession {
            identity: format!("answer:{identity}{live}"),
            written,
            read_at,
        });
        Ok(Some(AnswerKey {
            kind,
            key: format!("answer:{key}{live}"),
            succession,
        }))
    }

    /// For a request whose answer under `key` is not kept: the answer
    /// before it, if it may be served meanwhile (counted as a stale hit),
    /// and whether this request is the one to compute it.
    pub async fn refresh(&self, db: &DatabaseConnection, key: &mut AnswerKey) -> Refresh {
        if let Some(succession) = key.succession.as_mut()
            && succession.written.is_none()
        {
            // Unknown, nothing stands in for it and it stands in for nothing.
            succession.written = self
                .inner
                .generations
                .current(self.versions_db(db))
                .await
                .ok()
                .map(|generations| {
                    Written::accounts(db::generations::AccountWrites::exact(&generations))
                });
        }
        let first = self
            .inner
            .computing
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.key.clone());
        let computing = first.then(|| Computing {
            flight: Some((self.clone(), key.key.clone())),
        });
        let predecessor = self.predecessor(key).await;
        if predecessor.is_some() {
            let counters = &self.inner.stats[key.kind as usize];
            bump(&counters.local_hits);
            bump(&counters.stale_hits);
        }
        Refresh {
            predecessor,
            computing,
        }
    }

    /// The answer kept before the one under `key`, if it may stand in for
    /// it: found current at most `stale_for` ago, and no write but runs'
    /// since (for an answer about every account, none after a run's end).
    async fn predecessor(&self, key: &AnswerKey) -> Option<Arc<Answer>> {
        let succession = key.succession.as_ref()?;
        let written = succession.written?;
        let latest = self.inner.latest.get(&succession.identity).await?;
        if latest.key == key.key {
            return None;
        }
        let entry = self.inner.local.get(&latest.key).await?;
        let answer = entry.value.downcast::<Answer>().ok()?;
        // Set when it was kept (the computation's own key), then by hits:
        // nothing but runs' writes since, and no run boundary a reader
        // would expect to see (`Written::covers`).
        let confirmed = &answer.confirmed;
        let confirmed_covers = confirmed.covers.load(Ordering::Relaxed);
        let confirmed_at = self.inner.epoch
            + std::time::Duration::from_nanos(confirmed.at.load(Ordering::Relaxed));
        let servable =
            confirmed_covers >= written.now && confirmed_at.elapsed() <= self.inner.stale_for;
        servable.then_some(answer)
    }

    /// Records that a request whose key was read as `succession` says
    /// found `answer` current.
    fn confirm(&self, answer: &Answer, succession: &Succession) {
        let Some(written) = succession.written else {
            return;
        };
        let at = succession
            .read_at
            .saturating_duration_since(self.inner.epoch);
        let at = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        answer
            .confirmed
            .covers
            .fetch_max(written.covers, Ordering::Relaxed);
        answer.confirmed.at.fetch_max(at, Ordering::Relaxed);
    }

    /// Counts a request that waits for the answer under `key` to be
    /// computed, nothing standing in for it.
    pub fn waits(&self, key: &AnswerKey) {
        bump(&self.inner.stats[key.kind as usize].waited);
    }

    /// The kept answer under `key`, if there is one (counted as a hit).
    pub async fn answer(&self, key: &AnswerKey) -> Option<Arc<Answer>> {
        let entry = self.inner.local.get(&key.key).await?;
        let answer = entry.value.downcast::<Answer>().ok()?;
        if let Some(succession) = &key.succession {
            self.confirm(&answer, succession);
        }
        let counters = &self.inner.stats[key.kind as usize];
        bump(&counters.local_hits);
        bump(&counters.answer_hits);
        Some(answer)
    }

    /// Keeps `body` as the answer under `key`; returns it with its `ETag`.
    pub async fn keep_answer(
        &self,
        key: AnswerKey,
        headers: HeaderMap,
        body: Bytes,
    ) -> Arc<Answer> {
        let answer = Arc::new(Answer::new(headers, body));
        if let Some(succession) = &key.succession {
            self.confirm(&answer, succession);
        }
        // The answer this one succeeds, dropped once this one is kept: no
        // request asks for it again (see `Cache::supersede`).
        let mut superseded = None;
        if let Some(succession) = &key.succession
            && succession.written.is_some()
        {
            let before = self.inner.latest.get(&succession.identity).await;
            let newer = before
                .as_ref()
                .is_some_and(|latest| latest.read_at > succession.read_at);
            if !newer {
                superseded = before
                    .map(|latest| latest.key)
                    .filter(|before| *before != key.key);
                self.inner
                    .latest
                    .insert(
                        succession.identity.clone(),
                        Latest {
                            key: key.key.clone(),
                            read_at: succession.read_at,
                        },
                    )
                    .await;
            }
        }
        // A quarter more for its compressed copies, which JSON makes a
        // small fraction of the body.
        let weight = answer.body.len() + answer.body.len() / 4 + key.key.len();
        self.inner
            .local
            .insert(
                key.key,
                Entry {
                    value: answer.clone(),
                    ttl: self.inner.ttls[key.kind as usize],
                    weight: u32::try_from(weight).unwrap_or(u32::MAX),
                },
            )
            .await;
        if let Some(before) = superseded {
            self.inner.local.invalidate(&before).await;
        }
        answer
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ssr::cache::CacheSettings;

    /// The key of the accounts list's answer at `version`, read now with
    /// `settled` at `written`.
    fn at(version: u32, written: i64) -> AnswerKey {
        AnswerKey {
            kind: Kind::Accounts,
            key: format!("answer:reach:v4:accounts:{version}:0"),
            succession: Some(Succession {
                identity: "answer:reach:v4:accounts:0".to_owned(),
                written: Some(Written::settled(written)),
                read_at: Instant::now(),
            }),
        }
    }

    /// An account's answer at `revision`, its key read now with the
    /// counters `ended` and `settled`, while a run goes on or not.
    fn account_at(revision: u32, ended: i64, settled: i64, running: bool) -> AnswerKey {
        let written = db::generations::AccountWrites::of(ended, settled, running);
        AnswerKey {
            kind: Kind::Account,
            key: format!("answer:reach:v4:account:a1r{revision}:0"),
            succession: Some(Succession {
                identity: "answer:reach:v4:account:0".to_owned(),
                written: Some(Written::accounts(written)),
                read_at: Instant::now(),
            }),
        }
    }

    async fn kept(cache: &Cache, key: AnswerKey, body: &'static str) {
        cache
            .keep_answer(key, HeaderMap::new(), Bytes::from_static(body.as_bytes()))
            .await;
    }

    fn stale_body(refresh: &Refresh) -> Option<Bytes> {
        refresh
            .predecessor
            .as_ref()
            .map(|answer| answer.body.clone())
    }

    fn stale_hits(stats: &crate::model::CacheStats) -> u64 {
        stats.kinds[Kind::Accounts as usize].stale_hits
    }

    #[tokio::test]
    async fn after_a_publication_the_answer_before_is_served_while_one_request_computes() {
        let cache = Cache::in_process();
        let db = DatabaseConnection::default();
        kept(&cache, at(1, 7), "first").await;
        let mut published = at(2, 7);
        let first = cache.refresh(&db, &mut published).await;
        assert_eq!(stale_body(&first).as_deref(), Some(&b"first"[..]));
        assert!(first.computing.is_some(), "the first request computes it");
        let second = cache.refresh(&db, &mut published).await;
        assert_eq!(stale_body(&second).as_deref(), Some(&b"first"[..]));
        assert!(second.computing.is_none(), "one computes it");
        assert_eq!(stale_hits(&cache.stats().await), 2);
        kept(&cache, published, "second").await;
        drop(first);
        // Succeeded: the answer before is no longer held.
        let local = &cache.inner.local;
        assert!(local.get("answer:reach:v4:accounts:1:0").await.is_none());
        assert!(local.get("answer:reach:v4:accounts:2:0").await.is_some());
        // The next publication's stand-in is the answer just kept.
        let mut next = at(3, 7);
        let refresh = cache.refresh(&db, &mut next).await;
        assert_eq!(stale_body(&refresh).as_deref(), Some(&b"second"[..]));
        assert!(refresh.computing.is_some());
    }

    #[tokio::test]
    async fn after_any_other_write_every_request_waits_for_the_new_answer() {
        let cache = Cache::in_process();
        let db = DatabaseConnection::default();
        kept(&cache, at(1, 7), "before the write").await;
        let mut written = at(2, 8);
        let first = cache.refresh(&db, &mut written).await;
        assert!(stale_body(&first).is_none());
        assert!(first.computing.is_some());
        assert!(stale_body(&cache.refresh(&db, &mut written).await).is_none());
        assert_eq!(stale_hits(&cache.stats().await), 0);
    }

    #[tokio::test]
    async fn an_answer_older_than_stale_for_is_never_served_for_another() {
        let cache = Cache::new(&CacheSettings {
            stale_for: Duration::from_millis(50),
            ..CacheSettings::default()
        })
        .unwrap();
        let db = DatabaseConnection::default();
        kept(&cache, at(1, 7), "old").await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        let mut published = at(2, 7);
        assert!(stale_body(&cache.refresh(&db, &mut published).await).is_none());
    }

    #[tokio::test]
    async fn an_answer_found_current_by_a_request_stands_in_for_stale_for_from_then() {
        let cache = Cache::new(&CacheSettings {
            stale_for: Duration::from_millis(200),
            ..CacheSettings::default()
        })
        .unwrap();
        let db = DatabaseConnection::default();
        kept(&cache, at(1, 7), "computed long ago").await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        // Asked for all along: a request now finds it current.
        assert!(cache.answer(&at(1, 7)).await.is_some());
        let mut published = at(2, 7);
        let refresh = cache.refresh(&db, &mut published).await;
        assert_eq!(
            stale_body(&refresh).as_deref(),
            Some(&b"computed long ago"[..])
        );
        // Not asked for since: once `stale_for` has passed, no longer.
        drop(refresh);
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(stale_body(&cache.refresh(&db, &mut at(2, 7)).await).is_none());
    }

    #[tokio::test]
    async fn an_account_answer_found_current_between_runs_shows_the_next_runs_end() {
        let cache = Cache::in_process();
        let db = DatabaseConnection::default();
        kept(&cache, account_at(1, 7, 10, false), "before the run").await;
        // A run started (`settled` 10 -> 11) and wrote the account: the
        // page before stands in while its successor is computed.
        let refresh = cache.refresh(&db, &mut account_at(2, 7, 11, true)).await;
        assert_eq!(
            stale_body(&refresh).as_deref(),
            Some(&b"before the run"[..])
        );
        drop(refresh);
        // The run ended (11 -> 12): the next read shows it.
        assert!(stale_body(&cache.refresh(&db, &mut account_at(2, 7, 12, false)).await).is_none());
    }

    #[tokio::test]
    async fn an_account_answer_found_current_during_a_run_stands_in_for_the_next_run() {
        let cache = Cache::in_process();
        let db = DatabaseConnection::default();
        kept(&cache, account_at(1, 7, 11, true), "during the run").await;
        // That run ended (11 -> 12), the next began (13) and wrote the
        // account: it stands in.
        let refresh = cache.refresh(&db, &mut account_at(2, 7, 13, true)).await;
        assert_eq!(
            stale_body(&refresh).as_deref(),
            Some(&b"during the run"[..])
        );
        drop(refresh);
        // Not across the next run's end (14).
        assert!(stale_body(&cache.refresh(&db, &mut account_at(2, 7, 14, false)).await).is_none());
        // Nor across any other write (`ended` and `settled` move together).
        assert!(stale_body(&cache.refresh(&db, &mut account_at(2, 8, 12, true)).await).is_none());
    }

    #[tokio::test]
    async fn the_next_request_computes_once_the_computing_one_is_gone() {
        let cache = Cache::in_process();
        let db = DatabaseConnection::default();
        kept(&cache, at(1, 7), "first").await;
        let mut published = at(2, 7);
        // The request computing it failed or was cancelled: the next one
        // computes it in its place.
        drop(cache.refresh(&db, &mut published).await);
        assert!(cache.refresh(&db, &mut published).await.computing.is_some());
    }

    #[tokio::test]
    async fn without_knowing_what_was_written_nothing_stands_in() {
        let cache = Cache::in_process();
        // What was written cannot be read (a database without Reach's tables) for an
        // answer about named accounts, which is then computed, never stood
        // in for.
        let db = sea_orm::Database::connect("sqlite::memory:").await.unwrap();
        let mut account = AnswerKey {
            kind: Kind::Account,
            key: "answer:reach:v4:account:a1r2:0".to_owned(),
            succession: Some(Succession {
                identity: "answer:reach:v4:account:0".to_owned(),
                written: None,
                read_at: Instant::now(),
            }),
        };
        kept(&cache, account_at(1, 7, 7, false), "before").await;
        let _first = cache.refresh(&db, &mut account).await;
        let second = cache.refresh(&db, &mut account).await;
        assert!(stale_body(&second).is_none());
        assert!(second.computing.is_none());
    }
}
