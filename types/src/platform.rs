//! Platforms: which ones Reach knows, their handle rules, and how each is doing (`/api/platforms`).

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
}

impl Platform {
    pub const ALL: [Platform; 9] = [
        Platform::Youtube,
        Platform::X,
        Platform::Instagram,
        Platform::Tiktok,
        Platform::Mastodon,
        Platform::Bluesky,
        Platform::Reddit,
        Platform::Github,
        Platform::Twitch,
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
        }
    }

    /// The counters this platform publishes; the others are always unknown.
    pub fn metrics(self) -> &'static [Metric] {
        use Metric::*;
        match self {
            Platform::Youtube => &[Followers, Posts, Views],
            Platform::X | Platform::Tiktok => &[Followers, Following, Posts, Likes],
            Platform::Instagram | Platform::Mastodon | Platform::Bluesky | Platform::Github => {
                &[Followers, Following, Posts]
            }
            Platform::Reddit => &[Followers, Likes],
            Platform::Twitch => &[Followers],
        }
    }

    /// Whether the platform offers a free public API Reach can read. The
    /// others (X, Instagram, TikTok) can only be simulated.
    pub fn has_public_api(self) -> bool {
        !matches!(self, Platform::X | Platform::Instagram | Platform::Tiktok)
    }

    /// What the platform calls a follower, for labels.
    pub fn follower_noun(self) -> &'static str {
        match self {
            Platform::Youtube => "subscribers",
            Platform::Reddit => "subscribers",
            _ => "followers",
        }
    }

    /// Checks a handle against the platform's own rules and returns it in
    /// the form Reach stores: without a leading `@` (YouTube keeps its `@`,
    /// which tells a handle from a channel id) or `u/`, domains lowercased.
    /// The error says what the platform's handles look like.
    pub fn normalize_handle(self, text: &str) -> Result<String, String> {
        let text = text.trim();
        let bare = text.trim_start_matches('@');
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let sized = |t: &str, min: usize, max: usize| (min..=max).contains(&t.len());
        let ok = match self {
            Platform::X => sized(bare, 1, 15) && bare.chars().all(word),
            Platform::Instagram => sized(bare, 1, 30) && bare.chars().all(|c| word(c) || c == '.'),
            Platform::Tiktok => sized(bare, 2, 24) && bare.chars().all(|c| word(c) || c == '.'),
            Platform::Twitch => {
                sized(bare, 4, 25)
                    && bare.chars().all(word)
                    && bare.starts_with(|c: char| c.is_ascii_alphanumeric())
            }
            Platform::Github => {
                sized(bare, 1, 39)
                    && bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !bare.starts_with('-')
                    && !bare.ends_with('-')
                    && !bare.contains("--")
            }
            Platform::Reddit => {
                let bare = bare.trim_start_matches('/');
                if let Some(subreddit) = bare.strip_prefix("r/") {
                    return (sized(subreddit, 3, 21) && subreddit.chars().all(word))
                        .then(|| format!("r/{subreddit}"))
                        .ok_or_else(|| {
                            "a subreddit is r/ and 3 to 21 letters, digits or `_`".into()
                        });
                }
                let name = bare.trim_start_matches("u/");
                return (sized(name, 3, 20) && name.chars().all(|c| word(c) || c == '-'))
                    .then(|| name.to_owned())
                    .ok_or_else(|| {
                        "a Reddit name is 3 to 20 letters, digits, `_` or `-` (or r/name for a subreddit)".into()
                    });
            }
            Platform::Youtube => {
                let channel_id = bare.len() == 24
                    && bare.starts_with("UC")
                    && bare.chars().all(|c| word(c) || c == '-');
                if channel_id && !text.starts_with('@') {
                    return Ok(bare.to_owned());
                }
                return (sized(bare, 3, 30)
                    && bare.chars().all(|c| word(c) || c == '.' || c == '-'))
                .then(|| format!("@{bare}"))
                .ok_or_else(|| {
                    "a YouTube handle is @ and 3 to 30 letters, digits, `_`, `.` or `-`, or a channel id (UC and 22 more)".into()
                });
            }
            Platform::Mastodon => {
                let (user, instance) = bare.split_once('@').unwrap_or((bare, ""));
                return (sized(user, 1, 30) && user.chars().all(word) && is_domain(instance))
                    .then(|| format!("{user}@{}", instance.to_ascii_lowercase()))
                    .ok_or_else(|| {
                        "a Mastodon handle is user@instance, e.g. Gargron@mastodon.social".into()
                    });
            }
            Platform::Bluesky => {
                return is_atproto_handle(bare)
                    .then(|| bare.to_ascii_lowercase())
                    .ok_or_else(|| {
                        "a Bluesky handle is a domain name whose last part starts with a letter, e.g. name.bsky.social".into()
                    });
            }
        };
        if ok {
            Ok(bare.to_owned())
        } else {
            Err(match self {
                Platform::X => "an X handle is 1 to 15 letters, digits or `_`",
                Platform::Instagram => "an Instagram handle is 1 to 30 letters, digits, `_` or `.`",
                Platform::Tiktok => "a TikTok handle is 2 to 24 letters, digits, `_` or `.`",
                Platform::Twitch => "a Twitch name is 4 to 25 letters, digits or `_`",
                _ => "a GitHub login is 1 to 39 letters, digits or single inner `-`",
            }
            .into())
        }
    }
}

