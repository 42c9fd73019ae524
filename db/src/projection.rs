//! Projections: where an account's metric is heading, from a robust trend
//! ([`crate::trend`]) through the daily values of its recent history.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::snapshot;
use crate::StoreError;
use crate::accounts::find;
use crate::trend::{Fit, theil_sen};
use types::{
    MILESTONE_HORIZON_YEARS, MILESTONES, MIN_PROJECTION_DAYS, Metric, MilestoneDate,
    PROJECTION_HORIZONS, ProjectedValue, Projection, Trend,
};

/// How many milestones ahead a projection dates.
const MILESTONES_AHEAD: usize = 3;
/// The drawn line has a point every this many days.
const LINE_STEP_DAYS: u32 = 7;

pub async fn projection(
    db: &DatabaseConnection,
    id: i64,
    metric: Metric,
    basis_days: u32,
) -> Result<Projection, StoreError> {
    let account = find(db, id).await?;
    let answer = |trend, reason: Option<String>| Projection {
        account_id: id,
        metric,
        basis_days,
        method: format!(
            "Theil–Sen straight line through the daily values of the last {basis_days} days \
             (the median of the slopes between every two days, so one jump does not bend it); \
             the band spans the 10th to 90th percentile of those slopes, ±1.28 σ of the \
             residuals: a rough guide, not a calibrated interval."
        ),
        trend,
        reason,
    };
    if !account.platform.metrics().contains(&metric) {
        return Ok(answer(
            None,
            Some(format!(
                "{} does not publish {}.",
                account.platform.label(),
                metric.as_str()
            )),
        ));
    }
    let column = snapshot::metric_column(metric);
    let newest: Option<DateTime<Utc>> = snapshot::Entity::find()
        .select_only()
        .column(snapshot::Column::CapturedAt)
        .filter(snapshot::Column::AccountId.eq(id))
        .filter(column.is_not_null())
        .order_by_desc(snapshot::Column::CapturedAt)
        .into_tuple()
        .one(db)
        .await?;
    let Some(newest) = newest else {
        return Ok(answer(
            None,
            Some(format!("No {} collected yet.", metric.as_str())),
        ));
    };
    let since = newest - chrono::Duration::days(i64::from(basis_days));
    let rows: Vec<(DateTime<Utc>, i64)> = snapshot::Entity::find()
        .select_only()
        .columns([snapshot::Column::CapturedAt])
        .column(column)
        .filter(snapshot::Column::AccountId.eq(id))
        .filter(column.is_not_null())
        .filter(snapshot::Column::CapturedAt.gte(since))
        .order_by_asc(snapshot::Column::CapturedAt)
        .into_tuple()
        .all(db)
        .await?;
    Ok(match project(&rows, metric, basis_days) {
        Ok(trend) => answer(Some(trend), None),
        Err(reason) => answer(None, Some(reason)),
    })
}

/// The trend of `rows` (`(captured_at, value)`, oldest first), or why there
/// is none.
pub fn project(
    rows: &[(DateTime<Utc>, i64)],
    metric: Metric,
    basis_days: u32,
) -> Result<Trend, String> {
    // One point per day (its last snapshot), so hourly and daily collection
    // weigh a day alike.
    let mut days: BTreeMap<NaiveDate, (DateTime<Utc>, i64)> = BTreeMap::new();
    for &(at, value) in rows {
        days.insert(at.date_naive(), (at, value));
    }
    let (Some(&(first, _)), Some(&(last, current))) = (days.values().next(), days.values().last())
    else {
        return Err(format!("No {} collected yet.", metric.as_str()));
    };
    if days.len() < MIN_PROJECTION_DAYS as usize {
        return Err(format!(
            "A projection needs {} or more days with data in the last {basis_days} days; there {} {}.",
            MIN_PROJECTION_DAYS,
            if days.len() == 1 { "is" } else { "are" },
            days.len()
        ));
    }
    let day = |at: DateTime<Utc>| (at - last).num_seconds() as f64 / 86_400.0;
    let points: Vec<(f64, f64)> = days
        .values()
        .map(|&(at, value)| (day(at), value as f64))
        .collect();
    let fit = theil_sen(&points).ok_or("The history has a single day.")?;
    let predicted = |days_ahead: u32| predict(&fit, last, days_ahead);
    let furthest = PROJECTION_HORIZONS
        .iter()
        .copied()
        .max()
        .unwrap_or_default();
    Ok(Trend {
        per_day: fit.slope,
        fitted_from: first,
        fitted_to: last,
        days_used: days.len() as u32,
        current,
        horizons: PROJECTION_HORIZONS.iter().map(|&h| predicted(h)).collect(),
        milestones: milestones(&fit, last, current),
        line: (0..=furthest)
            .step_by(LINE_STEP_DAYS as usize)
            .chain(PROJECTION_HORIZONS)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(predicted)
            .collect(),
    })
}

