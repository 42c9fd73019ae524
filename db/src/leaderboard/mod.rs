//! Leaderboards: tracked accounts ranked by a metric's value or growth at
//! any moment, with each account's rank one period earlier.
//!
//! Every figure comes from real snapshots: the newest one with a known
//! value at or before each moment. A change needs two different snapshots;
//! an account without them is listed, unranked, after the ranked ones.
//!
//! A past day's board seeks each moment in each account's history (one
//! index seek per account and moment). The live board, the one people
//! look at, reads what writers keep instead: the latest counters on the
//! account row and, in `leaderboard_marks`, the values at the end of the
//! days its periods start (written a day ahead, and again whenever history
//! is written), so it costs one query over the competing accounts. Its
//! current value is the account's latest counter, as the accounts table
//! shows it (unknown if the latest collection did not give it).
//!
//! Between runs the live boards people open are not even ranked on the
//! request: [`kept`] keeps their first places as ranked after each run,
//! used while the data is as it was then.
//!
//! Here: the request, the figures and the ranking every board shares, and
//! a page's entries; [`past`] reads a past day's competitors, [`live`] the
//! live board's.

use std::cmp::Ordering;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Alias, Expr, JoinType, Query, SubQueryStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    FromQueryResult, Order, QueryFilter, QuerySelect, QueryTrait, Select,
};

pub mod kept;
mod live;
mod past;

use live::live;
use past::from_history;
use serde::Deserialize;

use super::entities::leaderboard_mark;
use super::entities::{account, snapshot};
use crate::StoreError;
use crate::accounts::filtered;
use crate::sql::offset;
use types::{AccountFilter, Leaderboard, LeaderboardEntry, Metric, Page, RankBy, percent_change};

/// A validated leaderboard request.
#[derive(Clone, Debug)]
pub struct LeaderboardQuery {
    pub metric: Metric,
    pub by: RankBy,
    pub days: u32,
    /// The board as it stood at the end of this day; the live board when
    /// absent.
    pub date: Option<NaiveDate>,
    pub filter: AccountFilter,
    pub page: u32,
    pub per_page: u32,
}

/// The newest known value of a metric at or before some moment.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Seen {
    pub value: Option<i64>,
    pub at: Option<DateTime<Utc>>,
}

/// What an account scores over one period.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Figures {
    pub value: Option<i64>,
    pub change: Option<i64>,
    pub percent: Option<f64>,
}

impl Figures {
    /// From what was seen at the period's start and at its end. The change
    /// is unknown unless two different snapshots bound it: one snapshot
    /// seen from both ends would claim a change of zero nobody observed.
    pub fn between(start: Seen, end: Seen) -> Figures {
        let bounded = matches!((start.at, end.at), (Some(from), Some(to)) if to > from);
        Figures::of(start.value, end.value, bounded)
    }

    /// From the values at the period's start and end, and whether two
    /// different snapshots gave them (`bounded`: the end's was taken after
    /// the start's).
    pub fn of(start: Option<i64>, end: Option<i64>, bounded: bool) -> Figures {
        let change = match (start, end) {
            (Some(from), Some(to)) if bounded => Some(to - from),
            _ => None,
        };
        Figures {
            value: end,
            change,
            percent: percent_change(change, end),
        }
    }

    /// The figure `by` ranks on.
    pub fn score(&self, by: RankBy) -> Option<f64> {
        match by {
            RankBy::Value => self.value.map(|v| v as f64),
            RankBy::Change => self.change.map(|c| c as f64),
            RankBy::Percent => self.percent,
        }
    }
}

/// Competition ranks (1, 2, 2, 4) of `scores`, highest first; unknown
/// scores get no rank.
pub fn ranks(scores: &[Option<f64>]) -> Vec<Option<u32>> {
    let mut order: Vec<usize> = (0..scores.len()).filter(|&i| scores[i].is_some()).collect();
    order.sort_by(|&a, &b| descending(scores[a], scores[b]));
    let mut ranks = vec![None; scores.len()];
    for (position, &index) in order.iter().enumerate() {
        let rank = match position.checked_sub(1).map(|p| order[p]) {
            Some(before) if scores[before] == scores[index] => ranks[before],
            _ => Some(position as u32 + 1),
        };
        ranks[index] = rank;
    }
    ranks
}

fn descending(a: Option<f64>, b: Option<f64>) -> Ordering {
    b.partial_cmp(&a).unwrap_or(Ordering::Equal)
}

/// What ranking needs of each competing account: its figures this period
/// and the previous one (and, on a past day's board, when its value was
/// seen). The rest of an entry is loaded for the page only.
#[derive(Clone)]
struct Competitor {
    id: i64,
    handle: String,
    /// As stored (`Platform`'s name) and whether core: the kept boards'
    /// scopes.
    platform: String,
    is_core: bool,
    now: Figures,
    before: Figures,
    value_at: Option<DateTime<Utc>>,
}

