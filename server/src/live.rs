//! Live updates' server side: the watcher that finds that stored data
//! changed and tells this instance's open `/api/live` streams
//! ([`app::ssr::live::Live`]), and the announcer with which a collector
//! tells every instance at once.
//!
//! The truth is the database's data generations ([`db::generations`]),
//! which every write moves, whatever process made it: the watcher reads
//! them (one small query) every [`CHECK_EVERY`] while a stream is open and
//! sends the domains that moved. With Redis (`REDIS_URL`), collectors also
//! publish on [`CHANNEL`] each time they publish a run's writes, and every
//! instance's watcher looks at once: a change reaches the browsers of every
//! instance within a moment instead of within the next check. A message is
//! only a prompt to look, never the news itself, so a lost or forged one
//! changes nothing; Redis down only means the next check finds it.

use std::time::Duration;

use app::model::LiveChange;
use app::ssr::live::Live;
use db::generations::{self, Domain, Generations};
use fred::prelude::{
    Builder, ClientLike, Config, EventInterface, PubsubInterface, ReconnectPolicy,
};
use sea_orm::DatabaseConnection;

/// How often the watcher reads the generations while a stream is open.
pub const CHECK_EVERY: Duration = Duration::from_secs(2);

/// The Redis channel collectors announce writes on.
pub const CHANNEL: &str = "reach:v1:live";

/// Tells this instance's streams what changed, until the task is dropped.
/// Reads nothing while no stream is open; the first stream to open sets
/// the starting point (what its page was rendered from, a moment before).
/// A change is told `fresh_for` after it was found (the cache's
/// `REACH_CACHE_FRESH_FOR`): the pages the browsers then ask for, from
/// any instance, show it (`db::generations::Freshness`).
pub async fn watch(db: DatabaseConnection, live: Live, every: Duration, fresh_for: Duration) {
    let mut before: Option<Generations> = None;
    loop {
        if live.streams() == 0 {
            before = None;
            live.woken().await;
            continue;
        }
        match generations::current(&db).await {
            Ok(now) => {
                if let Some(change) = before.and_then(|before| changed(&before, &now)) {
                    tracing::debug!(domains = ?change.domains, "live: the data changed");
                    tokio::time::sleep(fresh_for).await;
                    live.send(change);
                }
                before = Some(now);
            }
            Err(error) => tracing::warn!(%error, "live: cannot read the data generations"),
        }
        tokio::select! {
            () = tokio::time::sleep(every) => {}
            () = live.woken() => {}
        }
    }
}

/// What moved between two readings; `None` if nothing did. The settled
/// count moving without the ended one is a run's start or end: the runs
/// changed.
fn changed(before: &Generations, now: &Generations) -> Option<LiveChange> {
    let mut domains: Vec<String> = Domain::ALL
        .into_iter()
        .filter(|domain| before.of(*domain) != now.of(*domain))
        .map(|domain| domain.as_str().to_owned())
        .collect();
    let runs = Domain::Runs.as_str();
    let run_began_or_ended = before.settled() != now.settled() && before.ended() == now.ended();
    if run_began_or_ended && !domains.iter().any(|d| d == runs) {
        domains.push(runs.to_owned());
    }
    (!domains.is_empty()).then_some(LiveChange { domains })
}

/// Wakes `live`'s watcher whenever a collector announces writes on
/// [`CHANNEL`], until the task is dropped. Redis down at start or later is
/// retried in the background; meanwhile the watcher's checks go on.
pub async fn listen(url: String, live: Live) {
    let client = match Config::from_url(&url).and_then(|mut config| {
        config.fail_fast = false;
        Builder::from_config(config)
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
            .build_subscriber_client()
    }) {
        Ok(client) => client,
        Err(error) => {
            tracing::warn!(%error, "live: cannot set up the Redis subscriber");
            return;
        }
    };
    let _connection = client.connect();
    let _resubscribe = client.manage_subscriptions();
    let mut messages = client.message_rx();
    // Subscribed once; from then on `manage_subscriptions` subscribes again
    // after each reconnection.
    loop {
        let _ = client.wait_for_connect().await;
        match client.subscribe(CHANNEL).await {
            Ok(()) => break,
            Err(error) => {
                tracing::debug!(%error, "live: cannot subscribe yet");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
    loop {
        match messages.recv().await {
            Ok(_) => live.wake(),
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => live.wake(),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// A collector's way to say "I wrote" to every instance, through Redis.
#[derive(Clone)]
pub struct Announcer {
    client: fred::prelude::Client,
}

impl Announcer {
    /// Starts connecting to `url` and returns at once.
    pub fn connect(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let mut config = Config::from_url(url)?;
        config.fail_fast = false;
        let client = Builder::from_config(config)
            .with_performance_config(|performance| {
                performance.default_command_timeout = timeout;
            })
            .with_connection_config(|connection| {
                connection.max_command_attempts = 1;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build()?;
        drop(client.connect());
        Ok(Self { client })
    }

    /// Announces that `domains` were written, without waiting: a lost
    /// announcement is found by the watchers' next check.
    pub fn announce(&self, domains: &[Domain]) {
        if domains.is_empty() || !self.client.is_connected() {
            return;
        }
        let client = self.client.clone();
        let message = domains
            .iter()
            .map(|d| d.as_str())
            .collect::<Vec<_>>()
            .join(",");
        tokio::spawn(async move {
            if let Err(error) = client.publish::<i64, _, _>(CHANNEL, message).await {
                tracing::debug!(%error, "live: cannot announce writes");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_watcher_tells_open_streams_what_moved() {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::database::connect(&crate::config::DatabaseConfig {
            url: format!("sqlite://{}", dir.path().join("reach.db").display()),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .expect("a database");
        let live = Live::default();
        let watcher = tokio::spawn(watch(
            db.clone(),
            live.clone(),
            Duration::from_millis(20),
            Duration::from_millis(100),
        ));
        let mut stream = live.subscribe().unwrap();
        // The watcher reads its starting point once the stream is open.
        tokio::time::sleep(Duration::from_millis(100)).await;
        generations::bump(&db, &[Domain::Snapshots]).await.unwrap();
        let change = tokio::time::timeout(Duration::from_secs(5), stream.changes.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(change.domains, ["snapshots"]);
        watcher.abort();
    }
}
