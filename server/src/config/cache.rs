//! The read cache: Redis, lifetimes per kind, memory.

use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};

use app::ssr::cache::CacheSettings;

use super::*;

/// The read cache.
#[derive(Clone, Debug, Args)]
pub struct CacheConfig {
    /// Redis shared by every instance, e.g. `redis://127.0.0.1:6379/0`;
    /// without it the cache is in process. Reach runs on whether Redis is up
    /// or not.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,

    /// The longest a request waits for Redis before going without it.
    #[arg(long, env = "REACH_REDIS_TIMEOUT", default_value_t = CacheSettings::DEFAULT.redis_timeout.into(), global = true)]
    pub redis_timeout: humantime::Duration,

    /// How long cached answers live, per kind, e.g. `history=30m,overview=1m`
    /// (defaults: 5 to 15 minutes). Writes invalidate at once regardless.
    #[arg(long, env = "REACH_CACHE_TTLS", default_value = "", value_parser = parse_ttls, global = true)]
    pub cache_ttls: Ttls,

    /// Most memory, in MiB, each instance gives to cached answers.
    #[arg(long, env = "REACH_CACHE_MEMORY_MIB", default_value_t = CacheSettings::DEFAULT.capacity_bytes >> 20, value_parser = clap::value_parser!(u64).range(1..=65_536), global = true)]
    pub cache_memory_mib: u64,

    /// How long after it was last found current (computed, or served to a
    /// request whose data had not changed) an answer may still be served,
    /// while its successor is computed, when only a running collection's
    /// batches came after it (keep it above `REACH_PUBLISH_LAG`); `0s`: never, such
    /// requests wait for the successor.
    #[arg(long, env = "REACH_CACHE_STALE_FOR", default_value_t = CacheSettings::DEFAULT.stale_for.into(), global = true)]
    pub cache_stale_for: humantime::Duration,

    /// How long one reading of the data's versions answers this instance's
    /// later requests: a write made through this instance is on its next
    /// read regardless, one made elsewhere (another instance, the command
    /// line) on the reads that arrive this long after it; `0s`: every
    /// request reads them.
    #[arg(long, env = "REACH_CACHE_FRESH_FOR", default_value_t = CacheSettings::DEFAULT.fresh_for.into(), global = true)]
    pub cache_fresh_for: humantime::Duration,

    /// Read everything from the database (to measure, or to rule the cache out).
    #[arg(long, env = "REACH_NO_CACHE", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub no_cache: bool,
}

impl CacheConfig {
    pub fn settings(&self) -> app::ssr::cache::CacheSettings {
        app::ssr::cache::CacheSettings {
            redis_url: self.redis_url.clone(),
            redis_timeout: self.redis_timeout.into(),
            ttls: self.cache_ttls.0.clone(),
            capacity_bytes: self.cache_memory_mib << 20,
            disabled: self.no_cache,
            stale_for: self.cache_stale_for.into(),
            fresh_for: self.cache_fresh_for.into(),
        }
    }
}

/// Cache lifetimes per kind, as given in `REACH_CACHE_TTLS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ttls(pub Vec<(app::ssr::cache::Kind, Duration)>);

pub(crate) fn parse_ttls(value: &str) -> Result<Ttls, String> {
    parse_pairs(value, "REACH_CACHE_TTLS", "history=30m", |ttl| {
        humantime::parse_duration(ttl.trim()).ok()
    })
    .map(Ttls)
}
