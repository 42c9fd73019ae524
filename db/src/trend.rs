//! Trend fitting for projections: a robust straight line through daily
//! values (Theil–Sen: the median of the slopes between every pair of days),
//! with a band from the spread of those slopes and of the residuals.
//!
//! Robust because follower counts have jumps (a viral post, a purge of bots)
//! that would drag a least-squares line; a straight line because the
//! horizons are short next to the history and the band says how far to trust it.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::statistics::{Data, OrderStatistics};

/// How much of the future the band covers: between the 10th and 90th
/// percentiles of the pairwise slopes, widened by ±z·σ of the residuals.
const BAND_LOW: f64 = 0.1;
const BAND_HIGH: f64 = 0.9;
/// The median absolute deviation times this estimates a normal spread's σ.
pub const MAD_TO_SIGMA: f64 = 1.4826;

/// A fitted trend. `x` is in days, `y` in the metric's unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fit {
    /// Units per day (median pairwise slope).
    pub slope: f64,
    /// The line's value at `x = 0`.
    pub intercept: f64,
    /// The 10th and 90th percentiles of the pairwise slopes.
    pub slope_low: f64,
    pub slope_high: f64,
    /// The residuals' robust standard deviation.
    pub sigma: f64,
}

impl Fit {
    /// The line's value at `x` and the band around it: the slope's range
    /// from the line's value at `origin` (where the data ends), ±z·σ.
    pub fn at(&self, origin: f64, x: f64) -> (f64, f64, f64) {
        let start = self.intercept + self.slope * origin;
        let ahead = x - origin;
        let z = Normal::standard().inverse_cdf(BAND_HIGH);
        let center = start + self.slope * ahead;
        let low = start + self.slope_low * ahead - z * self.sigma;
        let high = start + self.slope_high * ahead + z * self.sigma;
        (center, low, high)
    }
}

/// Fits `points` (`(x, y)`, any order). `None` with fewer than two distinct `x`.
pub fn theil_sen(points: &[(f64, f64)]) -> Option<Fit> {
    let mut slopes = Vec::with_capacity(points.len() * points.len() / 2);
    for (i, &(x1, y1)) in points.iter().enumerate() {
        for &(x2, y2) in &points[i + 1..] {
            if x1 != x2 {
                slopes.push((y2 - y1) / (x2 - x1));
            }
        }
    }
    if slopes.is_empty() {
        return None;
    }
    let mut slopes = Data::new(slopes);
    let slope = slopes.median();
    let slope_low = slopes.quantile(BAND_LOW);
    let slope_high = slopes.quantile(BAND_HIGH);
    let intercept = Data::new(
        points
            .iter()
            .map(|(x, y)| y - slope * x)
            .collect::<Vec<_>>(),
    )
    .median();
    let mut deviations = Data::new(
        points
            .iter()
            .map(|(x, y)| (y - (intercept + slope * x)).abs())
            .collect::<Vec<_>>(),
    );
    Some(Fit {
        slope,
        intercept,
        slope_low,
        slope_high,
        sigma: MAD_TO_SIGMA * deviations.median(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_known_trend_is_recovered_despite_a_jump() {
        // 100 a day from 5,000, with noise and one day of a +3,000 spike.
        let mut points: Vec<(f64, f64)> = (0..60)
            .map(|day| {
                let noise = [0.0, 30.0, -20.0, 10.0, -40.0][day % 5];
                (day as f64, 5_000.0 + 100.0 * day as f64 + noise)
            })
            .collect();
        points[40].1 += 3_000.0;
        let fit = theil_sen(&points).unwrap();
        assert!((fit.slope - 100.0).abs() < 2.0, "{fit:?}");
        assert!((fit.intercept - 5_000.0).abs() < 40.0, "{fit:?}");
        assert!(fit.slope_low <= fit.slope && fit.slope <= fit.slope_high);

        let (center, low, high) = fit.at(59.0, 89.0);
        assert!(
            (center - (5_000.0 + 100.0 * 89.0)).abs() < 100.0,
            "{center}"
        );
        assert!(low < center && center < high);
        // The band widens with the horizon.
        let (_, near_low, near_high) = fit.at(59.0, 60.0);
        assert!(high - low > near_high - near_low);
    }

    #[test]
    fn an_exact_line_has_no_spread() {
        let points: Vec<(f64, f64)> = (0..10).map(|d| (d as f64, 7.0 - 2.0 * d as f64)).collect();
        let fit = theil_sen(&points).unwrap();
        assert_eq!((fit.slope, fit.intercept, fit.sigma), (-2.0, 7.0, 0.0));
        assert_eq!((fit.slope_low, fit.slope_high), (-2.0, -2.0));
    }

    #[test]
    fn one_day_is_no_trend() {
        assert_eq!(theil_sen(&[(3.0, 10.0), (3.0, 12.0)]), None);
        assert_eq!(theil_sen(&[]), None);
    }
}
