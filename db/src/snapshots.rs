//! Writing snapshots: one observation of an account's counters, stored
//! idempotently (keyed by account and time, a repeated write changes
//! nothing) and copied onto the account row when it is the newest. The
//! collection engine, the demo seed and the importer write through here.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, IntoIden, OnConflict, Query, TableRef, ValueTuple};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    UpdateMany,
};
use types::{Counters, Metric};

use crate::entities::{account, snapshot};
use crate::generations::{self, Domain};
use crate::history::window_start;

/// Stores one observation and, when it is the newest, makes it the account's
/// latest counters. Writing the same observation twice changes nothing.
pub async fn record(
    db: &impl ConnectionTrait,
    account_id: i64,
    captured_at: DateTime<Utc>,
    counters: Counters,
) -> Result<(), sea_orm::DbErr> {
    insert_snapshots(db, [snapshot_row(account_id, captured_at, counters)]).await?;
    set_latest(db, account_id, captured_at, counters).await?;
    refresh_changes(db, &[account_id], captured_at).await?;
    // The observation may be history: the live leaderboard's marks follow.
    crate::marks::refresh_marks(db, &[account_id], Utc::now().date_naive()).await?;
    generations::bump(db, &[Domain::Accounts, Domain::Snapshots]).await
}

/// Inserts snapshots, skipping those already stored; returns how many were new.
pub async fn insert_snapshots(
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

/// [`insert_snapshots`] for accounts whose rows `txn` writes too (which
/// moves their revisions, as the triggers do for every write an account's
/// answers show): on PostgreSQL the snapshots' trigger then leaves those
/// rows alone, where it wrote each once more (a new version of the row,
/// with an entry in each of its indexes). Migration 30 reads the setting,
/// local to the transaction and set back before returning. On SQLite, whose
/// triggers write a row in place, it is [`insert_snapshots`].
///
/// The caller must write every one of those accounts' rows in `txn`, with a
/// column `accounts_revised` watches: otherwise an answer about one of
/// them could be served from before its new snapshot.
pub async fn insert_snapshots_of_written(
    txn: &sea_orm::DatabaseTransaction,
    rows: impl IntoIterator<Item = snapshot::ActiveModel>,
) -> Result<u64, sea_orm::DbErr> {
    if txn.get_database_backend() != sea_orm::DbBackend::Postgres {
        return insert_snapshots(txn, rows).await;
    }
    let written = |on: &str| {
        sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT set_config('reach.accounts_written', $1, true)",
            [on.into()],
        )
    };
    txn.execute_raw(written("on")).await?;
    let inserted = insert_snapshots(txn, rows).await?;
    txn.execute_raw(written("off")).await?;
    Ok(inserted)
}

/// Copies counters onto the account row unless it already has newer ones.
pub async fn set_latest(
    db: &impl ConnectionTrait,
    account_id: i64,
    captured_at: DateTime<Utc>,
    counters: Counters,
) -> Result<(), sea_orm::DbErr> {
    with_latest(
        account::Entity::update_many().filter(account::Column::Id.eq(account_id)),
        captured_at,
        counters,
    )
    .col_expr(account::Column::LastError, Expr::value(None::<String>))
    .exec(db)
    .await?;
    Ok(())
}

/// Accounts per statement of [`set_latest_all`]: ten values each, well
/// under SQLite's bind-variable limit.
const LATEST_CHUNK: usize = 1_000;

/// [`set_latest`] for many accounts at once: one `UPDATE … FROM (VALUES …)`
/// per [`LATEST_CHUNK`] accounts rather than a statement each (the seed of
/// 100,000 accounts writes them all).
pub async fn set_latest_all(
    db: &impl ConnectionTrait,
    latest: &[(i64, DateTime<Utc>, Counters)],
) -> Result<(), sea_orm::DbErr> {
    for chunk in latest.chunks(LATEST_CHUNK) {
        // A list of values has no column names: columnN is its Nth value.
        let list = Alias::new("latest");
        let rows = chunk
            .iter()
            .map(|(id, captured_at, counters)| {
                let mut values = vec![(*id).into(), (*captured_at).into()];
                values.extend(Metric::ALL.map(|m| counters.get(m).into()));
                ValueTuple::Many(values)
            })
            .collect();
        let mut update = Query::update();
        update.table(account::Entity);
        latest_from_list(&mut update, &list);
        update
            .value(account::Column::LastError, Expr::value(None::<String>))
            .from(TableRef::ValuesList(rows, list.clone().into_iden()))
            .and_where(
                Expr::col((account::Entity, account::Column::Id))
                    .equals((list, Alias::new("column1"))),
            );
        db.execute(&update).await?;
    }
    Ok(())
}

/// Sets, in an `UPDATE … FROM` a list of values named `list`, the copy of
/// the counters of each row of the list onto its account: column 2 is when
/// they were observed, columns 3.. the counters in the order of
/// [`Metric::ALL`] (column 1 is the account's id, matched by the caller).
/// Returns the followers the update leaves, for [`changes_from`].
pub fn latest_from_list(update: &mut sea_orm::sea_query::UpdateStatement, list: &Alias) -> Expr {
    let value = |n: usize| -> Expr { Expr::col((list.clone(), Alias::new(format!("column{n}")))) };
    let counters: [usize; Metric::ALL.len()] = std::array::from_fn(|i| i + 3);
    let mut followers = Expr::col((account::Entity, account::Column::Followers));
    for (column, latest) in latest_columns(value(2), counters.map(value)) {
        if matches!(column, account::Column::Followers) {
            followers = latest.clone();
        }
        update.value(column, latest);
    }
    followers
}

