//! The data that crosses the wire: serde DTOs shared by the server and the WASM
//! dashboard. Nothing here touches the database; under the `ssr` feature the
//! enums also map onto database columns.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
#[cfg(feature = "ssr")]
use sea_orm::prelude::StringLen;
use serde::{Deserialize, Serialize};

/// A social platform Reach can track.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "youtube"))]
    Youtube,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "x"))]
    X,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "instagram"))]
    Instagram,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "tiktok"))]
    Tiktok,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "mastodon"))]
    Mastodon,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "bluesky"))]
    Bluesky,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "reddit"))]
    Reddit,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "github"))]
    Github,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "twitch"))]
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
    pub fn as_str(self) -> &'static str {
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

/// The error of parsing an unknown platform name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown platform `{0}`; expected one of youtube, x, instagram, tiktok, mastodon, bluesky, reddit, github, twitch"
)]
pub struct UnknownPlatform(pub String);

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownPlatform(s.to_owned()))
    }
}

/// One of the public counters Reach records for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    #[default]
    Followers,
    Following,
    Posts,
    Views,
    Likes,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::Followers,
        Metric::Following,
        Metric::Posts,
        Metric::Views,
        Metric::Likes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Followers => "followers",
            Metric::Following => "following",
            Metric::Posts => "posts",
            Metric::Views => "views",
            Metric::Likes => "likes",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::Followers => "Followers",
            Metric::Following => "Following",
            Metric::Posts => "Posts",
            Metric::Views => "Views",
            Metric::Likes => "Likes",
        }
    }
}

impl FromStr for Metric {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| UnknownValue::new("metric", s, Metric::ALL.map(Metric::as_str)))
    }
}

/// The error of parsing a name that is not one of a fixed set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; expected one of {expected}")]
pub struct UnknownValue {
    what: &'static str,
    value: String,
    expected: String,
}

impl UnknownValue {
    fn new(
        what: &'static str,
        value: &str,
        expected: impl IntoIterator<Item = &'static str>,
    ) -> Self {
        Self {
            what,
            value: value.to_owned(),
            expected: expected.into_iter().collect::<Vec<_>>().join(", "),
        }
    }
}

/// The counters of one observation. `None` means the platform did not say:
/// unknown is never reported as zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Counters {
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub views: Option<i64>,
    pub likes: Option<i64>,
}

impl Counters {
    pub fn get(&self, metric: Metric) -> Option<i64> {
        match metric {
            Metric::Followers => self.followers,
            Metric::Following => self.following,
            Metric::Posts => self.posts,
            Metric::Views => self.views,
            Metric::Likes => self.likes,
        }
    }
}

/// Columns the accounts table can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountSort {
    Handle,
    Platform,
    #[default]
    Followers,
    Following,
    Posts,
    Views,
    Likes,
    #[serde(rename = "change_7d")]
    Change7d,
    #[serde(rename = "change_30d")]
    Change30d,
    LastCollected,
}

impl AccountSort {
    pub const ALL: [AccountSort; 10] = [
        AccountSort::Handle,
        AccountSort::Platform,
        AccountSort::Followers,
        AccountSort::Following,
        AccountSort::Posts,
        AccountSort::Views,
        AccountSort::Likes,
        AccountSort::Change7d,
        AccountSort::Change30d,
        AccountSort::LastCollected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AccountSort::Handle => "handle",
            AccountSort::Platform => "platform",
            AccountSort::Followers => "followers",
            AccountSort::Following => "following",
            AccountSort::Posts => "posts",
            AccountSort::Views => "views",
            AccountSort::Likes => "likes",
            AccountSort::Change7d => "change_7d",
            AccountSort::Change30d => "change_30d",
            AccountSort::LastCollected => "last_collected",
        }
    }

    /// The direction a user expects on the first click: biggest numbers first,
    /// names from A.
    pub fn natural_direction(self) -> SortDirection {
        match self {
            AccountSort::Handle | AccountSort::Platform => SortDirection::Asc,
            _ => SortDirection::Desc,
        }
    }
}

