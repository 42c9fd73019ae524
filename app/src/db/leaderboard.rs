//! Leaderboards: tracked accounts ranked by a metric's value or growth at
//! any moment, with each account's rank one period earlier.
//!
//! Every figure comes from real snapshots: the newest one with a known
//! value at or before each moment (one index seek per account and moment,
//! on the snapshots' primary key). A change needs two different snapshots;
//! an account without them is listed, unranked, after the ranked ones.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, Query, SubQueryStatement};
use sea_orm::{DatabaseConnection, EntityTrait, ExprTrait, FromQueryResult, Order, QuerySelect};

use super::entities::{account, snapshot};
use super::queries::{filtered, offset};
use crate::error::ApiError;
use crate::model::{
    AccountFilter, Leaderboard, LeaderboardEntry, Metric, Page, Platform, RankBy, percent_change,
};

/// A validated leaderboard request.
#[derive(Clone, Debug)]
pub struct LeaderboardQuery {
    pub metric: Metric,
    pub by: RankBy,
    pub days: u32,
    pub as_of: DateTime<Utc>,
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
        let change = match (start, end) {
            (
                Seen {
                    value: Some(from),
                    at: Some(from_at),
                },
                Seen {
                    value: Some(to),
                    at: Some(to_at),
                },
            ) if to_at > from_at => Some(to - from),
            _ => None,
        };
        Figures {
            value: end.value,
            change,
            percent: percent_change(change, end.value),
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

pub async fn leaderboard(
    db: &DatabaseConnection,
    query: &LeaderboardQuery,
) -> Result<Leaderboard, ApiError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        platform: Platform,
        handle: String,
        display_name: Option<String>,
        is_core: bool,
        value_0: Option<i64>,
        at_0: Option<DateTime<Utc>>,
        value_1: Option<i64>,
        at_1: Option<DateTime<Utc>>,
        value_2: Option<i64>,
        at_2: Option<DateTime<Utc>>,
    }

    let period = chrono::Duration::days(i64::from(query.days));
    let previous_as_of = query.as_of - period;
    let column = snapshot::metric_column(query.metric);
    let mut select = filtered(account::Entity::find(), &query.filter)
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Platform,
            account::Column::Handle,
            account::Column::DisplayName,
            account::Column::IsCore,
        ]);
    // Now, one period back (the previous board, and this period's start),
    // two periods back (the previous period's start).
    for (i, moment) in [query.as_of, previous_as_of, previous_as_of - period]
        .into_iter()
        .enumerate()
    {
        select = select
            .expr_as(newest_known(column, moment, column), format!("value_{i}"))
            .expr_as(
                newest_known(column, moment, snapshot::Column::CapturedAt),
                format!("at_{i}"),
            );
    }
    let rows = select.into_model::<Row>().all(db).await?;

    let seen = |value, at| Seen { value, at };
    let now: Vec<Figures> = rows
        .iter()
        .map(|r| Figures::between(seen(r.value_1, r.at_1), seen(r.value_0, r.at_0)))
        .collect();
    let before: Vec<Figures> = rows
        .iter()
        .map(|r| Figures::between(seen(r.value_2, r.at_2), seen(r.value_1, r.at_1)))
        .collect();
    let score = |figures: &[Figures]| -> Vec<Option<f64>> {
        figures.iter().map(|f| f.score(query.by)).collect()
    };
    let rank_now = ranks(&score(&now));
    let rank_before = ranks(&score(&before));

    let mut entries: Vec<LeaderboardEntry> = rows
        .into_iter()
        .enumerate()
        .map(|(i, row)| LeaderboardEntry {
            rank: rank_now[i],
            previous_rank: rank_before[i],
            id: row.id,
            platform: row.platform,
            handle: row.handle,
            display_name: row.display_name,
            is_core: row.is_core,
            value: now[i].value,
            value_at: row.at_0,
            change: now[i].change,
            percent: now[i].percent,
        })
        .collect();
    // Ranked first, in rank order; ties and the unranked by handle.
    entries.sort_by(|a, b| {
        (a.rank.is_none(), a.rank, &a.handle, a.id).cmp(&(
            b.rank.is_none(),
            b.rank,
            &b.handle,
            b.id,
        ))
    });
    let ranked = entries.iter().filter(|e| e.rank.is_some()).count() as u64;
    let total = entries.len() as u64;
    let items = entries
        .into_iter()
        .skip(offset(query.page, query.per_page) as usize)
        .take(query.per_page as usize)
        .collect();
    Ok(Leaderboard {
        metric: query.metric,
        by: query.by,
        days: query.days,
        as_of: query.as_of,
        previous_as_of,
        ranked,
        entries: Page {
            items,
            page: query.page,
            per_page: query.per_page,
            total,
        },
    })
}

/// `wanted` of the account's newest snapshot at or before `moment` with a
/// known `metric`: a correlated subquery, one seek on the primary key.
fn newest_known(metric: snapshot::Column, moment: DateTime<Utc>, wanted: snapshot::Column) -> Expr {
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
