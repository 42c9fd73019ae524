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
//! same accounts while it is fresh ([`super::freshness`]).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::oneshot;

use super::{AccountWrites, Began, Freshness, Revisions, revisions};

/// Most ids one statement names (bound parameters stay few).
const CHUNK: usize = 500;

/// What one shared read found: each account's revision and what had been
/// written when its statement read it.
type Found = HashMap<i64, (i64, Option<AccountWrites>)>;
type Answer = Result<Arc<Found>, String>;

/// Each account's revision as the latest read that asked for it found
/// it, what had been written then, and when that read began.
type Recent = HashMap<i64, (i64, Option<AccountWrites>, Began)>;

/// Past this many accounts, the readings no longer fresh are forgotten.
const RECENT_KEPT: usize = 4096;

#[derive(Default)]
pub struct SharedRevisions {
    queue: Arc<Mutex<Queue>>,
    freshness: Freshness,
    recent: Arc<Mutex<Recent>>,
}

#[derive(Default)]
struct Queue {
    /// A task is reading (and will read what is queued after it).
    reading: bool,
    ids: BTreeSet<i64>,
    waiting: Vec<oneshot::Sender<Answer>>,
}

impl SharedRevisions {
    /// Shared reads whose results answer later requests for `freshness`.
    pub fn new(freshness: Freshness) -> Self {
        Self {
            freshness,
            ..Self::default()
        }
    }

    /// [`revisions`] of `ids`, shared with the requests that queue beside
    /// this one, or as a fresh read found them.
    pub async fn read(&self, db: &DatabaseConnection, ids: &[i64]) -> Result<Revisions, DbErr> {
        if let Some(fresh) = self.fresh(ids) {
            return Ok(fresh);
        }
        let reader = db.clone();
        let freshness = self.freshness.clone();
        let recent = self.recent.clone();
        let found = self
            .read_with(ids, move |ids| {
                let db = reader.clone();
                let (freshness, recent) = (freshness.clone(), recent.clone());
                async move {
                    let began = freshness.begin();
                    let found = read_all(&db, &ids).await?;
                    if !freshness.within.is_zero() {
                        remember(&freshness, &recent, &found, began);
                    }
                    Ok(found)
                }
            })
            .await?;
        let of: Vec<Option<(i64, Option<AccountWrites>)>> =
            ids.iter().map(|id| found.get(id).copied()).collect();
        let mut written = of.iter().flatten().map(|(_, written)| *written);
        let first = written.next().flatten();
        if written.any(|other| other != first) {
            // Its ids were read by two statements a write came between:
            // read again, in one.
            return revisions(db, ids).await;
        }
        Ok(Revisions {
            of: of.iter().map(|found| found.map(|(r, _)| r)).collect(),
            written: first,
        })
    }

    /// The revisions of `ids` as fresh reads found them, if every one was
    /// found, fresh, at the same state of what had been written.
    fn fresh(&self, ids: &[i64]) -> Option<Revisions> {
        if self.freshness.within.is_zero() {
            return None;
        }
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let mut written = None;
        let mut of = Vec::with_capacity(ids.len());
        for id in ids {
            let &(revision, found_written, began) = recent.get(id)?;
            if !self.freshness.serves(began) || written.is_some_and(|w| w != found_written) {
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
    async fn read_with<Read, Fut>(&self, ids: &[i64], read: Read) -> Result<Arc<Found>, DbErr>
    where
        Read: Fn(Vec<i64>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Found, DbErr>> + Send + 'static,
    {
        let (sender, receiver) = oneshot::channel();
        let start = {
            let mut queue = lock(&self.queue);
            queue.ids.extend(ids);
            queue.waiting.push(sender);
            !std::mem::replace(&mut queue.reading, true)
        };
        if start {
            tokio::spawn(read_queued(self.queue.clone(), read));
        }
        receiver
            .await
            .map_err(|_| DbErr::Custom("the shared read of revisions stopped".to_owned()))?
            .map_err(DbErr::Custom)
    }
}

/// Reads what is queued, again and again until nothing is.
async fn read_queued<Read, Fut>(queue: Arc<Mutex<Queue>>, read: Read)
where
    Read: Fn(Vec<i64>) -> Fut,
    Fut: Future<Output = Result<Found, DbErr>>,
{
    let _reading = Reading(queue.clone());
    loop {
        let (ids, waiting) = {
            let mut queue = lock(&queue);
            if queue.waiting.is_empty() {
                queue.reading = false;
                return;
            }
            (
                std::mem::take(&mut queue.ids),
                std::mem::take(&mut queue.waiting),
            )
        };
        let answer: Answer = read(ids.into_iter().collect())
            .await
            .map(Arc::new)
            .map_err(|error| error.to_string());
        for waiter in waiting {
            // A request given up no longer listens.
            let _ = waiter.send(answer.clone());
        }
    }
}

/// Should the reading task panic, the queue is not left reading forever:
/// the next request starts another, and those waiting are let go (an
/// error).
struct Reading(Arc<Mutex<Queue>>);

impl Drop for Reading {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut queue = lock(&self.0);
            queue.reading = false;
            queue.waiting.clear();
        }
    }
}

/// Keeps what a read that began at `began` found, for the requests after it.
fn remember(freshness: &Freshness, recent: &Mutex<Recent>, found: &Found, began: Began) {
    let mut recent = recent.lock().unwrap_or_else(|e| e.into_inner());
    if recent.len() > RECENT_KEPT {
        recent.retain(|_, (.., at)| freshness.serves(*at));
    }
    for (id, (revision, written)) in found {
        recent.insert(*id, (*revision, *written, began));
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

        let mut first = std::pin::pin!(shared.read_with(&[1], read()));
        assert!(futures_poll(first.as_mut()).is_pending());
        // The reading task takes the first request's id and waits at the gate.
        while asked.lock().unwrap().is_empty() {
            tokio::task::yield_now().await;
        }
        let asks: Vec<[i64; 2]> = (2..=64).map(|id| [id, 1]).collect();
        let mut during: Vec<_> = asks
            .iter()
            .map(|ids| Box::pin(shared.read_with(ids, read())))
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
            shared.read_with(&[7], read()).await.unwrap()[&7],
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
        assert!(shared.read_with(&[1], read.clone()).await.is_err());
        assert_eq!(shared.read_with(&[1], read).await.unwrap()[&1], (5, None));
    }

    /// Polls a future once.
    fn futures_poll<F: Future + ?Sized>(
        future: std::pin::Pin<&mut F>,
    ) -> std::task::Poll<F::Output> {
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        future.poll(&mut context)
    }
}
