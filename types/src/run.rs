//! Collection runs and what each account's collection came to.

use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::prelude::StringLen;
use serde::{Deserialize, Serialize};

use crate::paging::Page;
use crate::platform::Platform;

/// A collection run as listed in the run history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    /// The instance that ran it (`None` for imported and seeded runs).
    pub instance: Option<String>,
}

/// How collecting one account ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A snapshot was stored.
    #[cfg_attr(feature = "db", sea_orm(string_value = "ok"))]
    Ok,
    /// The platform says the account does not exist.
    #[cfg_attr(feature = "db", sea_orm(string_value = "not_found"))]
    NotFound,
    /// The platform's rate limit held the account back past the retries.
    #[cfg_attr(feature = "db", sea_orm(string_value = "rate_limited"))]
    RateLimited,
    /// The platform needs credentials Reach was not given.
    #[cfg_attr(feature = "db", sea_orm(string_value = "not_configured"))]
    NotConfigured,
    /// The handle is not in the platform's form.
    #[cfg_attr(feature = "db", sea_orm(string_value = "invalid_handle"))]
    InvalidHandle,
    /// The platform failed, timed out or answered something unreadable.
    #[cfg_attr(feature = "db", sea_orm(string_value = "upstream_error"))]
    UpstreamError,
    /// The platform suspended the account (or took it down): no counters.
    #[cfg_attr(feature = "db", sea_orm(string_value = "suspended"))]
    Suspended,
    /// Its owner deactivated or deleted the account: no counters.
    #[cfg_attr(feature = "db", sea_orm(string_value = "gone"))]
    Gone,
    /// The account exists but its counters are not public.
    #[cfg_attr(feature = "db", sea_orm(string_value = "private"))]
    Private,
    /// The platform refuses Reach's requests as a client (an anonymous
    /// client it blocks, a key it does not accept).
    #[cfg_attr(feature = "db", sea_orm(string_value = "blocked"))]
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

/// Where a collection run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    #[cfg_attr(feature = "db", sea_orm(string_value = "running"))]
    Running,
    #[cfg_attr(feature = "db", sea_orm(string_value = "finished"))]
    Finished,
    #[cfg_attr(feature = "db", sea_orm(string_value = "interrupted"))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum CollectAnswer {
    /// A run starts now.
    Started,
    /// A run is already under way on this instance; it collects what is due.
    AlreadyRunning,
}

/// The answer to watching an account's live count (`POST /api/watch`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WatchAnswer {
    /// The watched account.
    pub id: i64,
    /// Whether this instance's collector was asked to collect it now:
    /// `false` when it was attempted within `every_secs` (ask again then).
    pub asked: bool,
    /// The shortest time between two of its collections while watched
    /// (`REACH_WATCH_EVERY`), in seconds: how often to ask.
    pub every_secs: u64,
    /// Its latest attempt, done or failed (`null`: never attempted).
    pub last_attempt_at: Option<DateTime<Utc>>,
}

/// One run in detail: its figures, per platform and per account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunDetail {
    pub run: RunSummary,
    pub platforms: Vec<PlatformTiming>,
    /// The accounts this run finished, failures first, one page of them.
    pub results: Page<RunResultRow>,
}

/// How one platform fared in a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunResultRow {
    pub account_id: i64,
    pub platform: Platform,
    pub handle: String,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub duration_ms: i64,
    pub finished_at: DateTime<Utc>,
}

/// What a platform says about an account that has no counters to give: the
/// account is kept, with its history and last known counters, and no
/// snapshot is stored while it is in this state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")
)]
#[serde(rename_all = "snake_case")]
pub enum AccountState {
    #[cfg_attr(feature = "db", sea_orm(string_value = "suspended"))]
    Suspended,
    #[cfg_attr(feature = "db", sea_orm(string_value = "gone"))]
    Gone,
    #[cfg_attr(feature = "db", sea_orm(string_value = "private"))]
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
