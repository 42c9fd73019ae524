//! Collection: a run visits every tracked account (core accounts first),
//! asks its collector for the current counters and stores them as a snapshot.
//!
//! Runs are idempotent: a snapshot is keyed by (account, captured_at), so a
//! repeated write of the same observation changes nothing. One account's
//! failure is recorded on that account and counted; it never stops the run.

pub mod demo;
mod simulated;

use std::time::Instant;

use anyhow::Context;
use app::db::entities::{account, collection_run, snapshot};
use app::model::{Counters, RunStatus, RunSummary};
use chrono::{DateTime, SubsecRound, Utc};
use futures::StreamExt;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, TransactionTrait,
};

pub use simulated::GrowthModel;

/// How many accounts are collected at once.
const CONCURRENCY: usize = 8;

/// The only collector so far: every platform is simulated.
const MODE: &str = "simulated";

/// Runs one collection over all accounts and records it as a run.
pub async fn run_once(db: &DatabaseConnection) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let started_at = Utc::now().trunc_subsecs(0);
    let run = collection_run::ActiveModel {
        started_at: Set(started_at),
        mode: Set(MODE.to_owned()),
        status: Set(RunStatus::Running),
        accounts_ok: Set(0),
        accounts_failed: Set(0),
        accounts_skipped: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot record the start of a run")?;

    let accounts = account::Entity::find()
        .order_by_desc(account::Column::IsCore)
        .order_by_asc(account::Column::Id)
        .all(db)
        .await
        .context("cannot list the accounts to collect")?;

    // `buffered` starts the accounts in order, so core accounts go first.
    let outcomes: Vec<bool> = futures::stream::iter(accounts)
        .map(|account| collect_account(db, account, started_at))
        .buffered(CONCURRENCY)
        .collect()
        .await;
    let ok = outcomes.iter().filter(|ok| **ok).count() as i32;
    let failed = outcomes.len() as i32 - ok;

    let duration_ms = started.elapsed().as_millis() as i64;
    let finished = collection_run::ActiveModel {
        id: Set(run.id),
        finished_at: Set(Some(Utc::now())),
        status: Set(RunStatus::Finished),
        accounts_ok: Set(ok),
        accounts_failed: Set(failed),
        duration_ms: Set(Some(duration_ms)),
        ..Default::default()
    }
    .update(db)
    .await
    .context("cannot record the end of a run")?;
    tracing::info!(
        run = finished.id,
        ok,
        failed,
        duration_ms,
        "collection finished"
    );

    Ok(finished.into())
}

/// Collects one account; a failure is stored on the account, not raised.
async fn collect_account(
    db: &DatabaseConnection,
    account: account::Model,
    at: DateTime<Utc>,
) -> bool {
    let counters = GrowthModel::for_account(account.platform, &account.handle).counters_at(at);
    let result = async {
        let txn = db.begin().await?;
        record_snapshot(&txn, account.id, at, counters).await?;
        txn.commit().await
    }
    .await;
    match result {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(account = account.id, %error, "collection failed");
            let note = account::Entity::update_many()
                .col_expr(account::Column::LastError, Expr::value(error.to_string()))
                .filter(account::Column::Id.eq(account.id))
                .exec(db)
                .await;
            if let Err(error) = note {
                tracing::error!(account = account.id, %error, "cannot record a collection failure");
            }
            false
        }
    }
}

/// Stores one observation and, when it is the newest, makes it the account's
/// latest counters. Writing the same observation twice changes nothing.
pub async fn record_snapshot(
    db: &impl ConnectionTrait,
    account_id: i64,
    captured_at: DateTime<Utc>,
    counters: Counters,
) -> Result<(), sea_orm::DbErr> {
    insert_snapshots(db, [snapshot_row(account_id, captured_at, counters)]).await?;
    set_latest(db, account_id, captured_at, counters).await
}

/// Inserts snapshots, skipping those already stored; returns how many were new.
pub(crate) async fn insert_snapshots(
    db: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = snapshot::ActiveModel>,
) -> Result<u64, sea_orm::DbErr> {
    snapshot::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([snapshot::Column::AccountId, snapshot::Column::CapturedAt])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
}

/// Copies counters onto the account row unless it already has newer ones.
pub(crate) async fn set_latest(
    db: &impl ConnectionTrait,
    account_id: i64,
    captured_at: DateTime<Utc>,
    counters: Counters,
) -> Result<(), sea_orm::DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::Followers, Expr::value(counters.followers))
        .col_expr(account::Column::Following, Expr::value(counters.following))
        .col_expr(account::Column::Posts, Expr::value(counters.posts))
        .col_expr(account::Column::Views, Expr::value(counters.views))
        .col_expr(account::Column::Likes, Expr::value(counters.likes))
        .col_expr(account::Column::LastCollectedAt, Expr::value(captured_at))
        .col_expr(account::Column::LastError, Expr::value(None::<String>))
        .filter(account::Column::Id.eq(account_id))
        .filter(
            Condition::any()
                .add(account::Column::LastCollectedAt.is_null())
                .add(account::Column::LastCollectedAt.lte(captured_at)),
        )
        .exec(db)
        .await?;
    Ok(())
}

pub(crate) fn snapshot_row(
    account_id: i64,
    captured_at: DateTime<Utc>,
    counters: Counters,
) -> snapshot::ActiveModel {
    snapshot::ActiveModel {
        account_id: Set(account_id),
        captured_at: Set(captured_at),
        followers: Set(counters.followers),
        following: Set(counters.following),
        posts: Set(counters.posts),
        views: Set(counters.views),
        likes: Set(counters.likes),
    }
}