impl FromStr for AccountSort {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountSort::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or(())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

impl SortDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            SortDirection::Asc => "asc",
            SortDirection::Desc => "desc",
        }
    }

    pub fn flipped(self) -> Self {
        match self {
            SortDirection::Asc => SortDirection::Desc,
            SortDirection::Desc => SortDirection::Asc,
        }
    }
}

impl FromStr for SortDirection {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asc" => Ok(SortDirection::Asc),
            "desc" => Ok(SortDirection::Desc),
            _ => Err(()),
        }
    }
}

/// Default and largest page sizes of every paginated list.
pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;

/// One row of the accounts table: the account and its latest known counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountRow {
    pub id: i64,
    pub platform: Platform,
    pub handle: String,
    pub display_name: Option<String>,
    pub is_core: bool,
    pub tags: Vec<String>,
    pub latest: Counters,
    pub last_collected_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    /// How the latest collection of this account ended.
    pub last_outcome: Option<Outcome>,
    /// A demo account: its counters come from the simulator, not from a
    /// platform. No other account is ever simulated.
    pub simulated: bool,
    /// What the platform last said about the account when it has no
    /// counters to give (suspended, gone, private); absent while active.
    #[serde(default)]
    pub state: Option<AccountState>,
    /// When each of `latest` was observed.
    #[serde(default)]
    pub latest_at: CountersAt,
    /// Follower change over the 7 and 30 days up to the latest snapshot;
    /// unknown until the history is that long.
    pub change_7d: Option<i64>,
    pub change_30d: Option<i64>,
    /// Followers at each snapshot of the last 30 days, oldest first: filled
    /// in lists that draw a sparkline, empty elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sparkline: Vec<i64>,
}

/// `change` as a percentage of the value it started from (`current - change`);
/// unknown when either is unknown or the start was zero.
pub fn percent_change(change: Option<i64>, current: Option<i64>) -> Option<f64> {
    let change = change?;
    let start = current? - change;
    (start > 0).then(|| change as f64 * 100.0 / start as f64)
}

/// A tag, how many accounts carry it and their group totals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TagCount {
    pub tag: String,
    pub accounts: u64,
    /// The sum of those accounts' known followers.
    pub followers: i64,
    /// The sum of their known 7-day follower changes; unknown when none is.
    pub change_7d: Option<i64>,
}

/// Which accounts the accounts table lists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountFilter {
    /// Matches handles and display names.
    pub search: Option<String>,
    pub platform: Option<Platform>,
    /// `Some(true)`: core accounts only; `Some(false)`: the others.
    pub core: Option<bool>,
    pub tag: Option<String>,
}

/// A page of a list, with what is needed to draw the pager.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1))) as u32).max(1)
    }

    /// Where the page is, for its pager: `26–50 of 60 · page 2 of 3`, or
    /// `0 accounts` with `noun` when there is nothing.
    pub fn range_status(&self, noun: &str) -> String {
        if self.total == 0 {
            return format!("0 {noun}");
        }
        let first = (self.page - 1) * self.per_page + 1;
        let last = (first - 1 + self.items.len() as u32).max(first);
        format!(
            "{first}–{last} of {} · page {} of {}",
            self.total,
            self.page,
            self.page_count()
        )
    }
}

/// Everything the account page shows apart from the history itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AccountDetail {
    pub account: AccountRow,
    /// The brand it belongs to, if any.
    pub brand: Option<BrandRef>,
    pub platform_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub snapshot_count: u64,
    pub first_captured_at: Option<DateTime<Utc>>,
}

/// How far back an account's history goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum HistoryRange {
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[default]
    #[serde(rename = "90d")]
    Quarter,
    #[serde(rename = "1y")]
    Year,
    #[serde(rename = "all")]
    All,
}

