//! The collection schedule of `reach serve`: a run at start-up for what is
//! due, then one whenever a platform's next cycle begins, and one whenever
//! the dashboard or the API asks ([`CollectTrigger`]).
//!
//! Cycles are wall-clock slots of each platform's interval, so restarts and
//! other instances never collect an account twice in one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::model::Platform;
use app::ssr::state::CollectTrigger;
use chrono::{DateTime, Utc};

use crate::collect::engine::{DueBefore, Engine, cycle_start};

/// How often accounts are collected: every `interval`, except on platforms
/// given an interval of their own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    pub interval: Duration,
    pub platforms: HashMap<Platform, Duration>,
}

impl Schedule {
    /// What is due at `now`: each platform's accounts not attempted since the
    /// start of that platform's current cycle.
    pub fn due(&self, now: DateTime<Utc>) -> DueBefore {
        DueBefore {
            default: cycle_start(now, self.interval),
            platforms: self
                .platforms
                .iter()
                .map(|(platform, interval)| (*platform, cycle_start(now, *interval)))
                .collect(),
        }
    }

    /// When the next cycle of any platform begins.
    pub fn next_cycle(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        std::iter::once(self.interval)
            .chain(self.platforms.values().copied())
            .map(|interval| {
                cycle_start(now, interval)
                    + chrono::Duration::from_std(interval).unwrap_or_default()
            })
            .min()
            .unwrap_or(now)
    }
}

/// Runs collections for as long as the server runs: on `schedule` (when
/// given) and on every manual request. Returns once the engine is asked to
/// stop (its run, if one is under way, stops at an account boundary first).
pub async fn collect(engine: Arc<Engine>, schedule: Option<Schedule>, trigger: CollectTrigger) {
    // A run left "running" by a killed predecessor is recorded once it has
    // been silent long enough, whether or not a run starts before then.
    let recovering = engine.clone();
    tokio::spawn(async move {
        tokio::time::sleep(recovering.abandoned_after() + Duration::from_secs(1)).await;
        if let Err(error) = recovering.recover_abandoned_runs().await {
            tracing::error!(
                error = format!("{error:#}"),
                "cannot recover abandoned runs"
            );
        }
    });
    let stop = engine.stop_handle();
    let mut manual = false;
    loop {
        if stop.is_requested() {
            return;
        }
        let due = match (&schedule, manual) {
            (Some(schedule), false) => schedule.due(Utc::now()),
            _ => DueBefore::all(Utc::now()),
        };
        if schedule.is_some() || manual {
            trigger.set_busy(true);
            if let Err(error) = engine.run(due).await {
                tracing::error!(error = format!("{error:#}"), "collection failed");
            }
            trigger.set_busy(false);
        }
        let next = schedule
            .as_ref()
            .map(|schedule| schedule.next_cycle(Utc::now()));
        trigger.set_next_cycle(next);
        let wait = next.map(|next| (next - Utc::now()).to_std().unwrap_or_default());
        manual = tokio::select! {
            () = trigger.requested() => true,
            () = sleep_or_forever(wait) => false,
            () = stop.requested() => return,
        };
    }
}

async fn sleep_or_forever(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn each_platform_is_due_on_its_own_cycle() {
        let schedule = Schedule {
            interval: Duration::from_secs(3600),
            platforms: HashMap::from([(Platform::Github, Duration::from_secs(6 * 3600))]),
        };
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 10, 42, 7).unwrap();
        let due = schedule.due(now);
        assert_eq!(
            due.default,
            Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap()
        );
        assert_eq!(
            due.platforms[&Platform::Github],
            Utc.with_ymd_and_hms(2026, 11, 24, 6, 0, 0).unwrap()
        );
        assert_eq!(
            schedule.next_cycle(now),
            Utc.with_ymd_and_hms(2026, 11, 24, 11, 0, 0).unwrap()
        );
        let quick = Schedule {
            interval: Duration::from_secs(3600),
            platforms: HashMap::from([(Platform::Bluesky, Duration::from_secs(900))]),
        };
        assert_eq!(
            quick.next_cycle(now),
            Utc.with_ymd_and_hms(2026, 11, 24, 10, 45, 0).unwrap()
        );
    }
}
