//! The writer: stores what the workers bring in batches, one transaction
//! per batch, each account's snapshot and state whole or not at all, with
//! renames and account states understood from the platform's answers.

use super::*;

/// What the writer stored, by kind of collector.
#[derive(Clone, Debug, Default)]
pub(super) struct Stored {
    pub(super) live: u64,
    pub(super) simulated: u64,
    /// Results discarded because the run no longer held the account (it
    /// was silent so long that another instance took it over).
    pub(super) lost: u64,
    /// The pictures the platforms named: (account, address).
    pub(super) avatars: Vec<(i64, String)>,
}

impl Stored {
    /// The run's mode: which collectors it used.
    pub(super) fn mode(&self) -> &'static str {
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
pub(super) async fn rename(
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
        account.id,
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
pub(super) fn understood(
    account: &account::Model,
    result: Result<Observation, CollectError>,
) -> Result<Observation, CollectError> {
    match result {
        Ok(mut observation) => {
            observation.counters = crate::collect::known(observation.counters);
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

/// Stores the accounts' observations in one statement: each row's latest
/// counters (unless it holds newer ones), its follower changes as of
/// `as_of`, identity, and a successful collection's state, joined from a
/// list of values. A run of thousands of accounts is a few dozen
/// statements, not one per account, and each row is written once.
pub(super) async fn store_observed(
    txn: &impl ConnectionTrait,
    observed: &[(&Collected, &Observation)],
    now: DateTime<Utc>,
    as_of: DateTime<Utc>,
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
            let mut values = vec![collected.account.id.into(), collected.at.into()];
            values.extend(Metric::ALL.map(|m| counters.get(m).into()));
            values.push(observation.platform_id.clone().into());
            values.push(observation.display_name.clone().into());
            ValueTuple::Many(values)
        })
        .collect();
    let mut update = Query::update();
    update.table(account::Entity);
    let followers = db::snapshots::latest_from_list(&mut update, &list);
    db::snapshots::changes_from(&mut update, followers, as_of);
    let (platform_id, display_name) = (3 + Metric::ALL.len(), 4 + Metric::ALL.len());
    let keep_unless_given = |n: usize, column: Column| {
        Expr::expr(value(n)).if_null(Expr::col((account::Entity, column)))
    };
    update
        .value(
            Column::PlatformId,
            keep_unless_given(platform_id, Column::PlatformId),
        )
        .value(
            Column::DisplayName,
            keep_unless_given(display_name, Column::DisplayName),
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

impl Engine {
    /// Stores results as they arrive, as many per transaction as are waiting
    /// (up to `write_batch`), until the collecting side hangs up.
    pub(super) async fn write_all(
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
            let storing = Instant::now();
            let written = (|| self.store(run_id, &batch))
                .retry(
                    ExponentialBuilder::default()
                        .with_min_delay(Duration::from_millis(50))
                        .with_max_times(3)
                        .with_jitter(),
                )
                .await;
            match written {
                Ok(lost) => {
                    // PostgreSQL keeps the overview's totals as rows of
                    // differences: fold them once a batch, so reads sum few.
                    if let Err(error) = db::totals::compact(&self.db).await {
                        tracing::warn!(run = run_id, %error, "cannot compact the platform totals");
                    }
                    stored.lost += lost.len() as u64;
                    for result in batch.iter().filter(|c| !lost.contains(&c.account.id)) {
                        if result.simulated {
                            stored.simulated += 1;
                        } else {
                            stored.live += 1;
                        }
                        if let Ok(observation) = &result.result
                            && let Some(url) = &observation.avatar_url
                        {
                            stored.avatars.push((result.account.id, url.clone()));
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
            // Readers get their share of the processor before the next batch.
            if !(received.is_closed() && received.is_empty()) {
                self.pace.rest_since(storing).await;
            }
        }
        stored
    }

    /// Writes a batch of outcomes in one transaction: per account the
    /// snapshot, the latest counters and the collection state, for the
    /// accounts whose lease the run still holds (checked and locked in the
    /// same transaction). Returns the accounts whose results were
    /// discarded because their lease was lost.
    pub(super) async fn store(
        &self,
        run_id: i64,
        all: &[Collected],
    ) -> Result<Vec<i64>, sea_orm::DbErr> {
        let txn = db::write::begin(&self.db).await?;
        let owner = lease_owner(&self.settings.instance, run_id);
        let mut held = account::Entity::find()
            .select_only()
            .column(account::Column::Id)
            .filter(account::Column::Id.is_in(all.iter().map(|c| c.account.id)))
            .filter(account::Column::LeaseOwner.eq(owner.as_str()));
        if txn.get_database_backend() == DbBackend::Postgres {
            // No other run takes them over until this one has stored them.
            held = held.lock_exclusive();
        }
        let held: std::collections::HashSet<i64> = held
            .into_tuple::<i64>()
            .all(&txn)
            .await?
            .into_iter()
            .collect();
        let lost: Vec<i64> = all
            .iter()
            .map(|c| c.account.id)
            .filter(|id| !held.contains(id))
            .collect();
        if !lost.is_empty() {
            tracing::warn!(
                run = run_id,
                accounts = lost.len(),
                "results discarded: another run took these accounts over (this run was silent too long)"
            );
        }
        let batch: Vec<&Collected> = all
            .iter()
            .filter(|c| held.contains(&c.account.id))
            .collect();
        if batch.is_empty() {
            txn.rollback().await?;
            return Ok(lost);
        }
        let snapshots: Vec<_> = batch
            .iter()
            .filter_map(|c| {
                let observation = c.result.as_ref().ok()?;
                Some(snapshot_row(c.account.id, c.at, observation.counters))
            })
            .collect();
        // Each of these accounts' rows is written by `store_observed` below.
        if !snapshots.is_empty() {
            insert_snapshots_of_written(&txn, snapshots).await?;
        }
        let now = Utc::now();
        let observed: Vec<(&Collected, &Observation)> = batch
            .iter()
            .filter_map(|c| Some((*c, c.result.as_ref().ok()?)))
            .collect();
        // The follower changes as of the batch's latest observation.
        let as_of = batch.iter().map(|c| c.at).max().unwrap_or(now);
        store_observed(&txn, &observed, now, as_of).await?;
        let mut events = Vec::new();
        for (collected, observation) in &observed {
            let account = &collected.account;
            if let Some(was) = account.state {
                events.push(crate::events::new_event(
                    account.id,
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
        for collected in &batch {
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
                    account.id,
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
        // Each account's own answers follow its revision (triggers, in this
        // transaction); the lists, boards and totals the generations.
        let mut written = vec![Domain::Accounts, Domain::Snapshots, Domain::Runs];
        if !events.is_empty() {
            written.push(Domain::Events);
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
        // Within a run the lists, boards and totals go stale at the
        // publishing lag, not with each batch (`publish`); only once
        // committed, so that no bump can come before the data it announces.
        let lag = !self.settings.publish_every.is_zero();
        if !lag {
            generations::bump(&txn, &written).await?;
        }
        txn.commit().await?;
        if lag {
            self.unpublished.mark(&written);
        }
        Ok(lost)
    }
}