impl HistoryRange {
    pub const ALL: [HistoryRange; 5] = [
        HistoryRange::Week,
        HistoryRange::Month,
        HistoryRange::Quarter,
        HistoryRange::Year,
        HistoryRange::All,
    ];

    /// The range's name in URLs and on its button.
    pub fn as_str(self) -> &'static str {
        match self {
            HistoryRange::Week => "7d",
            HistoryRange::Month => "30d",
            HistoryRange::Quarter => "90d",
            HistoryRange::Year => "1y",
            HistoryRange::All => "all",
        }
    }

    /// The number of days covered, `None` for the whole history.
    pub fn days(self) -> Option<i64> {
        match self {
            HistoryRange::Week => Some(7),
            HistoryRange::Month => Some(30),
            HistoryRange::Quarter => Some(90),
            HistoryRange::Year => Some(365),
            HistoryRange::All => None,
        }
    }
}

impl FromStr for HistoryRange {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HistoryRange::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or(())
    }
}

/// One snapshot of an account's counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPoint {
    pub captured_at: DateTime<Utc>,
    #[serde(flatten)]
    pub counters: Counters,
    /// Read from a file (`reach import snapshots`), not observed by Reach.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
}

/// Per-platform figures of the overview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlatformTotals {
    pub platform: Platform,
    pub accounts: u64,
    pub followers: i64,
}

/// A collection run as listed in the run history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunSummary {
    pub id: i64,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub mode: String,
    pub status: RunStatus,
    pub accounts_ok: i32,
    pub accounts_failed: i32,
    pub accounts_skipped: i32,
    pub duration_ms: Option<i64>,
    /// Progress: accounts the run set out to collect, and those finished.
    pub accounts_total: i32,
    pub accounts_done: i32,
}

/// How collecting one account ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A snapshot was stored.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "ok"))]
    Ok,
    /// The platform says the account does not exist.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "not_found"))]
    NotFound,
    /// The platform's rate limit held the account back past the retries.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "rate_limited"))]
    RateLimited,
    /// The platform needs credentials Reach was not given.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "not_configured"))]
    NotConfigured,
    /// The handle is not in the platform's form.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "invalid_handle"))]
    InvalidHandle,
    /// The platform failed, timed out or answered something unreadable.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "upstream_error"))]
    UpstreamError,
    /// The platform suspended the account (or took it down): no counters.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "suspended"))]
    Suspended,
    /// Its owner deactivated or deleted the account: no counters.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "gone"))]
    Gone,
    /// The account exists but its counters are not public.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "private"))]
    Private,
    /// The platform refuses Reach's requests as a client (an anonymous
    /// client it blocks, a key it does not accept).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "blocked"))]
    Blocked,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::NotFound => "not found",
            Outcome::RateLimited => "rate limited",
            Outcome::NotConfigured => "not configured",
            Outcome::InvalidHandle => "invalid handle",
            Outcome::UpstreamError => "upstream error",
            Outcome::Suspended => "suspended",
            Outcome::Gone => "gone",
            Outcome::Private => "private",
            Outcome::Blocked => "blocked",
        }
    }

    /// The account's state this outcome says the platform reported, if any.
    pub fn state(self) -> Option<AccountState> {
        match self {
            Outcome::Suspended => Some(AccountState::Suspended),
            Outcome::Gone => Some(AccountState::Gone),
            Outcome::Private => Some(AccountState::Private),
            _ => None,
        }
    }

    /// A failure of collection, as opposed to a collected account, a state
    /// the platform reports, or a platform Reach was not set up for.
    pub fn is_failure(self) -> bool {
        !matches!(self, Outcome::Ok | Outcome::NotConfigured) && self.state().is_none()
    }
}

/// How a platform stands on this instance: `/api/platforms`, the Runs
/// page's panel and `reach platforms`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// What a platform says about an account that has no counters to give: the
/// account is kept, with its history and last known counters, and no
/// snapshot is stored while it is in this state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "suspended"))]
    Suspended,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "gone"))]
    Gone,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "private"))]
    Private,
}

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::Suspended => "suspended",
            AccountState::Gone => "gone",
            AccountState::Private => "private",
        }
    }
}

