//! The collection schedule of `reach serve`: a run at start-up for what is
//! due, then one whenever a platform's next cycle begins, one whenever the
//! dashboard or the API asks ([`CollectTrigger`], on any instance), and one
//! when a dead instance's accounts come back in the current cycle
//! ([`crate::collect::cluster`]).
//!
//! Cycles are wall-clock slots of each platform's interval, so restarts and
//! other instances never collect an account twice in one.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::model::Platform;
use app::ssr::state::CollectTrigger;
use chrono::{DateTime, Utc};

use crate::collect::cluster::{self, Signals};
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
            account: None,
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

/// Why a run starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// A cycle began (or the server started).
    Schedule,
    /// Someone asked, on this instance or another: what was not attempted
    /// since the request.
    Asked(Option<DateTime<Utc>>),
    /// A dead instance's accounts came back.
    Takeover,
    /// Someone watches accounts' live counts: each one's own run, if it
    /// was not attempted within the watch interval.
    Watch,
}

/// Runs collections for as long as the server runs: on `schedule` (when
/// given), on every manual request and on takeovers, with the instance's
/// heartbeat beside them. Returns once the engine is asked to stop (its
/// run, if one is under way, stops at an account boundary first).
pub async fn collect(engine: Arc<Engine>, schedule: Option<Schedule>, trigger: CollectTrigger) {
    let signals = Signals::default();
    let beating = tokio::spawn(cluster::run(
        engine.clone(),
        trigger.clone(),
        signals.clone(),
    ));
    let stop = engine.stop_handle();
    let mut reason = Reason::Schedule;
    // The due of the latest run: instances run the same cycle or the same
    // cluster-wide request, so a dead instance's accounts were due by it.
    let mut latest: Option<DueBefore> = None;
    loop {
        if stop.is_requested() {
            break;
        }
        if reason == Reason::Watch {
            watch(&engine, &trigger).await;
        } else {
            run_for(&engine, &schedule, reason, &mut latest, &trigger).await;
        }
        let next = schedule
            .as_ref()
            .map(|schedule| schedule.next_cycle(Utc::now()));
        trigger.set_next_cycle(next);
        let wait = next.map(|next| (next - Utc::now()).to_std().unwrap_or_default());
        reason = tokio::select! {
            () = trigger.requested() => Reason::Asked(trigger.take_asked_at()),
            () = trigger.watch_requested() => Reason::Watch,
            () = signals.takeover.notified() => Reason::Takeover,
            () = sleep_or_forever(wait) => Reason::Schedule,
            () = stop.requested() => break,
        };
    }
    // The beat says goodbye once it sees the stop.
    let _ = beating.await;
}

/// The run a `reason` other than a watch asks for, if it wants one;
/// `latest` keeps the due of the latest run (a takeover's).
async fn run_for(
    engine: &Engine,
    schedule: &Option<Schedule>,
    reason: Reason,
    latest: &mut Option<DueBefore>,
    trigger: &CollectTrigger,
) {
    let due = match (schedule, reason, &*latest) {
        (_, Reason::Asked(since), _) => DueBefore::all(since.unwrap_or_else(Utc::now)),
        (_, Reason::Takeover, Some(latest)) => latest.clone(),
        (Some(schedule), _, _) => schedule.due(Utc::now()),
        (None, _, _) => DueBefore::all(Utc::now()),
    };
    let wanted = match reason {
        Reason::Asked(_) => true,
        Reason::Schedule => schedule.is_some(),
        // Only what is left: the takeover may have come mid-run, which
        // collected the accounts already.
        Reason::Takeover => {
            (schedule.is_some() || latest.is_some()) && engine.any_due(&due).await.unwrap_or(true)
        }
        // Handled by `watch`.
        Reason::Watch => false,
    };
    if wanted {
        *latest = Some(due.clone());
        trigger.set_busy(true);
        if let Err(error) = engine.run(due).await {
            tracing::error!(error = format!("{error:#}"), "collection failed");
        }
        trigger.set_busy(false);
    }
}

/// One run per watched account not attempted within the watch interval
/// (none for one collected recently: its page already shows that). Like
/// every run, it leases the account and waits for its platform's budget.
async fn watch(engine: &Engine, trigger: &CollectTrigger) {
    let every = chrono::Duration::from_std(trigger.watch_every()).unwrap_or_default();
    for account in trigger.take_watched() {
        // The database's clock, as the API's answer and the attempts judge.
        let Ok(now) = db::clock::now(engine.db()).await else {
            continue;
        };
        let due = DueBefore::account(account, now - every);
        if !engine.any_due(&due).await.unwrap_or(false) {
            continue;
        }
        trigger.set_busy(true);
        if let Err(error) = engine.run(due).await {
            tracing::error!(
                account,
                error = format!("{error:#}"),
                "a watched account's collection failed"
            );
        }
        trigger.set_busy(false);
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
