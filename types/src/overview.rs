//! What the overview page shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::account::AccountRow;
use crate::event::EventRow;
use crate::platform::Platform;
use crate::run::RunSummary;

/// Per-platform figures of the overview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlatformTotals {
    pub platform: Platform,
    pub accounts: u64,
    pub followers: i64,
}

/// How many days of the audience's history the overview charts.
pub const AUDIENCE_DAYS: i64 = 90;

/// One platform's audience, day by day: the sum of its accounts'
/// followers after each day's runs; `None` for a day without a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AudienceSeries {
    pub platform: Platform,
    /// One value per day from the audience's `from`, oldest first.
    pub followers: Vec<Option<i64>>,
}

/// The total audience over time, by platform, for the overview's chart.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Audience {
    /// The first day of every series (`None` before any run).
    pub from: Option<chrono::NaiveDate>,
    pub series: Vec<AudienceSeries>,
}

/// The dashboard's front page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The audience of the last [`AUDIENCE_DAYS`] days, by platform.
    pub audience: Audience,
    /// When this instance's schedule starts its next collection; `null`
    /// when it collects only on request (`reach serve --no-collect`).
    #[serde(default)]
    pub next_collection: Option<DateTime<Utc>>,
}

/// Data older than this is called stale.
pub const STALE_AFTER_HOURS: i64 = 48;

/// The total follower change of every account over a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotalChange {
    pub days: u32,
    /// Sum of the changes that are known.
    pub followers: i64,
    /// `followers` as a percentage of where those accounts started.
    pub percent: Option<f64>,
    /// How many accounts have a history that long.
    pub accounts: u64,
}