/// A DNS name of two or more labels (letters, digits, inner `-`), at most
/// 253 characters: Mastodon instances and Bluesky handles.
fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

/// The atproto handle syntax (atproto.com/specs/handle): a domain name
/// whose last label starts with a letter, outside the top-level domains
/// that never resolve. Bluesky refuses a whole `getProfiles` request over
/// one handle that breaks it, so it is checked before it is stored.
pub fn is_atproto_handle(text: &str) -> bool {
    const NEVER_RESOLVE: [&str; 8] = [
        "alt",
        "arpa",
        "example",
        "internal",
        "invalid",
        "local",
        "localhost",
        "onion",
    ];
    is_domain(text)
        && text.rsplit('.').next().is_some_and(|tld| {
            tld.starts_with(|c: char| c.is_ascii_alphabetic())
                && !NEVER_RESOLVE.contains(&tld.to_ascii_lowercase().as_str())
        })
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
mod handle_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_handles_are_accepted_in_their_stored_form() {
        let cases = [
            (
                Platform::Mastodon,
                "@Gargron@Mastodon.Social",
                "Gargron@mastodon.social",
            ),
            (Platform::Bluesky, "@Jay.Bsky.Team", "jay.bsky.team"),
            (Platform::Github, "rust-lang", "rust-lang"),
            (Platform::Reddit, "/u/spez", "spez"),
            (Platform::Twitch, "shroud", "shroud"),
            (Platform::Youtube, "mkbhd", "@mkbhd"),
            (
                Platform::Youtube,
                "UCBJycsmduvYEL83R_U4JriQ",
                "UCBJycsmduvYEL83R_U4JriQ",
            ),
            (Platform::X, "@rustlang", "rustlang"),
            (Platform::Instagram, "nasa.gov_", "nasa.gov_"),
            (Platform::Tiktok, "khaby.lame", "khaby.lame"),
        ];
        for (platform, given, stored) in cases {
            assert_eq!(
                platform.normalize_handle(given).as_deref(),
                Ok(stored),
                "{given}"
            );
        }
        for (platform, bad) in [
            (Platform::Mastodon, "Gargron"),
            (Platform::Mastodon, "a@b"),
            (Platform::Bluesky, "bsky"),
            (Platform::Github, "-rust"),
            (Platform::Github, "a--b"),
            (Platform::Reddit, "ab"),
            (Platform::Twitch, "abc"),
            (Platform::X, "sixteen_chars_xx"),
            (Platform::Instagram, "a b"),
            (Platform::Youtube, "@a"),
        ] {
            assert!(
                platform.normalize_handle(bad).is_err(),
                "{platform:?} {bad}"
            );
        }
    }

    proptest! {
        // Whatever the text, the check answers (never panics), and what it
        // accepts is stored as a fixed point: short, printable ASCII, and
        // accepted again unchanged.
        #[test]
        fn normalizing_is_total_and_idempotent(text in "\\PC{0,80}", index in 0usize..9) {
            let platform = Platform::ALL[index];
            if let Ok(stored) = platform.normalize_handle(&text) {
                prop_assert!(stored.len() <= 253);
                prop_assert!(stored.chars().all(|c| c.is_ascii_graphic()));
                prop_assert_eq!(platform.normalize_handle(&stored), Ok(stored.clone()));
            }
        }

        #[test]
        fn well_formed_mastodon_handles_pass(
            user in "[A-Za-z0-9_]{1,30}",
            host in "[a-z0-9]{1,20}",
            tld in "[a-z]{2,10}",
        ) {
            let handle = format!("{user}@{host}.{tld}");
            prop_assert_eq!(Platform::Mastodon.normalize_handle(&handle), Ok(handle.clone()));
        }
    }
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
}
