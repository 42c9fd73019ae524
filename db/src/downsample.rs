//! Fewer points for long ranges: a chart is sent at most
//! [`MAX_CHART_POINTS`]. First each day keeps its last snapshot (what
//! growth and the daily table read anyway); if that is still too many,
//! Largest-Triangle-Three-Buckets (the `lttb` crate) picks the points that
//! keep the line's shape, peaks and dips included.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

/// The most points one line of a chart is sent.
pub const MAX_CHART_POINTS: usize = 1_000;

/// `points` (oldest first) thinned to at most [`MAX_CHART_POINTS`]: the
/// last of each day, then LTTB over `value`. Points without a value are
/// kept only while nothing is thinned.
pub fn thin<T>(
    points: Vec<T>,
    at: impl Fn(&T) -> DateTime<Utc>,
    value: impl Fn(&T) -> Option<f64>,
) -> Vec<T> {
    if points.len() <= MAX_CHART_POINTS {
        return points;
    }
    let mut days: BTreeMap<NaiveDate, T> = BTreeMap::new();
    for point in points {
        if value(&point).is_some() {
            days.insert(at(&point).date_naive(), point);
        }
    }
    let daily: Vec<T> = days.into_values().collect();
    if daily.len() <= MAX_CHART_POINTS {
        return daily;
    }
    let series: Vec<lttb::DataPoint> = daily
        .iter()
        .map(|p| {
            lttb::DataPoint::new(
                at(p).timestamp_millis() as f64,
                value(p).unwrap_or_default(),
            )
        })
        .collect();
    // Times are distinct, so each kept point is found again by its time.
    let kept: HashSet<u64> = lttb::lttb(series, MAX_CHART_POINTS)
        .into_iter()
        .map(|p| p.x.to_bits())
        .collect();
    daily
        .into_iter()
        .filter(|p| kept.contains(&(at(p).timestamp_millis() as f64).to_bits()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn hourly(hours: i64, value: impl Fn(i64) -> f64) -> Vec<(DateTime<Utc>, f64)> {
        let first = Utc.with_ymd_and_hms(2024, 1, 1, 0, 30, 0).unwrap();
        (0..hours)
            .map(|h| (first + chrono::Duration::hours(h), value(h)))
            .collect()
    }

    fn thinned(points: Vec<(DateTime<Utc>, f64)>) -> Vec<(DateTime<Utc>, f64)> {
        thin(points, |p| p.0, |p| Some(p.1))
    }

    #[test]
    fn short_ranges_pass_whole() {
        let points = hourly(900, |h| h as f64);
        assert_eq!(thinned(points.clone()), points);
    }

    #[test]
    fn hourly_history_becomes_the_last_value_of_each_day() {
        // 90 days of hourly values: 2,160 points, 90 days.
        let points = hourly(90 * 24, |h| h as f64);
        let daily = thinned(points);
        assert_eq!(daily.len(), 90);
        assert!(
            daily
                .iter()
                .all(|(at, _)| at.format("%H:%M").to_string() == "23:30")
        );
    }

    #[test]
    fn very_long_ranges_keep_their_peaks() {
        // Six years of daily values with one single-day spike.
        let mut points: Vec<_> = hourly(6 * 365 * 24, |h| (h / 24) as f64)
            .into_iter()
            .filter(|(at, _)| at.format("%H").to_string() == "00")
            .collect();
        points[1_000].1 = 1e9;
        let spike = points[1_000].0;
        let kept = thinned(points);
        assert!(kept.len() <= MAX_CHART_POINTS);
        assert!(kept.iter().any(|(at, v)| *at == spike && *v == 1e9));
        assert!(kept.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