/// When each latest counter of an account was observed: a counter missing
/// from the latest answer keeps its older value, and says how old it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountersAt {
    pub followers: Option<DateTime<Utc>>,
    pub following: Option<DateTime<Utc>>,
    pub posts: Option<DateTime<Utc>>,
    pub views: Option<DateTime<Utc>>,
    pub likes: Option<DateTime<Utc>>,
}

impl CountersAt {
    pub fn get(&self, metric: Metric) -> Option<DateTime<Utc>> {
        match metric {
            Metric::Followers => self.followers,
            Metric::Following => self.following,
            Metric::Posts => self.posts,
            Metric::Views => self.views,
            Metric::Likes => self.likes,
        }
    }
}

/// Where a collection run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "running"))]
    Running,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "finished"))]
    Finished,
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "interrupted"))]
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "interrupted",
        }
    }
}

/// The answer to a manual collection request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CollectAnswer {
    /// A run starts now.
    Started,
    /// A run is already under way on this instance; it collects what is due.
    AlreadyRunning,
}

/// One run in detail: its figures, per platform and per account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunDetail {
    pub run: RunSummary,
    pub platforms: Vec<PlatformTiming>,
    /// The accounts this run finished, failures first, one page of them.
    pub results: Page<RunResultRow>,
}

/// How one platform fared in a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PlatformTiming {
    pub platform: Platform,
    pub accounts: u64,
    pub ok: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Mean request time per account (a batch request's time is shared by
    /// its accounts).
    pub mean_ms: f64,
    pub max_ms: i64,
    /// From the run's start to this platform's last stored result.
    pub finished_after_ms: i64,
}

/// What a run did with one account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunResultRow {
    pub account_id: i64,
    pub platform: Platform,
    pub handle: String,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub finished_at: DateTime<Utc>,
}

/// The dashboard's front page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Overview {
    pub accounts: u64,
    pub core_accounts: u64,
    pub snapshots: u64,
    pub followers: i64,
    pub views: i64,
    pub posts: i64,
    pub by_platform: Vec<PlatformTotals>,
    /// Total follower change over 1, 7 and 30 days.
    pub changes: Vec<TotalChange>,
    pub top_accounts: Vec<AccountRow>,
    /// The accounts that gained the most followers in 7 days.
    pub top_growers: Vec<AccountRow>,
    pub latest_run: Option<RunSummary>,
    /// Accounts whose last collection failed or whose data is older than
    /// [`STALE_AFTER_HOURS`], the longest-unseen first (at most a few).
    pub needs_attention: Vec<AccountRow>,
    /// How many accounts need attention in all.
    pub needs_attention_total: u64,
    /// The newest events (at most a few).
    pub recent_events: Vec<EventRow>,
}

/// Data older than this is called stale.
pub const STALE_AFTER_HOURS: i64 = 48;

/// The total follower change of every account over a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TotalChange {
    pub days: u32,
    /// Sum of the changes that are known.
    pub followers: i64,
    /// `followers` as a percentage of where those accounts started.
    pub percent: Option<f64>,
    /// How many accounts have a history that long.
    pub accounts: u64,
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
    fn sort_keys_round_trip() {
        for key in [
            AccountSort::Handle,
            AccountSort::LastCollected,
            AccountSort::Views,
            AccountSort::Change7d,
            AccountSort::Change30d,
        ] {
            assert_eq!(key.as_str().parse::<AccountSort>(), Ok(key));
            let json = serde_json::to_string(&key).unwrap();
            assert_eq!(json, format!("\"{}\"", key.as_str()));
        }
    }

    #[test]
    fn percent_change_is_relative_to_the_start() {
        assert_eq!(percent_change(Some(50), Some(150)), Some(50.0));
        assert_eq!(percent_change(Some(-50), Some(50)), Some(-50.0));
        assert_eq!(percent_change(None, Some(50)), None);
        assert_eq!(percent_change(Some(10), None), None);
        // From zero there is no percentage.
        assert_eq!(percent_change(Some(10), Some(10)), None);
    }

    #[test]
    fn range_status_says_where_a_page_is() {
        let page = Page {
            items: vec![(); 10],
            page: 2,
            per_page: 25,
            total: 35,
        };
        assert_eq!(page.range_status("accounts"), "26–35 of 35 · page 2 of 2");
        let empty = Page::<()> {
            items: vec![],
            page: 1,
            per_page: 25,
            total: 0,
        };
        assert_eq!(empty.range_status("accounts"), "0 accounts");
    }

    #[test]
    fn page_count_rounds_up_and_is_never_zero() {
        let page = |total| Page::<()> {
            items: vec![],
            page: 1,
            per_page: 25,
            total,
        };
        assert_eq!(page(0).page_count(), 1);
        assert_eq!(page(25).page_count(), 1);
        assert_eq!(page(26).page_count(), 2);
    }
}