/// The moments a board compares.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Moments {
    as_of: DateTime<Utc>,
    previous: DateTime<Utc>,
    before_previous: DateTime<Utc>,
}

impl Moments {
    /// A past day's board stands at the end of that day; the live board
    /// stands now. Either way a period starts at the end of a day, so that
    /// the live board's starts move once a day and can be kept
    /// ([`refresh_marks`]).
    fn of(query: &LeaderboardQuery, now: DateTime<Utc>) -> Moments {
        let period = chrono::Duration::days(i64::from(query.days));
        let (as_of, previous) = match query.date {
            Some(day) => (day_end(day), day_end(day) - period),
            None => (now, day_end(now.date_naive()) - period),
        };
        Moments {
            as_of,
            previous,
            before_previous: previous - period,
        }
    }
}

/// The last second of `day` (UTC).
pub fn day_end(day: NaiveDate) -> DateTime<Utc> {
    (day + chrono::Duration::days(1))
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        - chrono::Duration::seconds(1)
}

pub async fn leaderboard(
    db: &DatabaseConnection,
    query: &LeaderboardQuery,
) -> Result<Leaderboard, StoreError> {
    if let Some(board) = kept::page(db, query).await? {
        return Ok(board);
    }
    ranked_now(db, query).await
}

/// The board ranked on the request: a past day's from history, the live
/// one from what writers keep. [`leaderboard`] answers the same, from the
/// kept ranks when it can.
pub async fn ranked_now(
    db: &DatabaseConnection,
    query: &LeaderboardQuery,
) -> Result<Leaderboard, StoreError> {
    ranked_at(db, query, Utc::now()).await
}

/// [`ranked_now`] as it would be at `now`: the live board of `now`'s day,
/// from that day's marks (tests look at the next day's, written ahead).
pub async fn ranked_at(
    db: &DatabaseConnection,
    query: &LeaderboardQuery,
    now: DateTime<Utc>,
) -> Result<Leaderboard, StoreError> {
    let moments = Moments::of(query, now);
    let mut competitors = match query.date {
        Some(_) => from_history(db, query, moments).await?,
        None => live(db, query, moments, now.date_naive(), None).await?,
    };
    let standings = standings(&competitors, query.by);
    let ranked = standings.iter().filter(|s| s.rank.is_some()).count() as u64;
    let total = competitors.len() as u64;
    let page: Vec<Standing> = standings
        .into_iter()
        .skip(offset(query.page, query.per_page) as usize)
        .take(query.per_page as usize)
        .collect();
    let items = entries(db, query, &mut competitors, &page).await?;
    Ok(board(query, moments, ranked, total, items))
}

/// A competitor's place on a board: its index among the competitors and
/// its ranks now and one period earlier.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Standing {
    index: usize,
    rank: Option<u32>,
    previous_rank: Option<u32>,
}

/// Every competitor's place, in the board's order: ranked first, in rank
/// order; ties and the unranked by handle.
fn standings(competitors: &[Competitor], by: RankBy) -> Vec<Standing> {
    let score = |figures: fn(&Competitor) -> Figures| -> Vec<Option<f64>> {
        competitors.iter().map(|c| figures(c).score(by)).collect()
    };
    let rank_now = ranks(&score(|c| c.now));
    let rank_before = ranks(&score(|c| c.before));
    let mut order: Vec<usize> = (0..competitors.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| {
            (
                rank_now[i].is_none(),
                rank_now[i],
                &competitors[i].handle,
                competitors[i].id,
            )
        };
        key(a).cmp(&key(b))
    });
    order
        .into_iter()
        .map(|index| Standing {
            index,
            rank: rank_now[index],
            previous_rank: rank_before[index],
        })
        .collect()
}

/// The entries of a page of standings, with their accounts' details in one
/// query (an export's whole board, in chunks).
async fn entries(
    db: &impl ConnectionTrait,
    query: &LeaderboardQuery,
    competitors: &mut [Competitor],
    page: &[Standing],
) -> Result<Vec<LeaderboardEntry>, StoreError> {
    let ids: Vec<i64> = page.iter().map(|s| competitors[s.index].id).collect();
    let mut details: HashMap<i64, account::Model> = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ACCOUNTS_CHUNK) {
        let found = account::Entity::find()
            .filter(account::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        details.extend(found.into_iter().map(|a| (a.id, a)));
    }
    let mut items = Vec::with_capacity(page.len());
    for standing in page {
        let competitor = &mut competitors[standing.index];
        // Removed between the two queries: it competes no more.
        let Some(account) = details.get(&competitor.id) else {
            continue;
        };
        items.push(LeaderboardEntry {
            rank: standing.rank,
            previous_rank: standing.previous_rank,
            id: competitor.id,
            platform: account.platform,
            handle: std::mem::take(&mut competitor.handle),
            display_name: account.display_name.clone(),
            is_core: account.is_core,
            avatar: crate::avatars::path(account.id, account.avatar_version.as_deref()),
            value: competitor.now.value,
            value_at: match query.date {
                Some(_) => competitor.value_at,
                None => account.counters_at().get(query.metric),
            },
            change: competitor.now.change,
            percent: competitor.now.percent,
        });
    }
    Ok(items)
}

