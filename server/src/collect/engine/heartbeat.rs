//! A running run beats (`heartbeat_at`) from a task of its own, so that
//! other instances can tell a live run from one whose process died, and
//! renews the leases of the accounts it holds; the beat stops with the run.
//! Both are on the database's clock.

use super::*;

/// Says every `interval` that the run is alive, and extends the leases of
/// what `owner` holds to `lease` from now. A failure is logged: a missed
/// beat or two is harmless (the lease outlasts the silence that marks a
/// run dead).
pub(super) async fn beat(
    db: DatabaseConnection,
    run_id: i64,
    owner: String,
    interval: Duration,
    lease: Duration,
) {
    let mut beats = tokio::time::interval(interval);
    let lease = chrono::Duration::from_std(lease).unwrap_or_default();
    loop {
        beats.tick().await;
        if let Err(error) = beat_once(&db, run_id, &owner, lease).await {
            tracing::warn!(run = run_id, %error, "cannot record the run's heartbeat");
        }
    }
}

async fn beat_once(
    db: &DatabaseConnection,
    run_id: i64,
    owner: &str,
    lease: chrono::Duration,
) -> Result<(), sea_orm::DbErr> {
    let now = db::clock::now(db).await?;
    collection_run::Entity::update_many()
        .col_expr(collection_run::Column::HeartbeatAt, Expr::value(now))
        .filter(collection_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    account::Entity::update_many()
        .col_expr(account::Column::LeaseUntil, Expr::value(now + lease))
        .filter(account::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
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
pub fn instance_name() -> String {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    format!("reach-{}-{:08x}", std::process::id(), random as u32)
}
