//! Live updates' hub, one per instance (in [`AppState`](super::state::AppState)):
//! the server's watcher (`reach::live`) finds that the stored data changed
//! and sends a [`LiveChange`] here; every open `GET /api/live` stream of
//! this instance receives it. Bounded: at most [`MAX_STREAMS`] streams at
//! once (each holds a connection), and a stream that falls behind gets one
//! change naming every domain instead of the ones it missed.

use std::sync::Arc;

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, broadcast, watch};

use crate::model::LiveChange;

/// Open streams per instance at most; one more is refused (503).
pub const MAX_STREAMS: usize = 1_000;

/// Changes a slow stream may be behind before it is told "everything".
const BACKLOG: usize = 16;

#[derive(Clone)]
pub struct Live {
    inner: Arc<Inner>,
}

struct Inner {
    changes: broadcast::Sender<LiveChange>,
    streams: Arc<Semaphore>,
    /// Wakes the watcher: a stream opened, or another instance said that
    /// data changed.
    wake: Notify,
    /// Set once at shutdown: every stream ends, so that the server's
    /// graceful stop does not wait for them.
    closed: watch::Sender<bool>,
}

/// One open stream's view of the hub; its slot is given back when dropped.
pub struct Subscription {
    pub changes: broadcast::Receiver<LiveChange>,
    pub closed: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
}

impl Default for Live {
    fn default() -> Self {
        Self {
            inner: Arc::new(Inner {
                changes: broadcast::channel(BACKLOG).0,
                streams: Arc::new(Semaphore::new(MAX_STREAMS)),
                wake: Notify::new(),
                closed: watch::channel(false).0,
            }),
        }
    }
}

impl Live {
    /// A new stream's subscription; `None` when [`MAX_STREAMS`] are open or
    /// the server is stopping.
    pub fn subscribe(&self) -> Option<Subscription> {
        if *self.inner.closed.borrow() {
            return None;
        }
        let slot = self.inner.streams.clone().try_acquire_owned().ok()?;
        let subscription = Subscription {
            changes: self.inner.changes.subscribe(),
            closed: self.inner.closed.subscribe(),
            _slot: slot,
        };
        self.wake();
        Some(subscription)
    }

    /// Tells every open stream.
    pub fn send(&self, change: LiveChange) {
        // An error only says that no stream is open.
        let _ = self.inner.changes.send(change);
    }

    /// Open streams.
    pub fn streams(&self) -> usize {
        self.inner.changes.receiver_count()
    }

    /// Asks the watcher to look now.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Completes when [`Self::wake`] was called (since the last time).
    pub async fn woken(&self) {
        self.inner.wake.notified().await;
    }

    /// Ends every stream and refuses new ones: the server is stopping.
    pub fn close(&self) {
        self.inner.closed.send_replace(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(domain: &str) -> LiveChange {
        LiveChange {
            domains: vec![domain.to_owned()],
        }
    }

    #[tokio::test]
    async fn every_stream_hears_a_change_and_gives_its_slot_back() {
        let live = Live::default();
        let mut one = live.subscribe().unwrap();
        let mut two = live.subscribe().unwrap();
        assert_eq!(live.streams(), 2);
        live.send(change("snapshots"));
        assert_eq!(one.changes.recv().await.unwrap(), change("snapshots"));
        assert_eq!(two.changes.recv().await.unwrap(), change("snapshots"));
        drop(one);
        assert_eq!(live.streams(), 1);
    }

    #[tokio::test]
    async fn streams_are_bounded_and_closing_ends_them() {
        let live = Live::default();
        let held: Vec<_> = (0..MAX_STREAMS)
            .map(|_| live.subscribe().unwrap())
            .collect();
        assert!(live.subscribe().is_none(), "one stream too many");
        drop(held);
        let mut open = live.subscribe().unwrap();
        live.close();
        open.closed.changed().await.unwrap();
        assert!(*open.closed.borrow());
        assert!(live.subscribe().is_none(), "none after closing");
    }
}
