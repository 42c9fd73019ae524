//! Talking to the platforms: one HTTP client (rustls, timeouts, a descriptive
//! User-Agent) and a request window per platform host.
//!
//! A window lets at most the budget's `requests` be sent in any stretch of
//! its `period` (a sliding log of send times): the whole budget may go at
//! once, as the platforms' own fixed windows allow, and is never exceeded.
//! What the platform says corrects it: `X-RateLimit-Remaining: 0` (or the
//! IETF draft's `RateLimit-Remaining`), a 429, or a 403 that names a limit
//! pauses the host until `Retry-After` or the reset time; a reset already
//! past, or none given, pauses for [`DEFAULT_PAUSE`] instead of "now". A
//! request that would wait longer than [`Upstream::max_wait`] fails at once
//! as [`CollectError::BudgetSpent`], so a spent budget never holds a run, and
//! the engine asks [`Upstream::capacity`] first to plan only the requests
//! that fit.
//!
//! With Redis, the windows are shared by every instance
//! ([`super::shared_budget`]): a reservation there comes first, and this
//! process's own window only stands in while Redis is out of reach, with
//! the budget divided by the live instances.
//!
//! Over the ~500-line guideline: about half of it is unit tests of the
//! window and the header parsing.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::model::Platform;
use app::ssr::metrics::Metrics;
use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use super::CollectError;
use super::shared_budget::{Reserved, SharedBudgets, spaced_budget};

/// How long a host is paused when it says "rate limited" without saying
/// until when (or names a time already past).
pub const DEFAULT_PAUSE: Duration = Duration::from_secs(60);

/// Most of an error answer's body kept for its message.
const ERROR_BODY_LIMIT: usize = 300;

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

    /// The documented limits of an unconfigured (or, where it says so,
    /// configured) client, with some headroom. README's platform table
    /// states the same figures.
    pub fn default_for(platform: Platform, authenticated: bool) -> Budget {
        let per = |requests, seconds| {
            Budget::new(requests, Duration::from_secs(seconds)).expect("nonzero")
        };
        match platform {
            // 300 requests / 5 min per IP and instance.
            Platform::Mastodon => per(270, 300),
            // The public AppView allows about 3000 / 5 min per IP.
            Platform::Bluesky => per(2_700, 300),
            // 100 queries / min per OAuth client id, averaged over 10 min.
            Platform::Reddit => per(90, 60),
            // 60 / hour anonymous, 5,000 with a token.
            Platform::Github if authenticated => per(4_500, 3_600),
            Platform::Github => per(55, 3_600),
            // 10,000 quota units a day; a channels.list call costs 1.
            Platform::Youtube => per(9_000, 86_400),
            // 800 points / min per app token.
            Platform::Twitch => per(700, 60),
            // No documented limit: one request a second.
            Platform::Hackernews => per(60, 60),
            // 10,000 requests a day per IP with an app key, 300 without;
            // the quota is the IP's, shared with anything else on it.
            Platform::Stackexchange if authenticated => per(9_000, 86_400),
            Platform::Stackexchange => per(250, 86_400),
            // Invite lookups are banned far below the documented limits.
            Platform::Discord => per(6, 60),
            // Per server: Lemmy's default is 180 requests / min per IP,
            // PeerTube's 50 / 10 s; Misskey declares no limit for
            // `users/show` (one a second as a courtesy).
            Platform::Lemmy => per(80, 60),
            Platform::Peertube => per(45, 10),
            Platform::Misskey => per(60, 60),
            // No documented limit for reading (the Bot API's are for sending).
            Platform::Telegram => per(20, 1),
            // 300 / 15 min per app for user lookups; each read is billed.
            Platform::X => per(270, 900),
            // Meta states 200 calls an hour per user for older APIs only;
            // Business Use Case limits are not published as numbers.
            Platform::Instagram => per(180, 3_600),
            // 1,000 requests a day per Research API client.
            Platform::Tiktok => per(900, 86_400),
        }
    }

    /// One instance's part of the budget when `instances` share it without
    /// Redis: at least one request per period, so none stalls.
    pub fn share(self, instances: u32) -> Budget {
        let requests = self.requests.get() / instances.max(1);
        Budget {
            requests: NonZeroU32::new(requests).unwrap_or(NonZeroU32::MIN),
            period: self.period,
        }
    }

    /// How long a pass over `requests` takes at this budget, the first
    /// window's worth sent at once.
    pub fn pass_time(self, requests: u64) -> Duration {
        let per_window = u64::from(self.requests.get());
        let windows = requests.saturating_sub(1) / per_window;
        self.period * u32::try_from(windows).unwrap_or(u32::MAX)
    }
}