/// Which cache answers reads now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CacheBackend {
    /// Redis, shared by the instances (with the in-process level in front).
    Redis,
    /// In process only: no Redis is configured.
    InProcess,
    /// Redis is configured but unreachable: in process until it is back.
    Degraded,
}

impl CacheBackend {
    /// The name it has in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheBackend::Redis => "redis",
            CacheBackend::InProcess => "in_process",
            CacheBackend::Degraded => "degraded",
        }
    }
}

/// The cache's counters since start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CacheStats {
    pub backend: CacheBackend,
    /// Answers held in this instance's memory, and their size as JSON.
    pub entries: u64,
    pub memory_bytes: u64,
    pub kinds: Vec<CacheKindStats>,
}

/// One kind of cached answer's counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CacheKindStats {
    pub kind: String,
    /// Answered from this instance's memory.
    pub local_hits: u64,
    /// Answered from Redis.
    pub redis_hits: u64,
    /// Computed from the database.
    pub misses: u64,
    /// Redis commands that failed or timed out.
    pub errors: u64,
    /// Requests that went without Redis because it was down or failed.
    pub fallbacks: u64,
}

/// Latency percentiles of one series, in milliseconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Latency {
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// One measured series: an endpoint, or a kind of database query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SeriesStats {
    /// A route template (`/accounts/{id}`), an API path, or a query kind
    /// (`SELECT accounts`).
    pub name: String,
    pub count: u64,
    pub errors: u64,
    /// Over the last [`Performance::window_seconds`].
    pub recent: Latency,
    /// Since the instance started.
    pub overall: Latency,
}

/// The database as this instance sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DatabaseStats {
    /// `sqlite` or `postgres`.
    pub backend: String,
    /// Connections open, and how many of them are idle.
    pub pool_size: u32,
    pub pool_idle: u32,
    pub queries: Vec<SeriesStats>,
}

/// The collectors' figures from the latest finished run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CollectorStats {
    pub run: RunSummary,
    pub platforms: Vec<PlatformTiming>,
}

/// Reach's own performance (`/api/performance`), for this instance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Performance {
    pub version: String,
    pub uptime_seconds: u64,
    /// Resident memory, where the system tells it.
    pub rss_bytes: Option<u64>,
    /// The length of the recent window of every series.
    pub window_seconds: u64,
    /// Per endpoint, the slowest first.
    pub endpoints: Vec<SeriesStats>,
    pub database: DatabaseStats,
    pub cache: CacheStats,
    /// `None` until a run has finished.
    pub collectors: Option<CollectorStats>,
}

/// The most accounts one comparison draws.
pub const MAX_COMPARED: usize = 6;

/// How a comparison shows values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum CompareMode {
    /// The values themselves.
    #[default]
    Absolute,
    /// Each series as a percentage of its first known value in the range
    /// (= 100 at the start), so that accounts of any size compare.
    Indexed,
}

