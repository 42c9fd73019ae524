//! Writing the leaderboard marks: for each account and metric, the newest
//! known value at the end of each day a live board's periods start
//! (`leaderboard_marks`), so the live board costs one query over the
//! competing accounts ([`crate::leaderboard`] reads them).

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};
use types::Metric;

use crate::entities::leaderboard_mark::{self, MARK_OFFSETS};
use crate::entities::{account, snapshot};
use crate::leaderboard::{ACCOUNTS_CHUNK, day_end, newest_known};

/// Computes the marks of `account_ids` for the board of `today`: for each
/// metric, the newest known value at the end of each kept day before it.
/// Writers call it when they write history (seed, import) and for every
/// account once a day (the first run after midnight, [`refresh_stale_marks`]);
/// a snapshot of the present changes no mark.
pub async fn refresh_marks(
    db: &impl ConnectionTrait,
    account_ids: &[i64],
    today: NaiveDate,
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
    let keys = [Alias::new("account_id"), Alias::new("metric")];
    let day = Alias::new("day");
    let columns: Vec<Alias> = keys.iter().chain([&day]).chain(&kept).cloned().collect();
    let updated: Vec<Alias> = [&day].into_iter().chain(&kept).cloned().collect();
    for chunk in account_ids.chunks(ACCOUNTS_CHUNK) {
        for metric in Metric::ALL {
            let column = snapshot::metric_column(metric);
            let mut select = Query::select();
            select
                .column((account::Entity, account::Column::Id))
                .expr(Expr::val(metric.as_str()))
                .expr(Expr::val(today))
                .from(account::Entity)
                .and_where(account::Column::Id.is_in(chunk.iter().copied()));
            for days in MARK_OFFSETS {
                let moment = day_end(today - chrono::Duration::days(i64::from(days)));
                select
                    .expr(newest_known(column, moment, column))
                    .expr(newest_known(column, moment, snapshot::Column::CapturedAt));
            }
            let mut insert = Query::insert();
            insert
                .into_table(leaderboard_mark::Entity)
                .columns(columns.clone())
                .select_from(select)
                .map_err(|e| DbErr::Custom(e.to_string()))?
                .on_conflict(
                    OnConflict::columns(keys.clone())
                        .update_columns(updated.clone())
                        .to_owned(),
                );
            db.execute(&insert).await?;
        }
    }
    Ok(())
}

/// Refreshes the marks of every account without marks for `today`, a
/// chunk of accounts per transaction; returns how many it refreshed.
pub async fn refresh_stale_marks(
    db: &DatabaseConnection,
    today: NaiveDate,
) -> Result<usize, DbErr> {
    // The metrics of an account are refreshed together: one stands for all.
    let fresh = Query::select()
        .column(leaderboard_mark::Column::AccountId)
        .from(leaderboard_mark::Entity)
        .and_where(leaderboard_mark::Column::Metric.eq(Metric::Followers.as_str()))
        .and_where(leaderboard_mark::Column::Day.eq(today))
        .to_owned();
    let stale: Vec<i64> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .filter(account::Column::Id.not_in_subquery(fresh))
        .into_tuple()
        .all(db)
        .await?;
    for chunk in stale.chunks(ACCOUNTS_CHUNK) {
        let txn = crate::write::begin(db).await?;
        refresh_marks(&txn, chunk, today).await?;
        txn.commit().await?;
    }
    Ok(stale.len())
}
