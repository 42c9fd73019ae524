//! The detectors, as pure functions over an account's daily values and its
//! latest collection outcomes. What they find is stored by the parent module.

use chrono::{DateTime, Utc};
use statrs::statistics::{Data, OrderStatistics};

use app::model::{MILESTONES, Metric, Outcome};
use db::trend::MAD_TO_SIGMA;

/// The fewest earlier days an unusual change is judged against.
pub const MIN_BASELINE_DAYS: usize = 14;
/// How far back the usual range of a day's change is taken from.
pub const BASELINE_DAYS: i64 = 60;
/// How many robust standard deviations from the median make a day unusual.
pub const UNUSUAL_SCORE: f64 = 5.0;
/// σ is at least this (per day), so a perfectly steady account does not
/// call a change of one follower unusual.
const MIN_SIGMA: f64 = 1.0;

/// The smallest daily change of `metric` worth telling anyone about,
/// however unusual it is for the account: a steady account's handful of
/// likes is statistically surprising and means nothing.
pub fn absolute_floor(metric: Metric) -> i64 {
    match metric {
        Metric::Followers | Metric::Following | Metric::Online => 50,
        Metric::Posts => 5,
        Metric::Views => 1_000,
        Metric::Likes => 200,
        Metric::Score => 100,
        Metric::Listed => 10,
    }
}

/// The smallest daily change, as a share of the value before it, worth an
/// event: a thousandth (2,900 of 2.9 million).
pub const RELATIVE_FLOOR: f64 = 0.001;

/// Whether a change of `change` from `before` matters in size (both floors).
pub fn matters(metric: Metric, change: i64, before: i64) -> bool {
    let size = change.unsigned_abs();
    size >= absolute_floor(metric).unsigned_abs()
        && size as f64 >= RELATIVE_FLOOR * before.unsigned_abs() as f64
}

/// An unusual day in words a reader knows: "+832K views in a day, about 23×
/// a usual day"; a drop or a change against a flat or shrinking usual is
/// compared with the usual day instead.
pub fn unusual_message(handle: &str, name: &str, change: i64, usual: f64) -> String {
    let signed = app::format::signed(Some(change));
    let usual_whole = usual.round() as i64;
    let times = change as f64 / usual;
    if change > 0 && usual >= 1.0 && times >= 2.0 {
        let times = if times >= 10.0 {
            format!("{times:.0}")
        } else {
            format!("{times:.1}").trim_end_matches(".0").to_owned()
        };
        format!("{handle}: {signed} {name} in a day, about {times}× a usual day")
    } else {
        format!(
            "{handle}: {signed} {name} in a day, where a usual day is {}",
            app::format::signed(Some(usual_whole))
        )
    }
}

/// The last value of one day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Day {
    pub at: DateTime<Utc>,
    pub value: i64,
}

/// The largest milestone crossed upwards between each two consecutive
/// days: `(index of the later day, milestone)`.
pub fn milestones_crossed(days: &[Day]) -> Vec<(usize, i64)> {
    days.windows(2)
        .enumerate()
        .filter_map(|(i, pair)| {
            let (before, after) = (pair[0].value, pair[1].value);
            MILESTONES
                .into_iter()
                .filter(|&m| before < m && m <= after)
                .max()
                .map(|m| (i + 1, m))
        })
        .collect()
}

/// A day whose change is far from the account's usual.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Unusual {
    /// The day (index into the days given).
    pub index: usize,
    /// Its change since the day before with data.
    pub change: i64,
    /// `(per-day change − median) / σ`, σ from the median absolute deviation.
    pub score: f64,
    /// The usual per-day change (the median).
    pub usual: f64,
}