impl CompareMode {
    pub fn as_str(self) -> &'static str {
        match self {
            CompareMode::Absolute => "absolute",
            CompareMode::Indexed => "indexed",
        }
    }
}

impl FromStr for CompareMode {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "absolute" => Ok(CompareMode::Absolute),
            "indexed" => Ok(CompareMode::Indexed),
            _ => Err(()),
        }
    }
}

/// One account's line in a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CompareSeries {
    pub id: i64,
    pub platform: Platform,
    pub handle: String,
    /// `(captured_at, value)`, oldest first; snapshots without the metric
    /// are left out.
    pub points: Vec<(DateTime<Utc>, f64)>,
}

/// Several accounts' history of one metric over one range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub metric: Metric,
    pub range: HistoryRange,
    pub mode: CompareMode,
    /// In the order asked for.
    pub series: Vec<CompareSeries>,
}

/// The change of one metric between two snapshots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MetricChange {
    pub metric: Metric,
    /// The value at the start (`from_at`) and at the end (`to_at`).
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub change: Option<i64>,
    pub percent: Option<f64>,
}

/// Every metric's change between the snapshots nearest to (at or before) two
/// moments. Missed days are not filled in: the snapshots actually used are
/// named, and a change is unknown when either end is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PeriodChange {
    /// The period asked for.
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The snapshots used: the newest at or before each end.
    pub from_at: Option<DateTime<Utc>>,
    pub to_at: Option<DateTime<Utc>>,
    pub metrics: Vec<MetricChange>,
}

/// One window of an account's growth: the `days` up to its latest snapshot.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct GrowthWindow {
    pub days: u32,
    pub period: PeriodChange,
}

/// An account's growth (`/api/growth`): over 1, 7, 30, 90 and 365 days up
/// to its latest snapshot, and, when asked, over a custom period compared
/// with the period of equal length before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Growth {
    pub account_id: i64,
    pub windows: Vec<GrowthWindow>,
    pub custom: Option<PeriodChange>,
    pub previous: Option<PeriodChange>,
}

/// The windows of [`Growth::windows`], in days.
pub const GROWTH_WINDOWS: [u32; 5] = [1, 7, 30, 90, 365];

/// What a leaderboard ranks accounts by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum RankBy {
    /// The metric's value at the leaderboard's date.
    #[default]
    Value,
    /// Its absolute change over the period up to that date.
    Change,
    /// Its change as a percentage of where it started.
    Percent,
}

impl RankBy {
    pub const ALL: [RankBy; 3] = [RankBy::Value, RankBy::Change, RankBy::Percent];

    pub fn as_str(self) -> &'static str {
        match self {
            RankBy::Value => "value",
            RankBy::Change => "change",
            RankBy::Percent => "percent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RankBy::Value => "Value",
            RankBy::Change => "Growth",
            RankBy::Percent => "Growth %",
        }
    }
}

impl FromStr for RankBy {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RankBy::ALL
            .into_iter()
            .find(|by| by.as_str() == s)
            .ok_or_else(|| UnknownValue::new("ranking", s, RankBy::ALL.map(RankBy::as_str)))
    }
}

/// The periods a leaderboard's growth is measured over, in days.
pub const LEADERBOARD_PERIODS: [u32; 4] = [7, 30, 90, 365];
/// The period used when none is asked for.
pub const DEFAULT_LEADERBOARD_DAYS: u32 = 30;

/// One account's place on a leaderboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeaderboardEntry {
    /// 1 for the first; equal figures share a rank (1, 2, 2, 4). `None`
    /// when the ranked figure is unknown: such accounts are listed last.
    pub rank: Option<u32>,
    /// The rank one period earlier, `None` if the account was not ranked then.
    pub previous_rank: Option<u32>,
    pub id: i64,
    pub platform: Platform,
    pub handle: String,
    pub display_name: Option<String>,
    pub is_core: bool,
    /// The newest known value at the leaderboard's date, and when it was seen.
    pub value: Option<i64>,
    pub value_at: Option<DateTime<Utc>>,
    /// The change over the period: between the newest snapshots at or
    /// before its start and its end; unknown unless both exist and differ.
    pub change: Option<i64>,
    pub percent: Option<f64>,
}