/// The value `days_ahead` after `last`; counters cannot go below zero.
fn predict(fit: &Fit, last: DateTime<Utc>, days_ahead: u32) -> ProjectedValue {
    let (value, low, high) = fit.at(0.0, f64::from(days_ahead));
    let count = |v: f64| v.max(0.0).round() as i64;
    ProjectedValue {
        at: last + chrono::Duration::days(i64::from(days_ahead)),
        value: count(value),
        low: count(low),
        high: count(high),
    }
}

/// When the trend crosses the next milestones above `current`; none while
/// it is not growing.
fn milestones(fit: &Fit, last: DateTime<Utc>, current: i64) -> Vec<MilestoneDate> {
    if fit.slope <= 0.0 {
        return Vec::new();
    }
    let horizon = chrono::Duration::days(365 * MILESTONE_HORIZON_YEARS);
    MILESTONES
        .into_iter()
        .filter(|&m| m > current)
        .take(MILESTONES_AHEAD)
        .map(|milestone| {
            let days = ((milestone as f64 - fit.intercept) / fit.slope).max(0.0);
            let wait = chrono::Duration::seconds((days * 86_400.0) as i64);
            MilestoneDate {
                milestone,
                at: (wait <= horizon).then(|| last + wait),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn series(days: u32, start: i64, per_day: i64) -> Vec<(DateTime<Utc>, i64)> {
        let first = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
        (0..days)
            .map(|d| {
                (
                    first + chrono::Duration::days(i64::from(d)),
                    start + per_day * i64::from(d),
                )
            })
            .collect()
    }

    #[test]
    fn a_steady_trend_is_projected_and_milestones_dated() {
        // 9,100 after 90 days of +10/day: 10k in 90 days, 100k in 9,090.
        let rows = series(91, 8_200, 10);
        let trend = project(&rows, Metric::Followers, 90).unwrap();
        assert_eq!(trend.per_day, 10.0);
        assert_eq!((trend.current, trend.days_used), (9_100, 91));
        let values: Vec<i64> = trend.horizons.iter().map(|h| h.value).collect();
        assert_eq!(values, [9_400, 10_000, 12_750]);
        // An exact line has no spread.
        assert!(
            trend
                .horizons
                .iter()
                .all(|h| h.low == h.value && h.high == h.value)
        );
        let last = rows.last().unwrap().0;
        let dates: Vec<_> = trend
            .milestones
            .iter()
            .map(|m| (m.milestone, m.at))
            .collect();
        assert_eq!(
            dates,
            [
                (10_000, Some(last + chrono::Duration::days(90))),
                (100_000, None),
                (1_000_000, None),
            ]
        );
        assert_eq!(trend.line.first().unwrap().at, last);
        assert_eq!(
            trend.line.last().unwrap().at,
            last + chrono::Duration::days(365)
        );
    }

    #[test]
    fn no_projection_from_too_few_days() {
        let reason = project(&series(5, 100, 1), Metric::Followers, 30).unwrap_err();
        assert!(reason.contains("7 or more days"), "{reason}");
        // Many snapshots in one day are one day.
        let first = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap();
        let hourly: Vec<_> = (0..20)
            .map(|h| (first + chrono::Duration::hours(h), 100 + h))
            .collect();
        assert!(project(&hourly, Metric::Followers, 30).is_err());
    }

    #[test]
    fn a_shrinking_account_has_no_milestones_and_stays_above_zero() {
        let trend = project(&series(30, 600, -20), Metric::Followers, 30).unwrap();
        assert!(trend.milestones.is_empty());
        assert!(trend.horizons.iter().all(|h| h.value == 0 && h.low == 0));
    }
}
