//! Comparisons and growth: several accounts' histories side by side
//! (absolute or indexed to 100), and an account's change over periods.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::StoreError;
use crate::accounts::find;
use crate::entities::{account, snapshot};
use crate::history::window_start;
use types::{
    CompareMode, CompareSeries, Comparison, GROWTH_WINDOWS, Growth, GrowthWindow, HistoryRange,
    Metric, MetricChange, PeriodChange, SeriesRow, percent_change,
};

/// Several accounts' history of `metric` over `range`, in the order of `ids`
/// (validated: 1 to [`types::MAX_COMPARED`], distinct), from one
/// query on the snapshots' primary key.
pub async fn compare(
    db: &DatabaseConnection,
    ids: &[i64],
    metric: Metric,
    range: HistoryRange,
    mode: CompareMode,
) -> Result<Comparison, StoreError> {
    let since = range
        .days()
        .map(|days| Utc::now() - chrono::Duration::days(days));
    let (accounts, mut points) = stored_points(db, ids, metric, since, None).await?;
    let series = ids
        .iter()
        .map(|id| {
            let account = accounts
                .iter()
                .find(|a| a.id == *id)
                .ok_or_else(|| StoreError::not_found("account", *id))?;
            let mut points = crate::downsample::thin(
                points.remove(id).unwrap_or_default(),
                |p| p.0,
                |p| Some(p.1),
            );
            if mode == CompareMode::Indexed {
                points = indexed(points);
            }
            Ok(CompareSeries {
                id: *id,
                platform: account.platform,
                handle: account.handle.clone(),
                points,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Comparison {
        metric,
        range,
        mode,
        series,
    })
}

/// The accounts of `ids` and their stored values of `metric` between
/// `from` and `to` (inclusive; open where `None`), oldest first, from one
/// query on the snapshots' primary key.
async fn stored_points(
    db: &DatabaseConnection,
    ids: &[i64],
    metric: Metric,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Result<(Vec<account::Model>, HashMap<i64, Vec<Point>>), StoreError> {
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let column = snapshot::metric_column(metric);
    let mut select = snapshot::Entity::find()
        .select_only()
        .columns([snapshot::Column::AccountId, snapshot::Column::CapturedAt])
        .column(column)
        .filter(snapshot::Column::AccountId.is_in(ids.iter().copied()))
        .filter(column.is_not_null());
    if let Some(from) = from {
        select = select.filter(snapshot::Column::CapturedAt.gte(from));
    }
    if let Some(to) = to {
        select = select.filter(snapshot::Column::CapturedAt.lte(to));
    }
    let rows: Vec<(i64, DateTime<Utc>, i64)> = select
        .order_by_asc(snapshot::Column::AccountId)
        .order_by_asc(snapshot::Column::CapturedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut points: HashMap<i64, Vec<Point>> = HashMap::new();
    for (account_id, at, value) in rows {
        points
            .entry(account_id)
            .or_default()
            .push((at, value as f64));
    }
    Ok((accounts, points))
}

type Point = (DateTime<Utc>, f64);

/// Several accounts' stored values of `metric` from `from` to `to` as
/// rows (`/api/series`), in the order of `ids`, each account's thinned as
/// a chart's are; an unknown id is not found.
pub async fn series(
    db: &DatabaseConnection,
    ids: &[i64],
    metric: Metric,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<SeriesRow>, StoreError> {
    let (accounts, mut points) = stored_points(db, ids, metric, Some(from), Some(to)).await?;
    let mut rows = Vec::new();
    for id in ids {
        let account = accounts
            .iter()
            .find(|a| a.id == *id)
            .ok_or_else(|| StoreError::not_found("account", *id))?;
        let label = format!("{} @{}", account.platform.label(), account.handle);
        let thinned = crate::downsample::thin(
            points.remove(id).unwrap_or_default(),
            |p| p.0,
            |p| Some(p.1),
        );
        rows.extend(thinned.into_iter().map(|(time, value)| SeriesRow {
            time,
            id: *id,
            account: label.clone(),
            value: value as i64,
        }));
    }
    Ok(rows)
}

/// Values as a percentage of the first one; a series starting at zero has
/// no index (and is left empty rather than divided by zero).
fn indexed(points: Vec<Point>) -> Vec<Point> {
    match points.first() {
        Some((_, base)) if *base > 0.0 => {
            let base = *base;
            points
                .into_iter()
                .map(|(at, value)| (at, value * 100.0 / base))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// An account's growth over the standard windows up to its latest
/// snapshot and, with `period`, over that period and the one before it.
pub async fn growth(
    db: &DatabaseConnection,
    id: i64,
    period: Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)>,
) -> Result<Growth, StoreError> {
    let account = find(db, id).await?;
    let metrics = account.platform.metrics();
    let mut windows = Vec::new();
    if let Some(latest) = account.last_collected_at {
        for days in GROWTH_WINDOWS {
            let start = window_start(latest, i64::from(days));
            windows.push(GrowthWindow {
                days,
                period: period_change(db, id, metrics, start, latest).await?,
            });
        }
    }
    let (custom, previous) = match period {
        Some((start, end)) => {
            let before = start - (end - start);
            (
                Some(period_change(db, id, metrics, start, end).await?),
                Some(period_change(db, id, metrics, before, start).await?),
            )
        }
        None => (None, None),
    };
    Ok(Growth {
        account_id: id,
        windows,
        custom,
        previous,
    })
}

/// The change of `metrics` between the newest snapshots at or before
/// `start` and `end`: two lookups on the snapshots' primary key.
async fn period_change(
    db: &DatabaseConnection,
    id: i64,
    metrics: &[Metric],
    start: chrono::DateTime<Utc>,
    end: chrono::DateTime<Utc>,
) -> Result<PeriodChange, StoreError> {
    let at_or_before = |moment: chrono::DateTime<Utc>| {
        snapshot::Entity::find()
            .filter(snapshot::Column::AccountId.eq(id))
            .filter(snapshot::Column::CapturedAt.lte(moment))
            .order_by_desc(snapshot::Column::CapturedAt)
            .one(db)
    };
    let from = at_or_before(start).await?;
    let to = at_or_before(end).await?;
    let metrics = metrics
        .iter()
        .map(|&metric| {
            let from_value = from.as_ref().and_then(|s| s.counters().get(metric));
            let to_value = to.as_ref().and_then(|s| s.counters().get(metric));
            let change = to_value.zip(from_value).map(|(to, from)| to - from);
            MetricChange {
                metric,
                from: from_value,
                to: to_value,
                change,
                percent: percent_change(change, to_value),
            }
        })
        .collect();
    Ok(PeriodChange {
        start,
        end,
        from_at: from.map(|s| s.captured_at),
        to_at: to.map(|s| s.captured_at),
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::indexed;

    #[test]
    fn an_index_starts_at_100_and_never_divides_by_zero() {
        let at = chrono::Utc::now();
        let values = |points: Vec<(chrono::DateTime<chrono::Utc>, f64)>| {
            points.into_iter().map(|(_, v)| v).collect::<Vec<_>>()
        };
        assert_eq!(
            values(indexed(vec![(at, 200.0), (at, 250.0), (at, 100.0)])),
            [100.0, 125.0, 50.0]
        );
        assert!(indexed(vec![(at, 0.0), (at, 5.0)]).is_empty());
        assert!(indexed(Vec::new()).is_empty());
    }
}
