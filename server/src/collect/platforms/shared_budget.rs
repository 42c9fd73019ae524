//! The platforms' budgets shared by every instance, in Redis.
//!
//! A platform counts requests per address, key or app, not per Reach
//! process: three instances each holding their own window would send three
//! budgets' worth. Here one window per platform host lives in Redis (a
//! sorted set of send times, the same sliding log as the in-process
//! window), and one Lua script reserves the next slot atomically, on
//! Redis' own clock, so neither a race between instances nor their clocks'
//! skew lets the total exceed the budget. Pauses a platform asked for
//! (`Retry-After`, a reset time, a spent quota) are stored beside it and
//! hold every instance.
//!
//! Redis down or failing is never an error of the request: the caller
//! falls back to its own window with its share of the budget (the budget
//! divided by the live instances, [`super::http::Upstream::set_instances`]).

use std::time::Duration;

use app::model::Platform;
use fred::prelude::{Builder, ClientLike, Config, LuaInterface, ReconnectPolicy};

use super::Budget;

/// Reserves the next send slot of one window, if it comes by the deadline.
///
/// KEYS: the window's sorted set, the host's pause, the platform's pause.
/// ARGV: requests per period, the period (ms), the longest wait (ms), a
/// member unique to this request.
/// Returns `{1, wait_ms}` with a slot reserved `wait_ms` from now, or
/// `{0, wait_ms}` when the next slot is further than the longest wait.
const RESERVE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local deadline = now + tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local slot = now
local n = redis.call('ZCARD', KEYS[1])
if n >= limit then
  local kth = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
  slot = math.max(slot, tonumber(kth[2]) + period)
end
for i = 2, 3 do
  local paused = tonumber(redis.call('GET', KEYS[i]) or '0')
  if paused > slot then slot = paused end
end
if slot > deadline then return {0, slot - now} end
redis.call('ZADD', KEYS[1], slot, ARGV[4])
local total = redis.call('ZCARD', KEYS[1])
if total > limit then redis.call('ZREMRANGEBYRANK', KEYS[1], 0, total - limit - 1) end
redis.call('PEXPIRE', KEYS[1], slot - now + period + 1000)
return {1, slot - now}
";

/// Pauses a host or a platform for ARGV[1] ms from Redis' now, unless a
/// longer pause holds already. KEYS: the pause.
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local resume_at = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if resume_at > current then
  redis.call('SET', KEYS[1], resume_at, 'PX', tonumber(ARGV[1]) + 1000)
end
return 1
";

/// How many of `at_most` requests fit before the longest wait: the
/// window's sends and pauses as Redis holds them, returned for the caller
/// to count (the same arithmetic as a reservation).
/// KEYS as [`RESERVE`]; ARGV: the period (ms).
/// Returns `{now_ms, host_pause_ms, platform_pause_ms, send_ms...}`.
const STATE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local period = tonumber(ARGV[1])
local sends = redis.call('ZRANGEBYSCORE', KEYS[1], now - period, '+inf', 'WITHSCORES')
local out = {now, tonumber(redis.call('GET', KEYS[2]) or '0'), tonumber(redis.call('GET', KEYS[3]) or '0')}
for i = 2, #sends, 2 do out[#out + 1] = tonumber(sends[i]) end
return out
";

/// The windows in Redis, shared by every instance using the same Redis.
pub struct SharedBudgets {
    client: fred::prelude::Client,
}

impl std::fmt::Debug for SharedBudgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedBudgets")
            .field("connected", &self.client.is_connected())
            .finish()
    }
}

/// What a reservation in Redis came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reserved {
    /// A slot is this instance's, this far from now.
    In(Duration),
    /// The next slot is this far away: longer than the longest wait.
    Beyond(Duration),
}

/// A window's state in Redis, relative to Redis' now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedState {
    /// How long the pauses still hold.
    pub paused_for: Duration,
    /// Sends within the last period (and slots reserved ahead), as offsets
    /// from now: negative in the past.
    pub sends_ms: Vec<i64>,
}

/// Why Redis could not be used: the caller falls back to its own window.
#[derive(Debug, thiserror::Error)]
#[error("the shared budgets are out of reach: {0}")]
pub struct Unshared(String);