/// One host's sliding window of sends, and the pause the host asked for.
#[derive(Debug)]
struct Window {
    budget: Budget,
    /// When the latest requests were sent (or are reserved to be), oldest
    /// first: never more than the budget's `requests`.
    sent: VecDeque<Instant>,
    paused_until: Option<Instant>,
}

impl Window {
    fn new(budget: Budget) -> Self {
        Self {
            budget,
            sent: VecDeque::new(),
            paused_until: None,
        }
    }

    /// A window as Redis holds it (sends as offsets from now, in ms), to
    /// count what fits in it.
    fn from_shared(budget: Budget, now: Instant, sends_ms: &[i64], paused_for: Duration) -> Self {
        let at = |offset: i64| {
            let magnitude = Duration::from_millis(offset.unsigned_abs());
            if offset < 0 {
                now.checked_sub(magnitude).unwrap_or(now)
            } else {
                now + magnitude
            }
        };
        let mut sent: VecDeque<Instant> = sends_ms.iter().copied().map(at).collect();
        sent.make_contiguous().sort();
        while sent.len() > budget.requests.get() as usize {
            sent.pop_front();
        }
        Self {
            budget,
            sent,
            paused_until: (!paused_for.is_zero()).then(|| now + paused_for),
        }
    }

    fn limit(&self) -> usize {
        self.budget.requests.get() as usize
    }

    /// The earliest moment from `now` that a request keeps every stretch
    /// of `period` within the budget and respects the pause.
    fn next_slot(&self, now: Instant) -> Instant {
        let mut slot = now;
        if self.sent.len() >= self.limit() {
            slot = slot.max(self.sent[self.sent.len() - self.limit()] + self.budget.period);
        }
        if let Some(paused) = self.paused_until {
            slot = slot.max(paused);
        }
        slot
    }

    /// Takes the next slot if it comes by `deadline`; otherwise says how
    /// long from `now` it is.
    fn reserve(&mut self, now: Instant, deadline: Instant) -> Result<Instant, Duration> {
        let slot = self.next_slot(now);
        if slot > deadline {
            return Err(slot - now);
        }
        self.sent.push_back(slot);
        while self.sent.len() > self.limit() {
            self.sent.pop_front();
        }
        Ok(slot)
    }

    /// Requests sent within the last period (reserved ones still to come
    /// excluded).
    fn spent(&self, now: Instant) -> u32 {
        let since = now.checked_sub(self.budget.period);
        self.sent
            .iter()
            .filter(|at| **at <= now && since.is_none_or(|since| **at > since))
            .count() as u32
    }

    /// How many requests (at most `at_most`) could be sent by `deadline`.
    fn capacity(&self, now: Instant, deadline: Instant, at_most: u64) -> u64 {
        let mut trial = Window {
            budget: self.budget,
            sent: self.sent.clone(),
            paused_until: self.paused_until,
        };
        let mut count = 0;
        while count < at_most && trial.reserve(now, deadline).is_ok() {
            count += 1;
        }
        count
    }

    fn pause_until(&mut self, until: Instant) {
        if self.paused_until.is_none_or(|current| current < until) {
            self.paused_until = Some(until);
        }
    }
}

/// A host's window, shared by the requests to it.
#[derive(Debug)]
struct HostLimiter {
    window: Mutex<Window>,
}

impl HostLimiter {
    fn new(budget: Budget) -> Self {
        Self {
            window: Mutex::new(Window::new(budget)),
        }
    }

