//! The collection schedule of `reach serve`: a run at start-up for what is
//! due in the current cycle, then one at the start of every cycle. Cycles are
//! wall-clock slots, so restarts and other instances never collect an
//! account twice in one.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;

use crate::collect::engine::{Engine, cycle_start};

pub async fn collect_periodically(engine: Arc<Engine>, interval: Duration) {
    loop {
        let due_before = cycle_start(Utc::now(), interval);
        if let Err(error) = engine.run(due_before).await {
            tracing::error!(error = format!("{error:#}"), "scheduled collection failed");
        }
        let next = due_before + chrono::Duration::from_std(interval).unwrap_or_default();
        let wait = (next - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
    }
}
