//! Platforms: which ones Reach knows, the counters each publishes and its
//! names for them, and how each is doing (`/api/platforms`). Their handle
//! rules are in [`handle`].

mod handle;

pub use handle::is_atproto_handle;

use std::fmt;
use std::str::FromStr;

#[cfg(feature = "db")]
use sea_orm::prelude::StringLen;
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};
use crate::metric::Metric;

/// A social platform Reach can track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    #[cfg_attr(feature = "db", sea_orm(string_value = "youtube"))]
    Youtube,
    #[cfg_attr(feature = "db", sea_orm(string_value = "x"))]
    X,
    #[cfg_attr(feature = "db", sea_orm(string_value = "instagram"))]
    Instagram,
    #[cfg_attr(feature = "db", sea_orm(string_value = "tiktok"))]
    Tiktok,
    #[cfg_attr(feature = "db", sea_orm(string_value = "mastodon"))]
    Mastodon,
    #[cfg_attr(feature = "db", sea_orm(string_value = "bluesky"))]
    Bluesky,
    #[cfg_attr(feature = "db", sea_orm(string_value = "reddit"))]
    Reddit,
    #[cfg_attr(feature = "db", sea_orm(string_value = "github"))]
    Github,
    #[cfg_attr(feature = "db", sea_orm(string_value = "twitch"))]
    Twitch,
    #[cfg_attr(feature = "db", sea_orm(string_value = "hackernews"))]
    Hackernews,
    #[cfg_attr(feature = "db", sea_orm(string_value = "stackexchange"))]
    Stackexchange,
    #[cfg_attr(feature = "db", sea_orm(string_value = "discord"))]
    Discord,
    #[cfg_attr(feature = "db", sea_orm(string_value = "lemmy"))]
    Lemmy,
    #[cfg_attr(feature = "db", sea_orm(string_value = "peertube"))]
    Peertube,
    #[cfg_attr(feature = "db", sea_orm(string_value = "misskey"))]
    Misskey,
    #[cfg_attr(feature = "db", sea_orm(string_value = "telegram"))]
    Telegram,
}

impl Platform {
    pub const ALL: [Platform; 16] = [
        Platform::Youtube,
        Platform::X,
        Platform::Instagram,
        Platform::Tiktok,
        Platform::Mastodon,
        Platform::Bluesky,
        Platform::Reddit,
        Platform::Github,
        Platform::Twitch,
        Platform::Hackernews,
        Platform::Stackexchange,
        Platform::Discord,
        Platform::Lemmy,
        Platform::Peertube,
        Platform::Misskey,
        Platform::Telegram,
    ];

    /// The identifier used in URLs, the API and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Platform::Youtube => "youtube",
            Platform::X => "x",
            Platform::Instagram => "instagram",
            Platform::Tiktok => "tiktok",
            Platform::Mastodon => "mastodon",
            Platform::Bluesky => "bluesky",
            Platform::Reddit => "reddit",
            Platform::Github => "github",
            Platform::Twitch => "twitch",
            Platform::Hackernews => "hackernews",
            Platform::Stackexchange => "stackexchange",
            Platform::Discord => "discord",
            Platform::Lemmy => "lemmy",
            Platform::Peertube => "peertube",
            Platform::Misskey => "misskey",
            Platform::Telegram => "telegram",
        }
    }

    /// The name people know the platform by.
    pub fn label(self) -> &'static str {
        match self {
            Platform::Youtube => "YouTube",
            Platform::X => "X",
            Platform::Instagram => "Instagram",
            Platform::Tiktok => "TikTok",
            Platform::Mastodon => "Mastodon",
            Platform::Bluesky => "Bluesky",
            Platform::Reddit => "Reddit",
            Platform::Github => "GitHub",
            Platform::Twitch => "Twitch",
            Platform::Hackernews => "Hacker News",
            Platform::Stackexchange => "Stack Exchange",
            Platform::Discord => "Discord",
            Platform::Lemmy => "Lemmy",
            Platform::Peertube => "PeerTube",
            Platform::Misskey => "Misskey",
            Platform::Telegram => "Telegram",
        }
    }

    /// The counter shown first for an account (cards, badges, digests):
    /// followers where the platform has them, its first counter otherwise
    /// (Hacker News' karma).
    pub fn headline_metric(self) -> Metric {
        let metrics = self.metrics();
        if metrics.contains(&Metric::Followers) {
            Metric::Followers
        } else {
            metrics.first().copied().unwrap_or_default()
        }
    }

    /// The counters this platform publishes; the others are always unknown.
    pub fn metrics(self) -> &'static [Metric] {
        use Metric::*;
        match self {
            Platform::Youtube => &[Followers, Posts, Views],
            Platform::X => &[Followers, Following, Posts, Likes, Listed],
            Platform::Tiktok => &[Followers, Following, Posts, Likes],
            Platform::Instagram | Platform::Mastodon | Platform::Bluesky | Platform::Github => {
                &[Followers, Following, Posts]
            }
            Platform::Reddit => &[Followers, Score],
            Platform::Twitch => &[Followers],
            Platform::Hackernews | Platform::Stackexchange => &[Score],
            Platform::Discord => &[Followers, Online],
            // Communities have subscribers; users only posts.
            Platform::Lemmy => &[Followers, Posts],
            Platform::Peertube | Platform::Telegram => &[Followers],
            Platform::Misskey => &[Followers, Following, Posts],
        }
    }

    /// What the platform itself calls a counter, in lower case: a YouTube
    /// channel has subscribers and videos, a Reddit user karma. Pages, exports
    /// and the API (`/api/platforms`) name counters this way; the metric's own
    /// name is the same for every platform, so clients can compare them.
    pub fn metric_name(self, metric: Metric) -> &'static str {
        use Metric::*;
        match (self, metric) {
            (
                Platform::Youtube
                | Platform::Reddit
                | Platform::Lemmy
                | Platform::Peertube
                | Platform::Telegram,
                Followers,
            ) => "subscribers",
            (Platform::Misskey, Posts) => "notes",
            // The posts the account liked, not likes it received.
            (Platform::X, Likes) => "likes given",
            (Platform::Youtube | Platform::Tiktok, Posts) => "videos",
            (Platform::Github, Posts) => "public repositories",
            (Platform::Reddit | Platform::Hackernews, Score) => "karma",
            (Platform::Stackexchange, Score) => "reputation",
            (Platform::Discord, Followers) => "members",
            _ => metric.as_str(),
        }
    }

    /// [`Platform::metric_name`] with a capital, for headings and labels.
    pub fn metric_label(self, metric: Metric) -> String {
        let name = self.metric_name(metric);
        let mut chars = name.chars();
        chars
            .next()
            .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Platform {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseError::new("platform", s, names_of!(Platform)))
    }
}

