//! Writing the leaderboard marks: for each account, metric and day, the
//! newest known value at the end of each day that day's live board's
//! periods start (`leaderboard_marks`), so the live board costs one query
//! over the competing accounts ([`crate::leaderboard`] reads them). The
//! next day's are written ahead, in the upkeep after runs, so that none is
//! missing when the day turns.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use types::Metric;

use crate::entities::leaderboard_mark::{self, MARK_OFFSETS};
use crate::entities::{account, snapshot};
use crate::leaderboard::{ACCOUNTS_CHUNK, day_end, newest_known};
use crate::write::Rest;

/// Computes the marks of `account_ids` for the board of `today` after
/// their history was written (seed, import, a past observation): for each
/// metric, the newest known value at the end of each kept day before it.
/// Marks written ahead for a later day are dropped, to be written again
/// ([`prepare_marks_ahead`]); a snapshot of the present changes no mark.
pub async fn refresh_marks(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
    today: NaiveDate,
) -> Result<(), DbErr> {
    compute(db, account_ids, today).await?;
    for chunk in account_ids.chunks(ACCOUNTS_CHUNK) {
        leaderboard_mark::Entity::delete_many()
            .filter(leaderboard_mark::Column::AccountId.is_in(chunk.iter().copied()))
            .filter(leaderboard_mark::Column::Day.gt(today))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Writes the marks of `account_ids` for `day`, replacing any.
async fn compute(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
    day: NaiveDate,
) -> Result<(), DbErr> {
    let kept: Vec<Alias> = MARK_OFFSETS
        .iter()
        .flat_map(|days| {
            [
                Alias::new(format!("value_{days}")),
                Alias::new(format!("at_{days}")),
            ]
        })
        .collect();
    let keys = [
        Alias::new("account_id"),
        Alias::new("metric"),
        Alias::new("day"),
    ];
    let columns: Vec<Alias> = keys.iter().chain(&kept).cloned().collect();
    for chunk in account_ids.chunks(ACCOUNTS_CHUNK) {
        for metric in Metric::ALL {
            let column = snapshot::metric_column(metric);
            let mut select = Query::select();
            select
                .column((account::Entity, account::Column::Id))
                .expr(Expr::val(metric.as_str()))
                .expr(Expr::val(day))
                .from(account::Entity)
                .and_where(account::Column::Id.is_in(chunk.iter().copied()));
            // Every writer of history copies a counter it has onto the
            // account row (`snapshots::latest_columns`), so an account
            // whose row lacks the metric has never had it: its marks are
            // unknown without seeking. The seek would walk back over its
            // whole history, which has the column empty (most accounts lack
            // most metrics: their platform does not publish them).
            let known = Expr::col((account::Entity, account::metric_column(metric))).is_not_null();
            let seek = |moment, wanted| -> Expr {
                Expr::case(known.clone(), newest_known(column, moment, wanted)).into()
            };
            for days in MARK_OFFSETS {
                let moment = day_end(day - chrono::Duration::days(i64::from(days)));
                select
                    .expr(seek(moment, column))
                    .expr(seek(moment, snapshot::Column::CapturedAt));
            }
            let mut insert = Query::insert();
            insert
                .into_table(leaderboard_mark::Entity)
                .columns(columns.clone())
                .select_from(select)
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .on_conflict(
                    OnConflict::columns(keys.clone())
                        .update_columns(kept.clone())
                        .to_owned(),
                );
            db.execute(&insert).await?;
        }
    }
    Ok(())
}

/// Writes the marks of every account without marks for `today` (new
/// accounts, or those the day before did not write ahead), a chunk of
/// accounts per transaction, and drops the days past; returns how many
/// accounts it wrote.
pub async fn refresh_stale_marks(
    db: &DatabaseConnection,
    today: NaiveDate,
    rest: &impl Rest,
) -> Result<usize, DbErr> {
    let stale = unmarked(db, today).await?;
    for chunk in stale.chunks(ACCOUNTS_CHUNK) {
        let started = Instant::now();
        let txn = crate::write::begin(db).await?;
        compute(&txn, chunk, today).await?;
        txn.commit().await?;
        rest.after(started).await;
    }
    leaderboard_mark::Entity::delete_many()
        .filter(leaderboard_mark::Column::Day.lt(today))
        .exec(db)
        .await?;
    Ok(stale.len())
}

/// Writes the next day's marks ahead, a chunk of accounts per transaction,
/// until the chunks took `budget` (one chunk at least; `rest`'s pauses do
/// not count), so that the live board finds every
/// account's marks from the day's first second: every mark is at least
/// seven days old, known a day early. Returns how many accounts it wrote;
/// those it did not reach are written when their day comes
/// ([`refresh_stale_marks`]).
pub async fn prepare_marks_ahead(
    db: &DatabaseConnection,
    today: NaiveDate,
    budget: Duration,
    rest: &impl Rest,
) -> Result<usize, DbErr> {
    let Some(tomorrow) = today.succ_opt() else {
        return Ok(0);
    };
    let missing = unmarked(db, tomorrow).await?;
    let (mut written, mut spent) = (0, Duration::ZERO);
    for chunk in missing.chunks(ACCOUNTS_CHUNK) {
        if written > 0 && spent >= budget {
            break;
        }
        let started = Instant::now();
        let txn = crate::write::begin(db).await?;
        compute(&txn, chunk, tomorrow).await?;
        txn.commit().await?;
        spent += started.elapsed();
        written += chunk.len();
        rest.after(started).await;
    }
    Ok(written)
}

/// The accounts without marks for `day`.
async fn unmarked(db: &DatabaseConnection, day: NaiveDate) -> Result<Vec<i64>, DbErr> {
    // The metrics of an account are written together: one stands for all.
    let marked = Query::select()
        .column(leaderboard_mark::Column::AccountId)
        .from(leaderboard_mark::Entity)
        .and_where(leaderboard_mark::Column::Metric.eq(Metric::Followers.as_str()))
        .and_where(leaderboard_mark::Column::Day.eq(day))
        .to_owned();
    account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::Id.not_in_subquery(marked))
        .into_tuple()
        .all(db)
        .await
}