    fn window(&self) -> std::sync::MutexGuard<'_, Window> {
        self.window.lock().expect("window lock")
    }

    /// Waits for this host's next free slot, or says how long it would take
    /// when that is longer than `max_wait`. Slots are handed out in arrival
    /// (and so priority) order.
    async fn wait(&self, max_wait: Duration) -> Result<(), CollectError> {
        let deadline = Instant::now() + max_wait;
        loop {
            let now = Instant::now();
            let slot = self
                .window()
                .reserve(now, deadline)
                .map_err(|wait| CollectError::BudgetSpent { retry_after: wait })?;
            tokio::time::sleep_until(slot).await;
            // A pause that came while this request waited (another request
            // was told to slow down) holds it too; the slot stays spent.
            let paused = self.window().paused_until;
            if paused.is_none_or(|until| until <= Instant::now()) {
                return Ok(());
            }
        }
    }

    fn pause_until(&self, until: Instant) {
        self.window().pause_until(until);
    }
}

/// The HTTP side of collection, shared by all collectors and workers.
pub struct Upstream {
    client: reqwest::Client,
    budgets: HashMap<Platform, Budget>,
    /// The budgets every instance shares, when Redis is configured.
    shared: Option<Arc<SharedBudgets>>,
    /// Live instances sharing the database: without Redis, each sends its
    /// share of a budget.
    instances: AtomicU32,
    limiters: Mutex<HashMap<(Platform, String), Arc<HostLimiter>>>,
    /// Pauses of a whole platform (a daily quota spent), which hosts
    /// first asked later inherit.
    platform_pauses: Mutex<HashMap<Platform, Instant>>,
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
            shared: None,
            instances: AtomicU32::new(1),
            limiters: Mutex::new(HashMap::new()),
            platform_pauses: Mutex::new(HashMap::new()),
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

    /// Shares the budgets with every instance using the same Redis.
    pub fn with_shared_budgets(mut self, shared: SharedBudgets) -> Self {
        self.shared = Some(Arc::new(shared));
        self
    }

    /// How many instances share the platforms' budgets (live ones, from the
    /// database): without Redis, this one sends its share.
    pub fn set_instances(&self, instances: u32) {
        self.instances.store(instances.max(1), Ordering::Relaxed);
    }

    /// The budget this process's own window holds to: the whole budget,
    /// divided by the live instances.
    fn local_budget(&self, platform: Platform) -> Budget {
        self.budget(platform)
            .share(self.instances.load(Ordering::Relaxed))
    }

    /// The shared budgets, when Redis answers now.
    fn shared(&self) -> Option<&SharedBudgets> {
        self.shared.as_deref().filter(|shared| shared.is_up())
    }

    /// Waits at most `within` for the shared budgets' Redis (at start, so
    /// the first run counts in the shared windows); says whether they are
    /// shared now.
    pub async fn budgets_ready(&self, within: Duration) -> bool {
        match &self.shared {
            Some(shared) => shared.ready(within).await,
            None => false,
        }
    }