/// How a platform stands on this instance: `/api/platforms`, the Runs
/// page's panel and `reach platforms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformStatus {
    pub platform: Platform,
    pub health: PlatformHealth,
    /// What to set to make the platform live (when not configured).
    pub needs: Option<String>,
    /// Tracked accounts on the platform (demo accounts included).
    pub accounts: u64,
    /// Of those, the ones whose latest attempt failed.
    pub failing: u64,
    /// The error of the platform's most recent failed attempt, when the
    /// most recent attempt failed.
    pub last_error: Option<String>,
    /// The request budget this instance holds the platform to; absent for
    /// platforms it never asks.
    pub budget: Option<PlatformBudget>,
    /// The counters the platform publishes, with its names for them; the
    /// other metrics of its accounts are always unknown.
    pub counters: Vec<PlatformCounter>,
}

/// A counter a platform publishes: Reach's metric, and what the platform
/// calls it (a Discord server's members, a Reddit user's karma).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformCounter {
    pub metric: Metric,
    pub name: String,
}

impl Platform {
    /// The counters the platform publishes, with their names on it.
    pub fn counters(self) -> Vec<PlatformCounter> {
        self.metrics()
            .iter()
            .map(|&metric| PlatformCounter {
                metric,
                name: self.metric_name(metric).to_owned(),
            })
            .collect()
    }
}

/// Whether Reach collects a platform, and how that goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlatformHealth {
    /// Collected, and its most recent attempt succeeded (or none was made).
    Live,
    /// Its most recent attempt failed: see `last_error`.
    Failing,
    /// It needs credentials Reach was not given: see `needs`.
    NotConfigured,
    /// Reach has no collector for it: only demo accounts have counters.
    NoCollector,
}

impl PlatformHealth {
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformHealth::Live => "live",
            PlatformHealth::Failing => "failing",
            PlatformHealth::NotConfigured => "not configured",
            PlatformHealth::NoCollector => "no collector",
        }
    }
}

/// A platform's request budget on this instance, what of it is spent, and
/// what a pass over the platform's accounts costs at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformBudget {
    /// At most `requests` in any `period_seconds`.
    pub requests: u32,
    pub period_seconds: u64,
    /// Per server (Mastodon) rather than one for the whole platform.
    pub per_server: bool,
    /// Requests this instance sent in the current window (the busiest
    /// server's, when per server).
    pub spent: u32,
    /// Until the next request may go: 0 when one may go now.
    pub resumes_in_seconds: u64,
    /// Requests one pass over the platform's accounts costs.
    pub pass_requests: u64,
    /// How long that pass takes at this budget, the first window's worth
    /// sent at once.
    pub pass_seconds: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_names_round_trip() {
        for p in Platform::ALL {
            assert_eq!(p.as_str().parse::<Platform>(), Ok(p));
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
        }
        assert!("myspace".parse::<Platform>().is_err());
    }

    #[test]
    fn counters_take_the_platforms_names() {
        assert_eq!(
            Platform::Youtube.metric_name(Metric::Followers),
            "subscribers"
        );
        assert_eq!(Platform::Youtube.metric_label(Metric::Posts), "Videos");
        assert_eq!(Platform::Reddit.metric_name(Metric::Score), "karma");
        assert_eq!(
            Platform::Mastodon.metric_name(Metric::Followers),
            "followers"
        );
        for platform in Platform::ALL {
            let counters = platform.counters();
            assert_eq!(counters.len(), platform.metrics().len(), "{platform}");
            assert!(
                counters
                    .iter()
                    .all(|c| !c.name.is_empty() && c.name == c.name.to_lowercase()),
                "{platform}"
            );
        }
    }
}
