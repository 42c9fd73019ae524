//! The accounts' totals per platform, kept by triggers as the accounts
//! change (migration `m20261202_000019_platform_totals`): the number of
//! accounts and core ones, their latest followers, posts and views, and
//! their follower changes. The overview shows them, and the accounts
//! table counts its unfiltered (or platform- or core-filtered) rows from
//! them: neither visits every account.
//!
//! Also the row counts kept in `row_counts` (snapshots, events and each
//! kind of event), read by [`kept_count`].

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};

use crate::sql::to_count;

/// The kept totals per platform, summed: PostgreSQL's rows of differences
/// not yet compacted count with the rest. Platforms whose last account is
/// gone keep a row of zeros, which is not listed. SUM over BIGINT is NUMERIC
/// on PostgreSQL: cast back so both return 64-bit integers.
pub(crate) fn statement() -> String {
    const COLUMNS: [&str; 14] = [
        "accounts",
        "core_accounts",
        "followers",
        "posts",
        "views",
        "change_1d",
        "start_1d",
        "known_1d",
        "change_7d",
        "start_7d",
        "known_7d",
        "change_30d",
        "start_30d",
        "known_30d",
    ];
    let sums: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect();
    format!(
        "SELECT platform, {} FROM platform_totals GROUP BY platform \
         HAVING SUM(accounts) > 0 ORDER BY followers DESC, platform",
        sums.join(", ")
    )
}

/// Folds PostgreSQL's rows of totals' differences into one per platform
/// and one per tag, so that reads sum few rows; a no-op on SQLite, whose triggers update
/// the totals in place. Safe at any time and from any instance.
pub async fn compact(db: &impl ConnectionTrait) -> Result<(), sea_orm::DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared("SELECT compact_platform_totals(), compact_tag_totals()")
            .await?;
    }
    Ok(())
}

/// How many accounts there are, of one platform or all, core or not or
/// both, or with one tag; `None` when the filter asks for more than these
/// (a text, or a tag with another filter), which only the accounts
/// themselves can answer.
pub async fn account_count(
    db: &impl ConnectionTrait,
    filter: &types::AccountFilter,
) -> Result<Option<u64>, DbErr> {
    if filter.search.is_some() {
        return Ok(None);
    }
    if let Some(tag) = &filter.tag {
        if filter.platform.is_some() || filter.core.is_some() {
            return Ok(None);
        }
        if tag.contains('\0') {
            // No stored text holds one (see `accounts::filtered`).
            return Ok(Some(0));
        }
        // Every tag's row belongs to an account (the key cascades): its
        // index counts them.
        let select = Query::select()
            .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
            .from(Alias::new("account_tags"))
            .and_where(Expr::col(Alias::new("tag")).eq(tag.as_str()))
            .to_owned();
        let count = match db.query_one(&select).await? {
            Some(row) => row.try_get_by_index::<i64>(0)?,
            None => 0,
        };
        return Ok(Some(to_count(count)));
    }
    let counted = match filter.core {
        None => "accounts",
        Some(true) => "core_accounts",
        Some(false) => "accounts - core_accounts",
    };
    let mut select = Query::select();
    select
        .expr(Expr::cust(format!(
            "CAST(COALESCE(SUM({counted}), 0) AS BIGINT)"
        )))
        .from(Alias::new("platform_totals"));
    if let Some(platform) = filter.platform {
        select.and_where(Expr::col(Alias::new("platform")).eq(platform.as_str()));
    }
    let count = match db.query_one(&select).await? {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    };
    Ok(Some(to_count(count)))
}

/// A row count kept by triggers in `row_counts` (`snapshots`, `events`,
/// `events:{kind}`): zero when nothing of it was ever written.
pub async fn kept_count(db: &impl ConnectionTrait, name: &str) -> Result<u64, DbErr> {
    let query = Query::select()
        .column(Alias::new("row_count"))
        .from(Alias::new("row_counts"))
        .and_where(Expr::col(Alias::new("table_name")).eq(name))
        .to_owned();
    let row = db.query_one(&query).await?;
    let count = row
        .map(|row| row.try_get::<i64>("", "row_count"))
        .transpose()?;
    Ok(count.map_or(0, to_count))
}
