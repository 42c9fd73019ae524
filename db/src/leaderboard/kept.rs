//! The live boards as ranked after each run, so that opening one does not
//! rank every competing account on the request.
//!
//! After a run (and a seed), [`keep`] ranks every live board people open
//! without a text or tag filter: each metric, ranking and period, over
//! every account, the core ones and each platform's, from one snapshot of
//! the data, and keeps each board's first [`KEPT_PLACES`] places with their
//! ranks, how many compete and how many are ranked, and the data's
//! generations (accounts, snapshots) and day they were ranked on
//! (`leaderboard_boards`). [`page`] answers from a kept board only while
//! the data is still as it was then (the same generations, the same day):
//! the ranks are then exactly those ranking now would give, and the page's
//! figures are read as the live board reads them. After any write, on
//! another day, for a deeper page or another filter, the board is ranked on
//! the request ([`super::ranked_now`]): a kept board is never stale.

use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExprTrait, IsolationLevel,
    TransactionTrait,
};
use types::{AccountFilter, LEADERBOARD_PERIODS, Leaderboard, Metric, RankBy};

use super::{Competitor, LeaderboardQuery, Moments, Standing, board, entries, live, standings};
use crate::StoreError;
use crate::generations::{self, Domain};
use crate::sql::offset;
use crate::write::Rest;

/// How many places of each board are kept: the first pages people look at
/// (two of the largest page, eight of the default). A page further down is
/// ranked on the request.
pub const KEPT_PLACES: usize = 200;

const TABLE: &str = "leaderboard_boards";

/// A place as kept: the account, its rank and its previous rank.
type Place = (i64, Option<u32>, Option<u32>);

/// Which accounts a kept board ranks: `None` for a filter no board is kept
/// for (a text, a tag, the accounts that are not core, or two filters).
fn scope_of(filter: &AccountFilter) -> Option<String> {
    if filter.search.is_some() || filter.tag.is_some() {
        return None;
    }
    match (filter.platform, filter.core) {
        (None, None) => Some("all".to_owned()),
        (None, Some(true)) => Some("core".to_owned()),
        (Some(platform), None) => Some(platform_scope(platform.as_str())),
        _ => None,
    }
}

fn platform_scope(platform: &str) -> String {
    format!("platform:{platform}")
}

/// The page `query` asks for, from its kept board; `None` when no board is
/// kept for it or the data changed since it was ranked.
pub async fn page(
    db: &DatabaseConnection,
    query: &LeaderboardQuery,
) -> Result<Option<Leaderboard>, StoreError> {
    let Some(scope) = scope_of(&query.filter).filter(|_| query.date.is_none()) else {
        return Ok(None);
    };
    let start = offset(query.page, query.per_page) as usize;
    let end = start + query.per_page as usize;
    let now = Utc::now();
    let today = now.date_naive();
    let versions = generations::current(db).await?;
    let select = Query::select()
        .columns(
            [
                "day",
                "accounts_version",
                "snapshots_version",
                "ranked",
                "total",
                "places",
            ]
            .map(Alias::new),
        )
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("metric")).eq(query.metric.as_str()))
        .and_where(Expr::col(Alias::new("rank_by")).eq(query.by.as_str()))
        .and_where(Expr::col(Alias::new("days")).eq(query.days as i32))
        .and_where(Expr::col(Alias::new("scope")).eq(scope))
        .to_owned();
    let Some(row) = db.query_one(&select).await? else {
        return Ok(None);
    };
    let fresh = row.try_get::<chrono::NaiveDate>("", "day")? == today
        && row.try_get::<i64>("", "accounts_version")? == versions.of(Domain::Accounts)
        && row.try_get::<i64>("", "snapshots_version")? == versions.of(Domain::Snapshots);
    if !fresh {
        return Ok(None);
    }
    let total = crate::sql::to_count(row.try_get::<i64>("", "total")?);
    let ranked = crate::sql::to_count(row.try_get::<i64>("", "ranked")?);
    let places: Vec<Place> = serde_json::from_str(&row.try_get::<String>("", "places")?)
        .map_err(|error| DbErr::Json(format!("a kept leaderboard: {error}")))?;
    // Deeper than what was kept of a longer board.
    if end > places.len() && (places.len() as u64) < total {
        return Ok(None);
    }
    let shown = &places[start.min(places.len())..end.min(places.len())];
    let moments = Moments::of(query, now);
    let ids: Vec<i64> = shown.iter().map(|(id, _, _)| *id).collect();
    let mut competitors = if ids.is_empty() {
        Vec::new()
    } else {
        live(db, query, moments, today, Some(&ids)).await?
    };
    let index: HashMap<i64, usize> = competitors
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let standings: Vec<Standing> = shown
        .iter()
        .filter_map(|&(id, rank, previous_rank)| {
            Some(Standing {
                index: *index.get(&id)?,
                rank,
                previous_rank,
            })
        })
        .collect();
    let items = entries(db, query, &mut competitors, &standings).await?;
    Ok(Some(board(query, moments, ranked, total, items)))
}

