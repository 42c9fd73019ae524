//! The collection engine: claims due accounts (core first, then the least
//! recently collected), collects them with bounded parallelism, each platform
//! within its rate limit, retries passing failures with backoff, and records
//! every account's outcome.
//!
//! Work is claimed with row leases, so several instances sharing PostgreSQL
//! split a cycle without overlap (`FOR UPDATE SKIP LOCKED`), and a crashed
//! instance's claims return when their lease expires. A cycle is a slot of
//! the wall clock (`floor(now / interval)`): every instance agrees on it, and
//! an account is due once per slot.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use app::db::entities::{account, collection_run, run_result};
use app::model::{Outcome, Platform, RunStatus, RunSummary};
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, SubsecRound, Utc};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DbBackend, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait,
};

use super::platforms::{CollectError, Collectors, Observation, Target, Upstream};
use super::{GrowthModel, insert_snapshots, set_latest, snapshot_row};

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
    /// A rate-limit pause longer than this fails the account as rate limited
    /// instead of holding the run.
    pub max_rate_limit_wait: Duration,
    /// This process's name in leases and runs.
    pub instance: String,
    /// Accounts claimed per round trip: small enough that instances sharing a
    /// database interleave, large enough to keep the workers busy.
    pub claim_chunk: u64,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            workers: 8,
            lease: Duration::from_secs(600),
            retries: 3,
            first_backoff: Duration::from_millis(500),
            max_rate_limit_wait: Duration::from_secs(60),
            instance: format!("reach-{}", std::process::id()),
            claim_chunk: 200,
        }
    }
}

pub struct Engine {
    db: DatabaseConnection,
    collectors: Collectors,
    upstream: Arc<Upstream>,
    settings: EngineSettings,
}