/// Adds to `update` the copy of counters observed at `captured_at` onto the
/// account row, which keeps its own where they are newer. One statement,
/// so the collector can set the rest of the row's state in the same one.
pub fn with_latest(
    mut update: UpdateMany<account::Entity>,
    captured_at: DateTime<Utc>,
    counters: Counters,
) -> UpdateMany<account::Entity> {
    let values = [
        counters.followers,
        counters.following,
        counters.posts,
        counters.views,
        counters.likes,
        counters.score,
        counters.online,
        counters.listed,
    ]
    .map(Expr::val);
    for (column, value) in latest_columns(Expr::val(captured_at), values) {
        update = update.col_expr(column, value);
    }
    update
}

/// The assignments that copy counters observed at `captured_at` (in the
/// order of [`Metric::ALL`]) onto an account row, as (column, value)
/// pairs of an UPDATE. Each counter is copied only when the observation has
/// it and is newer than the row's (its own `<metric>_at`), so a counter an
/// answer lacks keeps its last known value and says how old it is. The
/// values may be bound values or columns of another table (a batch of
/// observations).
pub fn latest_columns(
    captured_at: Expr,
    counters: [Expr; Metric::ALL.len()],
) -> Vec<(account::Column, Expr)> {
    use account::Column;
    // SET expressions all see the row as it was, so a counter and its time
    // ask the same question of the old row.
    let copy = |at: Column, value: &Expr| {
        Condition::all().add(value.clone().is_not_null()).add(
            Condition::any()
                .add(at.is_null())
                .add(Expr::col(at).lte(captured_at.clone())),
        )
    };
    let mut assignments = Vec::new();
    for (metric, value) in Metric::ALL.into_iter().zip(counters) {
        let (column, at) = (
            account::metric_column(metric),
            account::metric_at_column(metric),
        );
        let copied = copy(at, &value);
        assignments.push((
            column,
            Expr::case(copied.clone(), value)
                .finally(Expr::col(column))
                .into(),
        ));
        assignments.push((
            at,
            Expr::case(copied, captured_at.clone())
                .finally(Expr::col(at))
                .into(),
        ));
    }
    let newer = Condition::any()
        .add(Column::LastCollectedAt.is_null())
        .add(Expr::col(Column::LastCollectedAt).lte(captured_at.clone()));
    assignments.push((
        Column::LastCollectedAt,
        Expr::case(newer, captured_at)
            .finally(Expr::col(Column::LastCollectedAt))
            .into(),
    ));
    assignments
}

/// The follower changes kept on the account row, and their windows in days.
const CHANGE_WINDOWS: [(account::Column, i64); 3] = [
    (account::Column::FollowersChange1d, 1),
    (account::Column::FollowersChange7d, 7),
    (account::Column::FollowersChange30d, 30),
];

/// Most accounts one change refresh names (bound parameters stay few).
const REFRESH_CHUNK: usize = 500;

/// Recomputes the follower changes of `account_ids` after snapshots up to
/// `as_of` were written: the latest followers minus those of the newest
/// snapshot about a window older (`window_start`: yesterday's daily
/// snapshot counts even when taken a little later in the day). One statement per chunk, each window a
/// subquery served by the snapshots' primary key; unknown when no snapshot
/// is old enough.
pub async fn refresh_changes(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
    as_of: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    for chunk in account_ids.chunks(REFRESH_CHUNK) {
        let mut update = Query::update();
        update
            .table(account::Entity)
            .and_where(account::Column::Id.is_in(chunk.iter().copied()));
        for (column, days) in CHANGE_WINDOWS {
            update.value(
                column,
                Expr::col((account::Entity, account::Column::Followers))
                    .sub(Expr::from(baseline(as_of, days))),
            );
        }
        db.execute(&update).await?;
    }
    Ok(())
}

/// Sets, in the update that leaves `followers` on the account (the value
/// [`latest_from_list`] returns), the follower changes as
/// [`refresh_changes`] would after it: the collector writes each account's
/// row once per batch, where two statements wrote it twice (on PostgreSQL
/// each write of a row is a new version of it, with an entry in each of
/// the table's indexes, for vacuum to clean up).
pub fn changes_from(
    update: &mut sea_orm::sea_query::UpdateStatement,
    followers: Expr,
    as_of: DateTime<Utc>,
) {
    for (column, days) in CHANGE_WINDOWS {
        update.value(
            column,
            followers.clone().sub(Expr::from(baseline(as_of, days))),
        );
    }
}

/// The followers of an account's newest snapshot at or before the start of
/// the window of `days` before `as_of` (the account being the row an
/// `UPDATE accounts` is at).
fn baseline(as_of: DateTime<Utc>, days: i64) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(snapshot::Column::Followers)
        .from(snapshot::Entity)
        .and_where(
            Expr::col((snapshot::Entity, snapshot::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        )
        .and_where(snapshot::Column::CapturedAt.lte(window_start(as_of, days)))
        // A snapshot whose answer hid the count is no baseline.
        .and_where(snapshot::Column::Followers.is_not_null())
        .order_by(snapshot::Column::CapturedAt, sea_orm::Order::Desc)
        .limit(1)
        .to_owned()
}

pub fn snapshot_row(
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
        score: Set(counters.score),
        online: Set(counters.online),
        listed: Set(counters.listed),
        imported: Set(false),
    }
}
