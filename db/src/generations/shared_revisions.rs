//! The accounts' revisions read for concurrent requests together: every
//! cached answer about one account asks for its revision, a round trip per
//! request (on PostgreSQL the largest part of a cached answer's cost). A
//! request's ids join the next read, which begins after the one under way
//! ends; that read asks for every id queued, so a request still sees every
//! write committed before it arrived, as with a read of its own. Alone, a
//! request reads once as before.
//!
//! The reads run on a task of their own, so that a request given up (its
//! client gone) does not leave the others waiting.
//!
//! With a [`Freshness`], what a read found answers later requests for the
//! same accounts while it is fresh ([`super::freshness`]), and the
//! accounts asked for more than once lately are kept warm: read again in
//! the background twice within that time ([`keep_warm`]), so that the
//! requests for them find a fresh reading instead of waiting for a round
//! trip. While a collection run kept PostgreSQL busy, those round trips
//! were most of the slow requests (bench/RESULTS.md, 2026-12-05).
//!
//! Over the 500-line guideline by its unit tests, which drive the sharing
//! and the warming with reads of their own.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::oneshot;

use super::{AccountWrites, Began, Freshness, Revisions, revisions};

/// Most ids one statement names (bound parameters stay few).
const CHUNK: usize = 500;

/// What one shared read found: each account's revision and what had been
/// written when its statement read it.
type Found = HashMap<i64, (i64, Option<AccountWrites>)>;
type Answer = Result<Arc<Found>, String>;

/// Past this many accounts, the readings no longer fresh are forgotten, and
/// the asks no longer warm.
const RECENT_KEPT: usize = 4096;

/// How long after its latest ask an account asked for more than once is
/// kept warm.
const WARM_FOR: Duration = Duration::from_secs(10);

/// Most accounts kept warm (the most recently asked for): two statements
/// of [`CHUNK`] ids twice within the freshness, whatever the requests.
const WARM_MOST: usize = 2 * CHUNK;

#[derive(Default)]
pub struct SharedRevisions {
    shared: Arc<Shared>,
}

/// What the requests and the tasks reading for them share.
#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    recent: Mutex<Recent>,
    freshness: Freshness,
    /// [`WARM_FOR`], shorter in tests.
    warm_for: Duration,
}

#[derive(Default)]
struct Queue {
    /// A task is reading (and will read what is queued after it).
    reading: bool,
    ids: BTreeSet<i64>,
    waiting: Vec<oneshot::Sender<Answer>>,
}

/// What the latest reads found, and what the requests asked for.
#[derive(Default)]
struct Recent {
    /// Each account's revision as the latest read that asked for it found
    /// it, what had been written then, and when that read began.
    readings: HashMap<i64, (i64, Option<AccountWrites>, Began)>,
    /// When each account was last asked for, and whether it had been
    /// asked for within [`Shared::warm_for`] before.
    asked: HashMap<i64, Asked>,
    /// A task keeps the warm accounts' readings fresh ([`keep_warm`]).
    warming: bool,
}

#[derive(Clone, Copy)]
struct Asked {
    last: Instant,
    again: bool,
}

impl SharedRevisions {
    /// Shared reads whose results answer later requests for `freshness`.
    pub fn new(freshness: Freshness) -> Self {
        Self {
            shared: Arc::new(Shared {
                freshness,
                warm_for: WARM_FOR,
                ..Shared::default()
            }),
        }
    }

    /// [`revisions`] of `ids`, shared with the requests that queue beside
    /// this one, or as a fresh read found them.
    pub async fn read(&self, db: &DatabaseConnection, ids: &[i64]) -> Result<Revisions, DbErr> {
        let reader = db.clone();
        let read = move |ids: Vec<i64>| {
            let db = reader.clone();
            async move { read_all(&db, &ids).await }
        };
        match self.read_via(ids, read).await? {
            Some(revisions) => Ok(revisions),
            // Its ids were read by two statements a write came between:
            // read again, in one.
            None => revisions(db, ids).await,
        }
    }

