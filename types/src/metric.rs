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
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::Followers,
        Metric::Following,
        Metric::Posts,
        Metric::Views,
        Metric::Likes,
    ];

    pub const fn as_str(self) -> &'static str {
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