    /// Whether the budgets are shared through Redis right now.
    pub fn budgets_shared(&self) -> bool {
        self.shared().is_some()
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

    /// The budget requests to `platform` are held to.
    pub fn budget(&self, platform: Platform) -> Budget {
        self.budgets
            .get(&platform)
            .copied()
            .unwrap_or_else(|| Budget::default_for(platform, false))
    }

    fn limiter(&self, platform: Platform, host: &str) -> Arc<HostLimiter> {
        let budget = self.local_budget(platform);
        let inherited = self
            .platform_pauses
            .lock()
            .expect("pauses lock")
            .get(&platform)
            .copied();
        let limiter = self
            .limiters
            .lock()
            .expect("limiters lock")
            .entry((platform, host.to_owned()))
            .or_insert_with(|| {
                let limiter = HostLimiter::new(budget);
                if let Some(until) = inherited {
                    limiter.pause_until(until);
                }
                Arc::new(limiter)
            })
            .clone();
        // The share follows the number of live instances.
        limiter.window().budget = budget;
        limiter
    }

    /// How many requests to `platform` can be sent within the longest wait
    /// (at most `at_most`): the fewest any of its hosts allows, a fresh
    /// budget's for hosts not asked yet.
    pub async fn capacity(&self, platform: Platform, at_most: u64) -> u64 {
        if let Some(shared) = self.shared() {
            let hosts: Vec<String> = {
                let limiters = self.limiters.lock().expect("limiters lock");
                limiters
                    .keys()
                    .filter(|(p, _)| *p == platform)
                    .map(|(_, host)| host.clone())
                    .collect()
            };
            let budget = self.budget(platform);
            let mut fewest = at_most;
            let mut complete = true;
            for host in hosts {
                match shared.state(platform, &host, budget).await {
                    Ok(state) => {
                        let now = Instant::now();
                        let window = Window::from_shared(
                            spaced_budget(budget),
                            now,
                            &state.sends_ms,
                            state.paused_for,
                        );
                        fewest = fewest.min(window.capacity(now, now + self.max_wait, at_most));
                    }
                    Err(error) => {
                        tracing::debug!(%error, "counting on this instance's share");
                        complete = false;
                        break;
                    }
                }
            }
            if complete {
                let now = Instant::now();
                let fresh = Window::new(budget).capacity(now, now + self.max_wait, at_most);
                return fewest.min(fresh);
            }
        }
        self.local_capacity(platform, at_most)
    }

    /// [`Upstream::capacity`] by this process's own windows.
    fn local_capacity(&self, platform: Platform, at_most: u64) -> u64 {
        let now = Instant::now();
        let deadline = now + self.max_wait;
        let mut fresh = Window::new(self.local_budget(platform));
        if let Some(until) = self
            .platform_pauses
            .lock()
            .expect("pauses lock")
            .get(&platform)
        {
            fresh.pause_until(*until);
        }
        let limiters = self.limiters.lock().expect("limiters lock");
        limiters
            .iter()
            .filter(|((p, _), _)| *p == platform)
            .map(|(_, limiter)| limiter.window().capacity(now, deadline, at_most))
            .chain([fresh.capacity(now, deadline, at_most)])
            .min()
            .unwrap_or(0)
    }

    /// Requests sent to `platform` in its current window: the busiest
    /// host's.
    pub fn spent(&self, platform: Platform) -> u32 {
        let now = Instant::now();
        let limiters = self.limiters.lock().expect("limiters lock");
        limiters
            .iter()
            .filter(|((p, _), _)| *p == platform)
            .map(|(_, limiter)| limiter.window().spent(now))
            .max()
            .unwrap_or(0)
    }

    /// When `platform`'s next request may go (now when it may go at once).
    pub fn resumes_in(&self, platform: Platform) -> Duration {
        let now = Instant::now();
        // One lock at a time: `pause_platform` takes them in the other order.
        let paused = self
            .platform_pauses
            .lock()
            .expect("pauses lock")
            .get(&platform)
            .map(|until| until.saturating_duration_since(now));
        let limiters = self.limiters.lock().expect("limiters lock");
        limiters
            .iter()
            .filter(|((p, _), _)| *p == platform)
            .map(|(_, limiter)| limiter.window().next_slot(now) - now)
            .chain(paused)
            .max()
            .unwrap_or_default()
    }

    /// Holds the requests to one host of `platform` until `until`: a server
    /// that said "rate limited" in its own words (a 400 with Lemmy's
    /// `rate_limit_error`) rather than with a 429.
    pub fn pause_host(&self, platform: Platform, host: &str, until: Instant) {
        self.limiter(platform, host).pause_until(until);
        self.share_pause(platform, Some(host), until);
    }

    /// Tells every instance of a pause (in the background: the request
    /// that learnt it does not wait for Redis).
    fn share_pause(&self, platform: Platform, host: Option<&str>, until: Instant) {
        let Some(shared) = self.shared.clone().filter(|shared| shared.is_up()) else {
            return;
        };
        let wait = until.saturating_duration_since(Instant::now());
        let host = host.map(str::to_owned);
        tokio::spawn(async move {
            if let Err(error) = shared.pause(platform, host.as_deref(), wait).await {
                tracing::warn!(%error, "the pause holds this instance only");
            }
        });
    }

    /// Holds every request to `platform` until `until` (a daily quota
    /// spent): those that cannot wait that long fail as rate limited.
    pub fn pause_platform(&self, platform: Platform, until: Instant) {
        {
            let mut pauses = self.platform_pauses.lock().expect("pauses lock");
            let pause = pauses.entry(platform).or_insert(until);
            *pause = (*pause).max(until);
        }
        for ((p, _), limiter) in self.limiters.lock().expect("limiters lock").iter() {
            if *p == platform {
                limiter.pause_until(until);
            }
        }
        self.share_pause(platform, None, until);
    }

    /// Waits for the next slot of `host`: in the shared window when Redis
    /// answers, else in this process's own (its share of the budget).
    async fn wait_turn(
        &self,
        platform: Platform,
        host: &str,
        limiter: &HostLimiter,
    ) -> Result<(), CollectError> {
        if let Some(shared) = self.shared() {
            match shared
                .reserve(platform, host, self.budget(platform), self.max_wait)
                .await
            {
                Ok(Reserved::In(wait)) => {
                    tokio::time::sleep(wait).await;
                    return Ok(());
                }
                Ok(Reserved::Beyond(wait)) => {
                    return Err(CollectError::BudgetSpent { retry_after: wait });
                }
                Err(error) => tracing::debug!(%error, "waiting in this instance's share"),
            }
        }
        limiter.wait(self.max_wait).await
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
        self.wait_turn(platform, &host, &limiter).await?;
        self.metrics
            .record_rate_limit_wait(platform.as_str(), waiting.elapsed());

        let started = Instant::now();
        let answer = self.send(platform, request, &host, &limiter).await;
        let outcome = match &answer {
            Ok(_) => "ok",
            Err(CollectError::NotFound) => "not_found",
            Err(CollectError::RateLimited { .. }) => "rate_limited",
            Err(CollectError::Timeout) => "timeout",
            Err(CollectError::BadData(_)) => "bad_data",
            Err(CollectError::Unauthorized(_)) => "unauthorized",
            Err(CollectError::Blocked(_)) => "blocked",
            Err(_) => "error",
        };
        self.metrics
            .record_collector_request(platform.as_str(), outcome, started.elapsed());
        answer
    }

    /// Sends a request whose turn has come; what the answer says of the
    /// rate limit pauses its host.
    async fn send<T: DeserializeOwned>(
        &self,
        platform: Platform,
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
        if status.is_success() {
            if exhausted && let Some(wait) = reset_in(&headers) {
                limiter.pause_until(Instant::now() + wait);
                self.share_pause(platform, Some(host), Instant::now() + wait);
            }
            let body = read_body(response, host).await?;
            return serde_json::from_slice(&body)
                .map_err(|e| CollectError::BadData(format!("{host}: {e}")));
        }
        let body = read_body(response, host).await.unwrap_or_default();
        let text = String::from_utf8_lossy(&body[..body.len().min(4 * ERROR_BODY_LIMIT)]);
        // GitHub's secondary limits answer 403 or 429 with `retry-after`,
        // or a 403 whose message names the limit, while requests remain.
        let names_a_limit = text.to_ascii_lowercase().contains("rate limit");
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (exhausted || retry_after(&headers).is_some() || names_a_limit));
        if limited {
            let wait = retry_after(&headers)
                .or_else(|| reset_in(&headers))
                .unwrap_or(DEFAULT_PAUSE);
            limiter.pause_until(Instant::now() + wait);
            self.share_pause(platform, Some(host), Instant::now() + wait);
            return Err(CollectError::RateLimited {
                retry_after: Some(wait),
            });
        }
        let message = error_message(&text);
        match status {
            // Reddit answers a banned subreddit with a 404 that says so.
            StatusCode::NOT_FOUND if refusal_reason(&text).as_deref() == Some("banned") => Err(
                CollectError::Suspended(format!("{host}: banned by the platform (404)")),
            ),
            StatusCode::NOT_FOUND => Err(CollectError::NotFound),
            StatusCode::GONE => Err(CollectError::Gone(format!("{host} answered 410 Gone"))),
            StatusCode::UNAUTHORIZED => Err(CollectError::Unauthorized(format!(
                "{host} refused the credentials: {message}"
            ))),
            // An HTML page instead of the API's JSON: the client itself is
            // refused (Reddit's "Blocked", a bot wall).
            StatusCode::FORBIDDEN if is_html(&headers, &text) => Err(CollectError::Blocked(
                format!("{host} blocks this client (403 with an HTML page: {message})"),
            )),
            s if s.is_server_error() => Err(CollectError::Upstream {
                message: format!("{host} answered {s}"),
                retryable: true,
            }),
            s => Err(CollectError::Rejected {
                status: s.as_u16(),
                message: format!("{host} answered {s}: {message}"),
                body: text.into_owned(),
            }),
        }
    }
}

