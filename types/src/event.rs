//! Events: milestones, unusual changes, failures, state changes.

use std::str::FromStr;

use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::prelude::StringLen;
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};
use crate::metric::Metric;
use crate::platform::Platform;

/// What kind of thing happened to an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A metric crossed a round number (1k, 10k…) upwards.
    #[cfg_attr(feature = "db", sea_orm(string_value = "milestone"))]
    Milestone,
    /// A daily change far outside the account's usual range, up or down.
    #[cfg_attr(feature = "db", sea_orm(string_value = "unusual_change"))]
    UnusualChange,
    /// Collection failed several runs in a row.
    #[cfg_attr(feature = "db", sea_orm(string_value = "failing"))]
    Failing,
    /// The platform says the account is suspended, gone or private.
    #[cfg_attr(feature = "db", sea_orm(string_value = "state_changed"))]
    StateChanged,
    /// An account that was suspended, gone or private is active again.
    #[cfg_attr(feature = "db", sea_orm(string_value = "restored"))]
    Restored,
    /// The account's handle changed on the platform (same stable id).
    #[cfg_attr(feature = "db", sea_orm(string_value = "renamed"))]
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

    pub const fn as_str(self) -> &'static str {
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
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ParseError::new("event kind", s, names_of!(EventKind)))
    }
}

/// An event as listed and as POSTed to webhooks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
