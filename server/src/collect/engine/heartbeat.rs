//! A running run beats (`heartbeat_at`) from a task of its own, so that
//! other instances can tell a live run from one whose process died; the
//! beat stops with the run.

use super::*;

/// Says every `interval` that the run is alive. A failure is logged: a
/// missed beat or two is harmless.
pub(super) async fn beat(db: DatabaseConnection, run_id: i64, interval: Duration) {
    let mut beats = tokio::time::interval(interval);
    loop {
        beats.tick().await;
        let beat = collection_run::Entity::update_many()
            .col_expr(collection_run::Column::HeartbeatAt, Expr::value(Utc::now()))
            .filter(collection_run::Column::Id.eq(run_id))
            .exec(&db)
            .await;
        if let Err(error) = beat {
            tracing::warn!(run = run_id, %error, "cannot record the run's heartbeat");
        }
    }
}

/// Aborts its task when dropped.
pub(super) struct AbortOnDrop(pub(super) tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A name for this process in leases and runs that no other process has,
/// even in containers where every process is pid 1: the pid and a random
/// number (from the standard library's per-process random hash keys).
pub(super) fn instance_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("reach-{}-{:08x}", std::process::id(), random as u32)
}
