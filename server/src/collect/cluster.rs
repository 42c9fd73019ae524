//! One `reach serve` among others on the same database: every heartbeat it
//! says it is alive (`instances`, on the database's clock), counts the
//! live instances (each one's share of the budgets without Redis, and of
//! the claims), takes over the claims of runs whose process died, and
//! picks up "collect now" asked of any instance.

use std::sync::Arc;
use std::time::Duration;

use app::ssr::state::CollectTrigger;
use chrono::{DateTime, Utc};
use tokio::sync::Notify;

use super::engine::Engine;

/// What the beat tells the schedule.
#[derive(Clone, Debug, Default)]
pub struct Signals {
    /// A dead run's accounts were given back: collect them in this cycle.
    pub takeover: Arc<Notify>,
}

/// Beats until the engine is asked to stop, then says goodbye (the others
/// stop counting this instance at once).
pub async fn run(engine: Arc<Engine>, trigger: CollectTrigger, signals: Signals) {
    let db = engine.db().clone();
    let name = engine.instance().to_owned();
    let started_at = Utc::now();
    let stop = engine.stop_handle();
    trigger.set_liveness(engine.abandoned_after());
    if let Err(error) = db::instances::forget_the_long_gone(&db).await {
        tracing::warn!(%error, "cannot tidy the list of instances");
    }
    // Requests older than this process are not its to answer.
    let mut seen = match db::instances::latest_request(&db).await {
        Ok(latest) => latest.map_or(0, |(id, _)| id),
        Err(error) => {
            tracing::warn!(%error, "cannot read the collection requests");
            0
        }
    };
    // The first beat after one interval: at start-up the database is busy
    // enough (migrations, the first run's claims), and on SQLite every
    // write is one more writer for the others to wait on.
    let mut beats = tokio::time::interval_at(
        tokio::time::Instant::now() + engine.heartbeat(),
        engine.heartbeat(),
    );
    beats.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = beats.tick() => {}
            () = stop.requested() => break,
        }
        if let Err(error) = beat(&engine, &trigger, &signals, &name, started_at, &mut seen).await {
            tracing::warn!(error = format!("{error:#}"), "cannot beat");
        }
    }
    if let Err(error) = db::instances::forget(&db, &name).await {
        tracing::warn!(%error, "cannot remove this instance from the list");
    }
}

async fn beat(
    engine: &Engine,
    trigger: &CollectTrigger,
    signals: &Signals,
    name: &str,
    started_at: DateTime<Utc>,
    seen: &mut i64,
) -> anyhow::Result<()> {
    let db = engine.db();
    db::instances::beat(db, name, env!("CARGO_PKG_VERSION"), started_at).await?;
    let live = db::instances::live_count(db, engine.abandoned_after()).await?;
    engine
        .upstream()
        .set_instances(u32::try_from(live).unwrap_or(u32::MAX));
    if engine.recover_abandoned_runs().await? > 0 {
        signals.takeover.notify_one();
    }
    if let Some((id, at)) = db::instances::latest_request(db).await?
        && id > *seen
    {
        *seen = id;
        trigger.request_since(id, at);
    }
    Ok(())
}

/// How long a killed instance's accounts wait at most before a survivor
/// collects them: the silence that marks its run dead, and one beat to
/// notice it.
pub fn takeover_bound(heartbeat: Duration) -> Duration {
    heartbeat * (super::engine::ABANDONED_AFTER_BEATS + 1)
}
