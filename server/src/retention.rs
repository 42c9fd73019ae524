//! Retention: raw snapshots are kept for a configurable period
//! (`REACH_KEEP_RAW`, 90 days by default); after it, each day of each
//! account is compacted to its last snapshot, and a daily rollup keeps the
//! day's first, last, lowest and highest value of every metric and how many
//! snapshots it had.
//!
//! Every reader keeps working unchanged: growth, leaderboards, projections
//! and charts read the newest snapshot at or before a moment, or one value
//! per day, and the day's last snapshot is exactly that. A day with a
//! rollup is compacted already and never compacted again, so compaction
//! is idempotent and a rollup is never recomputed from a thinned day.

use std::collections::{BTreeMap, HashSet};

use app::model::{DayRange, Metric};
use chrono::{DateTime, NaiveDate, Utc};
use db::entities::{account, daily_rollup, snapshot};
use db::generations::{Domain, Writer};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

/// Accounts compacted per transaction.
const ACCOUNT_CHUNK: usize = 200;
/// Days read at a time, so a first compaction of years of hourly history
/// holds a bounded number of snapshots.
const DAYS_PER_SLICE: i64 = 30;
/// After a run, the days just past the retention period are compacted;
/// this many days back covers a server that was down for a while.
pub const AFTER_RUN_DAYS: i64 = 7;

/// What a compaction did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Compaction {
    /// Account-days rolled up.
    pub days: u64,
    /// Raw snapshots removed (each day keeps its last).
    pub removed: u64,
}

/// Compacts the days before `before` (whole UTC days) and, with `since`,
/// not before it.
pub async fn compact(
    db: &DatabaseConnection,
    before: DateTime<Utc>,
    since: Option<DateTime<Utc>>,
    writer: Writer,
) -> Result<Compaction, DbErr> {
    let end = day_start(before.date_naive());
    let start = match since {
        Some(since) => day_start(since.date_naive()),
        None => {
            let oldest: Option<DateTime<Utc>> = snapshot::Entity::find()
                .select_only()
                .column_as(snapshot::Column::CapturedAt.min(), "oldest")
                .into_tuple()
                .one(db)
                .await?
                .flatten();
            match oldest {
                Some(oldest) => day_start(oldest.date_naive()),
                None => return Ok(Compaction::default()),
            }
        }
    };
    let ids: Vec<i64> = account::Entity::find()
        .select_only()
        .column(account::Column::Id)
        .order_by_asc(account::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut done = Compaction::default();
    let mut slice_start = start;
    while slice_start < end {
        let slice_end = (slice_start + chrono::Duration::days(DAYS_PER_SLICE)).min(end);
        for chunk in ids.chunks(ACCOUNT_CHUNK) {
            let result = compact_slice(db, chunk, slice_start, slice_end, writer).await?;
            done.days += result.days;
            done.removed += result.removed;
        }
        slice_start = slice_end;
    }
    Ok(done)
}

/// One transaction: the days in `[start, end)` of `accounts` that have no
/// rollup yet.
async fn compact_slice(
    db: &DatabaseConnection,
    accounts: &[i64],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    writer: Writer,
) -> Result<Compaction, DbErr> {
    let txn = db::write::begin(db).await?;
    let snapshots = snapshot::Entity::find()
        .filter(snapshot::Column::AccountId.is_in(accounts.iter().copied()))
        .filter(snapshot::Column::CapturedAt.gte(start))
        .filter(snapshot::Column::CapturedAt.lt(end))
        .order_by_asc(snapshot::Column::AccountId)
        .order_by_asc(snapshot::Column::CapturedAt)
        .all(&txn)
        .await?;
    if snapshots.is_empty() {
        return Ok(Compaction::default());
    }
    let compacted: HashSet<(i64, NaiveDate)> = daily_rollup::Entity::find()
        .select_only()
        .columns([daily_rollup::Column::AccountId, daily_rollup::Column::Day])
        .filter(daily_rollup::Column::AccountId.is_in(accounts.iter().copied()))
        .filter(daily_rollup::Column::Day.gte(start.date_naive()))
        .filter(daily_rollup::Column::Day.lt(end.date_naive()))
        .into_tuple::<(i64, NaiveDate)>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let mut days: BTreeMap<(i64, NaiveDate), Vec<snapshot::Model>> = BTreeMap::new();
    for s in snapshots {
        let key = (s.account_id, s.captured_at.date_naive());
        if !compacted.contains(&key) {
            days.entry(key).or_default().push(s);
        }
    }

    let mut done = Compaction::default();
    let mut rollups = Vec::new();
    // Per account, the snapshots to remove: all but each day's last.
    let mut removed: BTreeMap<i64, Vec<DateTime<Utc>>> = BTreeMap::new();
    for ((account_id, day), snapshots) in &days {
        rollups.push(rollup(*account_id, *day, snapshots));
        let (_, earlier) = snapshots.split_last().expect("a day has a snapshot");
        removed
            .entry(*account_id)
            .or_default()
            .extend(earlier.iter().map(|s| s.captured_at));
        done.days += 1;
    }
    for chunk in rollups.chunks(500) {
        daily_rollup::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([daily_rollup::Column::AccountId, daily_rollup::Column::Day])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    for (account_id, times) in removed {
        for chunk in times.chunks(500) {
            let result = snapshot::Entity::delete_many()
                .filter(snapshot::Column::AccountId.eq(account_id))
                .filter(snapshot::Column::CapturedAt.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?;
            done.removed += result.rows_affected;
        }
    }
    if done.days > 0 {
        writer.wrote(&txn, &[Domain::Snapshots]).await?;
    }
    txn.commit().await?;
    Ok(done)
}

/// The rollup of one account's day, from its snapshots in time order.
fn rollup(
    account_id: i64,
    day: NaiveDate,
    snapshots: &[snapshot::Model],
) -> daily_rollup::ActiveModel {
    let mut rollup = daily_rollup::ActiveModel {
        account_id: Set(account_id),
        day: Set(day),
        samples: Set(snapshots.len() as i32),
        ..Default::default()
    };
    for metric in Metric::ALL {
        let range = DayRange::of(snapshots.iter().map(|s| s.counters().get(metric)));
        daily_rollup::set_range(&mut rollup, metric, range);
    }
    rollup
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}