impl LeaderboardEntry {
    /// Places gained since the previous period (negative: places lost);
    /// `None` for an account that was not ranked then, or is not now.
    pub fn rank_change(&self) -> Option<i64> {
        Some(i64::from(self.previous_rank?) - i64::from(self.rank?))
    }
}

/// Tracked accounts ranked by one metric (`/api/leaderboard`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Leaderboard {
    pub metric: Metric,
    pub by: RankBy,
    /// The growth period, in days; also how far back the previous ranks are.
    pub days: u32,
    /// The moment the board stands at: now, or the end of the asked date.
    pub as_of: DateTime<Utc>,
    /// The moment the previous ranks stand at, where this period starts:
    /// the end of the day `days` before the board's day (`as_of - days`
    /// for a past date).
    pub previous_as_of: DateTime<Utc>,
    /// How many of the listed accounts have a rank.
    pub ranked: u64,
    pub entries: Page<LeaderboardEntry>,
}

/// How much recent history a projection is fitted on, in days.
pub const PROJECTION_BASES: [u32; 2] = [30, 90];
pub const DEFAULT_PROJECTION_BASIS: u32 = 90;
/// How far ahead a projection predicts, in days.
pub const PROJECTION_HORIZONS: [u32; 3] = [30, 90, 365];
/// The fewest distinct days of history a projection is fitted on.
pub const MIN_PROJECTION_DAYS: u32 = 7;
/// The round numbers whose crossing a projection dates.
pub const MILESTONES: [i64; 7] = [
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
];

/// A predicted value and its band.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProjectedValue {
    pub at: DateTime<Utc>,
    pub value: i64,
    pub low: i64,
    pub high: i64,
}

/// When a milestone is predicted to be crossed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MilestoneDate {
    pub milestone: i64,
    /// `None`: not within [`MILESTONE_HORIZON_YEARS`] at the current pace.
    pub at: Option<DateTime<Utc>>,
}

/// Milestones further away than this are not dated.
pub const MILESTONE_HORIZON_YEARS: i64 = 10;

/// A fitted trend and what it predicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Trend {
    /// The metric's change per day along the trend.
    pub per_day: f64,
    /// The history fitted: its first and last snapshot, and its days.
    pub fitted_from: DateTime<Utc>,
    pub fitted_to: DateTime<Utc>,
    pub days_used: u32,
    /// The last known value, where the projection starts.
    pub current: i64,
    /// At +30, +90 and +365 days.
    pub horizons: Vec<ProjectedValue>,
    /// The next milestones above the current value (while growing).
    pub milestones: Vec<MilestoneDate>,
    /// Points to draw, from the last snapshot to the furthest horizon.
    pub line: Vec<ProjectedValue>,
}

/// An account's projection of one metric (`/api/projection`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Projection {
    pub account_id: i64,
    pub metric: Metric,
    pub basis_days: u32,
    /// How the trend is fitted, in words for the UI.
    pub method: String,
    /// `None` when there is too little data; `reason` says why.
    pub trend: Option<Trend>,
    pub reason: Option<String>,
}

/// What kind of thing happened to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "ssr",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A metric crossed a round number (1k, 10k…) upwards.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "milestone"))]
    Milestone,
    /// A daily change far outside the account's usual range, up or down.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "unusual_change"))]
    UnusualChange,
    /// Collection failed several runs in a row.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "failing"))]
    Failing,
    /// The platform says the account is suspended, gone or private.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "state_changed"))]
    StateChanged,
    /// An account that was suspended, gone or private is active again.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "restored"))]
    Restored,
    /// The account's handle changed on the platform (same stable id).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "renamed"))]
    Renamed,
}

