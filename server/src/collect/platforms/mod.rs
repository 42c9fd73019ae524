//! The collectors: one file per platform, all behind [`Collector`], all
//! registered in [`Collectors::new`].
//!
//! A collector turns accounts into observations by reading the platform's
//! public API through [`Upstream`], which owns the HTTP client and the rate
//! limiters. It never invents a counter: what the platform does not say is
//! `None`.

mod bluesky;
mod discord;
mod github;
mod hackernews;
mod http;
mod instagram;
mod lemmy;
mod mastodon;
mod misskey;
mod oauth;
mod peertube;
mod reddit;
mod settings;
mod shared_budget;
mod stackexchange;
mod telegram;
mod tiktok;
mod twitch;
mod x;
mod youtube;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::model::{Counters, Outcome, Platform};
use async_trait::async_trait;

pub use http::{Budget, Upstream};
pub use settings::{PlatformSettings, secret};
pub use shared_budget::SharedBudgets;

/// An account as a collector sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub handle: String,
    /// The platform's stable id, once known; preferred over the handle.
    pub platform_id: Option<String>,
}

/// What a platform said about one account.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// What the answer gave; a counter it lacked (or hid) is `None`, never
    /// zero, and never replaces the account's last known value.
    pub counters: Counters,
    pub platform_id: Option<String>,
    pub display_name: Option<String>,
    /// The account's handle as the platform now gives it, in the form Reach
    /// stores; a different one than Reach has means the account was renamed.
    pub handle: Option<String>,
    /// Where the platform serves the account's picture: Reach keeps a small
    /// copy of its own (`collect::avatars`), refreshed when this changes.
    pub avatar_url: Option<String>,
}

/// Why an account (or a whole request) could not be collected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CollectError {
    #[error("the platform has no such account")]
    NotFound,
    #[error("rate limited by the platform{}", .retry_after.map(|w| format!(" (for {}s)", w.as_secs())).unwrap_or_default())]
    RateLimited { retry_after: Option<Duration> },
    /// Reach's own budget for the platform is spent for longer than it may
    /// wait; no request was sent.
    #[error("request budget spent: the next request is allowed in {}s (see REACH_RATE_LIMITS)", .retry_after.as_secs())]
    BudgetSpent { retry_after: Duration },
    #[error("not configured: set {0}")]
    NotConfigured(&'static str),
    /// The platform has no collector in Reach: its accounts get no counters
    /// (only demo accounts are simulated).
    #[error(
        "Reach has no collector for {0} yet (it needs the platform's official API); real accounts are never given invented counters"
    )]
    NoCollector(&'static str),
    #[error("invalid handle: {0}")]
    InvalidHandle(String),
    #[error("the platform did not answer in time")]
    Timeout,
    #[error("{message}")]
    Upstream { message: String, retryable: bool },
    #[error("unreadable answer: {0}")]
    BadData(String),
    /// The platform suspended or took down the account.
    #[error("suspended: {0}")]
    Suspended(String),
    /// The account was deactivated or deleted by its owner.
    #[error("gone: {0}")]
    Gone(String),
    /// The account exists, but its counters are not public.
    #[error("private: {0}")]
    Private(String),
    /// The platform refuses this client (an HTML block page, a bot wall).
    #[error("blocked: {0}")]
    Blocked(String),
    /// The credentials were refused (expired or revoked token, wrong key).
    #[error("{0}")]
    Unauthorized(String),
    /// A 4xx the platform explained; collectors turn the ones they know
    /// into the variants above. A 400 for a batch is tried account by
    /// account.
    #[error("{message}")]
    Rejected {
        status: u16,
        message: String,
        body: String,
    },
}