async fn read_body(response: reqwest::Response, host: &str) -> Result<Vec<u8>, CollectError> {
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
    Ok(body.to_vec())
}

/// The `reason` of a JSON refusal (`{"reason": "banned", …}`).
fn refusal_reason(body: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()?
        .get("reason")?
        .as_str()
        .map(str::to_owned)
}

fn is_html(headers: &HeaderMap, body: &str) -> bool {
    header(headers, "content-type").is_some_and(|t| t.starts_with("text/html"))
        || body.trim_start().starts_with('<')
}

/// A short, single-line message from an error answer: its JSON `message`
/// (or `error`) when it has one, else the start of its text.
fn error_message(body: &str) -> String {
    let from_json = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| {
            let field = |v: &serde_json::Value, name: &str| {
                v.get(name).and_then(|m| m.as_str()).map(str::to_owned)
            };
            field(&value, "message")
                .or_else(|| value.get("error").and_then(|e| field(e, "message")))
                .or_else(|| field(&value, "error"))
        });
    let text = from_json.unwrap_or_else(|| {
        // An HTML page: its title says most.
        let lower = body.to_ascii_lowercase();
        match (lower.find("<title>"), lower.find("</title>")) {
            (Some(start), Some(end)) if start + 7 <= end => body[start + 7..end].to_owned(),
            _ => body.to_owned(),
        }
    });
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(ERROR_BODY_LIMIT) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `X-RateLimit-*` (GitHub, Reddit, Mastodon), the IETF draft's
/// `RateLimit-*` (Bluesky, Twitch) or X's `x-rate-limit-*`.
fn rate_header<'a>(headers: &'a HeaderMap, field: &str) -> Option<&'a str> {
    header(headers, &format!("x-ratelimit-{field}"))
        .or_else(|| header(headers, &format!("ratelimit-{field}")))
        .or_else(|| header(headers, &format!("x-rate-limit-{field}")))
}

