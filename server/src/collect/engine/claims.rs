//! Claiming due accounts with row leases (core first, then the least
//! recently collected; `FOR UPDATE SKIP LOCKED` on PostgreSQL) in chunks
//! sized to the live instances and the work left, giving back what a run
//! did not start, and recovering the claims of runs whose process died
//! (silent for four heartbeats, on the database's clock).

use super::*;

/// Missed heartbeats after which a running run is taken for dead.
pub const ABANDONED_AFTER_BEATS: u32 = 4;

impl EngineSettings {
    /// How long a claim holds unrenewed: two beats beyond the silence that
    /// marks a run dead, so a live run's heartbeat always renews it first.
    pub fn lease(&self) -> Duration {
        self.heartbeat * (ABANDONED_AFTER_BEATS + 2)
    }
}

/// The lease owner of a run's claims: the run, not only its instance, so
/// that a restarted instance of the same name never holds its
/// predecessor's claims.
pub(super) fn lease_owner(instance: &str, run_id: i64) -> String {
    format!("{instance}#{run_id}")
}

impl Engine {
    /// Gives back accounts claimed but not collected: another run (on any
    /// instance) may take them at once.
    pub(super) async fn release(
        &self,
        run_id: i64,
        accounts: impl Iterator<Item = account::Model>,
    ) -> Result<(), sea_orm::DbErr> {
        let owner = lease_owner(&self.settings.instance, run_id);
        let ids: Vec<i64> = accounts.map(|a| a.id).collect();
        for chunk in ids.chunks(500) {
            account::Entity::update_many()
                .col_expr(
                    account::Column::LeaseUntil,
                    Expr::value(None::<DateTime<Utc>>),
                )
                .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
                .filter(account::Column::Id.is_in(chunk.iter().copied()))
                .filter(account::Column::LeaseOwner.eq(owner.as_str()))
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Gives back whatever the run still holds when it ends (results the
    /// writer could not store): the next run need not wait for the leases
    /// to lapse.
    pub(super) async fn release_all(&self, run_id: i64) -> Result<u64, sea_orm::DbErr> {
        let owner = lease_owner(&self.settings.instance, run_id);
        Ok(account::Entity::update_many()
            .col_expr(
                account::Column::LeaseUntil,
                Expr::value(None::<DateTime<Utc>>),
            )
            .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
            .filter(account::Column::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await?
            .rows_affected)
    }

    /// Claims the next chunk, turns what the plan allows into work, gives
    /// the rest back for a later cycle and counts the work in the run's
    /// total. Empty once nothing due is left to claim.
    pub(super) async fn claim_chunk(
        &self,
        run_id: i64,
        due: &DueBefore,
        plan: &mut Plan,
    ) -> Result<Vec<WorkItem>, sea_orm::DbErr> {
        loop {
            // A chunk's claim is the run's database work too ([`super::pace`]):
            // it rests after it, before the chunk starts, while the requests
            // in flight go on (the claim is polled beside them).
            let claiming = Instant::now();
            let excluded: Vec<Platform> = plan.deferred.keys().copied().collect();
            let claimed = self.claim(run_id, due, &excluded).await?;
            if claimed.is_empty() {
                return Ok(Vec::new());
            }
            plan.count(&self.upstream, &claimed).await;
            let (items, deferred) = self.work_items(claimed, plan);
            self.release(run_id, deferred.into_iter()).await?;
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
            self.wrote(&[Domain::Runs]).await?;
            self.progress.send_modify(|progress| {
                if let Some(progress) = progress {
                    progress.total += planned as u64;
                }
            });
            self.pace.rest_since(claiming).await;
            return Ok(items);
        }
    }

    /// Whether any account is due and unclaimed now.
    pub async fn any_due(&self, due: &DueBefore) -> Result<bool, sea_orm::DbErr> {
        let now = db::clock::now(&self.db).await?;
        let backend = self.db.get_database_backend();
        let mut values = Vec::new();
        let due_where = due_filter(backend, &mut values, now, due, &[]);
        let sql = format!("SELECT id FROM accounts WHERE {due_where} LIMIT 1");
        Ok(self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .is_some())
    }

    /// Leases the next chunk of due accounts to this run, in priority order.
    pub(super) async fn claim(
        &self,
        run_id: i64,
        due: &DueBefore,
        excluded: &[Platform],
    ) -> Result<Vec<account::Model>, sea_orm::DbErr> {
        let now = db::clock::now(&self.db).await?;
        let lease_until =
            now + chrono::Duration::from_std(self.settings.lease()).unwrap_or_default();
        let backend = self.db.get_database_backend();
        let chunk = self.chunk_size().await?;

        // What is left, counted up to the most that would change the chunk.
        let mut values = Vec::new();
        let due_where = due_filter(backend, &mut values, now, due, excluded);
        let most = placeholder(
            backend,
            &mut values,
            i64::try_from(chunk.most * 4 * chunk.instances)
                .unwrap_or(i64::MAX)
                .into(),
        );
        let left_sql = format!(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM accounts WHERE {due_where} LIMIT {most}) AS due"
        );
        let left = self
            .db
            .query_one_raw(Statement::from_sql_and_values(backend, left_sql, values))
            .await?
            .map(|row| row.try_get::<i64>("", "n"))
            .transpose()?
            .unwrap_or_default();

        let size = chunk.size(u64::try_from(left).unwrap_or_default());
        let statement = claim_statement(
            backend,
            &Claim {
                lease_until,
                owner: lease_owner(&self.settings.instance, run_id),
                now,
                due,
                excluded,
                size,
            },
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

    /// How long a running run may be silent before it is taken for dead.
    pub fn abandoned_after(&self) -> Duration {
        self.settings.heartbeat * ABANDONED_AFTER_BEATS
    }

    /// Records the runs whose process died (no heartbeat for
    /// [`ABANDONED_AFTER_BEATS`] beats, on the database's clock) as
    /// interrupted, ending when they last beat with the counts of what they
    /// stored, and gives their claimed accounts back to the queue at once
    /// rather than when the leases lapse. Exactly one instance records each
    /// (the update that finds it still running). Called before every run and
    /// every heartbeat by `reach serve`; returns the accounts given back.
    pub async fn recover_abandoned_runs(&self) -> anyhow::Result<u64> {
        let now = db::clock::now(&self.db).await?;
        let silent_since =
            now - chrono::Duration::from_std(self.abandoned_after()).unwrap_or_default();
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
        let mut released_in_all = 0;
        for run in &abandoned {
            let last_sign = run.heartbeat_at.unwrap_or(run.started_at);
            let transaction = db::write::begin(&self.db).await?;
            let counts = outcome_counts(&transaction, run.id).await?;
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
                .col_expr(collection_run::Column::AccountsOk, Expr::value(counts.ok))
                .col_expr(
                    collection_run::Column::AccountsFailed,
                    Expr::value(counts.failed),
                )
                .col_expr(
                    collection_run::Column::AccountsSkipped,
                    Expr::value(counts.skipped),
                )
                .col_expr(
                    collection_run::Column::AccountsDone,
                    Expr::value(counts.ok + counts.failed + counts.skipped),
                )
                .filter(collection_run::Column::Id.eq(run.id))
                .filter(collection_run::Column::Status.eq(RunStatus::Running))
                .exec(&transaction)
                .await?;
            if marked.rows_affected != 1 {
                transaction.rollback().await?;
                continue;
            }
            let released = match &run.instance {
                Some(instance) => {
                    // Leases name the run; before they did, the instance.
                    let owners = [lease_owner(instance, run.id), instance.clone()];
                    account::Entity::update_many()
                        .col_expr(
                            account::Column::LeaseUntil,
                            Expr::value(None::<DateTime<Utc>>),
                        )
                        .col_expr(account::Column::LeaseOwner, Expr::value(None::<String>))
                        .filter(account::Column::LeaseOwner.is_in(owners))
                        .exec(&transaction)
                        .await?
                        .rows_affected
                }
                None => 0,
            };
            // Everything: the dead run may have left writes unpublished.
            generations::bump(&transaction, &Domain::ALL).await?;
            transaction.commit().await?;
            released_in_all += released;
            tracing::warn!(
                run = run.id,
                instance = run.instance.as_deref().unwrap_or("-"),
                stored = counts.ok + counts.failed + counts.skipped,
                released,
                "a run whose process stopped answering is recorded as interrupted"
            );
        }
        Ok(released_in_all)
    }
}

/// What a run stored, by kind of outcome.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct OutcomeCounts {
    pub(super) ok: i32,
    pub(super) failed: i32,
    pub(super) skipped: i32,
}

/// Counts a run's stored outcomes.
pub(super) async fn outcome_counts(
    db: &impl ConnectionTrait,
    run_id: i64,
) -> Result<OutcomeCounts, sea_orm::DbErr> {
    let outcomes: Vec<(Outcome, i64)> = run_result::Entity::find()
        .select_only()
        .column(run_result::Column::Outcome)
        .column_as(run_result::Column::AccountId.count(), "count")
        .filter(run_result::Column::RunId.eq(run_id))
        .group_by(run_result::Column::Outcome)
        .into_tuple()
        .all(db)
        .await?;
    let count = |wanted: &dyn Fn(Outcome) -> bool| -> i32 {
        outcomes
            .iter()
            .filter(|(o, _)| wanted(*o))
            .map(|(_, n)| i32::try_from(*n).unwrap_or(i32::MAX))
            .sum()
    };
    Ok(OutcomeCounts {
        ok: count(&|o| o == Outcome::Ok),
        skipped: count(&|o| o == Outcome::NotConfigured),
        failed: count(&|o| o != Outcome::Ok && o != Outcome::NotConfigured),
    })
}

/// What a claim leases: `size` of the accounts due at `now` (by `due`,
/// but `excluded`'s), to `owner` until `lease_until`.
pub struct Claim<'a> {
    pub lease_until: DateTime<Utc>,
    pub owner: String,
    pub now: DateTime<Utc>,
    pub due: &'a DueBefore,
    pub excluded: &'a [Platform],
    pub size: u64,
}

/// The statement that leases a claim's accounts and returns their ids:
/// the first due in priority order (core first, then the least recently
/// collected). That order is an index's (`ix_accounts_due_order`,
/// migration 31), walked until the claim is full: every chunk of a run
/// used to sort every account not yet collected, so a run's claims cost
/// the square of its accounts (`tests/integration/leases.rs` checks the
/// plan on both databases).
pub fn claim_statement(backend: DbBackend, claim: &Claim<'_>) -> Statement {
    let mut values = Vec::new();
    let lease = placeholder(backend, &mut values, claim.lease_until.into());
    let owner = placeholder(backend, &mut values, claim.owner.clone().into());
    let due_where = due_filter(backend, &mut values, claim.now, claim.due, claim.excluded);
    let limit = placeholder(backend, &mut values, (claim.size as i64).into());
    let lock = match backend {
        DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        // SQLite serializes writers: the UPDATE alone is the claim.
        _ => "",
    };
    let sql = format!(
        "UPDATE accounts SET lease_until = {lease}, lease_owner = {owner} WHERE id IN ( \
           SELECT id FROM accounts \
           WHERE {due_where} \
           ORDER BY is_core DESC, last_collected_at ASC NULLS FIRST, id \
           LIMIT {limit}{lock}) \
         RETURNING id"
    );
    Statement::from_sql_and_values(backend, sql, values)
}

/// Binds `value` as the next parameter and names its placeholder.
fn placeholder(backend: DbBackend, values: &mut Vec<Value>, value: Value) -> String {
    values.push(value);
    match backend {
        DbBackend::Postgres => format!("${}", values.len()),
        _ => "?".to_owned(),
    }
}

/// The condition of an account due in this run: not leased (or its lease
/// lapsed by `now`), not attempted since its platform's cycle began, and
/// not of a platform whose budget is spent (demo accounts spend none).
fn due_filter(
    backend: DbBackend,
    values: &mut Vec<Value>,
    now: DateTime<Utc>,
    due: &DueBefore,
    excluded: &[Platform],
) -> String {
    let expired = placeholder(backend, values, now.into());
    // Each platform is due at its own time; most have the default.
    let mut platforms: Vec<_> = due.platforms.iter().collect();
    platforms.sort_by_key(|(platform, _)| **platform);
    let mut due_time = String::new();
    for (platform, at) in platforms {
        let platform = placeholder(backend, values, platform.to_value().into());
        let at = placeholder(backend, values, (*at).into());
        due_time.push_str(&format!(" WHEN {platform} THEN {at}"));
    }
    let default = placeholder(backend, values, due.default.into());
    let due_time = if due_time.is_empty() {
        default
    } else {
        format!("CASE platform{due_time} ELSE {default} END")
    };
    let mut skip = String::new();
    if let Some(account) = due.account {
        let account = placeholder(backend, values, account.into());
        skip = format!(" AND id = {account}");
    }
    if !excluded.is_empty() {
        let list: Vec<String> = excluded
            .iter()
            .map(|p| placeholder(backend, values, p.to_value().into()))
            .collect();
        skip.push_str(&format!(
            " AND (platform NOT IN ({}) OR simulated)",
            list.join(", ")
        ));
    }
    format!(
        "(lease_until IS NULL OR lease_until < {expired}) \
         AND (last_attempt_at IS NULL OR last_attempt_at < {due_time}){skip}"
    )
}

/// How many accounts one claim takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct ChunkSize {
    /// The settings' largest chunk.
    pub(super) most: u64,
    /// The fewest worth a round trip: enough for the workers.
    pub(super) least: u64,
    /// Live instances sharing the work (at least this one).
    pub(super) instances: u64,
}

impl ChunkSize {
    /// A fourth of this instance's share of the `left` due accounts,
    /// between the least and the most: large chunks while much is left,
    /// small ones near the end, so that instances finish together.
    pub(super) fn size(self, left: u64) -> u64 {
        let share = left.div_ceil(Ord::max(self.instances, 1) * 4);
        share.clamp(Ord::min(self.least, self.most), Ord::max(self.most, 1))
    }
}

impl Engine {
    /// The chunk sizes now: the live instances counted in the database.
    async fn chunk_size(&self) -> Result<ChunkSize, sea_orm::DbErr> {
        let instances = db::instances::live_count(&self.db, self.abandoned_after()).await?;
        Ok(ChunkSize {
            most: Ord::max(self.settings.claim_chunk, 1),
            least: self.settings.workers.max(1) as u64,
            instances: Ord::max(instances, 1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_shrink_with_more_instances_and_less_work() {
        let chunk = |instances| ChunkSize {
            most: 200,
            least: 8,
            instances,
        };
        // Plenty left: the most.
        assert_eq!(chunk(1).size(60_000), 200);
        assert_eq!(chunk(3).size(60_000), 200);
        // Three instances, 600 left: a fourth of each one's 200.
        assert_eq!(chunk(3).size(600), 50);
        // 60 left: the workers' worth, so each instance gets some.
        assert_eq!(chunk(3).size(60), 8);
        assert_eq!(chunk(1).size(60), 15);
        assert_eq!(chunk(1).size(0), 8);
        // Settings smaller than the workers still claim something.
        let tiny = ChunkSize {
            most: 4,
            least: 8,
            instances: 2,
        };
        assert_eq!(tiny.size(1_000), 4);
    }

    #[test]
    fn leases_outlast_the_silence_that_marks_a_run_dead() {
        let settings = EngineSettings {
            heartbeat: Duration::from_secs(5),
            ..EngineSettings::default()
        };
        assert_eq!(settings.lease(), Duration::from_secs(30));
        assert!(settings.lease() > settings.heartbeat * ABANDONED_AFTER_BEATS);
        assert_eq!(lease_owner("reach-1", 42), "reach-1#42");
    }
}