    /// [`Self::read`] with the read given; `None` when the ids were found
    /// at different states of what had been written.
    async fn read_via<Read, Fut>(&self, ids: &[i64], read: Read) -> Result<Option<Revisions>, DbErr>
    where
        Read: Fn(Vec<i64>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Found, DbErr>> + Send + 'static,
    {
        let (fresh, warm) = self.ask(ids);
        if warm {
            tokio::spawn(keep_warm(self.shared.clone(), read.clone()));
        }
        if let Some(fresh) = fresh {
            return Ok(Some(fresh));
        }
        let found = read_with(&self.shared, ids, read).await?;
        let of: Vec<Option<(i64, Option<AccountWrites>)>> =
            ids.iter().map(|id| found.get(id).copied()).collect();
        let mut written = of.iter().flatten().map(|(_, written)| *written);
        let first = written.next().flatten();
        if written.any(|other| other != first) {
            return Ok(None);
        }
        Ok(Some(Revisions {
            of: of.iter().map(|found| found.map(|(r, _)| r)).collect(),
            written: first,
        }))
    }

    /// Notes that `ids` were asked for, and returns their revisions as
    /// fresh reads found them if every one was found, fresh, at the same
    /// state of what had been written; beside it, whether the caller is to
    /// start keeping the warm accounts' readings fresh.
    fn ask(&self, ids: &[i64]) -> (Option<Revisions>, bool) {
        let shared = &self.shared;
        if shared.freshness.within.is_zero() {
            return (None, false);
        }
        let mut recent = shared.recent.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if recent.asked.len() > RECENT_KEPT {
            let warm_for = shared.warm_for;
            recent
                .asked
                .retain(|_, asked| now.duration_since(asked.last) <= warm_for);
        }
        let mut again = false;
        for id in ids {
            match recent.asked.entry(*id) {
                Entry::Occupied(mut asked) => {
                    let asked = asked.get_mut();
                    // Asked for before, within the time it is kept warm for.
                    asked.again = now.duration_since(asked.last) <= shared.warm_for;
                    asked.last = now;
                    again |= asked.again;
                }
                Entry::Vacant(first) => {
                    first.insert(Asked {
                        last: now,
                        again: false,
                    });
                }
            }
        }
        let warm = again && !std::mem::replace(&mut recent.warming, true);
        (fresh(&shared.freshness, &recent, ids), warm)
    }
}

/// The revisions of `ids` as fresh reads found them, if every one was
/// found, fresh, at the same state of what had been written.
fn fresh(freshness: &Freshness, recent: &Recent, ids: &[i64]) -> Option<Revisions> {
    let mut written = None;
    let mut of = Vec::with_capacity(ids.len());
    for id in ids {
        let &(revision, found_written, began) = recent.readings.get(id)?;
        if !freshness.serves(began) || written.is_some_and(|w| w != found_written) {
            return None;
        }
        written = Some(found_written);
        of.push(Some(revision));
    }
    Some(Revisions {
        of,
        written: written?,
    })
}

/// Queues `ids` for the next read, which `read` makes when this call
/// starts the reading task (the calls that find it reading add theirs).
async fn read_with<Read, Fut>(
    shared: &Arc<Shared>,
    ids: &[i64],
    read: Read,
) -> Result<Arc<Found>, DbErr>
where
    Read: Fn(Vec<i64>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Found, DbErr>> + Send + 'static,
{
    let (sender, receiver) = oneshot::channel();
    let start = {
        let mut queue = lock(&shared.queue);
        queue.ids.extend(ids);
        queue.waiting.push(sender);
        !std::mem::replace(&mut queue.reading, true)
    };
    if start {
        tokio::spawn(read_queued(shared.clone(), read));
    }
    receiver
        .await
        .map_err(|_| DbErr::Custom("the shared read of revisions stopped".to_owned()))?
        .map_err(DbErr::Custom)
}

/// Reads what is queued, again and again until nothing is, and keeps what
/// each read found for the requests after it.
async fn read_queued<Read, Fut>(shared: Arc<Shared>, read: Read)
where
    Read: Fn(Vec<i64>) -> Fut,
    Fut: Future<Output = Result<Found, DbErr>>,
{
    let _reading = Reading(shared.clone());
    loop {
        let (ids, waiting) = {
            let mut queue = lock(&shared.queue);
            if queue.waiting.is_empty() {
                queue.reading = false;
                return;
            }
            (
                std::mem::take(&mut queue.ids),
                std::mem::take(&mut queue.waiting),
            )
        };
        let began = shared.freshness.begin();
        let answer: Answer = read(ids.into_iter().collect())
            .await
            .map(Arc::new)
            .map_err(|error| error.to_string());
        if let Ok(found) = &answer
            && !shared.freshness.within.is_zero()
        {
            remember(&shared.freshness, &shared.recent, found, began);
        }
        for waiter in waiting {
            // A request given up no longer listens.
            let _ = waiter.send(answer.clone());
        }
    }
}

/// Reads the warm accounts' revisions twice within the freshness of a
/// reading, through the queue the requests share, for as long as some
/// account is warm: asked for more than once, the latest time at most
/// [`Shared::warm_for`] ago. An account asked for once (a crawler going
/// through every page) is not read again for it.
async fn keep_warm<Read, Fut>(shared: Arc<Shared>, read: Read)
where
    Read: Fn(Vec<i64>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Found, DbErr>> + Send + 'static,
{
    let _warming = Warming(shared.clone());
    let mut every = tokio::time::interval(shared.freshness.ahead_every());
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    every.tick().await;
    loop {
        every.tick().await;
        let Some(ids) = warm(&shared) else {
            return;
        };
        if let Err(error) = read_with(&shared, &ids, read.clone()).await {
            // The requests then read themselves, and meet the error.
            tracing::debug!(%error, "reading the warm accounts' revisions failed");
        }
    }
}

/// The accounts to keep warm now, the most recently asked for first;
/// `None` when there are none, and then no task keeps any warm.
fn warm(shared: &Shared) -> Option<Vec<i64>> {
    let mut recent = shared.recent.lock().unwrap_or_else(|e| e.into_inner());
    let now = Instant::now();
    let mut warm: Vec<(Instant, i64)> = recent
        .asked
        .iter()
        .filter(|(_, asked)| asked.again && now.duration_since(asked.last) <= shared.warm_for)
        .map(|(id, asked)| (asked.last, *id))
        .collect();
    if warm.is_empty() {
        recent.warming = false;
        return None;
    }
    if warm.len() > WARM_MOST {
        warm.select_nth_unstable_by(WARM_MOST, |a, b| b.0.cmp(&a.0));
        warm.truncate(WARM_MOST);
    }
    Some(warm.into_iter().map(|(_, id)| id).collect())
}

/// Should the reading task panic, the queue is not left reading forever:
/// the next request starts another, and those waiting are let go (an
/// error).
struct Reading(Arc<Shared>);

impl Drop for Reading {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = lock(&self.0.queue);
            queue.reading = false;
            queue.waiting.clear();
        }
    }
}

/// However the task keeping accounts warm ends (a panic, the runtime
/// shutting down), a later request may start another.
struct Warming(Arc<Shared>);

impl Drop for Warming {
    fn drop(&mut self) {
        let mut recent = self.0.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.warming = false;
    }
}

/// Keeps what a read that began at `began` found, for the requests after
/// it (a reading that began later is kept instead, should one be there).
fn remember(freshness: &Freshness, recent: &Mutex<Recent>, found: &Found, began: Began) {
    let mut recent = recent.lock().unwrap_or_else(|e| e.into_inner());
    let readings = &mut recent.readings;
    if readings.len() > RECENT_KEPT {
        readings.retain(|_, (.., at)| freshness.serves(*at));
    }
    for (id, (revision, written)) in found {
        readings
            .entry(*id)
            .and_modify(|reading| {
                if !reading.2.after(began) {
                    *reading = (*revision, *written, began);
                }
            })
            .or_insert((*revision, *written, began));
    }
}

fn lock(queue: &Mutex<Queue>) -> MutexGuard<'_, Queue> {
    queue.lock().unwrap_or_else(|e| e.into_inner())
}

