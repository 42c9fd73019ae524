//! The collection engine: claims due accounts (core first, then the least
//! recently collected), collects them with bounded parallelism, each platform
//! within its rate limit, retries passing failures with backoff, and records
//! every account's outcome.
//!
//! Work is claimed with row leases, so several instances sharing PostgreSQL
//! split a cycle without overlap (`FOR UPDATE SKIP LOCKED`). A lease names
//! its run and lasts a few heartbeats; the run's heartbeat renews it while
//! the account is in flight, and a result is stored only in a transaction
//! that finds the lease still held, so a run that lost an account (it was
//! silent too long) never stores it twice. A dead run's claims return as
//! soon as another instance notices its silence, or when they lapse. Every
//! judgment of time between instances is on the database's clock
//! ([`db::clock`]). A cycle is a slot of the wall clock (`floor(now /
//! interval)`): every instance agrees on it, and an account is due once
//! per slot of its platform's interval.
//!
//! Requests and writes are decoupled: workers only talk to the platforms and
//! hand their results to one writer, which stores them in batches (one
//! transaction per batch, each account's snapshot and state whole or not at
//! all). A worker slot is never held by the database, and SQLite sees one
//! writer instead of one per worker.
//!
//! This module holds the run's lifecycle (start, workers, finish) and the
//! settings; [`plan`] groups the claimed accounts within the budgets,
//! [`claims`] holds the leases, [`workers`] make the requests, [`store`]
//! is the writer, [`publish`] makes its writes reach the cached aggregates
//! at a bounded lag, [`after_run`] is the upkeep a run ends with,
//! [`heartbeat`] says a run is alive, [`pace`] has its database work
//! rest, so that readers keep part of the processor, and [`stop`] ends a
//! run at an account boundary.

mod after_run;
mod claims;
mod due;
mod heartbeat;
mod pace;
mod plan;
mod publish;
mod stop;
mod store;
mod workers;

use claims::lease_owner;
pub use claims::{ABANDONED_AFTER_BEATS, Claim, claim_statement};
pub use due::DueBefore;
pub use heartbeat::instance_name;
use heartbeat::{AbortOnDrop, beat};
pub use pace::DUTY_RANGE;
use pace::Pace;
use plan::Plan;
pub use plan::cycle_start;
pub use stop::Stop;
use store::{Stored, understood};
use workers::SIMULATED_BATCH;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::model::{
    AccountState, Counters, EventKind, Metric, Outcome, Platform, RunStatus, RunSummary,
};
use app::ssr::metrics::{Metrics, RunFigures};
use backon::{ExponentialBuilder, Retryable};
use db::entities::{account, collection_run, event, run_result};
use db::generations::{self, Domain};

use crate::events::EventSettings;
use chrono::{DateTime, SubsecRound, Utc};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use sea_orm::sea_query::{Alias, Expr, Func, IntoIden, OnConflict, Query, TableRef, ValueTuple};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DbBackend, EntityTrait, ExprTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait, Value,
};
use tokio::sync::{mpsc, watch};

use super::GrowthModel;
use super::platforms::{
    BatchResult, CollectError, Collector, Collectors, Observation, Target, Upstream,
};
use db::snapshots::{insert_snapshots_of_written, snapshot_row};

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// Requests (batches) in flight at once.
    pub workers: usize,
    /// Retries of a failed request that may pass (5xx, 429, timeouts).
    pub retries: usize,
    /// The first retry's delay; each next one doubles, with jitter.
    pub first_backoff: Duration,
    /// This process's name in leases and runs.
    pub instance: String,
    /// Most accounts claimed per round trip. Fewer near the end of a cycle
    /// and with more instances live: each claims about a fourth of its
    /// share of what is left, so instances finish together.
    pub claim_chunk: u64,
    /// Most results stored in one transaction.
    pub write_batch: usize,
    /// How long the writer gathers results before storing them; progress
    /// and the dashboard lag this much behind the requests.
    pub write_delay: Duration,
    /// How often a running run says it is alive. A run silent for
    /// [`ABANDONED_AFTER_BEATS`] beats is taken for dead (its process was
    /// killed): recorded as interrupted, its claims returned. Instances
    /// sharing a database must use the same value.
    pub heartbeat: Duration,
    /// How long a running run's writes may take to reach the cached
    /// lists, boards, totals and the overview ([`publish`]): at most this
    /// after their commit. Answers about named accounts never lag, nor does
    /// a run's end. Zero publishes each batch in its own transaction.
    pub publish_every: Duration,
    /// The share of a run's time its database work (claims, stores) may
    /// take, in percent; it rests the rest ([`pace`]). 100 never rests.
    pub duty: u8,
    /// How the accounts' pictures are fetched after a run.
    pub avatars: crate::collect::avatars::AvatarSettings,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            workers: 8,
            retries: 3,
            first_backoff: Duration::from_millis(500),
            instance: instance_name(),
            claim_chunk: 200,
            write_batch: 256,
            write_delay: Duration::from_millis(250),
            heartbeat: Duration::from_secs(5),
            publish_every: Duration::from_secs(5),
            duty: 50,
            avatars: crate::collect::avatars::AvatarSettings::default(),
        }
    }
}