/// One kept board, ready to be written.
struct Kept {
    metric: Metric,
    by: RankBy,
    days: u32,
    scope: String,
    ranked: usize,
    total: usize,
    places: Vec<Place>,
}

/// Ranks every kept board as the data stands now and keeps them; returns
/// how many. One read of the competing accounts per metric and period; the
/// scopes and rankings are sorted from it in memory. `rest` is called after
/// each metric's reads (in the read-only transaction that holds the one
/// snapshot they share, a lock no writer waits for) and after each
/// committed chunk of boards.
pub async fn keep(db: &DatabaseConnection, rest: &impl Rest) -> Result<usize, StoreError> {
    let now = Utc::now();
    let today = now.date_naive();
    // One snapshot of the data for every board: what they are ranked from
    // is what the generations read first name.
    let read = match db.get_database_backend() {
        DbBackend::Postgres => {
            db.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
        _ => db.begin().await?,
    };
    let versions = generations::current(&read).await?;
    if ranked_already(&read, today, &versions).await? {
        read.rollback().await?;
        return Ok(0);
    }
    let mut boards = Vec::new();
    for metric in Metric::ALL {
        let started = std::time::Instant::now();
        for days in LEADERBOARD_PERIODS {
            let query = LeaderboardQuery {
                metric,
                by: RankBy::Value,
                days,
                date: None,
                filter: AccountFilter::default(),
                page: 1,
                per_page: 1,
            };
            let competitors = live(&read, &query, Moments::of(&query, now), today, None).await?;
            let mut scopes: BTreeMap<String, Vec<Competitor>> = BTreeMap::new();
            for competitor in &competitors {
                scopes
                    .entry("all".to_owned())
                    .or_default()
                    .push(competitor.clone());
                if competitor.is_core {
                    scopes
                        .entry("core".to_owned())
                        .or_default()
                        .push(competitor.clone());
                }
                scopes
                    .entry(platform_scope(&competitor.platform))
                    .or_default()
                    .push(competitor.clone());
            }
            for (scope, members) in scopes {
                for by in RankBy::ALL {
                    let placed = standings(&members, by);
                    boards.push(Kept {
                        metric,
                        by,
                        days,
                        scope: scope.clone(),
                        ranked: placed.iter().filter(|s| s.rank.is_some()).count(),
                        total: members.len(),
                        places: placed
                            .iter()
                            .take(KEPT_PLACES)
                            .map(|s| (members[s.index].id, s.rank, s.previous_rank))
                            .collect(),
                    });
                }
            }
        }
        rest.after(started).await;
    }
    read.rollback().await?;
    write(
        db,
        &boards,
        today,
        versions.of(Domain::Accounts),
        versions.of(Domain::Snapshots),
        rest,
    )
    .await?;
    Ok(boards.len())
}

/// Whether the boards were ranked today from the data as it is (a run that
/// stored nothing leaves them as they are).
async fn ranked_already(
    db: &impl ConnectionTrait,
    today: chrono::NaiveDate,
    versions: &generations::Generations,
) -> Result<bool, DbErr> {
    let select = Query::select()
        .expr(Expr::val(1))
        .from(Alias::new(TABLE))
        .and_where(Expr::col(Alias::new("scope")).eq("all"))
        .and_where(Expr::col(Alias::new("day")).eq(today))
        .and_where(Expr::col(Alias::new("accounts_version")).eq(versions.of(Domain::Accounts)))
        .and_where(Expr::col(Alias::new("snapshots_version")).eq(versions.of(Domain::Snapshots)))
        .limit(1)
        .to_owned();
    Ok(db.query_one(&select).await?.is_some())
}

/// Writes the boards over the kept ones, a chunk per transaction with
/// `rest` after each (each board is used only while its own generations
/// are current, so a reader between chunks finds every board new or set
/// aside), and drops those of scopes no account is in any more. Another
/// instance keeping at the same time writes the same boards, or boards of
/// other generations, which are only used while they are current.
async fn write(
    db: &DatabaseConnection,
    boards: &[Kept],
    today: chrono::NaiveDate,
    accounts_version: i64,
    snapshots_version: i64,
    rest: &impl Rest,
) -> Result<(), DbErr> {
    const COLUMNS: [&str; 10] = [
        "metric",
        "rank_by",
        "days",
        "scope",
        "day",
        "accounts_version",
        "snapshots_version",
        "ranked",
        "total",
        "places",
    ];
    for chunk in boards.chunks(100) {
        let started = std::time::Instant::now();
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new(TABLE))
            .columns(COLUMNS.map(Alias::new))
            .on_conflict(
                OnConflict::columns(COLUMNS[..4].iter().map(|c| Alias::new(*c)))
                    .update_columns(COLUMNS[4..].iter().map(|c| Alias::new(*c)))
                    .to_owned(),
            );
        for board in chunk {
            let places = serde_json::to_string(&board.places)
                .map_err(|error| DbErr::Json(error.to_string()))?;
            insert.values_panic([
                board.metric.as_str().into(),
                board.by.as_str().into(),
                (board.days as i32).into(),
                board.scope.clone().into(),
                today.into(),
                accounts_version.into(),
                snapshots_version.into(),
                (board.ranked as i64).into(),
                (board.total as i64).into(),
                places.into(),
            ]);
        }
        db.execute(&insert).await?;
        rest.after(started).await;
    }
    // Boards this ranking did not write: their scope is empty now.
    let stale = Query::delete()
        .from_table(Alias::new(TABLE))
        .cond_where(
            Expr::col(Alias::new("accounts_version"))
                .lt(accounts_version)
                .or(Expr::col(Alias::new("day")).lt(today)),
        )
        .to_owned();
    db.execute(&stale).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::Platform;

    #[test]
    fn boards_are_kept_for_one_platform_or_the_core_accounts_or_all() {
        let filter = |platform, core, tag: Option<&str>| AccountFilter {
            search: None,
            platform,
            core,
            tag: tag.map(str::to_owned),
        };
        assert_eq!(scope_of(&filter(None, None, None)).as_deref(), Some("all"));
        assert_eq!(
            scope_of(&filter(None, Some(true), None)).as_deref(),
            Some("core")
        );
        assert_eq!(
            scope_of(&filter(Some(Platform::Github), None, None)).as_deref(),
            Some("platform:github")
        );
        assert_eq!(scope_of(&filter(None, Some(false), None)), None);
        assert_eq!(
            scope_of(&filter(Some(Platform::Github), Some(true), None)),
            None
        );
        assert_eq!(scope_of(&filter(None, None, Some("music"))), None);
    }
}
