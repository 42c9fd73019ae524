//! The collection engine: claims due accounts (core first, then the least
//! recently collected), collects them with bounded parallelism, each platform
//! within its rate limit, retries passing failures with backoff, and records
//! every account's outcome.
//!
//! Work is claimed with row leases, so several instances sharing PostgreSQL
//! split a cycle without overlap (`FOR UPDATE SKIP LOCKED`), and a crashed
//! instance's claims return when their lease expires. A cycle is a slot of
//! the wall clock (`floor(now / interval)`): every instance agrees on it, and
//! an account is due once per slot of its platform's interval.
//!
//! Requests and writes are decoupled: workers only talk to the platforms and
//! hand their results to one writer, which stores them in batches (one
//! transaction per batch, each account's snapshot and state whole or not at
//! all). A worker slot is never held by the database, and SQLite sees one
//! writer instead of one per worker.
//!
//! Over the ~500-line guideline on purpose, for now: claiming, planning,
//! fetching and the writer share the run's state (`Plan`, leases, the
//! writer's channel) and read best together. The planned split is
//! `plan.rs` (`Plan`, `work_items`), `claims.rs` (claim, release, recovery)
//! and `store.rs` (`store`, `store_observed`, `rename`).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::model::{AccountState, Counters, EventKind, Outcome, Platform, RunStatus, RunSummary};
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
use db::snapshots::{insert_snapshots, latest_columns, refresh_changes, snapshot_row};

/// How the engine runs.
#[derive(Clone, Debug)]
pub struct EngineSettings {
    /// Requests (batches) in flight at once.
    pub workers: usize,
    /// How long a claim holds before another instance may take the account.
    pub lease: Duration,
    /// Retries of a failed request that may pass (5xx, 429, timeouts).
    pub retries: usize,
    /// The first retry's delay; each next one doubles, with jitter.
    pub first_backoff: Duration,
    /// This process's name in leases and runs.
    pub instance: String,
    /// Accounts claimed per round trip: small enough that instances sharing a
    /// database interleave, large enough to keep the workers busy.
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
}

/// Missed heartbeats after which a running run is taken for dead.
pub const ABANDONED_AFTER_BEATS: u32 = 4;

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            workers: 8,
            lease: Duration::from_secs(600),
            retries: 3,
            first_backoff: Duration::from_millis(500),
            instance: instance_name(),
            claim_chunk: 200,
            write_batch: 256,
            write_delay: Duration::from_millis(250),
            heartbeat: Duration::from_secs(5),
        }
    }
}

/// Says every `interval` that the run is alive. A failure is logged: a
/// missed beat or two is harmless.
async fn beat(db: DatabaseConnection, run_id: i64, interval: Duration) {
    let mut beats = tokio::time::interval(interval);
    loop {
        beats.tick().await;
        let beat = collection_run::Entity::update_many()
            .col_expr(collection_run::Column::HeartbeatAt, Expr::value(Utc::now()))
            .filter(collection_run::Column::Id.eq(run_id))
            .exec(&db)
            .await;
        if let Err(error) = beat {
            tracing::warn!(run = run_id, %error, "cannot record the run's heartbeat");
        }
    }
}

/// Aborts its task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A name for this process in leases and runs that no other process has,
/// even in containers where every process is pid 1: the pid and a random
/// number (from the standard library's per-process random hash keys).
fn instance_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("reach-{}-{:08x}", std::process::id(), random as u32)
}

/// Which accounts a run collects: those whose last attempt is older than
/// their platform's due time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueBefore {
    pub default: DateTime<Utc>,
    pub platforms: HashMap<Platform, DateTime<Utc>>,
}

impl DueBefore {
    /// Every account not attempted before `at`: a manual run uses now.
    pub fn all(at: DateTime<Utc>) -> Self {
        Self {
            default: at,
            platforms: HashMap::new(),
        }
    }
}