impl SharedBudgets {
    /// Starts connecting to `url` and returns at once; until connected,
    /// every call fails fast and the caller uses its own share.
    pub fn connect(url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let mut config = Config::from_url(url)?;
        // Redis down at start-up is retried like a lost connection; until
        // then `is_up` is false and nothing waits for it.
        config.fail_fast = false;
        let client = Builder::from_config(config)
            .with_performance_config(|performance| {
                performance.default_command_timeout = timeout;
            })
            .with_connection_config(|connection| {
                connection.connection_timeout = Duration::from_secs(1);
                connection.internal_command_timeout = Duration::from_secs(1);
                // A reservation is not idempotent: never sent twice.
                connection.max_command_attempts = 1;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .build()?;
        drop(client.connect());
        Ok(Self { client })
    }

    pub fn is_up(&self) -> bool {
        self.client.is_connected()
    }

    /// Waits at most `within` for the connection; says whether it is up.
    /// A run started before would count on this instance's share alone,
    /// and then on the whole shared budget once Redis answers: more than
    /// the budget in that first period.
    pub async fn ready(&self, within: Duration) -> bool {
        if !self.is_up() {
            // An error is a failed attempt; the client keeps trying.
            let _ = tokio::time::timeout(within, self.client.wait_for_connect()).await;
        }
        self.is_up()
    }

    fn keys(platform: Platform, host: &str) -> Vec<String> {
        vec![
            format!("reach:budget:{}:{host}", platform.as_str()),
            format!("reach:pause:{}:{host}", platform.as_str()),
            format!("reach:pause:{}", platform.as_str()),
        ]
    }

    fn check_up(&self) -> Result<(), Unshared> {
        if self.is_up() {
            Ok(())
        } else {
            Err(Unshared("not connected".into()))
        }
    }

    /// Reserves the next send to `host` of `platform` within `budget`.
    pub async fn reserve(
        &self,
        platform: Platform,
        host: &str,
        budget: Budget,
        max_wait: Duration,
    ) -> Result<Reserved, Unshared> {
        self.check_up()?;
        let member = format!("{:016x}", rand::random::<u64>());
        let args: Vec<String> = vec![
            budget.requests.get().to_string(),
            millis(spaced(budget.period)).to_string(),
            millis(max_wait).to_string(),
            member,
        ];
        let answer: Vec<i64> = self
            .client
            .eval(RESERVE, Self::keys(platform, host), args)
            .await
            .map_err(|e| Unshared(e.to_string()))?;
        let [reserved, wait_ms] = answer[..] else {
            return Err(Unshared("an unexpected answer to the reservation".into()));
        };
        let wait = Duration::from_millis(wait_ms.max(0) as u64);
        Ok(if reserved == 1 {
            Reserved::In(wait)
        } else {
            Reserved::Beyond(wait)
        })
    }

    /// Pauses `host` of `platform` (or the whole platform, without a host)
    /// for `wait` on every instance.
    pub async fn pause(
        &self,
        platform: Platform,
        host: Option<&str>,
        wait: Duration,
    ) -> Result<(), Unshared> {
        self.check_up()?;
        let keys = Self::keys(platform, host.unwrap_or_default());
        let key = if host.is_some() {
            keys[1].clone()
        } else {
            keys[2].clone()
        };
        let _: i64 = self
            .client
            .eval(PAUSE, vec![key], vec![millis(wait).to_string()])
            .await
            .map_err(|e| Unshared(e.to_string()))?;
        Ok(())
    }

    /// The window of `host` as Redis holds it now.
    pub async fn state(
        &self,
        platform: Platform,
        host: &str,
        budget: Budget,
    ) -> Result<SharedState, Unshared> {
        self.check_up()?;
        let values: Vec<i64> = self
            .client
            .eval(
                STATE,
                Self::keys(platform, host),
                vec![millis(spaced(budget.period)).to_string()],
            )
            .await
            .map_err(|e| Unshared(e.to_string()))?;
        let [now, host_pause, platform_pause, sends @ ..] = values.as_slice() else {
            return Err(Unshared("an unexpected answer to the state script".into()));
        };
        let paused_until = (*host_pause).max(*platform_pause);
        Ok(SharedState {
            paused_for: Duration::from_millis((paused_until - now).max(0) as u64),
            sends_ms: sends.iter().map(|at| at - now).collect(),
        })
    }
}

/// The budget as the shared windows keep it: its period a little longer
/// ([`spaced`]).
pub fn spaced_budget(budget: Budget) -> Budget {
    Budget {
        period: spaced(budget.period),
        ..budget
    }
}

/// The period slots are spaced by: a little longer than the budget's, so
/// that requests reserved a period apart on Redis' clock still arrive a
/// period apart after the few milliseconds each instance takes to send
/// them (a platform counting a sliding window would otherwise see the
/// budget and one more).
fn spaced(period: Duration) -> Duration {
    period + Ord::max(Duration::from_millis(50), period / 100)
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