fn remaining(headers: &HeaderMap) -> Option<u64> {
    rate_header(headers, "remaining")?
        .split('.')
        .next()?
        .parse()
        .ok()
}

/// `Retry-After`: seconds, or an HTTP date; `None` when already past.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = header(headers, RETRY_AFTER.as_str())?;
    if let Ok(seconds) = value.parse::<u64>() {
        return (seconds > 0).then(|| Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    until(at.with_timezone(&Utc))
}

/// The reset time comes as epoch seconds (GitHub, Bluesky, Twitch), seconds
/// from now (Reddit) or an ISO 8601 time (Mastodon). `None` when it is
/// already past: that is no promise that a request would pass now.
fn reset_in(headers: &HeaderMap) -> Option<Duration> {
    let value = rate_header(headers, "reset")?;
    if let Ok(number) = value.parse::<f64>() {
        const EPOCH_THRESHOLD: f64 = 1_000_000_000.0;
        let seconds = if number > EPOCH_THRESHOLD {
            number - Utc::now().timestamp() as f64
        } else {
            number
        };
        return (seconds > 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let at = DateTime::parse_from_rfc3339(value).ok()?;
    until(at.with_timezone(&Utc))
}

fn until(at: DateTime<Utc>) -> Option<Duration> {
    (at - Utc::now()).to_std().ok().filter(|d| !d.is_zero())
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
        // Bluesky and Twitch: the IETF draft's names, without `x-`.
        let bluesky = reset_in(&headers(&[("ratelimit-reset", &epoch)])).unwrap();
        assert!((55..=61).contains(&bluesky.as_secs()), "{bluesky:?}");
    }

    #[test]
    fn a_reset_in_the_past_is_no_promise() {
        // GitHub's documentation example carries a reset from 2013.
        assert_eq!(
            reset_in(&headers(&[("x-ratelimit-reset", "1372700873")])),
            None
        );
        assert_eq!(reset_in(&headers(&[("x-ratelimit-reset", "0")])), None);
        assert_eq!(retry_after(&headers(&[("retry-after", "0")])), None);
        assert_eq!(
            retry_after(&headers(&[(
                "retry-after",
                "Wed, 21 Oct 2015 07:28:00 GMT"
            )])),
            None
        );
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
        assert_eq!(
            remaining(&headers(&[("ratelimit-remaining", "0")])),
            Some(0)
        );
        // Reddit sends a float.
        assert_eq!(
            remaining(&headers(&[("x-ratelimit-remaining", "3.0")])),
            Some(3)
        );
    }

    #[test]
    fn error_messages_are_short_and_single_line() {
        assert_eq!(
            error_message(r#"{"message":"Bad credentials","status":"401"}"#),
            "Bad credentials"
        );
        assert_eq!(
            error_message(r#"{"error":{"code":403,"message":"quota\nspent"}}"#),
            "quota spent"
        );
        assert_eq!(
            error_message(
                r#"{"error":"Unauthorized","status":401,"message":"Invalid OAuth token"}"#
            ),
            "Invalid OAuth token"
        );
        assert_eq!(
            error_message("<html><head><title>Blocked</title></head></html>"),
            "Blocked"
        );
        assert!(error_message(&"x".repeat(5_000)).chars().count() <= ERROR_BODY_LIMIT + 1);
    }

    #[test]
    fn a_window_never_holds_more_than_the_budget() {
        let budget = Budget::new(3, Duration::from_secs(60)).unwrap();
        let mut window = Window::new(budget);
        let start = Instant::now();
        let deadline = start + Duration::from_secs(10);
        for _ in 0..3 {
            assert_eq!(window.reserve(start, deadline), Ok(start));
        }
        let wait = window.reserve(start, deadline).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        // A minute later, three more, and no sooner.
        let later = start + Duration::from_secs(60);
        assert_eq!(window.capacity(later, later, 10), 3);
        assert_eq!(window.capacity(start, deadline, 10), 0);
        assert_eq!(
            window.capacity(start, start + Duration::from_secs(120), 10),
            6
        );
    }

    #[test]
    fn a_pause_holds_the_window() {
        let budget = Budget::new(10, Duration::from_secs(1)).unwrap();
        let mut window = Window::new(budget);
        let now = Instant::now();
        window.pause_until(now + Duration::from_secs(900));
        assert_eq!(window.capacity(now, now + Duration::from_secs(60), 10), 0);
        assert!(window.reserve(now, now + Duration::from_secs(60)).is_err());
    }

    #[test]
    fn each_instance_takes_its_share_without_redis() {
        let budget = Budget::new(55, Duration::from_secs(3600)).unwrap();
        assert_eq!(budget.share(1).requests.get(), 55);
        assert_eq!(budget.share(2).requests.get(), 27);
        assert_eq!(budget.share(0).requests.get(), 55);
        // Never nothing: one request a period at least.
        assert_eq!(budget.share(100).requests.get(), 1);
        assert_eq!(budget.share(3).period, budget.period);
    }

    #[test]
    fn a_shared_window_counts_like_a_local_one() {
        let budget = Budget::new(3, Duration::from_secs(1)).unwrap();
        let now = Instant::now();
        // Two sends in the last second (0.9 s and 0.1 s ago), none paused:
        // one more fits now, and by 0.95 s from now two more (as the two
        // sends leave the window).
        let window = Window::from_shared(budget, now, &[-900, -100], Duration::ZERO);
        assert_eq!(window.capacity(now, now, 10), 1);
        assert_eq!(
            window.capacity(now, now + Duration::from_millis(950), 10),
            3
        );
        // A pause holds it.
        let paused = Window::from_shared(budget, now, &[], Duration::from_secs(5));
        assert_eq!(paused.capacity(now, now + Duration::from_secs(4), 10), 0);
        // More sends than the budget: only the newest count.
        let full = Window::from_shared(budget, now, &[-950, -900, -800, -10], Duration::ZERO);
        assert_eq!(full.sent.len(), 3);
    }

    #[test]
    fn a_pass_takes_whole_windows_after_the_first() {
        let github = Budget::default_for(Platform::Github, false);
        assert_eq!(github.pass_time(55), Duration::ZERO);
        assert_eq!(github.pass_time(200), Duration::from_secs(3 * 3600));
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