/// The answer around a page of entries.
fn board(
    query: &LeaderboardQuery,
    moments: Moments,
    ranked: u64,
    total: u64,
    items: Vec<LeaderboardEntry>,
) -> Leaderboard {
    Leaderboard {
        metric: query.metric,
        by: query.by,
        days: query.days,
        as_of: moments.as_of,
        previous_as_of: moments.previous,
        ranked,
        entries: Page {
            items,
            page: query.page,
            per_page: query.per_page,
            total,
        },
    }
}

/// The competing accounts (or those of them in `only`): ids, handles,
/// platforms and core flags, as every board's rows start.
fn competitors(
    filter: &AccountFilter,
    backend: DbBackend,
    only: Option<&[i64]>,
) -> Select<account::Entity> {
    let mut select = filtered(account::Entity::find(), filter, backend)
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Handle,
            account::Column::Platform,
            account::Column::IsCore,
        ]);
    if let Some(ids) = only {
        select = select.filter(account::Column::Id.is_in(ids.iter().copied()));
    }
    select
}

/// Accounts per statement that names them (bound parameters stay few).
pub(crate) const ACCOUNTS_CHUNK: usize = 500;

/// `wanted` of the account's newest snapshot at or before `moment` with a
/// known `metric`: a correlated subquery, one seek on the primary key.
pub(crate) fn newest_known(
    metric: snapshot::Column,
    moment: DateTime<Utc>,
    wanted: snapshot::Column,
) -> Expr {
    let s = Alias::new("s");
    let subquery = Query::select()
        .column((s.clone(), wanted))
        .from_as(snapshot::Entity, s.clone())
        .and_where(
            Expr::col((s.clone(), snapshot::Column::AccountId))
                .equals((account::Entity, account::Column::Id)),
        )
        .and_where(Expr::col((s.clone(), snapshot::Column::CapturedAt)).lte(moment))
        .and_where(Expr::col((s.clone(), metric)).is_not_null())
        .order_by((s, snapshot::Column::CapturedAt), Order::Desc)
        .limit(1)
        .to_owned();
    Expr::from(SubQueryStatement::from(subquery))
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::Platform;

    fn at(day: u32) -> Option<DateTime<Utc>> {
        Some(
            chrono::NaiveDate::from_ymd_opt(2026, 3, day)
                .unwrap()
                .and_hms_opt(12, 0, 0)
                .unwrap()
                .and_utc(),
        )
    }

    #[test]
    fn equal_scores_share_a_rank_and_unknown_scores_get_none() {
        assert_eq!(
            ranks(&[Some(5.0), None, Some(9.0), Some(5.0), Some(1.0)]),
            [Some(2), None, Some(1), Some(2), Some(4)]
        );
        assert_eq!(ranks(&[]), Vec::<Option<u32>>::new());
        assert_eq!(ranks(&[None, None]), [None, None]);
    }

    #[test]
    fn a_change_needs_two_different_snapshots() {
        let start = Seen {
            value: Some(100),
            at: at(1),
        };
        let end = Seen {
            value: Some(150),
            at: at(8),
        };
        let figures = Figures::between(start, end);
        assert_eq!(figures.change, Some(50));
        assert_eq!(figures.percent, Some(50.0));
        assert_eq!(figures.score(RankBy::Value), Some(150.0));

        // No snapshot inside the period: both ends see the same one.
        let stale = Figures::between(end, end);
        assert_eq!(
            (stale.value, stale.change, stale.percent),
            (Some(150), None, None)
        );
        // History does not reach back to the start.
        let young = Figures::between(Seen::default(), end);
        assert_eq!(young.change, None);
        assert_eq!(young.score(RankBy::Change), None);
    }

    #[test]
    fn percent_is_unknown_from_zero() {
        let figures = Figures::between(
            Seen {
                value: Some(0),
                at: at(1),
            },
            Seen {
                value: Some(10),
                at: at(2),
            },
        );
        assert_eq!((figures.change, figures.percent), (Some(10), None));
    }

    #[test]
    fn rank_change_counts_places_gained() {
        let entry = |rank, previous_rank| LeaderboardEntry {
            rank,
            previous_rank,
            id: 1,
            platform: Platform::Github,
            handle: "a".into(),
            display_name: None,
            is_core: false,
            avatar: None,
            value: None,
            value_at: None,
            change: None,
            percent: None,
        };
        assert_eq!(entry(Some(2), Some(5)).rank_change(), Some(3));
        assert_eq!(entry(Some(4), Some(1)).rank_change(), Some(-3));
        assert_eq!(entry(Some(1), None).rank_change(), None);
    }
}
