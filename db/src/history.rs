//! An account's history: its snapshots for a chart (thinned to what a chart
//! shows), its daily rollups, and where a window of days starts.

use chrono::Utc;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use crate::StoreError;
use crate::accounts::find;
use crate::entities::{daily_rollup, snapshot};
use types::{DailyRollup, HistoryPoint, HistoryRange, Metric};

/// An account's snapshots over `range`, oldest first, thinned for a chart
/// of `metric` when there are more than [`crate::downsample::MAX_CHART_POINTS`].
pub async fn history(
    db: &DatabaseConnection,
    id: i64,
    range: HistoryRange,
    metric: Metric,
) -> Result<Vec<HistoryPoint>, StoreError> {
    find(db, id).await?;
    let mut select = snapshot::Entity::find().filter(snapshot::Column::AccountId.eq(id));
    if let Some(days) = range.days() {
        select = select
            .filter(snapshot::Column::CapturedAt.gte(Utc::now() - chrono::Duration::days(days)));
    }
    let rows = select
        .order_by_asc(snapshot::Column::CapturedAt)
        .all(db)
        .await?;
    let points = rows
        .into_iter()
        .map(|s| HistoryPoint {
            captured_at: s.captured_at,
            counters: s.counters(),
            imported: s.imported,
        })
        .collect();
    Ok(crate::downsample::thin(
        points,
        |p| p.captured_at,
        |p| p.counters.get(metric).map(|v| v as f64),
    ))
}

/// Where a window of `days` up to `end` looks for its first snapshot: the
/// newest at or before this moment. A little after `end - days` (a tenth of
/// the window, at most three hours): a daily collection is never at exactly
/// the same instant (a run takes its time; local clocks move an hour at a
/// daylight-saving change), and yesterday's snapshot taken an hour later
/// than today's must still count as yesterday's, not fall back a day.
pub fn window_start(end: chrono::DateTime<Utc>, days: i64) -> chrono::DateTime<Utc> {
    let window = chrono::Duration::days(days);
    let slack = (window / 10).min(chrono::Duration::hours(3));
    end - window + slack
}

/// An account's compacted days over `range`, oldest first: each day's
/// range of `metric` before compaction.
pub async fn rollups(
    db: &DatabaseConnection,
    id: i64,
    metric: Metric,
    range: HistoryRange,
) -> Result<Vec<DailyRollup>, StoreError> {
    find(db, id).await?;
    let mut select = daily_rollup::Entity::find().filter(daily_rollup::Column::AccountId.eq(id));
    if let Some(days) = range.days() {
        let since = (Utc::now() - chrono::Duration::days(days)).date_naive();
        select = select.filter(daily_rollup::Column::Day.gte(since));
    }
    Ok(select
        .order_by_asc(daily_rollup::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .map(|r| DailyRollup {
            day: r.day,
            samples: r.samples,
            metric,
            range: r.range(metric),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::window_start;

    #[test]
    fn a_window_starts_a_little_after_its_length_back() {
        use chrono::TimeZone;
        // Collected at 09:00 in Paris: 08:00 UTC before the change to summer
        // time on 29 March 2026, 07:00 UTC after.
        let before = chrono::Utc.with_ymd_and_hms(2026, 3, 28, 8, 0, 0).unwrap();
        let after = chrono::Utc.with_ymd_and_hms(2026, 3, 29, 7, 0, 0).unwrap();
        assert!(
            window_start(after, 1) >= before,
            "yesterday's snapshot counts"
        );
        assert!(window_start(after, 1) < after);
        let week_start = window_start(after, 7);
        assert_eq!(
            after - week_start,
            chrono::Duration::days(7) - chrono::Duration::hours(3)
        );
    }
}