impl CollectError {
    /// Worth trying again after a pause: the platform may answer next time.
    pub fn is_retryable(&self) -> bool {
        match self {
            CollectError::RateLimited { .. } | CollectError::Timeout => true,
            CollectError::Upstream { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// Says nothing about the account itself: the request as a whole is
    /// retried (or reported as what failed before it), not recorded as the
    /// account's answer.
    pub fn is_about_the_request(&self) -> bool {
        self.is_retryable() || matches!(self, CollectError::BudgetSpent { .. })
    }

    /// A 400 for a request of several accounts: one of them may be the
    /// cause, so each is asked alone.
    pub fn is_bad_request(&self) -> bool {
        matches!(self, CollectError::Rejected { status: 400, .. })
    }

    pub fn outcome(&self) -> Outcome {
        match self {
            CollectError::NotFound => Outcome::NotFound,
            CollectError::RateLimited { .. } | CollectError::BudgetSpent { .. } => {
                Outcome::RateLimited
            }
            CollectError::NotConfigured(_) | CollectError::NoCollector(_) => Outcome::NotConfigured,
            CollectError::InvalidHandle(_) => Outcome::InvalidHandle,
            CollectError::Suspended(_) => Outcome::Suspended,
            CollectError::Gone(_) => Outcome::Gone,
            CollectError::Private(_) => Outcome::Private,
            CollectError::Blocked(_) | CollectError::Unauthorized(_) => Outcome::Blocked,
            CollectError::Timeout
            | CollectError::Upstream { .. }
            | CollectError::BadData(_)
            | CollectError::Rejected { .. } => Outcome::UpstreamError,
        }
    }
}

/// The answer for a batch: one result per target, in the targets' order. The
/// outer error fails the whole request (and is retried as a whole).
pub type BatchResult = Result<Vec<Result<Observation, CollectError>>, CollectError>;

#[async_trait]
pub trait Collector: Send + Sync {
    /// How many accounts one request can cover.
    fn batch_size(&self) -> usize {
        1
    }

    /// Requests a batch of `accounts` costs, `without_id` of which have no
    /// stable id yet, for planning a run within the budget.
    fn requests_for(&self, accounts: usize, without_id: usize) -> u64 {
        let _ = without_id;
        accounts.div_ceil(self.batch_size().max(1)) as u64
    }

    /// Whether the platform's budget is one for all its accounts, so a run
    /// can be planned within it (Mastodon's is per instance: it is not).
    fn shared_budget(&self) -> bool {
        true
    }

    /// What is missing before this collector can ask the platform, if
    /// anything: the settings to give.
    fn missing_settings(&self) -> Option<&'static str> {
        None
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult;

    /// One cheap request that proves the platform answers with the given
    /// credentials (`reach platforms --check`); what it found.
    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError>;
}

/// The one place collectors are registered: the live collector of each
/// platform that has a public API.
#[derive(Clone)]
pub struct Collectors {
    live: HashMap<Platform, Arc<dyn Collector>>,
}

impl Collectors {
    /// Every collector, each made from the settings it needs: adding a
    /// platform adds one line here.
    pub fn new(settings: &PlatformSettings) -> Self {
        use Platform as P;
        let live: [(Platform, Arc<dyn Collector>); 16] = [
            (P::Mastodon, Arc::new(mastodon::Mastodon::new(settings))),
            (P::Bluesky, Arc::new(bluesky::Bluesky::new(settings))),
            (P::Reddit, Arc::new(reddit::Reddit::new(settings))),
            (P::Github, Arc::new(github::Github::new(settings))),
            (P::Youtube, Arc::new(youtube::Youtube::new(settings))),
            (P::Twitch, Arc::new(twitch::Twitch::new(settings))),
            (
                P::Hackernews,
                Arc::new(hackernews::HackerNews::new(settings)),
            ),
            (
                P::Stackexchange,
                Arc::new(stackexchange::StackExchange::new(settings)),
            ),
            (P::Discord, Arc::new(discord::Discord::new(settings))),
            (P::Lemmy, Arc::new(lemmy::Lemmy::new(settings))),
            (P::Peertube, Arc::new(peertube::PeerTube::new(settings))),
            (P::Misskey, Arc::new(misskey::Misskey::new(settings))),
            (P::X, Arc::new(x::X::new(settings))),
            (P::Telegram, Arc::new(telegram::Telegram::new(settings))),
            (P::Instagram, Arc::new(instagram::Instagram::new(settings))),
            (P::Tiktok, Arc::new(tiktok::Tiktok::new(settings))),
        ];
        Self {
            live: live.into_iter().collect(),
        }
    }

    /// The live collector of a platform; `None` for one without a collector.
    pub fn live(&self, platform: Platform) -> Option<Arc<dyn Collector>> {
        self.live.get(&platform).cloned()
    }
}

/// The API base of a federated platform's server `host`: `https://{host}`,
/// or the configured URL with `{host}` in it replaced (a proxy, or tests'
/// fakes).
fn server_base(template: Option<&str>, host: &str) -> String {
    match template {
        Some(base) => base
            .replace("{host}", host)
            .trim_end_matches('/')
            .to_owned(),
        None => format!("https://{host}"),
    }
}

/// Asks for each target in turn with `ask`; a failure of the request
/// itself (a rate limit, a timeout) fails the batch, to be tried again as a
/// whole, and any other is that account's answer.
async fn one_by_one<'a, F, Fut>(targets: &'a [Target], mut ask: F) -> BatchResult
where
    F: FnMut(&'a Target) -> Fut,
    Fut: std::future::Future<Output = Result<Observation, CollectError>>,
{
    let mut results = Vec::with_capacity(targets.len());
    for target in targets {
        match ask(target).await {
            Err(error) if error.is_about_the_request() => return Err(error),
            result => results.push(result),
        }
    }
    Ok(results)
}

/// A handle in the form the platform's rules store it, or why not.
fn stored_handle(platform: Platform, target: &Target) -> Result<String, CollectError> {
    platform
        .normalize_handle(&target.handle)
        .map_err(|why| CollectError::InvalidHandle(format!("{}: {why}", target.handle)))
}

/// Parses a counter the platform sends as a string (YouTube does).
fn parse_count(value: Option<&str>, field: &str) -> Result<Option<i64>, CollectError> {
    value
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| CollectError::BadData(format!("{field} is not a number: {v:?}")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_passing_failures_are_retried() {
        assert!(CollectError::Timeout.is_retryable());
        assert!(CollectError::RateLimited { retry_after: None }.is_retryable());
        assert!(!CollectError::NotFound.is_retryable());
        assert!(
            !CollectError::BudgetSpent {
                retry_after: Duration::from_secs(65)
            }
            .is_retryable()
        );
        assert!(!CollectError::BadData("x".into()).is_retryable());
        assert!(!CollectError::NotConfigured("YOUTUBE_API_KEY").is_retryable());
    }

    #[test]
    fn every_platform_has_a_live_collector() {
        let collectors = Collectors::new(&PlatformSettings::default());
        for platform in Platform::ALL {
            assert!(collectors.live(platform).is_some(), "{platform}");
        }
    }

    /// Every registered collector has its platform's documented answers
    /// for the cases every platform has: an account found, one not found,
    /// and a rate limit (or, where the platform documents none, a row
    /// saying so). `SOURCES.md` lists them, one section per platform; the
    /// files it names exist.
    #[test]
    fn every_collector_has_documented_answers() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/platforms");
        let sources = std::fs::read_to_string(format!("{fixtures}/SOURCES.md")).unwrap();
        let collectors = Collectors::new(&PlatformSettings::default());
        for platform in Platform::ALL {
            if collectors.live(platform).is_none() {
                continue;
            }
            let heading = format!("## {}", platform.label());
            let section: Vec<&str> = sources
                .lines()
                .skip_while(|line| !line.starts_with(&heading))
                .skip(1)
                .take_while(|line| !line.starts_with('#'))
                .filter(|line| line.starts_with("| `") || line.starts_with("| (none)"))
                .collect();
            assert!(!section.is_empty(), "SOURCES.md has no {heading} table");
            for row in &section {
                if let Some(file) = row.strip_prefix("| `").and_then(|r| r.split('`').next()) {
                    assert!(
                        std::path::Path::new(&format!("{fixtures}/{file}")).exists(),
                        "{platform}: SOURCES.md names {file}, which is missing"
                    );
                }
            }
            let has = |words: &[&str]| {
                section.iter().any(|row| {
                    let row = row.to_lowercase();
                    words.iter().any(|w| row.contains(w))
                })
            };
            let cell =
                |row: &&&str, n: usize| row.split(" | ").nth(n).map(str::trim).map(str::to_owned);
            assert!(
                section
                    .iter()
                    .any(|row| cell(&row, 2).is_some_and(|s| s.starts_with("200"))),
                "{platform}: no answer of an account found (status 200) in SOURCES.md"
            );
            assert!(
                has(&[
                    "not_found",
                    "not found",
                    "unknown",
                    "no such",
                    "couldnt_find"
                ]),
                "{platform}: no not-found answer in SOURCES.md"
            );
            assert!(
                has(&["rate limit", "rate_limit", "throttl", "too many", "quota"]),
                "{platform}: no rate-limit answer (or a row saying there is none) in SOURCES.md"
            );
        }
    }

    #[test]
    fn string_counters_parse_or_fail_clearly() {
        assert_eq!(parse_count(Some("42"), "viewCount"), Ok(Some(42)));
        assert_eq!(parse_count(None, "viewCount"), Ok(None));
        assert!(parse_count(Some("lots"), "viewCount").is_err());
    }
}
