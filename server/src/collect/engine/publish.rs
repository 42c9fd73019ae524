//! A running run's writes reach the cached answers at a bounded lag.
//!
//! Outside runs, a write bumps the generations of what it changed in its own
//! transaction, so it is on the next read. A run writes a batch every few
//! hundred milliseconds, and each such bump would make every cached list,
//! board, total and the overview a miss, four times a second: the popular
//! answers would be recomputed, beside the writer, for the whole run. So
//! within a run, a batch's transaction leaves the generations alone and,
//! once committed, marks the domains it wrote here; [`publish_every`] bumps
//! what was marked every [`EngineSettings::publish_every`]. The run's
//! upkeep (its end recorded, events, avatars, compaction) publishes its
//! writes as it makes them ([`generations::Writer::Run`]), and the run's
//! end, after its upkeep, bumps the rest and settles
//! ([`Unpublished::publish`]).
//!
//! The bound: a run's write is on every aggregate answer at most
//! `publish_every` after its commit, plus the time the bump waits for the
//! database (on SQLite, for the write lock a batch holds), plus the read
//! cache's `stale_for`: these bumps leave
//! [`generations::Generations::settled`] alone, so an answer computed less
//! than `stale_for` before may be served while its successor is computed
//! (`app::ssr::cache`), and no request waits for that computation. The
//! run's end moves `settled`: it is on the next read of every answer
//! about all accounts. Answers about named accounts are keyed by
//! revisions, which the triggers move in the write's own transaction, and
//! check [`generations::AccountWrites`]: a run's writes lag on them by
//! `stale_for` at most, its end included (on the next read for a page last
//! found current before the run). A run whose process dies
//! before publishing leaves its last writes unpublished until the run is
//! found dead (its recovery bumps every domain) or the answers' TTL passes.
//!
//! Marks are counted, not flags: a bump publishes what was marked before it
//! read the counts and records them only once committed, so a mark made
//! during a bump, or a bump that failed or was cancelled, is published by
//! the next one.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use db::generations::{self, Domain};
use sea_orm::{ConnectionTrait, DbErr};

use super::Engine;
use super::heartbeat::AbortOnDrop;

impl Engine {
    /// Makes `domains`, just written outside a transaction, stale for the
    /// cached aggregates: now, or at the run's publishing lag.
    pub(super) async fn wrote(&self, domains: &[Domain]) -> Result<(), DbErr> {
        if self.settings.publish_every.is_zero() {
            generations::bump(&self.db, domains).await
        } else {
            self.unpublished.mark(domains);
            Ok(())
        }
    }

    /// Starts publishing what the run writes every `publish_every`, until
    /// the handle is dropped; none when each batch publishes itself.
    pub(super) fn start_publishing(&self) -> Option<AbortOnDrop> {
        (!self.settings.publish_every.is_zero()).then(|| {
            AbortOnDrop(tokio::spawn(publish_every(
                self.db.clone(),
                self.unpublished.clone(),
                self.settings.publish_every,
            )))
        })
    }

    /// How the run's upkeep makes what it writes stale: published like its
    /// batches, or bumped when each batch publishes itself.
    pub(super) fn writer(&self) -> generations::Writer {
        if self.settings.publish_every.is_zero() {
            generations::Writer::Other
        } else {
            generations::Writer::Run
        }
    }

    /// Publishes what the run wrote and did not publish yet, marked or
    /// not: every write of the run but those it marks is published already.
    pub(super) async fn publish_marked(&self, run_id: i64) {
        if let Err(error) = self
            .unpublished
            .publish(&self.db, Publication::Lagged)
            .await
        {
            tracing::warn!(run = run_id, %error, "cannot publish the run's writes yet");
        }
    }

    /// Publishes what the run wrote and did not publish yet and settles,
    /// at its end.
    pub(super) async fn publish_the_rest(&self, run_id: i64) {
        if let Err(error) = self.unpublished.publish(&self.db, Publication::Final).await {
            // The recovery of a dead run would bump them too; a live one
            // leaves them to the next write or the answers' TTL.
            tracing::error!(run = run_id, %error, "cannot publish the run's last writes");
        }
    }
}

/// The domains a run wrote and has not yet published, as counts of marks.
#[derive(Default)]
pub(super) struct Unpublished {
    marked: [AtomicU64; 4],
    /// The counts the last committed bump published.
    published: Mutex<[u64; 4]>,
    /// Tells every instance's live updates at once (`crate::live`).
    pub(super) announcer: Option<crate::live::Announcer>,
    /// This process's read cache, told of each publication.
    pub(super) local: Option<db::generations::LocalWrites>,
}

/// Which bump publishes: the periodic one, or the run's end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Publication {
    /// Within the run: earlier answers may be served `stale_for` longer.
    Lagged,
    /// The run's end: on the next read of the answers about all accounts,
    /// whatever is left to publish (the run's upkeep published its own
    /// writes without marking them).
    Final,
}

impl Unpublished {
    /// Records that `domains` were written by a committed transaction.
    pub(super) fn mark(&self, domains: &[Domain]) {
        for domain in domains {
            self.marked[*domain as usize].fetch_add(1, Ordering::SeqCst);
        }
    }