/// How far the current run has come, for progress bars.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunProgress {
    pub run_id: i64,
    /// Accounts claimed so far; grows while the run claims more.
    pub total: u64,
    /// Accounts whose outcome is stored.
    pub done: u64,
}

pub struct Engine {
    db: DatabaseConnection,
    collectors: Collectors,
    upstream: Arc<Upstream>,
    settings: EngineSettings,
    progress: watch::Sender<Option<RunProgress>>,
    events: EventSettings,
    /// How long raw snapshots are kept before their days are compacted.
    keep_raw: Option<Duration>,
    stop: Stop,
    metrics: Metrics,
    /// What the running run wrote and has not yet published.
    unpublished: Arc<publish::Unpublished>,
    /// The running run's rests.
    pace: Pace,
}

/// One unit of work: accounts of one platform collected by one request.
struct WorkItem {
    platform: Platform,
    simulated: bool,
    accounts: Vec<account::Model>,
}

/// One account's result on its way from a worker to the writer.
struct Collected {
    account: account::Model,
    simulated: bool,
    at: DateTime<Utc>,
    result: Result<Observation, CollectError>,
    duration_ms: i64,
}

impl Engine {
    pub fn new(
        db: DatabaseConnection,
        collectors: Collectors,
        upstream: Arc<Upstream>,
        settings: EngineSettings,
    ) -> Self {
        Self {
            db,
            collectors,
            upstream,
            progress: watch::channel(None).0,
            events: EventSettings::default(),
            keep_raw: None,
            stop: Stop::default(),
            metrics: Metrics::default(),
            unpublished: Arc::default(),
            pace: Pace::new(settings.duty),
            settings,
        }
    }

    /// Announces what each run publishes through Redis, so that every
    /// instance's live updates look at once (`crate::live`).
    pub fn with_announcer(mut self, announcer: crate::live::Announcer) -> Self {
        self.unpublished_mut().announcer = Some(announcer);
        self
    }

    /// Tells this process's read cache of each publication, so that a run
    /// of `reach serve`'s collector is on that server's next read
    /// (`db::generations::Freshness`).
    pub fn with_local_writes(mut self, local: db::generations::LocalWrites) -> Self {
        self.unpublished_mut().local = Some(local);
        self
    }

    fn unpublished_mut(&mut self) -> &mut publish::Unpublished {
        Arc::get_mut(&mut self.unpublished).expect("set up before the engine runs")
    }

    /// Where runs are counted (the server's `/metrics`); the collectors'
    /// requests are counted by the [`Upstream`].
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The database the engine writes to.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// This process's name in runs, leases and `instances`.
    pub fn instance(&self) -> &str {
        &self.settings.instance
    }

    /// How often a run (and `reach serve`) says it is alive.
    pub fn heartbeat(&self) -> Duration {
        self.settings.heartbeat
    }

    /// The requests' side: budgets and the live instances sharing them.
    pub fn upstream(&self) -> &Upstream {
        &self.upstream
    }

    /// What this engine's collectors can say of each platform.
    pub fn status(&self) -> super::status::CollectorStatus {
        super::status::CollectorStatus {
            collectors: self.collectors.clone(),
            upstream: self.upstream.clone(),
        }
    }

    /// What stops this engine (at an account boundary), e.g. on shutdown.
    pub fn stop_handle(&self) -> Stop {
        self.stop.clone()
    }

    /// After every run, the days older than `keep_raw` are compacted
    /// ([`crate::retention`]).
    pub fn with_retention(mut self, keep_raw: Duration) -> Self {
        self.keep_raw = Some(keep_raw);
        self
    }

    /// Events are detected after every run; these settings say when an
    /// account is failing and where events are sent.
    pub fn with_events(mut self, events: EventSettings) -> Self {
        self.events = events;
        self
    }

    /// The progress of this engine's current run (`None` between runs).
    pub fn progress(&self) -> watch::Receiver<Option<RunProgress>> {
        self.progress.subscribe()
    }