async fn read_all(db: &DatabaseConnection, ids: &[i64]) -> Result<Found, DbErr> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        let read = revisions(db, chunk).await?;
        found.extend(
            chunk
                .iter()
                .zip(read.of)
                .filter_map(|(id, revision)| Some((*id, (revision?, read.written)))),
        );
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use tokio::sync::Semaphore;

    use super::*;

    type Pending = std::pin::Pin<Box<dyn Future<Output = Result<Found, DbErr>> + Send>>;

    fn at(n: i64) -> AccountWrites {
        AccountWrites::of(n, n, false)
    }

    /// A read that records the ids each call asks for, answers with the
    /// call's number as every account's revision, and waits at `gate`.
    fn counted(
        asked: Arc<Mutex<Vec<Vec<i64>>>>,
        gate: Arc<Semaphore>,
    ) -> impl Fn(Vec<i64>) -> Pending + Send + 'static {
        move |ids: Vec<i64>| {
            let (asked, gate) = (asked.clone(), gate.clone());
            Box::pin(async move {
                let call = {
                    let mut asked = asked.lock().unwrap();
                    asked.push(ids.clone());
                    asked.len() as i64
                };
                gate.acquire().await.unwrap().forget();
                Ok(ids
                    .into_iter()
                    .map(|id| (id, (call, Some(at(0)))))
                    .collect())
            })
        }
    }

    #[tokio::test]
    async fn requests_that_arrive_during_a_read_share_the_next_one() {
        let shared = SharedRevisions::default();
        let asked = Arc::default();
        let gate = Arc::new(Semaphore::new(0));
        let read = || counted(Arc::clone(&asked), gate.clone());

        let mut first = std::pin::pin!(read_with(&shared.shared, &[1], read()));
        assert!(futures_poll(first.as_mut()).is_pending());
        // The reading task takes the first request's id and waits at the gate.
        while asked.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let asks: Vec<[i64; 2]> = (2..=64).map(|id| [id, 1]).collect();
        let mut during: Vec<_> = asks
            .iter()
            .map(|ids| Box::pin(read_with(&shared.shared, ids, read())))
            .collect();
        for request in &mut during {
            assert!(futures_poll(request.as_mut()).is_pending());
        }
        gate.add_permits(10);
        assert_eq!(first.await.unwrap()[&1], (1, Some(at(0))));
        for request in during {
            // Not the read under way when they arrived: the next one, which
            // sees what was written before they did.
            assert_eq!(request.await.unwrap()[&1], (2, Some(at(0))));
        }
        assert_eq!(
            *asked.lock().unwrap(),
            [vec![1], (1..=64).collect::<Vec<i64>>()],
            "two reads for 64 requests"
        );

        // Alone again: a read of its own.
        assert_eq!(
            read_with(&shared.shared, &[7], read()).await.unwrap()[&7],
            (3, Some(at(0)))
        );
    }

    #[tokio::test]
    async fn a_read_that_panics_lets_its_requests_go_and_the_next_reads_again() {
        let shared = SharedRevisions::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let read = {
            let calls = calls.clone();
            move |ids: Vec<i64>| {
                let call = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    assert!(call > 0, "the first read fails");
                    Ok(ids.into_iter().map(|id| (id, (5, None))).collect())
                }
            }
        };
        assert!(read_with(&shared.shared, &[1], read.clone()).await.is_err());
        assert_eq!(
            read_with(&shared.shared, &[1], read).await.unwrap()[&1],
            (5, None)
        );
    }

    #[tokio::test]
    async fn accounts_asked_for_again_are_read_ahead_until_they_cool() {
        let revisions = SharedRevisions {
            shared: Arc::new(Shared {
                freshness: Freshness {
                    within: Duration::from_millis(600),
                    ..Freshness::default()
                },
                warm_for: Duration::from_millis(1500),
                ..Shared::default()
            }),
        };
        let shared = revisions.shared.clone();
        let asked: Arc<Mutex<Vec<Vec<i64>>>> = Arc::default();
        let read = {
            let asked = asked.clone();
            move |ids: Vec<i64>| {
                let asked = asked.clone();
                async move {
                    let call = {
                        let mut asked = asked.lock().unwrap();
                        asked.push(ids.clone());
                        asked.len() as i64
                    };
                    Ok(ids
                        .into_iter()
                        .map(|id| (id, (call, Some(at(0)))))
                        .collect::<Found>())
                }
            }
        };
        let reads = || asked.lock().unwrap().clone();

        // Account 1 asked for twice, account 2 once: two reads, the second
        // ask for 1 answered by the first.
        for id in [1, 2, 1] {
            revisions.read_via(&[id], read.clone()).await.unwrap();
        }
        assert_eq!(reads(), [vec![1], vec![2]]);
        assert!(shared.recent.lock().unwrap().warming);

        // Long past its own read's freshness, account 1 is fresh: read
        // ahead twice within that time. Account 2 is not.
        tokio::time::sleep(Duration::from_millis(1400)).await;
        let ahead = reads();
        assert!(ahead.len() >= 4, "{ahead:?}");
        assert!(ahead[2..].iter().all(|ids| ids == &[1]), "{ahead:?}");
        {
            let recent = shared.recent.lock().unwrap();
            let one = fresh(&shared.freshness, &recent, &[1]).expect("account 1 fresh");
            assert!(one.of[0] > Some(2), "found by a read ahead");
            assert!(fresh(&shared.freshness, &recent, &[2]).is_none());
        }

        // Asked for no more, it cools: the reads ahead stop.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let cooled = reads().len();
        assert!(!shared.recent.lock().unwrap().warming);
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(reads().len(), cooled);
    }

    /// Polls a future once.
    fn futures_poll<F: Future + ?Sized>(
        future: std::pin::Pin<&mut F>,
    ) -> std::task::Poll<F::Output> {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        future.poll(&mut context)
    }
}