    /// Bumps the generations of every domain marked since the last bump.
    /// The run's end also settles what was published before: from then
    /// on, no answer about all accounts computed before it is served.
    pub(super) async fn publish(
        &self,
        db: &impl ConnectionTrait,
        publication: Publication,
    ) -> Result<(), DbErr> {
        let marked: [u64; 4] = std::array::from_fn(|i| self.marked[i].load(Ordering::SeqCst));
        let published = *self.published.lock().unwrap_or_else(|e| e.into_inner());
        let due: Vec<Domain> = Domain::ALL
            .into_iter()
            .filter(|domain| marked[*domain as usize] > published[*domain as usize])
            .collect();
        match publication {
            Publication::Lagged if due.is_empty() => return Ok(()),
            Publication::Lagged => generations::publish(db, &due).await?,
            Publication::Final => generations::settle(db, &due).await?,
        }
        if let Some(local) = &self.local {
            local.wrote();
        }
        if let Some(announcer) = &self.announcer {
            // The run's end settles: its runs changed even if nothing else did.
            let announced = match publication {
                Publication::Final if !due.contains(&Domain::Runs) => {
                    [due.as_slice(), &[Domain::Runs]].concat()
                }
                _ => due.clone(),
            };
            announcer.announce(&announced);
        }
        let mut published = self.published.lock().unwrap_or_else(|e| e.into_inner());
        for domain in due {
            let i = domain as usize;
            published[i] = published[i].max(marked[i]);
        }
        Ok(())
    }

    /// Whether anything marked is still unpublished.
    #[cfg(test)]
    fn pending(&self) -> bool {
        let published = *self.published.lock().unwrap_or_else(|e| e.into_inner());
        (0..4).any(|i| self.marked[i].load(Ordering::SeqCst) > published[i])
    }
}

/// Publishes what was marked every `every`, until dropped. A failed bump
/// is logged and tried again at the next tick.
pub(super) async fn publish_every(
    db: sea_orm::DatabaseConnection,
    unpublished: std::sync::Arc<Unpublished>,
    every: Duration,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is immediate: nothing is written yet.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        if let Err(error) = unpublished.publish(&db, Publication::Lagged).await {
            tracing::warn!(%error, "cannot publish the run's writes; trying again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn database() -> (tempfile::TempDir, sea_orm::DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::database::connect(&crate::config::DatabaseConfig {
            url: format!("sqlite://{}", dir.path().join("reach.db").display()),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .expect("a database");
        (dir, db)
    }

    #[tokio::test]
    async fn publishing_bumps_only_what_was_marked_and_only_once() {
        let (_dir, db) = database().await;
        let before = generations::current(&db).await.unwrap();
        let unpublished = Unpublished::default();
        unpublished.publish(&db, Publication::Lagged).await.unwrap();
        assert_eq!(generations::current(&db).await.unwrap(), before);

        unpublished.mark(&[Domain::Accounts, Domain::Snapshots]);
        unpublished.mark(&[Domain::Accounts]);
        assert!(unpublished.pending());
        unpublished.publish(&db, Publication::Lagged).await.unwrap();
        let after = generations::current(&db).await.unwrap();
        assert_eq!(after.of(Domain::Accounts), before.of(Domain::Accounts) + 1);
        assert_eq!(
            after.of(Domain::Snapshots),
            before.of(Domain::Snapshots) + 1
        );
        assert_eq!(after.of(Domain::Runs), before.of(Domain::Runs));
        assert!(!unpublished.pending());

        unpublished.publish(&db, Publication::Lagged).await.unwrap();
        assert_eq!(generations::current(&db).await.unwrap(), after);
    }

    #[tokio::test]
    async fn a_failed_bump_is_published_by_the_next() {
        let (_dir, db) = database().await;
        let unpublished = Unpublished::default();
        unpublished.mark(&[Domain::Events]);
        let (_closed_dir, closed) = database().await;
        closed.clone().close().await.unwrap();
        assert!(
            unpublished
                .publish(&closed, Publication::Lagged)
                .await
                .is_err()
        );
        assert!(unpublished.pending());
        let before = generations::current(&db).await.unwrap();
        unpublished.publish(&db, Publication::Lagged).await.unwrap();
        let after = generations::current(&db).await.unwrap();
        assert_eq!(after.of(Domain::Events), before.of(Domain::Events) + 1);
        assert!(!unpublished.pending());
    }

    #[tokio::test]
    async fn periodic_bumps_lag_and_the_runs_end_settles_them() {
        let (_dir, db) = database().await;
        let before = generations::current(&db).await.unwrap();
        let unpublished = Unpublished::default();
        unpublished.mark(&[Domain::Snapshots]);
        unpublished.publish(&db, Publication::Lagged).await.unwrap();
        let lagged = generations::current(&db).await.unwrap();
        assert_eq!(
            lagged.of(Domain::Snapshots),
            before.of(Domain::Snapshots) + 1
        );
        assert_eq!(lagged.settled(), before.settled(), "a periodic bump lags");
        assert_eq!(lagged.ended(), before.ended());
        // Nothing left to publish, but what was published lagged is settled.
        unpublished.publish(&db, Publication::Final).await.unwrap();
        let settled = generations::current(&db).await.unwrap();
        assert_eq!(settled.settled(), before.settled() + 1);
        assert_eq!(settled.ended(), before.ended(), "no write of a run ends");
        assert_eq!(settled.of(Domain::Snapshots), lagged.of(Domain::Snapshots));
        // Every other write moves both.
        generations::bump(&db, &[Domain::Accounts]).await.unwrap();
        let edited = generations::current(&db).await.unwrap();
        assert_eq!(edited.ended(), settled.ended() + 1);
        assert_eq!(edited.settled(), settled.settled() + 1);
        // The run's upkeep publishes, as its batches.
        generations::Writer::Run
            .wrote(&db, &[Domain::Events])
            .await
            .unwrap();
        let upkeep = generations::current(&db).await.unwrap();
        assert_eq!(upkeep.of(Domain::Events), edited.of(Domain::Events) + 1);
        assert_eq!(
            (upkeep.ended(), upkeep.settled()),
            (edited.ended(), edited.settled())
        );
    }
}