impl EventKind {
    pub const ALL: [EventKind; 6] = [
        EventKind::Milestone,
        EventKind::UnusualChange,
        EventKind::Failing,
        EventKind::StateChanged,
        EventKind::Restored,
        EventKind::Renamed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Milestone => "milestone",
            EventKind::UnusualChange => "unusual_change",
            EventKind::Failing => "failing",
            EventKind::StateChanged => "state_changed",
            EventKind::Restored => "restored",
            EventKind::Renamed => "renamed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Milestone => "Milestone",
            EventKind::UnusualChange => "Unusual change",
            EventKind::Failing => "Failing",
            EventKind::StateChanged => "State changed",
            EventKind::Restored => "Restored",
            EventKind::Renamed => "Renamed",
        }
    }
}

impl FromStr for EventKind {
    type Err = UnknownValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                UnknownValue::new("event kind", s, EventKind::ALL.map(EventKind::as_str))
            })
    }
}

/// An event as listed and as POSTed to webhooks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EventRow {
    pub id: i64,
    pub kind: EventKind,
    pub account_id: i64,
    pub platform: Platform,
    pub handle: String,
    pub metric: Option<Metric>,
    pub occurred_at: DateTime<Utc>,
    pub value: Option<i64>,
    pub milestone: Option<i64>,
    pub change: Option<i64>,
    /// How far the change was from usual, in robust standard deviations.
    pub score: Option<f64>,
    pub failures: Option<i32>,
    /// The event in a sentence.
    pub message: String,
}

/// One metric over one day: first, last, lowest and highest value seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayRange {
    pub first: Option<i64>,
    pub last: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl DayRange {
    /// The range of the known values among `values`, in time order.
    pub fn of(values: impl IntoIterator<Item = Option<i64>>) -> DayRange {
        let known: Vec<i64> = values.into_iter().flatten().collect();
        DayRange {
            first: known.first().copied(),
            last: known.last().copied(),
            min: known.iter().min().copied(),
            max: known.iter().max().copied(),
        }
    }
}

/// A compacted day of an account (`/api/rollups`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DailyRollup {
    pub day: chrono::NaiveDate,
    /// Snapshots the day had before compaction.
    pub samples: i32,
    pub metric: Metric,
    #[serde(flatten)]
    pub range: DayRange,
}

/// A brand with its combined audience (`/api/brands`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BrandRow {
    pub id: i64,
    pub name: String,
    pub accounts: u64,
    /// The platforms its accounts are on, in Reach's order.
    pub platforms: Vec<Platform>,
    /// The sum of its accounts' known followers.
    pub followers: i64,
    /// The sum of its accounts' known follower changes over 7 and 30 days;
    /// unknown when no account has that much history.
    pub change_7d: Option<i64>,
    pub change_30d: Option<i64>,
    /// `change_30d` as a percentage of where those accounts started.
    pub percent_30d: Option<f64>,
    /// Among brands: by combined followers, and by 30-day growth (equal
    /// figures share a rank; `None` when the growth is unknown).
    pub rank: u32,
    pub growth_rank: Option<u32>,
}

/// One brand with its accounts (`/api/brand`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BrandDetail {
    pub brand: BrandRow,
    /// Biggest first.
    pub accounts: Vec<AccountRow>,
}

/// The brand an account belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BrandRef {
    pub id: i64,
    pub name: String,
}

/// The admin a request acts for: `GET /api/me` answers it (or `null`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Me {
    pub username: String,
    /// How the request proved it: `session` (a browser's cookie) or `token`.
    pub via: SignedInVia,
}

/// How a request proved who it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignedInVia {
    /// The session cookie set by `POST /api/login`.
    Session,
    /// An API token, sent as `Authorization: Bearer`.
    Token,
}

/// An API token as listed: never its secret, which is shown once, when it
/// is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// The admin who created it, whom it acts for.
    pub admin: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just created: the only answer that carries its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewToken {
    #[serde(flatten)]
    pub row: TokenRow,
    /// Send it as `Authorization: Bearer <token>`; it cannot be shown again.
    pub token: String,
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
