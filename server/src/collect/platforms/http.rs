//! Talking to the platforms: one HTTP client (rustls, timeouts, a descriptive
//! User-Agent) and a rate limiter per platform host.
//!
//! The limiter spends the configured budget evenly (governor, GCRA) and is
//! corrected by what the platform says: `X-RateLimit-Remaining: 0` or a 429
//! pauses the host until its `X-RateLimit-Reset` or `Retry-After`. A request
//! that would wait longer than [`Upstream::max_wait`] for its turn fails at
//! once as rate limited, so a spent budget never holds a run for an hour.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::metrics::Metrics;
use app::model::Platform;
use chrono::{DateTime, Utc};
use governor::clock::Clock;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::CollectError;

/// At most `requests` per `period` to one host of a platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub requests: NonZeroU32,
    pub period: Duration,
}

impl Budget {
    pub fn new(requests: u32, period: Duration) -> Option<Self> {
        Some(Self {
            requests: NonZeroU32::new(requests)?,
            period,
        })
    }

    /// Spread evenly so that no window of `period` ever holds more than
    /// `requests`. Large budgets allow a burst of 1% of the budget, which
    /// absorbs the timer's wake-up latency (with no burst, a late wake-up
    /// loses its slot); the interval is stretched to pay for it: a burst of
    /// `b` and then one request per `period / (requests - b + 1)` fill a
    /// window with exactly `requests`.
    fn quota(self) -> Quota {
        let requests = self.requests.get();
        let burst = (requests / 100).max(1);
        let interval = self.period / (requests - burst + 1);
        Quota::with_period(interval.max(Duration::from_micros(1)))
            .expect("a positive interval")
            .allow_burst(NonZeroU32::new(burst).expect("at least one"))
    }

    /// The documented anonymous limits, with some headroom.
    pub fn default_for(platform: Platform, authenticated: bool) -> Budget {
        let per = |requests, seconds| {
            Budget::new(requests, Duration::from_secs(seconds)).expect("nonzero")
        };
        match platform {
            // 300 requests / 5 min per IP and instance.
            Platform::Mastodon => per(270, 300),
            // The public AppView allows about 3000 / 5 min per IP.
            Platform::Bluesky => per(2_700, 300),
            // 10 requests / min without OAuth.
            Platform::Reddit => per(9, 60),
            // 60 / hour anonymous, 5,000 with a token.
            Platform::Github if authenticated => per(4_500, 3_600),
            Platform::Github => per(55, 3_600),
            // 10,000 quota units a day; a channels.list call costs 1.
            Platform::Youtube => per(9_000, 86_400),
            // 800 points / min per app token.
            Platform::Twitch => per(700, 60),
            // Simulated platforms are never requested.
            Platform::X | Platform::Instagram | Platform::Tiktok => per(1_000, 1),
        }
    }
}

/// One host's limiter and the pause the host asked for.
struct HostLimiter {
    limiter: DefaultDirectRateLimiter,
    paused_until: Mutex<Option<Instant>>,
    /// Requests wait for their slot one at a time, in arrival (and so
    /// priority) order: all waiters sleeping on the limiter at once would
    /// wake together for every slot, and only one could take it.
    turn: tokio::sync::Mutex<()>,
}

impl HostLimiter {
    fn new(budget: Budget) -> Self {
        Self {
            limiter: RateLimiter::direct(budget.quota()),
            paused_until: Mutex::new(None),
            turn: tokio::sync::Mutex::new(()),
        }
    }

    /// Waits for this host's next free slot, or says how long it would take
    /// when that is longer than `max_wait`.
    async fn wait(&self, max_wait: Duration) -> Result<(), CollectError> {
        let too_long = |wait: Duration| CollectError::BudgetSpent { retry_after: wait };
        let _turn = self.turn.lock().await;
        loop {
            let pause = *self.paused_until.lock().expect("pause lock");
            match pause {
                Some(until) if until > Instant::now() => {
                    let wait = until - Instant::now();
                    if wait > max_wait {
                        return Err(too_long(wait));
                    }
                    tokio::time::sleep_until(until).await;
                }
                _ => break,
            }
        }
        if let Err(not_until) = self.limiter.check() {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            if wait > max_wait {
                return Err(too_long(wait));
            }
            // governor's own timer wakes on time; tokio's rounds up to the
            // next millisecond, and with no burst a late wake-up loses the slot.
            self.limiter.until_ready().await;
        }
        Ok(())
    }