/// The unusual changes among the last `recent` days, each judged against
/// the changes of the [`BASELINE_DAYS`] before it (a robust z-score: median
/// and MAD, so past jumps do not widen what counts as usual). Changes over
/// a gap are compared per day.
pub fn unusual_changes(days: &[Day], recent: usize) -> Vec<Unusual> {
    let rates: Vec<(usize, i64, f64)> = days
        .windows(2)
        .enumerate()
        .map(|(i, pair)| {
            let change = pair[1].value - pair[0].value;
            let gap = ((pair[1].at - pair[0].at).num_seconds() as f64 / 86_400.0).max(1.0);
            (i + 1, change, change as f64 / gap)
        })
        .collect();
    // One day before the judged ones too: a surge spread over several days
    // is one episode, reported on its first day.
    let first_judged = rates.len().saturating_sub(recent.saturating_add(1));
    let judged: Vec<(usize, Option<Unusual>)> = rates
        .iter()
        .enumerate()
        .skip(first_judged)
        .map(|(position, &(index, change, rate))| {
            let since = days[index].at - chrono::Duration::days(BASELINE_DAYS);
            let before: Vec<f64> = rates[..position]
                .iter()
                .filter(|(i, _, _)| days[*i].at >= since)
                .map(|(_, _, r)| *r)
                .collect();
            if before.len() < MIN_BASELINE_DAYS {
                return (position, None);
            }
            let mut before = Data::new(before);
            let usual = before.median();
            let mut deviations =
                Data::new(before.iter().map(|r| (r - usual).abs()).collect::<Vec<_>>());
            let sigma = (MAD_TO_SIGMA * deviations.median()).max(MIN_SIGMA);
            let score = (rate - usual) / sigma;
            let unusual = (score.abs() >= UNUSUAL_SCORE).then_some(Unusual {
                index,
                change,
                score,
                usual,
            });
            (position, unusual)
        })
        .collect();
    let first_reported = rates.len().saturating_sub(recent);
    let mut reported: Vec<Unusual> = judged
        .windows(2)
        .filter(|pair| pair[1].0 >= first_reported)
        .filter_map(|pair| match (&pair[0].1, &pair[1].1) {
            // The same direction as the day before: the episode goes on.
            (Some(before), Some(now)) if before.score.signum() == now.score.signum() => None,
            (_, now) => *now,
        })
        .chain(
            // Judging everything: the very first judged day has no day before.
            judged
                .first()
                .filter(|(position, _)| *position >= first_reported)
                .and_then(|(_, first)| *first),
        )
        .collect();
    reported.sort_by_key(|u| u.index);
    reported
}

