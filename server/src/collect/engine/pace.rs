//! The pace of a run's database work. A run is background work, like
//! PostgreSQL's autovacuum: after each chunk it claims and each batch it
//! stores, it rests in proportion to the time that work took, so that its
//! database work keeps at most its duty (a share of the time, 50% by
//! default) and the dashboard's and the API's reads the rest of the
//! processor.
//!
//! A lower CPU priority (`crate::priority`) alone is not enough on a small
//! machine: the kernel weighs a niced run low, but a run that is always
//! ready to work still keeps a core busy between the readers' turns, and
//! on two cores the readers' tail grew with it (see `bench/RESULTS.md`,
//! 2026-12-04, evening and night). A rest leaves the core idle for them. A run that waits on the
//! platforms rests as little as its work is short; only runs the database
//! keeps busy (many demo accounts) take longer. A rest never holds a
//! transaction: it comes after the claim or the batch has committed, so no
//! reader or other instance waits on a resting run's locks.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The smallest and largest duty, in percent.
pub const DUTY_RANGE: std::ops::RangeInclusive<u8> = 1..=100;

/// A run's pace and how long it rested.
#[derive(Debug)]
pub(super) struct Pace {
    /// The share of the time the run's database work may take, in percent.
    duty: u8,
    /// Microseconds rested since the last [`Pace::take_rested`].
    rested: AtomicU64,
}

impl Pace {
    pub(super) fn new(duty: u8) -> Self {
        Self {
            duty: duty.clamp(*DUTY_RANGE.start(), *DUTY_RANGE.end()),
            rested: AtomicU64::new(0),
        }
    }

    /// How long to rest after work that took `busy`: as long again at 50%,
    /// never at 100%.
    pub(super) fn rest_after(&self, busy: Duration) -> Duration {
        let idle = u32::from(100 - self.duty);
        busy.saturating_mul(idle) / u32::from(self.duty)
    }

    /// Rests after the work that began at `started`.
    pub(super) async fn rest_since(&self, started: Instant) {
        let rest = self.rest_after(started.elapsed());
        if rest.is_zero() {
            return;
        }
        tokio::time::sleep(rest).await;
        let micros = u64::try_from(rest.as_micros()).unwrap_or(u64::MAX);
        self.rested.fetch_add(micros, Ordering::Relaxed);
    }

    /// How long the run rested, counted from zero again.
    pub(super) fn take_rested(&self) -> Duration {
        Duration::from_micros(self.rested.swap(0, Ordering::Relaxed))
    }
}

/// The upkeep a run ends with (events, marks, kept leaderboards) rests as
/// its batches do.
impl db::write::Rest for Pace {
    async fn after(&self, started: Instant) {
        self.rest_since(started).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_rests_in_proportion_to_its_work() {
        let work = Duration::from_millis(120);
        assert_eq!(Pace::new(50).rest_after(work), work, "half the time");
        assert_eq!(Pace::new(25).rest_after(work), work * 3);
        assert_eq!(Pace::new(80).rest_after(work), work / 4);
        assert_eq!(Pace::new(100).rest_after(work), Duration::ZERO);
        // Out of range: the nearest duty.
        assert_eq!(Pace::new(0).rest_after(work), work * 99);
        assert_eq!(Pace::new(200).rest_after(work), Duration::ZERO);
    }

    #[tokio::test]
    async fn rests_are_counted_until_taken() {
        let pace = Pace::new(50);
        let started = Instant::now() - Duration::from_millis(40);
        pace.rest_since(started).await;
        let rested = pace.take_rested();
        assert!(rested >= Duration::from_millis(40), "{rested:?}");
        assert_eq!(pace.take_rested(), Duration::ZERO);
        let never = Pace::new(100);
        never.rest_since(started).await;
        assert_eq!(never.take_rested(), Duration::ZERO);
    }
}