    fn pause_until(&self, until: Instant) {
        let mut paused = self.paused_until.lock().expect("pause lock");
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }
}

/// The HTTP side of collection, shared by all collectors and workers.
pub struct Upstream {
    client: reqwest::Client,
    budgets: HashMap<Platform, Budget>,
    limiters: Mutex<HashMap<(Platform, String), Arc<HostLimiter>>>,
    max_wait: Duration,
    metrics: Metrics,
}

impl Upstream {
    pub fn new(
        timeout: Duration,
        user_agent: &str,
        budgets: HashMap<Platform, Budget>,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(timeout)
            .connect_timeout(timeout)
            .build()?;
        Ok(Self {
            client,
            budgets,
            limiters: Mutex::new(HashMap::new()),
            max_wait: Self::DEFAULT_MAX_WAIT,
            metrics: Metrics::default(),
        })
    }

    /// Where requests' timings, outcomes and rate-limit waits are counted
    /// (the server's `/metrics`).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    /// The default of [`Upstream::with_max_wait`].
    pub const DEFAULT_MAX_WAIT: Duration = Duration::from_secs(60);

    /// The longest a request waits for its platform's rate limit (its budget,
    /// `Retry-After` or reset time) before failing as rate limited.
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = max_wait;
        self
    }

    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    fn limiter(&self, platform: Platform, host: &str) -> Arc<HostLimiter> {
        let budget = self
            .budgets
            .get(&platform)
            .copied()
            .unwrap_or_else(|| Budget::default_for(platform, false));
        self.limiters
            .lock()
            .expect("limiters lock")
            .entry((platform, host.to_owned()))
            .or_insert_with(|| Arc::new(HostLimiter::new(budget)))
            .clone()
    }

    /// Sends a request within the platform's budget and decodes its JSON.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        platform: Platform,
        request: RequestBuilder,
    ) -> Result<T, CollectError> {
        let request = request.build().map_err(|e| CollectError::Upstream {
            message: format!("bad request: {e}"),
            retryable: false,
        })?;
        let host = request.url().host_str().unwrap_or_default().to_owned();
        let limiter = self.limiter(platform, &host);
        let waiting = Instant::now();
        limiter.wait(self.max_wait).await?;
        self.metrics
            .record_rate_limit_wait(platform.as_str(), waiting.elapsed());

        let started = Instant::now();
        let answer = self.send(request, &host, &limiter).await;
        let outcome = match &answer {
            Ok(_) => "ok",
            Err(CollectError::NotFound) => "not_found",
            Err(CollectError::RateLimited { .. }) => "rate_limited",
            Err(CollectError::Timeout) => "timeout",
            Err(CollectError::BadData(_)) => "bad_data",
            Err(_) => "error",
        };
        self.metrics
            .record_collector_request(platform.as_str(), outcome, started.elapsed());
        answer
    }

    /// Sends a request whose turn has come; a `Retry-After` (or a spent
    /// quota) in the answer pauses its host's limiter.
    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::Request,
        host: &str,
        limiter: &HostLimiter,
    ) -> Result<T, CollectError> {
        let response = self.client.execute(request).await.map_err(|error| {
            if error.is_timeout() {
                CollectError::Timeout
            } else {
                CollectError::Upstream {
                    message: format!("cannot reach {host}: {}", root_cause(&error)),
                    retryable: true,
                }
            }
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let exhausted = remaining(&headers) == Some(0);
        let resume_in =
            retry_after(&headers).or_else(|| exhausted.then(|| reset_in(&headers)).flatten());
        if let Some(wait) =
            resume_in.filter(|_| exhausted || status == StatusCode::TOO_MANY_REQUESTS)
        {
            limiter.pause_until(Instant::now() + wait);
        }

        match status {
            s if s.is_success() => {}
            StatusCode::NOT_FOUND | StatusCode::GONE => return Err(CollectError::NotFound),
            StatusCode::TOO_MANY_REQUESTS => {
                return Err(CollectError::RateLimited {
                    retry_after: resume_in,
                });
            }
            StatusCode::FORBIDDEN if exhausted => {
                return Err(CollectError::RateLimited {
                    retry_after: resume_in,
                });
            }
            s => {
                return Err(CollectError::Upstream {
                    message: format!("{host} answered {s}"),
                    retryable: s.is_server_error(),
                });
            }
        }
        let body = response.bytes().await.map_err(|error| {
            if error.is_timeout() {
                CollectError::Timeout
            } else {
                CollectError::Upstream {
                    message: format!("{host} cut the answer short: {}", root_cause(&error)),
                    retryable: true,
                }
            }
        })?;
        serde_json::from_slice(&body).map_err(|e| CollectError::BadData(format!("{host}: {e}")))
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn remaining(headers: &HeaderMap) -> Option<u64> {
    header(headers, "x-ratelimit-remaining")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = header(headers, RETRY_AFTER.as_str())?;
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

/// `X-RateLimit-Reset` comes as epoch seconds (GitHub), seconds from now
/// (Reddit) or an ISO 8601 time (Mastodon).
fn reset_in(headers: &HeaderMap) -> Option<Duration> {
    let value = header(headers, "x-ratelimit-reset")?;
    if let Ok(number) = value.parse::<f64>() {
        const EPOCH_THRESHOLD: f64 = 1_000_000_000.0;
        let seconds = if number > EPOCH_THRESHOLD {
            number - Utc::now().timestamp() as f64
        } else {
            number
        };
        return Some(Duration::from_secs_f64(seconds.max(0.0)));
    }
    let at = DateTime::parse_from_rfc3339(value).ok()?;
    (at.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn reset_headers_in_every_platform_form() {
        let epoch = (Utc::now().timestamp() + 60).to_string();
        let github = reset_in(&headers(&[("x-ratelimit-reset", &epoch)])).unwrap();
        assert!((55..=61).contains(&github.as_secs()), "{github:?}");
        let reddit = reset_in(&headers(&[("x-ratelimit-reset", "42")])).unwrap();
        assert_eq!(reddit.as_secs(), 42);
        let iso = (Utc::now() + chrono::Duration::seconds(120)).to_rfc3339();
        let mastodon = reset_in(&headers(&[("x-ratelimit-reset", &iso)])).unwrap();
        assert!((115..=120).contains(&mastodon.as_secs()), "{mastodon:?}");
    }

    #[test]
    fn retry_after_and_remaining() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            remaining(&headers(&[("x-ratelimit-remaining", "0")])),
            Some(0)
        );
        // Reddit sends a float.
        assert_eq!(
            remaining(&headers(&[("x-ratelimit-remaining", "3.0")])),
            Some(3)
        );
    }

    #[test]
    fn small_budgets_never_burst_and_large_ones_stay_within_their_window() {
        let quota = Budget::new(60, Duration::from_secs(60)).unwrap().quota();
        assert_eq!(quota.burst_size().get(), 1);
        assert_eq!(quota.replenish_interval(), Duration::from_secs(1));

        let quota = Budget::new(1_000, Duration::from_secs(1)).unwrap().quota();
        assert_eq!(quota.burst_size().get(), 10);
        // The burst, then one every interval: a one-second window holds 1,000.
        let in_window =
            10 + (Duration::from_secs(1).as_nanos() / quota.replenish_interval().as_nanos()) - 1;
        assert!(in_window <= 1_000, "{in_window}");
        assert!(in_window >= 990, "{in_window}");
    }

    #[tokio::test]
    async fn a_spent_budget_fails_fast_instead_of_holding_the_run() {
        let host = HostLimiter::new(Budget::new(1, Duration::from_secs(3600)).unwrap());
        let max_wait = Duration::from_secs(60);
        assert!(host.wait(max_wait).await.is_ok());
        match host.wait(max_wait).await {
            Err(CollectError::BudgetSpent { retry_after: wait }) => {
                assert!(wait > max_wait, "{wait:?}")
            }
            other => panic!("expected a rate-limit failure, got {other:?}"),
        }

        let paused = HostLimiter::new(Budget::new(10, Duration::from_secs(1)).unwrap());
        paused.pause_until(Instant::now() + Duration::from_secs(900));
        assert!(matches!(
            paused.wait(max_wait).await,
            Err(CollectError::BudgetSpent { .. })
        ));
    }
}
