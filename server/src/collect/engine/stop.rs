//! Stopping a run at an account boundary (on shutdown, or when asked).

use std::sync::Arc;

/// Asks an engine to stop: its run stops claiming accounts, lets the
/// requests in flight finish and be stored, gives back the accounts it
/// claimed but did not start, and is recorded as interrupted.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    requested: Arc<std::sync::atomic::AtomicBool>,
    notify: Arc<tokio::sync::Notify>,
}

impl Stop {
    pub fn request(&self) {
        self.requested
            .store(true, std::sync::atomic::Ordering::Release);
        self.notify.notify_waiters();
    }

    pub fn is_requested(&self) -> bool {
        self.requested.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Completes once a stop is requested.
    pub async fn requested(&self) {
        let notified = self.notify.notified();
        if self.is_requested() {
            return;
        }
        notified.await;
    }
}