/// The failures at the head of `outcomes` (newest first): how many in a
/// row, ending at the newest. An account skipped for want of credentials is
/// not failing, nor is one the platform reports suspended, gone or private
/// (that has events of its own).
pub fn failing_streak(outcomes: &[Outcome]) -> usize {
    outcomes.iter().take_while(|o| o.is_failure()).count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn days(values: &[i64]) -> Vec<Day> {
        let first = Utc.with_ymd_and_hms(2026, 5, 1, 6, 0, 0).unwrap();
        values
            .iter()
            .enumerate()
            .map(|(i, &value)| Day {
                at: first + chrono::Duration::days(i as i64),
                value,
            })
            .collect()
    }

    #[test]
    fn only_changes_that_matter_in_size_are_events() {
        // A handful of likes on a small, steady account: not worth an event.
        assert!(!matters(Metric::Likes, -21, 1_500));
        // 78 followers on 2.9 million: under a thousandth.
        assert!(!matters(Metric::Followers, 78, 2_900_000));
        assert!(matters(Metric::Followers, 3_000, 2_900_000));
        assert!(matters(Metric::Followers, -954, 10_000));
        assert!(!matters(Metric::Posts, 4, 100));
        assert!(matters(Metric::Posts, 5, 100));
    }

    #[test]
    fn unusual_days_are_told_in_plain_words() {
        assert_eq!(
            unusual_message("solar", "views", 832_000, 36_832.0),
            "solar: +832K views in a day, about 23× a usual day"
        );
        assert_eq!(
            unusual_message("solar", "followers", 954, 210.0),
            "solar: +954 followers in a day, about 4.5× a usual day"
        );
        assert_eq!(
            unusual_message("solar", "followers", 600, 200.0),
            "solar: +600 followers in a day, about 3× a usual day"
        );
        assert_eq!(
            unusual_message("solar", "followers", -2_000, 20.4),
            "solar: -2,000 followers in a day, where a usual day is +20"
        );
        assert_eq!(
            unusual_message("solar", "subscribers", 400, 0.0),
            "solar: +400 subscribers in a day, where a usual day is 0"
        );
    }

    #[test]
    fn the_largest_milestone_crossed_upwards_is_reported_once() {
        let series = days(&[950, 990, 1_005, 1_010, 9_000, 120_000, 90_000, 110_000]);
        assert_eq!(
            milestones_crossed(&series),
            [(2, 1_000), (5, 100_000), (7, 100_000)]
        );
        assert!(milestones_crossed(&days(&[5, 999])).is_empty());
    }

    #[test]
    fn one_injected_jump_is_the_one_unusual_day() {
        // About +50 a day with small noise, and one day of +900 on day 25.
        let mut values = vec![10_000_i64];
        for day in 1..40 {
            let noise = [0, 4, -3, 2, -5, 3][day % 6];
            let jump = if day == 25 { 850 } else { 0 };
            values.push(values[day - 1] + 50 + noise + jump);
        }
        let series = days(&values);
        let found = unusual_changes(&series, 39);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].index, 25);
        // +50, the day's noise (+4) and the jump.
        assert_eq!(found[0].change, 904);
        assert!(found[0].score > UNUSUAL_SCORE);
        assert!((found[0].usual - 50.0).abs() < 3.0);
        // Only the recent days are judged; the jump does not make the days
        // after it look unusual.
        assert!(unusual_changes(&series, 10).is_empty());
    }

    #[test]
    fn a_drop_is_unusual_too_and_gaps_compare_per_day() {
        let mut values: Vec<i64> = (0..30).map(|d| 5_000 + 20 * d).collect();
        values.push(values[29] - 2_000);
        let found = unusual_changes(&days(&values), 1);
        assert_eq!(found.len(), 1);
        assert!(found[0].score < -UNUSUAL_SCORE);

        // Ten missed days, then ten days' worth of growth: usual per day.
        let mut gapped = days(&(0..30).map(|d| 5_000 + 20 * d).collect::<Vec<_>>());
        let last = *gapped.last().unwrap();
        gapped.push(Day {
            at: last.at + chrono::Duration::days(10),
            value: last.value + 200,
        });
        assert!(unusual_changes(&gapped, 1).is_empty());
    }

    #[test]
    fn a_surge_over_three_days_is_one_event_on_its_first_day() {
        let mut values = vec![1_000_i64];
        for day in 1..40 {
            let surge = if (30..33).contains(&day) { 2_000 } else { 0 };
            values.push(values[day - 1] + 10 + [0, 1, -1][day % 3] + surge);
        }
        let series = days(&values);
        let found: Vec<usize> = unusual_changes(&series, usize::MAX)
            .iter()
            .map(|u| u.index)
            .collect();
        assert_eq!(found, [30]);
        // Judged a day at a time, as after each run, the answer is the same.
        let daily: Vec<usize> = (30..40)
            .flat_map(|end| unusual_changes(&series[..=end], 1))
            .map(|u| u.index)
            .collect();
        assert_eq!(daily, [30]);
    }

    #[test]
    fn too_little_history_judges_nothing() {
        let values: Vec<i64> = (0..10).map(|d| d * d * 1_000).collect();
        assert!(unusual_changes(&days(&values), 5).is_empty());
    }

    #[test]
    fn a_streak_counts_failures_up_to_the_newest() {
        use Outcome::*;
        assert_eq!(
            failing_streak(&[UpstreamError, NotFound, RateLimited, Ok, UpstreamError]),
            3
        );
        assert_eq!(failing_streak(&[Ok, UpstreamError]), 0);
        assert_eq!(failing_streak(&[NotConfigured, UpstreamError]), 0);
        assert_eq!(failing_streak(&[Suspended, UpstreamError]), 0);
        assert_eq!(failing_streak(&[Blocked, Blocked]), 2);
        assert_eq!(failing_streak(&[]), 0);
    }
}
