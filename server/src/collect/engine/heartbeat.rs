//! A running run beats (`heartbeat_at`) from a task of its own, so that
//! other instances can tell a live run from one whose process died, and
//! renews the leases of the accounts it holds; the beat stops with the run.
//! Both are on the database's clock.

use super::*;

/// Says every `interval` that the run is alive, and extends to `lease`
/// from now the leases of what `owner` holds that would otherwise lapse
/// within `lease - interval` ([`renew_below`]). A failure is logged: a
/// missed beat or two is harmless (the lease outlasts the silence that
/// marks a run dead).
pub(super) async fn beat(
    db: DatabaseConnection,
    run_id: i64,
    owner: String,
    interval: Duration,
    lease: Duration,
) {
    let mut beats = tokio::time::interval(interval);
    let renew = renew_below(interval, lease);
    let lease = chrono::Duration::from_std(lease).unwrap_or_default();
    loop {
        beats.tick().await;
        if let Err(error) = beat_once(&db, run_id, &owner, lease, renew).await {
            tracing::warn!(run = run_id, %error, "cannot record the run's heartbeat");
        }
    }
}

async fn beat_once(
    db: &DatabaseConnection,
    run_id: i64,
    owner: &str,
    lease: chrono::Duration,
    renew: chrono::Duration,
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
        // Also what makes it a range of the leases' index, not a scan.
        .filter(account::Column::LeaseUntil.lt(now + renew))
        .exec(db)
        .await?;
    Ok(())
}

/// Below how much time left a beat renews a lease: `lease - interval`.
/// A lease claimed or renewed less than a beat ago is left for the next
/// beat: renewing it every beat wrote each leased account's row once more
/// per beat (on PostgreSQL a new version of it, with an entry in each of
/// its indexes, the lease's among them). After a beat, every lease of the
/// run still outlasts it by at least `lease - interval`, which exceeds the
/// silence that marks the run dead (`ABANDONED_AFTER_BEATS` beats; the
/// lease is two beats longer: `EngineSettings::lease`).
fn renew_below(interval: Duration, lease: Duration) -> chrono::Duration {
    chrono::Duration::from_std(lease.saturating_sub(interval)).unwrap_or_default()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect::engine::claims::ABANDONED_AFTER_BEATS;

    #[test]
    fn a_renewed_lease_outlasts_the_silence_that_marks_a_run_dead() {
        let settings = EngineSettings::default();
        let (beat, lease) = (settings.heartbeat, settings.lease());
        let renew = renew_below(beat, lease).to_std().unwrap();
        // Fresh leases wait for a later beat...
        assert!(renew < lease);
        // ...and none is ever left shorter than the silence of a dead run.
        assert!(renew > beat * ABANDONED_AFTER_BEATS);
    }
}
