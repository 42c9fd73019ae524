//! The audience over time (`audience_days`): each day, each platform's
//! account count and the sum of their latest followers. A run writes
//! today's row after it has stored its snapshots; the overview reads the
//! last days as one series per platform.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDate};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, OnConflict, Query};
use types::{Audience, AudienceSeries, Platform};

use crate::StoreError;
use crate::entities::account;

fn table() -> Alias {
    Alias::new("audience_days")
}

/// One platform's day, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AudienceDay {
    pub day: NaiveDate,
    pub platform: Platform,
    pub accounts: i32,
    pub followers: i64,
}

/// Writes `day`'s row of every platform from the accounts' latest
/// counters (one pass over the accounts), replacing the day's earlier
/// figures: the last run of a day has the last word.
pub async fn record(db: &impl ConnectionTrait, day: NaiveDate) -> Result<(), StoreError> {
    let totals = Query::select()
        .expr(Expr::val(day))
        .column(account::Column::Platform)
        .expr(Func::count(Expr::col(account::Column::Followers)))
        // Never NULL: only accounts with a known count are summed.
        .expr(Func::sum(Expr::col(account::Column::Followers)))
        .from(account::Entity)
        .and_where(Expr::col(account::Column::Followers).is_not_null())
        .group_by_col(account::Column::Platform)
        .to_owned();
    let insert = Query::insert()
        .into_table(table())
        .columns(columns())
        .select_from(totals)
        .map_err(|e| StoreError::Internal(e.to_string()))?
        .on_conflict(upsert())
        .to_owned();
    db.execute(&insert).await?;
    Ok(())
}

/// Fills days that have no figures yet with rows worked out elsewhere (the
/// demo seed's history); a day already recorded keeps its figures.
pub async fn fill_days(db: &impl ConnectionTrait, days: &[AudienceDay]) -> Result<(), StoreError> {
    for chunk in days.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(table()).columns(columns()).on_conflict(
            OnConflict::columns([Alias::new("day"), Alias::new("platform")])
                .do_nothing()
                .to_owned(),
        );
        for day in chunk {
            insert.values_panic([
                day.day.into(),
                day.platform.as_str().into(),
                day.accounts.into(),
                day.followers.into(),
            ]);
        }
        db.execute(&insert).await?;
    }
    Ok(())
}

fn columns() -> [Alias; 4] {
    ["day", "platform", "accounts", "followers"].map(Alias::new)
}

fn upsert() -> OnConflict {
    OnConflict::columns([Alias::new("day"), Alias::new("platform")])
        .update_columns([Alias::new("accounts"), Alias::new("followers")])
        .to_owned()
}

/// The last `days` days up to `today`, one series per platform with data, the
/// largest audience first; a day without a row is `None`.
pub async fn series(
    db: &impl ConnectionTrait,
    today: NaiveDate,
    days: i64,
) -> Result<Audience, StoreError> {
    let from = today - Duration::days(days - 1);
    // A few thousand rows (days × platforms), packed into one JSON value by
    // the database.
    let days_table = Alias::new("days");
    let select = Query::select()
        .columns(["day", "platform", "followers"].map(Alias::new))
        .from(table())
        .and_where(Expr::col(Alias::new("day")).gte(from))
        .and_where(Expr::col(Alias::new("day")).lte(today))
        .to_owned();
    let packed = Query::select()
        .expr(crate::sql::packed_rows(
            db.get_database_backend(),
            &days_table,
            &["day", "platform", "followers"],
        ))
        .from_subquery(select, days_table)
        .to_owned();
    let rows: Vec<(NaiveDate, String, i64)> =
        crate::sql::unpack(db, &packed, "audience days").await?;
    let Some(first) = rows.iter().map(|(day, _, _)| *day).min() else {
        return Ok(Audience::default());
    };
    let length = usize::try_from((today - first).num_days() + 1).unwrap_or(0);
    let mut by_platform: BTreeMap<Platform, Vec<Option<i64>>> = BTreeMap::new();
    for (day, platform, followers) in rows {
        // A platform Reach no longer knows has no place on the chart.
        let Ok(platform) = platform.parse::<Platform>() else {
            continue;
        };
        let index = usize::try_from((day - first).num_days()).unwrap_or(0);
        by_platform
            .entry(platform)
            .or_insert_with(|| vec![None; length])[index] = Some(followers);
    }
    let mut series: Vec<AudienceSeries> = by_platform
        .into_iter()
        .map(|(platform, followers)| AudienceSeries {
            platform,
            followers,
        })
        .collect();
    let last = |s: &AudienceSeries| s.followers.iter().rev().flatten().next().copied();
    series.sort_by_key(|s| std::cmp::Reverse(last(s).unwrap_or(0)));
    Ok(Audience {
        from: Some(first),
        series,
    })
}
