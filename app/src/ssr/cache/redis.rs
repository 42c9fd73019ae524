//! The Redis level of the cache, through fred: one multiplexed connection,
//! a short command timeout, and reconnection forever in the background.

use std::time::Duration;

use fred::prelude::{Builder, ClientLike, Config, Expiration, KeysInterface, ReconnectPolicy};

use super::CacheError;

pub struct RedisCache {
    client: fred::prelude::Client,
}

/// Why Redis gave no answer.
#[derive(Debug)]
pub enum Unavailable {
    /// Not connected: not even tried.
    Down,
    /// Tried, and it failed or took longer than the command timeout.
    Failed(fred::error::Error),
}

impl RedisCache {
    /// Starts connecting to `url` and returns at once.
    pub fn connect(url: &str, timeout: Duration) -> Result<Self, CacheError> {
        let mut config = Config::from_url(url).map_err(|e| CacheError(e.to_string()))?;
        // Redis down at start-up is retried like a lost connection, not an error.
        config.fail_fast = false;
        let client = Builder::from_config(config)
            .with_performance_config(|performance| {
                performance.default_command_timeout = timeout;
            })
            .with_connection_config(|connection| {
                connection.connection_timeout = Duration::from_secs(1);
                connection.internal_command_timeout = Duration::from_secs(1);
                // A command is sent once: a retry would only wait longer.
                connection.max_command_attempts = 1;
            })
            // Forever, from 100 ms up to 2 s between attempts.
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build()
            .map_err(|e| CacheError(e.to_string()))?;
        // The connection task runs (and reconnects) for the client's life.
        drop(client.connect());
        Ok(Self { client })
    }

    /// Completes when the client is connected (now, or once it connects).
    pub async fn connected(&self) {
        if !self.is_up() {
            // An error here is a failed attempt; the client keeps retrying
            // in the background, and the caller bounds the wait.
            let _ = self.client.wait_for_connect().await;
        }
    }

    pub fn is_up(&self) -> bool {
        self.client.is_connected()
    }

    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, Unavailable> {
        if !self.is_up() {
            return Err(Unavailable::Down);
        }
        self.client
            .get::<Option<Vec<u8>>, _>(key)
            .await
            .map_err(Unavailable::Failed)
    }

    pub async fn set(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> Result<(), fred::error::Error> {
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        self.client
            .set::<(), _, _>(key, value, Some(Expiration::PX(ttl)), None, false)
            .await
    }
}
