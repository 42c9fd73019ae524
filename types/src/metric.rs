//! The counters Reach records for an account, and when each was last known.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};

/// One of the public counters Reach records for an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    #[default]
    Followers,
    Following,
    Posts,
    Views,
    Likes,
    /// A standing the platform computes for the account, not a count of
    /// people: karma (Reddit, Hacker News), reputation (Stack Exchange).
    Score,
    /// Members present right now (Discord's online members): a gauge that
    /// rises and falls within a day, never summed.
    Online,
    /// Public lists that include the account (X).
    Listed,
}

impl Metric {
    pub const ALL: [Metric; 8] = [
        Metric::Followers,
        Metric::Following,
        Metric::Posts,
        Metric::Views,
        Metric::Likes,
        Metric::Score,
        Metric::Online,
        Metric::Listed,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Metric::Followers => "followers",
            Metric::Following => "following",
            Metric::Posts => "posts",
            Metric::Views => "views",
            Metric::Likes => "likes",
            Metric::Score => "score",
            Metric::Online => "online",
            Metric::Listed => "listed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Metric::Followers => "Followers",
            Metric::Following => "Following",
            Metric::Posts => "Posts",
            Metric::Views => "Views",
            Metric::Likes => "Likes",
            Metric::Score => "Score",
            Metric::Online => "Online",
            Metric::Listed => "Listed",
        }
    }
}

impl FromStr for Metric {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| ParseError::new("metric", s, names_of!(Metric)))
    }
}

/// The counters of one observation. `None` means the platform did not say:
/// unknown is never reported as zero.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counters {
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub views: Option<i64>,
    pub likes: Option<i64>,
    pub score: Option<i64>,
    pub online: Option<i64>,
    pub listed: Option<i64>,
}

impl Counters {
    /// Counters whose every value is `value(metric)`.
    pub fn from_fn(mut value: impl FnMut(Metric) -> Option<i64>) -> Self {
        Counters {
            followers: value(Metric::Followers),
            following: value(Metric::Following),
            posts: value(Metric::Posts),
            views: value(Metric::Views),
            likes: value(Metric::Likes),
            score: value(Metric::Score),
            online: value(Metric::Online),
            listed: value(Metric::Listed),
        }
    }

    pub fn get(&self, metric: Metric) -> Option<i64> {
        match metric {
            Metric::Followers => self.followers,
            Metric::Following => self.following,
            Metric::Posts => self.posts,
            Metric::Views => self.views,
            Metric::Likes => self.likes,
            Metric::Score => self.score,
            Metric::Online => self.online,
            Metric::Listed => self.listed,
        }
    }
}

/// When each latest counter of an account was observed: a counter missing
/// from the latest answer keeps its older value, and says how old it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CountersAt {
    pub followers: Option<DateTime<Utc>>,
    pub following: Option<DateTime<Utc>>,
    pub posts: Option<DateTime<Utc>>,
    pub views: Option<DateTime<Utc>>,
    pub likes: Option<DateTime<Utc>>,
    pub score: Option<DateTime<Utc>>,
    pub online: Option<DateTime<Utc>>,
    pub listed: Option<DateTime<Utc>>,
}

impl CountersAt {
    pub fn get(&self, metric: Metric) -> Option<DateTime<Utc>> {
        match metric {
            Metric::Followers => self.followers,
            Metric::Following => self.following,
            Metric::Posts => self.posts,
            Metric::Views => self.views,
            Metric::Likes => self.likes,
            Metric::Score => self.score,
            Metric::Online => self.online,
            Metric::Listed => self.listed,
        }
    }
}