/// One unit of work: accounts of one platform collected by one request.
struct WorkItem {
    platform: Platform,
    simulated: bool,
    accounts: Vec<account::Model>,
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
        }
    }

    /// Collects every account not attempted since `due_before` (the start of
    /// the current cycle, or now for a manual run) and records the run.
    pub async fn run(&self, due_before: DateTime<Utc>) -> anyhow::Result<RunSummary> {
        let started = Instant::now();
        let run = collection_run::ActiveModel {
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

        // Claims are made as workers free up: the next chunk is claimed while
        // the previous one is still in flight, so the workers never drain at
        // a chunk boundary. Items are started in the claims' priority order:
        // core accounts go first.
        let workers = self.settings.workers.max(1);
        let mut in_flight = FuturesUnordered::new();
        let mut pending: VecDeque<WorkItem> = VecDeque::new();
        let mut exhausted = false;
        loop {
            while in_flight.len() < workers {
                if pending.is_empty() && !exhausted {
                    // Keep the requests in flight moving while claiming: one of
                    // them may hold the SQLite write lock the claim waits for.
                    let claim = self.claim_chunk(run.id, due_before);
                    futures::pin_mut!(claim);
                    let items = loop {
                        tokio::select! {
                            items = &mut claim => break items.context("cannot claim accounts")?,
                            Some(()) = in_flight.next(), if !in_flight.is_empty() => {}
                        }
                    };
                    exhausted = items.is_empty();
                    pending.extend(items);
                }
                match pending.pop_front() {
                    Some(item) => in_flight.push(self.collect(run.id, item)),
                    None => break,
                }
            }
            if in_flight.next().await.is_none() {
                break;
            }
        }
        self.finish(run.id, started).await
    }

    /// Claims the next chunk, counts it in the run's total and turns it into work.
    async fn claim_chunk(
        &self,
        run_id: i64,
        due_before: DateTime<Utc>,
    ) -> Result<Vec<WorkItem>, sea_orm::DbErr> {
        let claimed = self.claim(due_before).await?;
        if !claimed.is_empty() {
            collection_run::Entity::update_many()
                .col_expr(
                    collection_run::Column::AccountsTotal,
                    Expr::col(collection_run::Column::AccountsTotal).add(claimed.len() as i32),
                )
                .filter(collection_run::Column::Id.eq(run_id))
                .exec(&self.db)
                .await?;
        }
        Ok(self.work_items(claimed))
    }

    /// Leases the next chunk of due accounts to this instance, in priority order.
    async fn claim(
        &self,
        due_before: DateTime<Utc>,
    ) -> Result<Vec<account::Model>, sea_orm::DbErr> {
        let now = Utc::now();
        let lease_until = now + chrono::Duration::from_std(self.settings.lease).unwrap_or_default();
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::Postgres => {
                "UPDATE accounts SET lease_until = $1, lease_owner = $2 WHERE id IN ( \
                   SELECT id FROM accounts \
                   WHERE (lease_until IS NULL OR lease_until < $3) \
                     AND (last_attempt_at IS NULL OR last_attempt_at < $4) \
                   ORDER BY is_core DESC, last_collected_at ASC NULLS FIRST, id \
                   LIMIT $5 FOR UPDATE SKIP LOCKED) \
                 RETURNING id"
            }
            // SQLite serializes writers: the UPDATE alone is the claim.
            _ => {
                "UPDATE accounts SET lease_until = ?, lease_owner = ? WHERE id IN ( \
                   SELECT id FROM accounts \
                   WHERE (lease_until IS NULL OR lease_until < ?) \
                     AND (last_attempt_at IS NULL OR last_attempt_at < ?) \
                   ORDER BY is_core DESC, last_collected_at ASC NULLS FIRST, id \
                   LIMIT ?) \
                 RETURNING id"
            }
        };
        let statement = Statement::from_sql_and_values(
            backend,
            sql,
            [
                lease_until.into(),
                self.settings.instance.clone().into(),
                now.into(),
                due_before.into(),
                (self.settings.claim_chunk as i64).into(),
            ],
        );
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
    /// API allows, in the order of their most urgent account.
    fn work_items(&self, accounts: Vec<account::Model>) -> Vec<WorkItem> {
        let mut items: Vec<WorkItem> = Vec::new();
        for account in accounts {
            let simulated = account.simulated || !account.platform.has_public_api();
            let batch_size = match self.collectors.live(account.platform) {
                Some(collector) if !simulated => collector.batch_size(),
                _ => 1,
            };
            let open = items.iter_mut().rev().find(|item| {
                item.platform == account.platform
                    && item.simulated == simulated
                    && item.accounts.len() < batch_size
            });
            match open {
                Some(item) => item.accounts.push(account),
                None => items.push(WorkItem {
                    platform: account.platform,
                    simulated,
                    accounts: vec![account],
                }),
            }
        }
        items
    }

    async fn collect(&self, run_id: i64, item: WorkItem) {
        let started = Instant::now();
        let at = Utc::now().trunc_subsecs(0);
        let results: Vec<Result<Observation, CollectError>> =
            match self.collectors.live(item.platform) {
                Some(collector) if !item.simulated => {
                    let targets: Vec<Target> = item
                        .accounts
                        .iter()
                        .map(|a| Target {
                            handle: a.handle.clone(),
                            platform_id: a.platform_id.clone(),
                        })
                        .collect();
                    let max_wait = self.settings.max_rate_limit_wait;
                    let fetched = (|| async { collector.fetch(&self.upstream, &targets).await })
                        .retry(
                            ExponentialBuilder::default()
                                .with_min_delay(self.settings.first_backoff)
                                .with_max_times(self.settings.retries)
                                .with_jitter(),
                        )
                        .when(CollectError::is_retryable)
                        // Wait as long as the platform asks, unless that is too long.
                        .adjust(move |error, delay| match error {
                            CollectError::RateLimited {
                                retry_after: Some(wait),
                            } if *wait > max_wait => None,
                            CollectError::RateLimited {
                                retry_after: Some(wait),
                            } => Some(delay.unwrap_or_default().max(*wait)),
                            _ => delay,
                        })
                        .await;
                    match fetched {
                        Ok(results) if results.len() == targets.len() => results,
                        Ok(_) => vec![
                            Err(CollectError::BadData(
                                "answer does not match the request".into()
                            ));
                            targets.len()
                        ],
                        Err(error) => vec![Err(error); targets.len()],
                    }
                }
                _ => item
                    .accounts
                    .iter()
                    .map(|a| {
                        Ok(Observation {
                            counters: GrowthModel::for_account(a.platform, &a.handle)
                                .counters_at(at),
                            ..Observation::default()
                        })
                    })
                    .collect(),
            };
        let per_account_ms =
            started.elapsed().as_millis() as i64 / item.accounts.len().max(1) as i64;
        for (account, result) in item.accounts.iter().zip(results) {
            if let Err(error) = self
                .store(run_id, account, at, result, per_account_ms)
                .await
            {
                tracing::error!(account = account.id, error = %error, "cannot store a collection result");
            }
        }
    }

    /// Writes one account's outcome: the snapshot and the account's new
    /// state in one transaction, whole or not at all.
    async fn store(
        &self,
        run_id: i64,
        account: &account::Model,
        at: DateTime<Utc>,
        result: Result<Observation, CollectError>,
        duration_ms: i64,
    ) -> Result<(), sea_orm::DbErr> {
        let txn = self.db.begin().await?;
        let (outcome, error) = match &result {
            Ok(observation) => {
                insert_snapshots(&txn, [snapshot_row(account.id, at, observation.counters)])
                    .await?;
                set_latest(&txn, account.id, at, observation.counters).await?;
                let mut update =
                    account::Entity::update_many().filter(account::Column::Id.eq(account.id));
                if let Some(id) = &observation.platform_id {
                    update = update.col_expr(account::Column::PlatformId, Expr::value(id.clone()));
                }
                if let Some(name) = &observation.display_name {
                    update =
                        update.col_expr(account::Column::DisplayName, Expr::value(name.clone()));
                }
                update
                    .col_expr(account::Column::UpdatedAt, Expr::value(Utc::now()))
                    .exec(&txn)
                    .await?;
                (Outcome::Ok, None)
            }
            Err(error) => (error.outcome(), Some(error.to_string())),
        };
        account::Entity::update_many()
            .col_expr(account::Column::LastOutcome, Expr::value(outcome))
            .col_expr(account::Column::LastError, Expr::value(error.clone()))
            // Not `at`, which is rounded down to the second: the attempt must
            // sort after the cycle start it was due for.
            .col_expr(account::Column::LastAttemptAt, Expr::value(Utc::now()))
            .col_expr(
                account::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
            .filter(account::Column::Id.eq(account.id))
            .exec(&txn)
            .await?;
        run_result::Entity::insert(run_result::ActiveModel {
            run_id: Set(run_id),
            account_id: Set(account.id),
            outcome: Set(outcome),
            error: Set(error),
            duration_ms: Set(duration_ms),
            finished_at: Set(Utc::now()),
        })
        .exec_without_returning(&txn)
        .await?;
        collection_run::Entity::update_many()
            .col_expr(
                collection_run::Column::AccountsDone,
                Expr::col(collection_run::Column::AccountsDone).add(1),
            )
            .filter(collection_run::Column::Id.eq(run_id))
            .exec(&txn)
            .await?;
        txn.commit().await
    }

    async fn finish(&self, run_id: i64, started: Instant) -> anyhow::Result<RunSummary> {
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
        let duration_ms = started.elapsed().as_millis() as i64;
        let run = collection_run::ActiveModel {
            id: Set(run_id),
            finished_at: Set(Some(Utc::now())),
            status: Set(RunStatus::Finished),
            accounts_ok: Set(ok),
            accounts_failed: Set(failed),
            accounts_skipped: Set(skipped),
            duration_ms: Set(Some(duration_ms)),
            ..Default::default()
        }
        .update(&self.db)
        .await
        .context("cannot record the end of a run")?;
        tracing::info!(
            run = run.id,
            ok,
            failed,
            skipped,
            duration_ms,
            "collection finished"
        );
        Ok(run.into())
    }
}

/// The start of the cycle `now` falls in: cycles are slots of `interval`
/// counted from the Unix epoch, the same on every instance.
pub fn cycle_start(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let slot = Ord::max(interval.as_secs(), 1) as i64;
    let start = now.timestamp().div_euclid(slot) * slot;
    DateTime::from_timestamp(start, 0).unwrap_or(now)
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
