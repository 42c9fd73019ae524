//! The simulated collector: realistic, deterministic counters for any account,
//! so Reach is alive with no network and tests have stable data.
//!
//! Every value is a pure function of the account's platform and handle and of
//! the time asked for, so collecting twice at the same instant gives the same
//! snapshot and a seeded history matches what a later collection continues.
//! The shape: exponential trend, weekly seasonality, daily noise, and rare
//! events (a viral jump or a loss) in some 30-day windows.

use app::model::{Counters, Metric, Platform};
use chrono::{DateTime, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Day zero of every simulated account.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .expect("valid epoch")
}

const SECONDS_PER_DAY: f64 = 86_400.0;
const EVENT_WINDOW_DAYS: u64 = 30;

/// The parameters of one account's simulated audience, derived from its identity.
#[derive(Clone, Debug)]
pub struct GrowthModel {
    platform: Platform,
    seed: u64,
    /// Followers at the epoch.
    base: f64,
    /// Continuous daily growth rate of the trend.
    daily_growth: f64,
    /// Relative amplitude of the weekly wave.
    weekly_amplitude: f64,
    weekly_phase: f64,
    /// Standard deviation-like scale of the daily noise.
    noise: f64,
    following: f64,
    posts_at_epoch: f64,
    posts_per_day: f64,
    views_per_follower_day: f64,
    likes_per_follower: f64,
}

impl GrowthModel {
    pub fn for_account(platform: Platform, handle: &str) -> Self {
        let seed = xxhash_rust::xxh3::xxh3_64(format!("{platform}:{handle}").as_bytes());
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // Audiences are log-uniform: most accounts are small, a few are huge.
        let base = 10f64.powf(rng.random_range(2.0..6.3));
        // Most accounts grow, some slowly decline.
        let daily_growth = if rng.random_bool(0.85) {
            rng.random_range(0.0001..0.0015)
        } else {
            -rng.random_range(0.0001..0.0008)
        };
        Self {
            platform,
            seed,
            base,
            daily_growth,
            weekly_amplitude: rng.random_range(0.001..0.006),
            weekly_phase: rng.random_range(0.0..std::f64::consts::TAU),
            noise: rng.random_range(0.0005..0.003),
            following: rng.random_range(20.0..2_000.0),
            posts_at_epoch: rng.random_range(10.0..5_000.0),
            posts_per_day: rng.random_range(0.05..4.0),
            views_per_follower_day: rng.random_range(0.05..2.0),
            likes_per_follower: rng.random_range(1.0..40.0),
        }
    }

    /// The counters this account shows at `at`, unknown where the platform
    /// does not publish a counter.
    pub fn counters_at(&self, at: DateTime<Utc>) -> Counters {
        let days = ((at - epoch()).num_seconds() as f64 / SECONDS_PER_DAY).max(0.0);
        let followers = self.followers_at(days);
        let value = |metric: Metric| -> Option<i64> {
            if !self.platform.metrics().contains(&metric) {
                return None;
            }
            let v = match metric {
                Metric::Followers => followers,
                Metric::Following => self.following + 0.05 * days,
                Metric::Posts => self.posts_at_epoch + self.posts_per_day * days,
                // Views accumulate: roughly the audience times a daily view rate.
                Metric::Views => followers * self.views_per_follower_day * (30.0 + days) * 10.0,
                Metric::Likes => followers * self.likes_per_follower,
                // Karma and reputation grow with what the account posts.
                Metric::Score => {
                    (self.posts_at_epoch + self.posts_per_day * days) * self.likes_per_follower
                }
                // Online members: a share of the members that swings with the weekday.
                Metric::Online => {
                    followers * (0.15 + 0.1 * (std::f64::consts::TAU * days / 7.0).sin())
                }
                // A few public lists per thousand followers.
                Metric::Listed => followers * 0.003,
            };
            Some(v.round().max(0.0) as i64)
        };
        Counters::from_fn(value)
    }

    fn followers_at(&self, days: f64) -> f64 {
        let trend = self.base * (self.daily_growth * days).exp();
        let weekly = 1.0
            + self.weekly_amplitude
                * (std::f64::consts::TAU * days / 7.0 + self.weekly_phase).sin();
        let day_index = days.floor() as u64;
        let mut day_rng = ChaCha8Rng::seed_from_u64(self.seed ^ day_index.rotate_left(17));
        let noise = 1.0 + day_rng.random_range(-1.0..1.0) * self.noise;
        trend * weekly * noise * self.events_factor(days)
    }

    /// The combined effect of the viral jumps and losses that happened up to `days`.
    /// Each jump ramps in over three days, as real surges do.
    fn events_factor(&self, days: f64) -> f64 {
        let windows = days as u64 / EVENT_WINDOW_DAYS;
        (0..=windows)
            .filter_map(|window| {
                let mut rng =
                    ChaCha8Rng::seed_from_u64(self.seed.wrapping_add(window.wrapping_mul(7919)));
                let roll: f64 = rng.random();
                let day = (window * EVENT_WINDOW_DAYS) as f64
                    + rng.random_range(0.0..EVENT_WINDOW_DAYS as f64);
                let size = if roll < 0.06 {
                    rng.random_range(0.05..0.30)
                } else if roll < 0.09 {
                    -rng.random_range(0.02..0.08)
                } else {
                    return None;
                };
                let progress = ((days - day) / 3.0).clamp(0.0, 1.0);
                Some(1.0 + size * progress)
            })
            .product()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn same_account_and_time_give_the_same_counters() {
        let at = Utc.with_ymd_and_hms(2026, 3, 14, 6, 0, 0).unwrap();
        let a = GrowthModel::for_account(Platform::Github, "octocat").counters_at(at);
        let b = GrowthModel::for_account(Platform::Github, "octocat").counters_at(at);
        assert_eq!(a, b);
        let other = GrowthModel::for_account(Platform::Github, "torvalds").counters_at(at);
        assert_ne!(a, other);
    }

    #[test]
    fn counters_a_platform_does_not_publish_stay_unknown() {
        let at = Utc.with_ymd_and_hms(2026, 3, 14, 6, 0, 0).unwrap();
        let youtube = GrowthModel::for_account(Platform::Youtube, "somechannel").counters_at(at);
        assert!(youtube.followers.is_some() && youtube.views.is_some());
        assert_eq!(youtube.following, None);
        assert_eq!(youtube.likes, None);
        let twitch = GrowthModel::for_account(Platform::Twitch, "streamer").counters_at(at);
        assert_eq!((twitch.posts, twitch.views), (None, None));
    }

    #[test]
    fn growth_is_smooth_day_to_day_but_moves_over_a_year() {
        let start = Utc.with_ymd_and_hms(2025, 1, 1, 6, 0, 0).unwrap();
        let mut moved = 0;
        for handle in ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"] {
            let model = GrowthModel::for_account(Platform::X, handle);
            let series: Vec<f64> = (0..365)
                .map(|d| {
                    model
                        .counters_at(start + Duration::days(d))
                        .followers
                        .unwrap() as f64
                })
                .collect();
            for pair in series.windows(2) {
                let change = (pair[1] - pair[0]).abs() / pair[0].max(1.0);
                assert!(change < 0.2, "{handle}: a daily change of {change}");
            }
            if (series[364] - series[0]).abs() / series[0] > 0.05 {
                moved += 1;
            }
        }
        assert!(moved >= 3, "most accounts should change over a year");
    }
}
