//! Tracked accounts as lists and pages show them, with their sorting and filters.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};
use crate::metric::{Counters, CountersAt};
use crate::platform::Platform;
use crate::run::{AccountState, Outcome};

/// Columns the accounts table can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    Score,
    Online,
    Listed,
    #[serde(rename = "change_7d")]
    Change7d,
    #[serde(rename = "change_30d")]
    Change30d,
    LastCollected,
}

impl AccountSort {
    pub const ALL: [AccountSort; 13] = [
        AccountSort::Handle,
        AccountSort::Platform,
        AccountSort::Followers,
        AccountSort::Following,
        AccountSort::Posts,
        AccountSort::Views,
        AccountSort::Likes,
        AccountSort::Score,
        AccountSort::Online,
        AccountSort::Listed,
        AccountSort::Change7d,
        AccountSort::Change30d,
        AccountSort::LastCollected,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            AccountSort::Handle => "handle",
            AccountSort::Platform => "platform",
            AccountSort::Followers => "followers",
            AccountSort::Following => "following",
            AccountSort::Posts => "posts",
            AccountSort::Views => "views",
            AccountSort::Likes => "likes",
            AccountSort::Score => "score",
            AccountSort::Online => "online",
            AccountSort::Listed => "listed",
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
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccountSort::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ParseError::new("sort", s, names_of!(AccountSort)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asc" => Ok(SortDirection::Asc),
            "desc" => Ok(SortDirection::Desc),
            _ => Err(ParseError::new("direction", s, &["asc", "desc"])),
        }
    }
}

/// One row of the accounts table: the account and its latest known counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Where Reach serves the account's picture (its own copy, versioned);
    /// absent when the platform gave none.
    #[serde(default)]
    pub avatar: Option<String>,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountFilter {
    /// Matches handles and display names.
    pub search: Option<String>,
    pub platform: Option<Platform>,
    /// `Some(true)`: core accounts only; `Some(false)`: the others.
    pub core: Option<bool>,
    pub tag: Option<String>,
}

/// Everything the account page shows apart from the history itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountDetail {
    pub account: AccountRow,
    /// The brand it belongs to, if any.
    pub brand: Option<BrandRef>,
    pub platform_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub snapshot_count: u64,
    pub first_captured_at: Option<DateTime<Utc>>,
}

/// The brand an account belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandRef {
    pub id: i64,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
