//! How long a reading of the data's versions (the generations, an
//! account's revision) answers the requests that come after it.
//!
//! Every cached answer is keyed by such a reading, and a reading is a
//! round trip to the database: under load it was most of what a cached
//! answer cost (a query through SQLite's connection thread, or to the
//! PostgreSQL server on the same cores), and the requests that queued for
//! it left the CPU idle (bench/RESULTS.md, 2026-12-04). So a reading that
//! began at most [`Freshness::within`] ago answers a request without a
//! round trip of its own, unless this process wrote since it began
//! ([`LocalWrites`]): what a person does through this instance (a form, a
//! collection run it made) is on the next read, and what another process
//! wrote (another instance, the command line) is on every read that
//! arrives more than `within` after its commit. Zero: every request reads
//! (as with a read of its own).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The writes this process made, counted once each has committed: a
/// reading that began before the latest one answers nothing after it.
#[derive(Clone, Debug, Default)]
pub struct LocalWrites(Arc<AtomicU64>);

impl LocalWrites {
    /// Records a committed write (call it after the commit: a reading that
    /// began before it is then never reused).
    pub fn wrote(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn count(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// When a reading may answer later requests.
#[derive(Clone, Debug, Default)]
pub struct Freshness {
    /// How long after it began a reading answers later requests; zero:
    /// never.
    pub within: Duration,
    /// This process's writes.
    pub local: LocalWrites,
}

/// When a reading began, for [`Freshness::serves`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Began {
    at: Instant,
    /// [`LocalWrites`] counted before it began.
    local: u64,
}

impl Freshness {
    /// Notes the moment a reading begins (before its query is sent).
    pub(crate) fn begin(&self) -> Began {
        Began {
            local: self.local.count(),
            at: Instant::now(),
        }
    }

    /// Whether a reading that began at `began` answers a request arriving
    /// now: it began at most `within` ago, and this process has written
    /// nothing since.
    pub(crate) fn serves(&self, began: Began) -> bool {
        !self.within.is_zero()
            && began.local == self.local.count()
            && began.at.elapsed() <= self.within
    }
}

impl Began {
    /// Whether this reading began after `other`.
    pub(crate) fn after(&self, other: Began) -> bool {
        self.at > other.at
    }
}

impl Freshness {
    /// Whether a reading that began at `began` is past half its time: the
    /// next one is then read ahead of the requests that will need it.
    pub(crate) fn half_spent(&self, began: Began) -> bool {
        began.at.elapsed() > self.within / 2
    }

    /// How often the readings kept warm are read again: twice within their
    /// time, so that one read may take up to half of it and the requests
    /// still find them fresh.
    pub(crate) fn ahead_every(&self) -> Duration {
        self.within / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reading_serves_within_its_time_until_this_process_writes() {
        let fresh = Freshness {
            within: Duration::from_secs(3600),
            local: LocalWrites::default(),
        };
        let began = fresh.begin();
        assert!(fresh.serves(began));
        fresh.local.wrote();
        assert!(!fresh.serves(began), "a local write is on the next read");
        assert!(fresh.serves(fresh.begin()));
    }

    #[tokio::test]
    async fn shared_reads_read_again_only_when_stale_or_after_a_local_write() {
        use std::sync::atomic::AtomicI64;

        use super::super::{Domain, Generations, SharedReads};

        let fresh = Freshness {
            within: Duration::from_secs(3600),
            local: LocalWrites::default(),
        };
        let reads = SharedReads::new(fresh.clone());
        let count = AtomicI64::new(0);
        let read = || async {
            let n = count.fetch_add(1, Ordering::SeqCst) + 1;
            let mut generations = Generations::default();
            generations.domains[Domain::Accounts as usize] = n;
            Ok(generations)
        };
        let accounts = |g: Generations| g.of(Domain::Accounts);
        assert_eq!(accounts(reads.share(read).await.unwrap()), 1);
        assert_eq!(accounts(reads.share(read).await.unwrap()), 1, "fresh");
        fresh.local.wrote();
        assert_eq!(accounts(reads.share(read).await.unwrap()), 2);
        assert_eq!(accounts(reads.share(read).await.unwrap()), 2);

        let every_time = SharedReads::default();
        assert_eq!(accounts(every_time.share(read).await.unwrap()), 3);
        assert_eq!(accounts(every_time.share(read).await.unwrap()), 4);
    }

    #[tokio::test]
    async fn a_reading_past_half_its_time_has_the_next_one_read_ahead() {
        use std::sync::atomic::AtomicI64;

        use super::super::{Domain, Generations, SharedReads};

        let reads = SharedReads::new(Freshness {
            within: Duration::from_millis(800),
            local: LocalWrites::default(),
        });
        let count = Arc::new(AtomicI64::new(0));
        let read = {
            let count = count.clone();
            move || {
                let count = count.clone();
                async move {
                    let mut generations = Generations::default();
                    generations.domains[Domain::Accounts as usize] =
                        count.fetch_add(1, Ordering::SeqCst) + 1;
                    Ok(generations)
                }
            }
        };
        let accounts = |g: Generations| g.of(Domain::Accounts);
        assert_eq!(accounts(reads.current_via(read.clone()).await.unwrap()), 1);
        assert_eq!(accounts(reads.current_via(read.clone()).await.unwrap()), 1);
        assert_eq!(count.load(Ordering::SeqCst), 1, "fresh: no read");

        tokio::time::sleep(Duration::from_millis(500)).await;
        // Answered by the reading it found, which has the next one read in
        // the background.
        assert_eq!(accounts(reads.current_via(read.clone()).await.unwrap()), 1);
        for _ in 0..100 {
            if count.load(Ordering::SeqCst) == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(count.load(Ordering::SeqCst), 2, "read ahead once");
        tokio::time::sleep(Duration::from_millis(500)).await;
        // 1 s after the first read, the one made ahead answers.
        assert_eq!(accounts(reads.current_via(read).await.unwrap()), 2);
    }

    #[test]
    fn zero_or_past_its_time_a_reading_serves_nothing_after_it() {
        let never = Freshness::default();
        assert!(!never.serves(never.begin()));
        let brief = Freshness {
            within: Duration::from_millis(1),
            local: LocalWrites::default(),
        };
        let began = brief.begin();
        std::thread::sleep(Duration::from_millis(5));
        assert!(!brief.serves(began));
    }
}
