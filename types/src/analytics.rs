//! Comparisons, growth, leaderboards and projections.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};
use crate::history::HistoryRange;
use crate::metric::Metric;
use crate::paging::Page;
use crate::platform::Platform;

/// The most accounts one comparison draws.
pub const MAX_COMPARED: usize = 6;

/// How a comparison shows values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "absolute" => Ok(CompareMode::Absolute),
            "indexed" => Ok(CompareMode::Indexed),
            _ => Err(ParseError::new("mode", s, &["absolute", "indexed"])),
        }
    }
}

/// One account's line in a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub metric: Metric,
    pub range: HistoryRange,
    pub mode: CompareMode,
    /// In the order asked for.
    pub series: Vec<CompareSeries>,
}

/// One stored value of one account, as a row (`/api/series`): the long
/// format that Grafana's JSON data sources (Infinity) read as a table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SeriesRow {
    /// When the snapshot was taken.
    pub time: DateTime<Utc>,
    /// The account's id.
    pub id: i64,
    /// `GitHub @rust-lang`: the platform and the handle, a series' name.
    pub account: String,
    pub value: i64,
}

/// The change of one metric between two snapshots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GrowthWindow {
    pub days: u32,
    pub period: PeriodChange,
}

/// An account's growth (`/api/growth`): over 1, 7, 30, 90 and 365 days up
/// to its latest snapshot, and, when asked, over a custom period compared
/// with the period of equal length before it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

    pub const fn as_str(self) -> &'static str {
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
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RankBy::ALL
            .into_iter()
            .find(|by| by.as_str() == s)
            .ok_or_else(|| ParseError::new("ranking", s, names_of!(RankBy)))
    }
}

/// The periods a leaderboard's growth is measured over, in days.
pub const LEADERBOARD_PERIODS: [u32; 4] = [7, 30, 90, 365];
/// The period used when none is asked for.
pub const DEFAULT_LEADERBOARD_DAYS: u32 = 30;

/// One account's place on a leaderboard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// Where Reach serves the account's picture, if it has one.
    #[serde(default)]
    pub avatar: Option<String>,
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectedValue {
    pub at: DateTime<Utc>,
    pub value: i64,
    pub low: i64,
    pub high: i64,
}

/// When a milestone is predicted to be crossed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneDate {
    pub milestone: i64,
    /// `None`: not within [`MILESTONE_HORIZON_YEARS`] at the current pace.
    pub at: Option<DateTime<Utc>>,
}

/// Milestones further away than this are not dated.
pub const MILESTONE_HORIZON_YEARS: i64 = 10;

/// A fitted trend and what it predicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