impl From<DateTime<Utc>> for DueBefore {
    fn from(at: DateTime<Utc>) -> Self {
        Self::all(at)
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

/// Asks an engine to stop: its run stops claiming accounts, lets the
/// requests in flight finish and be stored, gives back the accounts it
/// claimed but did not start, and is recorded as interrupted.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    requested: Arc<std::sync::atomic::AtomicBool>,
    notify: Arc<tokio::sync::Notify>,
}

impl Stop {
    pub fn request(&self) {
        self.requested
            .store(true, std::sync::atomic::Ordering::Release);
        self.notify.notify_waiters();
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Completes once a stop is requested.
    pub async fn requested(&self) {
        let notified = self.notify.notified();
        if self.is_requested() {
            return;
        }
        notified.await;
    }
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

/// Simulated accounts need no request; they are grouped this many at a time.
const SIMULATED_BATCH: usize = 100;

/// Most requests to one platform a run plans.
const MOST_PLANNED: u64 = 1_000_000;

/// What a run may still ask of each platform whose budget is shared by all
/// its accounts: the requests its budget allows within the longest wait,
/// counted when the run first meets the platform. Accounts beyond it are
/// not attempted: they stay due and go first in a later cycle, instead of
/// being recorded as rate limited for merely waiting their turn.
#[derive(Debug, Default)]
struct Plan {
    left: HashMap<Platform, u64>,
    /// Accounts given back, per platform; a platform with any is not
    /// claimed again in this run.
    deferred: HashMap<Platform, u64>,
}

impl Plan {
    fn report(&self, run_id: i64) {
        for (platform, accounts) in &self.deferred {
            tracing::info!(
                run = run_id,
                platform = platform.as_str(),
                accounts,
                "accounts wait for a later cycle: the platform's budget allows no more requests now"
            );
        }
    }
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
            settings,
            progress: watch::channel(None).0,
            events: EventSettings::default(),
            keep_raw: None,
            stop: Stop::default(),
            metrics: Metrics::default(),
        }
    }

