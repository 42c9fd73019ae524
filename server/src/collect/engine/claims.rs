//! Claiming due accounts with row leases (core first, then the least
//! recently collected; `FOR UPDATE SKIP LOCKED` on PostgreSQL), giving back
//! what a run did not start, and recovering the claims of runs whose
//! process died (silent for four heartbeats).

use super::*;

/// Missed heartbeats after which a running run is taken for dead.
pub const ABANDONED_AFTER_BEATS: u32 = 4;

impl Engine {
    /// Gives back accounts claimed but not collected: another run (on any
    /// instance) may take them at once.
    pub(super) async fn release(
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
    pub(super) async fn claim_chunk(
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
    pub(super) async fn claim(
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
}
