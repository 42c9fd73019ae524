//! An account's history: ranges, points and daily rollups.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};
use crate::metric::{Counters, Metric};

/// How far back an account's history goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    pub const fn as_str(self) -> &'static str {
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
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        HistoryRange::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ParseError::new("range", s, names_of!(HistoryRange)))
    }
}

/// One snapshot of an account's counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryPoint {
    pub captured_at: DateTime<Utc>,
    #[serde(flatten)]
    pub counters: Counters,
    /// Read from a file (`reach import snapshots`), not observed by Reach.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
}

/// One metric over one day: first, last, lowest and highest value seen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DailyRollup {
    pub day: chrono::NaiveDate,
    /// Snapshots the day had before compaction.
    pub samples: i32,
    pub metric: Metric,
    #[serde(flatten)]
    pub range: DayRange,
}