    /// Where runs are counted (the server's `/metrics`); the collectors'
    /// requests are counted by the [`Upstream`].
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
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
        let run = collection_run::ActiveModel {
            heartbeat_at: Set(Some(Utc::now())),
            started_at: Set(Utc::now().trunc_subsecs(0)),
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
        generations::bump(&self.db, &[Domain::Runs]).await?;
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
            self.settings.heartbeat,
        )));
        let (results, received) = mpsc::unbounded_channel();
        let (collected, stored) = tokio::join!(
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
        let summary = self.finish(run.id, started, stored, status).await;
        self.events.after_run(&self.db, run.id).await;
        if let Some(keep_raw) = self.keep_raw {
            self.compact(keep_raw).await;
        }
        self.refresh_marks().await;
        self.progress.send_replace(None);
        summary
    }

    /// How long a running run may be silent before it is taken for dead.
    pub fn abandoned_after(&self) -> Duration {
        self.settings.heartbeat * ABANDONED_AFTER_BEATS
    }

    /// Records the runs whose process died (no heartbeat for
    /// [`ABANDONED_AFTER_BEATS`] beats) as interrupted, ending when they last
    /// beat, and gives their claimed accounts back to the queue at once
    /// rather than when the leases lapse. Called before every run, and by
    /// `reach serve` once a freshly killed predecessor's run has gone silent.
    pub async fn recover_abandoned_runs(&self) -> anyhow::Result<usize> {
        let silent_since =
            Utc::now() - chrono::Duration::from_std(self.abandoned_after()).unwrap_or_default();
        let abandoned = collection_run::Entity::find()
            .filter(collection_run::Column::Status.eq(RunStatus::Running))
            .filter(
                collection_run::Column::HeartbeatAt.lt(silent_since).or(
                    collection_run::Column::HeartbeatAt
                        .is_null()
                        .and(collection_run::Column::StartedAt.lt(silent_since)),
                ),
            )
            .all(&self.db)
            .await?;
        for run in &abandoned {
            let last_sign = run.heartbeat_at.unwrap_or(run.started_at);
            let transaction = self.db.begin().await?;
            // Only if still running: another instance may have recovered it.
            let marked = collection_run::Entity::update_many()
                .col_expr(
                    collection_run::Column::Status,
                    Expr::value(RunStatus::Interrupted.to_value()),
                )
                .col_expr(collection_run::Column::FinishedAt, Expr::value(last_sign))
                .col_expr(
                    collection_run::Column::DurationMs,
                    Expr::value((last_sign - run.started_at).num_milliseconds()),
                )
                .filter(collection_run::Column::Id.eq(run.id))
                .filter(collection_run::Column::Status.eq(RunStatus::Running))
                .exec(&transaction)
                .await?;
            let released = match (&run.instance, marked.rows_affected) {
                (Some(instance), 1) if *instance != self.settings.instance => {
                    account::Entity::update_many()
                        .col_expr(
                            account::Column::LeaseUntil,
                            Expr::value(None::<DateTime<Utc>>),
                        )
                        .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
                        .filter(account::Column::LeaseOwner.eq(instance.as_str()))
                        .exec(&transaction)
                        .await?
                        .rows_affected
                }
                _ => 0,
            };
            generations::bump(&transaction, &[Domain::Runs, Domain::Accounts]).await?;
            transaction.commit().await?;
            tracing::warn!(
                run = run.id,
                instance = run.instance.as_deref().unwrap_or("-"),
                released,
                "a run whose process stopped answering is recorded as interrupted"
            );
        }
        Ok(abandoned.len())
    }

    /// Brings the live leaderboard's marks to today: the first run of a day
    /// refreshes every account's, later runs only new accounts'. Errors are
    /// logged: the board reads history for accounts without marks.
    async fn refresh_marks(&self) {
        let today = Utc::now().date_naive();
        match db::marks::refresh_stale_marks(&self.db, today).await {
            Ok(0) => {}
            Ok(accounts) => tracing::info!(accounts, "refreshed the leaderboard's marks"),
            Err(error) => tracing::error!(%error, "cannot refresh the leaderboard's marks"),
        }
    }

    /// Compacts the days that just passed the retention period. Errors are
    /// logged: compaction never fails a run.
    async fn compact(&self, keep_raw: Duration) {
        let Ok(keep_raw) = chrono::Duration::from_std(keep_raw) else {
            return;
        };
        let before = Utc::now() - keep_raw;
        let since = before - chrono::Duration::days(crate::retention::AFTER_RUN_DAYS);
        match crate::retention::compact(&self.db, before, Some(since)).await {
            Ok(done) if done.days > 0 => {
                tracing::info!(
                    days = done.days,
                    removed = done.removed,
                    "compacted old snapshots"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "compaction failed"),
        }
    }

    /// Claims due accounts chunk by chunk and keeps `workers` requests in
    /// flight, handing every result to the writer.
    async fn collect_all(
        &self,
        run_id: i64,
        due: &DueBefore,
        results: mpsc::UnboundedSender<Collected>,
    ) -> anyhow::Result<()> {
        // The next chunk is claimed while the previous one is still in
        // flight, so the workers never drain at a chunk boundary. Items start
        // in the claims' priority order: core accounts go first.
        let workers = self.settings.workers.max(1);
        let mut in_flight = FuturesUnordered::new();
        let mut pending: VecDeque<WorkItem> = VecDeque::new();
        let mut exhausted = false;
        let mut plan = Plan::default();
        let hand_over = |batch: Vec<Collected>| {
            for result in batch {
                // The writer only stops when this sender is gone.
                let _ = results.send(result);
            }
        };
        loop {
            let stopping = self.stop.is_requested();
            while !stopping && in_flight.len() < workers {
                if pending.is_empty() && !exhausted {
                    // Keep the requests in flight moving while claiming.
                    let claim = self.claim_chunk(run_id, due, &mut plan);
                    futures::pin_mut!(claim);
                    let items = loop {
                        tokio::select! {
                            items = &mut claim => break items.context("cannot claim accounts")?,
                            Some(batch) = in_flight.next(), if !in_flight.is_empty() => hand_over(batch),
                        }
                    };
                    exhausted = items.is_empty();
                    pending.extend(items);
                }
                match pending.pop_front() {
                    Some(item) => in_flight.push(self.collect(item)),
                    None => break,
                }
            }
            match in_flight.next().await {
                Some(batch) => hand_over(batch),
                None if stopping => {
                    self.release(pending.drain(..).flat_map(|item| item.accounts))
                        .await
                        .context("cannot give back the claimed accounts")?;
                    anyhow::bail!("stopped at an account boundary");
                }
                None => {
                    plan.report(run_id);
                    return Ok(());
                }
            }
        }
    }

    /// Gives back accounts claimed but not collected: another run (on any
    /// instance) may take them at once.
    async fn release(
        &self,
        accounts: impl Iterator<Item = account::Model>,
    ) -> Result<(), sea_orm::DbErr> {
        let ids: Vec<i64> = accounts.map(|a| a.id).collect();
        for chunk in ids.chunks(500) {
            account::Entity::update_many()
                .col_expr(
                    account::Column::LeaseUntil,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
                .filter(account::Column::Id.is_in(chunk.iter().copied()))
                .filter(account::Column::LeaseOwner.eq(self.settings.instance.as_str()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Claims the next chunk, turns what the plan allows into work, gives
    /// the rest back for a later cycle and counts the work in the run's
    /// total. Empty once nothing due is left to claim.
    async fn claim_chunk(
        &self,
        run_id: i64,
        due: &DueBefore,
        plan: &mut Plan,
    ) -> Result<Vec<WorkItem>, sea_orm::DbErr> {
        loop {
            let excluded: Vec<Platform> = plan.deferred.keys().copied().collect();
            let claimed = self.claim(due, &excluded).await?;
            if claimed.is_empty() {
                return Ok(Vec::new());
            }
            let (items, deferred) = self.work_items(claimed, plan);
            self.release(deferred.into_iter()).await?;
            let planned: usize = items.iter().map(|item| item.accounts.len()).sum();
            if planned == 0 {
                // Everything claimed waits for its budget: claim again,
                // without those platforms.
                continue;
            }
            collection_run::Entity::update_many()
                .col_expr(
                    collection_run::Column::AccountsTotal,
                    Expr::col(collection_run::Column::AccountsTotal).add(planned as i32),
                )
                .filter(collection_run::Column::Id.eq(run_id))
                .exec(&self.db)
                .await?;
            generations::bump(&self.db, &[Domain::Runs]).await?;
            self.progress.send_modify(|progress| {
                if let Some(progress) = progress {
                    progress.total += planned as u64;
                }
            });
            return Ok(items);
        }
    }

    /// Leases the next chunk of due accounts to this instance, in priority order.
    async fn claim(
        &self,
        due: &DueBefore,
        excluded: &[Platform],
    ) -> Result<Vec<account::Model>, sea_orm::DbErr> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let backend = self.db.get_database_backend();
        let mut values: Vec<Value> = vec![
            lease_until.into(),
            self.settings.instance.clone().into(),
            now.into(),
        ];
        let mut param = |value: Value| {
            values.push(value);
            match backend {
                DbBackend::Postgres => format!("${}", values.len()),
                _ => "?".to_owned(),
            }
        };
        // Each platform is due at its own time; most have the default.
        let mut platforms: Vec<_> = due.platforms.iter().collect();
        platforms.sort_by_key(|(platform, _)| **platform);
        let mut due_time = String::new();
        for (platform, at) in platforms {
            let platform = param(platform.to_value().into());
            let at = param((*at).into());
            due_time.push_str(&format!(" WHEN {platform} THEN {at}"));
        }
        let default = param(due.default.into());
        let due_time = if due_time.is_empty() {
            default
        } else {
            format!("CASE platform{due_time} ELSE {default} END")
        };
        let mut skip = String::new();
        if !excluded.is_empty() {
            let list: Vec<String> = excluded
                .iter()
                .map(|p| param(p.to_value().into()))
                .collect();
            // Demo accounts spend no budget: they are never held back.
            skip = format!(" AND (platform NOT IN ({}) OR simulated)", list.join(", "));
        }
        let limit = param((self.settings.claim_chunk as i64).into());
        let (lease_params, lock) = match backend {
            DbBackend::Postgres => (("$1", "$2", "$3"), " FOR UPDATE SKIP LOCKED"),
            // SQLite serializes writers: the UPDATE alone is the claim.
            _ => (("?", "?", "?"), ""),
        };
        let (lease, owner, expired) = lease_params;
        let sql = format!(
            "UPDATE accounts SET lease_until = {lease}, lease_owner = {owner} WHERE id IN ( \
               SELECT id FROM accounts \
               WHERE (lease_until IS NULL OR lease_until < {expired}) \
                 AND (last_attempt_at IS NULL OR last_attempt_at < {due_time}){skip} \
               ORDER BY is_core DESC, last_collected_at ASC NULLS FIRST, id \
               LIMIT {limit}{lock}) \
             RETURNING id"
        );
        let statement = Statement::from_sql_and_values(backend, sql, values);
        let ids = self
            .db
            .query_all_raw(statement)
            .await?
            .iter()
            .map(|row| row.try_get::<i64>("", "id"))
            .collect::<Result<Vec<_>, _>>()?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        account::Entity::find()
            .filter(account::Column::Id.is_in(ids))
            .order_by_desc(account::Column::IsCore)
            .order_by_with_nulls(
                account::Column::LastCollectedAt,
                sea_orm::Order::Asc,
                sea_orm::sea_query::NullOrdering::First,
            )
            .order_by_asc(account::Column::Id)
            .all(&self.db)
            .await
    }

    /// Groups accounts into requests, each platform's batches as large as its
    /// API allows, in the order of their most urgent account, as far as the
    /// plan allows; returns the work and the accounts left for a later cycle.
    fn work_items(
        &self,
        accounts: Vec<account::Model>,
        plan: &mut Plan,
    ) -> (Vec<WorkItem>, Vec<account::Model>) {
        let mut items: Vec<WorkItem> = Vec::new();
        let mut deferred = Vec::new();
        for account in accounts {
            // Only demo accounts are simulated.
            let simulated = account.simulated;
            let collector = self
                .collectors
                .live(account.platform)
                .filter(|_| !simulated);
            let batch_size = collector
                .as_ref()
                .map_or(SIMULATED_BATCH, |c| c.batch_size());
            let open = items.iter_mut().rev().find(|item| {
                item.platform == account.platform
                    && item.simulated == simulated
                    && item.accounts.len() < batch_size
            });
            // A collector without its credentials asks nothing: not planned.
            if let Some(collector) =
                collector.filter(|c| c.shared_budget() && c.missing_settings().is_none())
            {
                let (in_open, without_id) = open.as_ref().map_or((0, 0), |item| {
                    let without = item.accounts.iter().filter(|a| a.platform_id.is_none());
                    (item.accounts.len(), without.count())
                });
                let new_without_id = without_id + usize::from(account.platform_id.is_none());
                let cost = collector.requests_for(in_open + 1, new_without_id)
                    - collector.requests_for(in_open, without_id);
                let upstream = &self.upstream;
                let left = plan
                    .left
                    .entry(account.platform)
                    .or_insert_with(|| upstream.capacity(account.platform, MOST_PLANNED));
                if plan.deferred.contains_key(&account.platform) || cost > *left {
                    *plan.deferred.entry(account.platform).or_default() += 1;
                    deferred.push(account);
                    continue;
                }
                *left -= cost;
            }
            match open {
                Some(item) => item.accounts.push(account),
                None => items.push(WorkItem {
                    platform: account.platform,
                    simulated,
                    accounts: vec![account],
                }),
            }
        }
        (items, deferred)
    }

    /// Asks the platform (or, for demo accounts, the growth model) for one
    /// item's accounts.
    async fn collect(&self, item: WorkItem) -> Vec<Collected> {
        let started = Instant::now();
        let at = Utc::now().trunc_subsecs(0);
        let results: Vec<Result<Observation, CollectError>> = if item.simulated {
            item.accounts
                .iter()
                .map(|a| {
                    Ok(Observation {
                        counters: GrowthModel::for_account(a.platform, &a.handle).counters_at(at),
                        ..Observation::default()
                    })
                })
                .collect()
        } else if let Some(collector) = self.collectors.live(item.platform) {
            let targets: Vec<Target> = item
                .accounts
                .iter()
                .map(|a| Target {
                    handle: a.handle.clone(),
                    platform_id: a.platform_id.clone(),
                })
                .collect();
            self.fetch(collector.as_ref(), &targets).await
        } else {
            // No collector and not a demo account: nothing is invented.
            vec![Err(CollectError::NoCollector(item.platform.label())); item.accounts.len()]
        };
        let duration_ms = started.elapsed().as_millis() as i64 / item.accounts.len().max(1) as i64;
        item.accounts
            .into_iter()
            .zip(results)
            .map(|(account, result)| {
                let result = understood(&account, result);
                Collected {
                    account,
                    simulated: item.simulated,
                    at,
                    result,
                    duration_ms,
                }
            })
            .collect()
    }

    /// One result per target. A batch the platform refuses as a bad request
    /// is asked again account by account, so that one account it rejects
    /// does not fail the others.
    async fn fetch(
        &self,
        collector: &dyn Collector,
        targets: &[Target],
    ) -> Vec<Result<Observation, CollectError>> {
        let whole = |results: Vec<Result<Observation, CollectError>>, expected: usize| {
            if results.len() == expected {
                results
            } else {
                vec![
                    Err(CollectError::BadData(
                        "answer does not match the request".into()
                    ));
                    expected
                ]
            }
        };
        match self.fetch_retrying(collector, targets).await {
            Ok(results) => whole(results, targets.len()),
            Err(error) if error.is_bad_request() && targets.len() > 1 => {
                let mut results = Vec::with_capacity(targets.len());
                for target in targets {
                    let alone = std::slice::from_ref(target);
                    results.extend(match self.fetch_retrying(collector, alone).await {
                        Ok(result) => whole(result, 1),
                        Err(error) => vec![Err(error)],
                    });
                }
                results
            }
            Err(error) => vec![Err(error); targets.len()],
        }
    }

    /// Asks the collector, retrying passing failures at most
    /// `retries` times, whatever the platform's headers say.
    async fn fetch_retrying(&self, collector: &dyn Collector, targets: &[Target]) -> BatchResult {
        let max_wait = self.upstream.max_wait();
        // A retry refused by the spent budget says nothing about the
        // account: what failed before it is the news.
        let failed_before = std::sync::Mutex::new(None::<CollectError>);
        (|| async { collector.fetch(&self.upstream, targets).await })
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(self.settings.first_backoff)
                    .with_max_times(self.settings.retries)
                    .with_jitter(),
            )
            .when(CollectError::is_retryable)
            // Wait as long as the platform asks, unless that is too long.
            // No delay left means the retries are spent: the platform's
            // wait never starts another one.
            .adjust(move |error, delay| {
                let delay = delay?;
                match error {
                    CollectError::RateLimited {
                        retry_after: Some(wait),
                    } if *wait > max_wait => None,
                    CollectError::RateLimited {
                        retry_after: Some(wait),
                    } => Some(delay.max(*wait)),
                    _ => Some(delay),
                }
            })
            .notify(|error, _| {
                *failed_before.lock().expect("not poisoned") = Some(error.clone());
            })
            .await
            .map_err(|error| match error {
                CollectError::BudgetSpent { .. } => failed_before
                    .lock()
                    .expect("not poisoned")
                    .take()
                    .unwrap_or(error),
                error => error,
            })
    }

    /// Stores results as they arrive, as many per transaction as are waiting
    /// (up to `write_batch`), until the collecting side hangs up.
    async fn write_all(
        &self,
        run_id: i64,
        mut received: mpsc::UnboundedReceiver<Collected>,
    ) -> Stored {
        let mut stored = Stored::default();
        let mut batch = Vec::with_capacity(self.settings.write_batch);
        let most = self.settings.write_batch.max(1);
        while received.recv_many(&mut batch, most).await > 0 {
            // Results trickle in at the platforms' pace: gather them a little
            // longer, so that one transaction carries many.
            let deadline = tokio::time::Instant::now() + self.settings.write_delay;
            while batch.len() < most {
                let room = most - batch.len();
                let more = received.recv_many(&mut batch, room);
                match tokio::time::timeout_at(deadline, more).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            // A write is all or nothing, so trying it again is safe.
            let written = (|| self.store(run_id, &batch))
                .retry(
                    ExponentialBuilder::default()
                        .with_min_delay(Duration::from_millis(50))
                        .with_max_times(3)
                        .with_jitter(),
                )
                .await;
            match written {
                Ok(()) => {
                    for result in &batch {
                        if result.simulated {
                            stored.simulated += 1;
                        } else {
                            stored.live += 1;
                        }
                    }
                    self.progress.send_modify(|progress| {
                        if let Some(progress) = progress {
                            progress.done += batch.len() as u64;
                        }
                    });
                }
                // The accounts stay leased, so they return once the lease expires.
                Err(error) => tracing::error!(
                    run = run_id,
                    accounts = batch.len(),
                    error = %error,
                    "cannot store collection results"
                ),
            }
            batch.clear();
        }
        stored
    }

    /// Writes a batch of outcomes in one transaction: per account the
    /// snapshot, the latest counters and the collection state.
    async fn store(&self, run_id: i64, batch: &[Collected]) -> Result<(), sea_orm::DbErr> {
        let txn = self.db.begin().await?;
        let snapshots: Vec<_> = batch
            .iter()
            .filter_map(|c| {
                let observation = c.result.as_ref().ok()?;
                Some(snapshot_row(c.account.id, c.at, observation.counters))
            })
            .collect();
        if !snapshots.is_empty() {
            insert_snapshots(&txn, snapshots).await?;
        }
        let now = Utc::now();
        let observed: Vec<(&Collected, &Observation)> = batch
            .iter()
            .filter_map(|c| Some((c, c.result.as_ref().ok()?)))
            .collect();
        store_observed(&txn, &observed, now).await?;
        let mut events = Vec::new();
        for (collected, observation) in &observed {
            let account = &collected.account;
            if let Some(was) = account.state {
                events.push(crate::events::new_event(
                    account,
                    EventKind::Restored,
                    collected.at,
                    now,
                    format!("restored:{run_id}"),
                    format!("{} is active again (was {})", account.handle, was.as_str()),
                    |_| {},
                ));
            }
            if let Some(handle) = &observation.handle
                && !handle.eq_ignore_ascii_case(&account.handle)
                && let Some(event) =
                    rename(&txn, account, handle, run_id, collected.at, now).await?
            {
                events.push(event);
            }
        }
        // Failures are few: one statement each.
        for collected in batch {
            let Err(error) = &collected.result else {
                continue;
            };
            let account = &collected.account;
            let mut update = account::Entity::update_many();
            if let Some(state) = error.outcome().state()
                && account.state != Some(state)
            {
                update = update
                    .col_expr(account::Column::State, Expr::value(state.to_value()))
                    .col_expr(account::Column::StateSince, Expr::value(now));
                events.push(crate::events::new_event(
                    account,
                    EventKind::StateChanged,
                    collected.at,
                    now,
                    format!("state:{}:{run_id}", state.as_str()),
                    format!("{} is {}: {error}", account.handle, state.as_str()),
                    |_| {},
                ));
            }
            update
                .filter(account::Column::Id.eq(collected.account.id))
                // Not `at`, which is rounded down to the second: the attempt
                // must sort after the cycle start it was due for.
                .col_expr(account::Column::LastAttemptAt, Expr::value(now))
                .col_expr(
                    account::Column::LeaseUntil,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
                .col_expr(account::Column::LastOutcome, Expr::value(error.outcome()))
                .col_expr(account::Column::LastError, Expr::value(error.to_string()))
                .exec(&txn)
                .await?;
        }
        let collected_ids: Vec<i64> = batch
            .iter()
            .filter(|c| c.result.is_ok())
            .map(|c| c.account.id)
            .collect();
        if let Some(as_of) = batch.iter().map(|c| c.at).max() {
            refresh_changes(&txn, &collected_ids, as_of).await?;
        }
        run_result::Entity::insert_many(batch.iter().map(|c| {
            let (outcome, error) = match &c.result {
                Ok(_) => (Outcome::Ok, None),
                Err(error) => (error.outcome(), Some(error.to_string())),
            };
            run_result::ActiveModel {
                run_id: Set(run_id),
                account_id: Set(c.account.id),
                outcome: Set(outcome),
                error: Set(error),
                duration_ms: Set(c.duration_ms),
                finished_at: Set(now),
            }
        }))
        .exec_without_returning(&txn)
        .await?;
        if !events.is_empty() {
            event::Entity::insert_many(events)
                .on_conflict(
                    OnConflict::columns([event::Column::AccountId, event::Column::DedupeKey])
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        collection_run::Entity::update_many()
            .col_expr(
                collection_run::Column::AccountsDone,
                Expr::col(collection_run::Column::AccountsDone).add(batch.len() as i32),
            )
            .filter(collection_run::Column::Id.eq(run_id))
            .exec(&txn)
            .await?;
        generations::bump(&txn, &Domain::ALL).await?;
        txn.commit().await
    }

    async fn finish(
        &self,
        run_id: i64,
        started: Instant,
        stored: Stored,
        status: RunStatus,
    ) -> anyhow::Result<RunSummary> {
        let outcomes: Vec<(Outcome, i64)> = run_result::Entity::find()
            .select_only()
            .column(run_result::Column::Outcome)
            .column_as(run_result::Column::AccountId.count(), "count")
            .filter(run_result::Column::RunId.eq(run_id))
            .group_by(run_result::Column::Outcome)
            .into_tuple()
            .all(&self.db)
            .await?;
        let count = |wanted: &dyn Fn(Outcome) -> bool| -> i32 {
            outcomes
                .iter()
                .filter(|(o, _)| wanted(*o))
                .map(|(_, n)| *n as i32)
                .sum()
        };
        let ok = count(&|o| o == Outcome::Ok);
        let skipped = count(&|o| o == Outcome::NotConfigured);
        let failed = count(&|o| o != Outcome::Ok && o != Outcome::NotConfigured);
        let duration = started.elapsed();
        let duration_ms = duration.as_millis() as i64;
        let as_count = |n: i32| u64::try_from(n).unwrap_or_default();
        self.metrics.record_run(&RunFigures {
            status: status.as_str(),
            duration,
            ok: as_count(ok),
            failed: as_count(failed),
            skipped: as_count(skipped),
        });
        let run = collection_run::ActiveModel {
            id: Set(run_id),
            finished_at: Set(Some(Utc::now())),
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
        generations::bump(&self.db, &[Domain::Runs]).await?;
        tracing::info!(
            run = run.id,
            ok,
            failed,
            skipped,
            duration_ms,
            status = ?status,
            "collection ended"
        );
        Ok(run.into())
    }
}

/// What the writer stored, by kind of collector.
#[derive(Clone, Copy, Debug, Default)]
struct Stored {
    live: u64,
    simulated: u64,
}

impl Stored {
    /// The run's mode: which collectors it used.
    fn mode(self) -> &'static str {
        match (self.live, self.simulated) {
            (0, s) if s > 0 => "simulated",
            (l, s) if l > 0 && s > 0 => "mixed",
            _ => "live",
        }
    }
}

/// Follows a rename: the account takes the handle the platform now gives
/// it (same stable id), in the form Reach stores, keeping its history, and
/// a `renamed` event says old → new. A handle Reach's rules refuse, or one
/// another tracked account has (in any case), is left alone and logged; so
/// is a clash with an account added meanwhile, which rolls back only the
/// rename (a savepoint), never the batch.
async fn rename(
    txn: &sea_orm::DatabaseTransaction,
    account: &account::Model,
    handle: &str,
    run_id: i64,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<event::ActiveModel>, sea_orm::DbErr> {
    let keep = |why: &str| {
        tracing::warn!(
            account = account.id,
            from = account.handle.as_str(),
            to = handle,
            why,
            "the platform gives the account a handle Reach does not take; it keeps its own"
        );
        Ok(None)
    };
    let Ok(handle) = account.platform.normalize_handle(handle) else {
        return keep("not a handle by the platform's rules");
    };
    if handle.eq_ignore_ascii_case(&account.handle) {
        return Ok(None);
    }
    let taken = account::Entity::find()
        .filter(account::Column::Platform.eq(account.platform))
        .filter(
            Expr::expr(Func::lower(Expr::col(account::Column::Handle))).eq(handle.to_lowercase()),
        )
        .filter(account::Column::Id.ne(account.id))
        .count(txn)
        .await?
        > 0;
    if taken {
        return keep("another tracked account has that handle");
    }
    let savepoint = txn.begin().await?;
    let renamed = account::Entity::update_many()
        .col_expr(account::Column::Handle, Expr::value(handle.as_str()))
        .filter(account::Column::Id.eq(account.id))
        .exec(&savepoint)
        .await;
    match renamed {
        Ok(_) => savepoint.commit().await?,
        Err(error)
            if matches!(
                error.sql_err(),
                Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
            ) =>
        {
            savepoint.rollback().await?;
            return keep("another tracked account was given that handle meanwhile");
        }
        Err(error) => return Err(error),
    }
    tracing::info!(
        account = account.id,
        from = account.handle.as_str(),
        to = handle.as_str(),
        "followed a rename"
    );
    Ok(Some(crate::events::new_event(
        account,
        EventKind::Renamed,
        at,
        now,
        format!("renamed:{run_id}"),
        format!("{} is now {handle}", account.handle),
        |_| {},
    )))
}

/// A collector's result as Reach records it: negative counters are unknown,
/// an answer without any counter is no observation, and an account the
/// platform once answered for by its stable id but no longer knows is gone
/// (deleted, or suspended without saying so), not "not found".
fn understood(
    account: &account::Model,
    result: Result<Observation, CollectError>,
) -> Result<Observation, CollectError> {
    match result {
        Ok(mut observation) => {
            observation.counters = super::known(observation.counters);
            if observation.counters == Counters::default() {
                return Err(CollectError::BadData(
                    "the answer carries none of the account's counters".into(),
                ));
            }
            Ok(observation)
        }
        Err(CollectError::NotFound)
            if account.platform_id.is_some() && account.last_collected_at.is_some() =>
        {
            Err(CollectError::Gone(
                "the platform no longer has the account it answered for before".into(),
            ))
        }
        Err(error) => Err(error),
    }
}

/// The start of the cycle `now` falls in: cycles are slots of `interval`
/// counted from the Unix epoch, the same on every instance.
pub fn cycle_start(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let slot = Ord::max(interval.as_secs(), 1) as i64;
    let start = now.timestamp().div_euclid(slot) * slot;
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

/// Stores the accounts' observations in one statement: each row's latest
/// counters (unless it holds newer ones), identity, and a successful
/// collection's state, joined from a list of values. A run of thousands of
/// accounts is a few dozen statements, not one per account.
async fn store_observed(
    txn: &impl ConnectionTrait,
    observed: &[(&Collected, &Observation)],
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    use account::Column;
    if observed.is_empty() {
        return Ok(());
    }
    // A list of values has no column names: columnN is its Nth value.
    let list = Alias::new("observed");
    let value = |n: usize| -> Expr { Expr::col((list.clone(), Alias::new(format!("column{n}")))) };
    let rows = observed
        .iter()
        .map(|(collected, observation)| {
            let counters = observation.counters;
            ValueTuple::Many(vec![
                collected.account.id.into(),
                collected.at.into(),
                counters.followers.into(),
                counters.following.into(),
                counters.posts.into(),
                counters.views.into(),
                counters.likes.into(),
                observation.platform_id.clone().into(),
                observation.display_name.clone().into(),
            ])
        })
        .collect();
    let mut update = Query::update();
    update.table(account::Entity);
    for (column, latest) in
        latest_columns(value(2), [value(3), value(4), value(5), value(6), value(7)])
    {
        update.value(column, latest);
    }
    let keep_unless_given = |n: usize, column: Column| {
        Expr::expr(value(n)).if_null(Expr::col((account::Entity, column)))
    };
    update
        .value(Column::PlatformId, keep_unless_given(8, Column::PlatformId))
        .value(
            Column::DisplayName,
            keep_unless_given(9, Column::DisplayName),
        )
        .value(Column::LastOutcome, Expr::value(Outcome::Ok))
        .value(Column::State, Expr::value(None::<AccountState>))
        .value(Column::StateSince, Expr::value(None::<DateTime<Utc>>))
        .value(Column::LastError, Expr::value(None::<String>))
        .value(Column::UpdatedAt, Expr::value(now))
        // Not `at`, which is rounded down to the second: the attempt must
        // sort after the cycle start it was due for.
        .value(Column::LastAttemptAt, Expr::value(now))
        .value(Column::LeaseUntil, Expr::value(None::<DateTime<Utc>>))
        .value(Column::LeaseOwner, Expr::value(None::<String>))
        .from(TableRef::ValuesList(rows, list.clone().into_iden()))
        .and_where(Expr::col((account::Entity, Column::Id)).equals((list, Alias::new("column1"))));
    txn.execute(&update).await?;
    Ok(())
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