    /// Collects every due account and records the run.
    pub async fn run(&self, due: impl Into<DueBefore>) -> anyhow::Result<RunSummary> {
        let due = due.into();
        let started = Instant::now();
        if let Err(error) = self.recover_abandoned_runs().await {
            tracing::error!(
                error = format!("{error:#}"),
                "cannot recover abandoned runs"
            );
        }
        // Whole seconds, as every stored moment; the run's duration counts
        // from that moment too, so no platform's "done after" (measured
        // from it) exceeds the run's duration.
        let now = db::clock::now(&self.db)
            .await
            .context("cannot read the database's clock")?;
        let started_at = now.trunc_subsecs(0);
        let started = started.min(
            Instant::now()
                .checked_sub((now - started_at).to_std().unwrap_or_default())
                .unwrap_or(started),
        );
        let run = collection_run::ActiveModel {
            heartbeat_at: Set(Some(now)),
            started_at: Set(started_at),
            mode: Set("live".to_owned()),
            status: Set(RunStatus::Running),
            accounts_ok: Set(0),
            accounts_failed: Set(0),
            accounts_skipped: Set(0),
            accounts_total: Set(0),
            accounts_done: Set(0),
            instance: Set(Some(self.settings.instance.clone())),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .context("cannot record the start of a run")?;
        // On the next read of the lists; no reason for an account's page,
        // which a run's start does not change, to wait for its successor.
        generations::settle(&self.db, &[Domain::Runs]).await?;
        self.progress.send_replace(Some(RunProgress {
            run_id: run.id,
            ..RunProgress::default()
        }));

        // A task of its own: a beat waiting for SQLite's write lock must
        // not keep the writer that holds it from being polled. It stops
        // when the run ends or is dropped.
        let _heartbeat = AbortOnDrop(tokio::spawn(beat(
            self.db.clone(),
            run.id,
            lease_owner(&self.settings.instance, run.id),
            self.settings.heartbeat,
            self.settings.lease(),
        )));
        let publisher = self.start_publishing();
        // Rests left by a run dropped before its end are not this run's.
        self.pace.take_rested();
        let (results, received) = mpsc::unbounded_channel();
        let (collected, mut stored) = tokio::join!(
            self.collect_all(run.id, &due, results),
            self.write_all(run.id, received)
        );
        let status = match collected {
            Ok(()) => RunStatus::Finished,
            Err(_) if self.stop.is_requested() => {
                tracing::info!(run = run.id, "run stopped at an account boundary");
                RunStatus::Interrupted
            }
            Err(ref error) => {
                tracing::error!(
                    run = run.id,
                    error = format!("{error:#}"),
                    "run interrupted"
                );
                RunStatus::Interrupted
            }
        };
        if let Err(error) = self.release_all(run.id).await {
            tracing::warn!(run = run.id, %error, "cannot give back the run's claims; they lapse");
        }
        let avatars = std::mem::take(&mut stored.avatars);
        // Before the run's end is settled, which makes the overview read
        // its chart again.
        if let Err(error) = db::audience::record(&self.db, Utc::now().date_naive()).await {
            // The chart misses a day; the run itself is complete.
            tracing::error!(error = %error, "cannot record today's audience");
        }
        // The upkeep is the run's too: its writes are published as the
        // batches', the run is recorded as ended and settled once, after
        // it, and until then it is going on (`db::generations::AccountWrites`).
        let ended = (Utc::now(), started.elapsed());
        let writer = self.writer();
        self.events
            .after_run(&self.db, run.id, writer, &self.pace)
            .await;
        crate::collect::avatars::refresh(
            &self.db,
            self.upstream.client(),
            avatars,
            self.settings.avatars,
            writer,
        )
        .await;
        if let Some(keep_raw) = self.keep_raw {
            self.compact(keep_raw, writer).await;
        }
        drop(publisher);
        // The boards are ranked on the generations the run leaves, and the
        // end moves `settled` only: the first reads after it find them kept.
        self.publish_marked(run.id).await;
        self.refresh_boards().await;
        let summary = self.finish(run.id, ended, stored, status).await;
        self.publish_the_rest(run.id).await;
        self.progress.send_replace(None);
        summary
    }

    /// Records the run as ended (`at`, after `duration`: its collection,
    /// not its upkeep).
    async fn finish(
        &self,
        run_id: i64,
        (at, duration): (chrono::DateTime<Utc>, Duration),
        stored: Stored,
        status: RunStatus,
    ) -> anyhow::Result<RunSummary> {
        let claims::OutcomeCounts {
            ok,
            failed,
            skipped,
        } = claims::outcome_counts(&self.db, run_id).await?;
        let duration_ms = duration.as_millis() as i64;
        let as_count = |n: i32| u64::try_from(n).unwrap_or_default();
        let rested = self.pace.take_rested();
        self.metrics.record_run(&RunFigures {
            status: status.as_str(),
            duration,
            rested,
            ok: as_count(ok),
            failed: as_count(failed),
            skipped: as_count(skipped),
        });
        let run = collection_run::ActiveModel {
            id: Set(run_id),
            finished_at: Set(Some(at)),
            mode: Set(stored.mode().to_owned()),
            status: Set(status),
            accounts_ok: Set(ok),
            accounts_failed: Set(failed),
            accounts_skipped: Set(skipped),
            duration_ms: Set(Some(duration_ms)),
            ..Default::default()
        }
        .update(&self.db)
        .await
        .context("cannot record the end of a run")?;
        self.wrote(&[Domain::Runs]).await?;
        tracing::info!(
            run = run.id,
            ok,
            failed,
            skipped,
            lost = stored.lost,
            duration_ms,
            rested_ms = rested.as_millis() as u64,
            status = ?status,
            "collection ended"
        );
        Ok(run.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn cycles_are_wall_clock_slots() {
        let hour = Duration::from_secs(3600);
        let at = Utc.with_ymd_and_hms(2026, 11, 24, 10, 42, 7).unwrap();
        assert_eq!(
            cycle_start(at, hour),
            Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
        );
        let quarter = Duration::from_secs(900);
        assert_eq!(
            cycle_start(at, quarter),
            Utc.with_ymd_and_hms(2026, 11, 24, 10, 30, 0).unwrap()
        );
    }
}
