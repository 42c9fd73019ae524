//! Which accounts a run collects ([`DueBefore`]): each platform's due
//! time, or one account alone for a watched live count.

use std::collections::HashMap;

use app::model::Platform;
use chrono::{DateTime, Utc};

/// Which accounts a run collects: those whose last attempt is older than
/// their platform's due time (of one account only, for a watch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueBefore {
    pub default: DateTime<Utc>,
    pub platforms: HashMap<Platform, DateTime<Utc>>,
    /// Only this account: a watched account's own run
    /// ([`app::ssr::state::CollectTrigger::watch`]).
    pub account: Option<i64>,
}

impl DueBefore {
    /// Every account not attempted before `at`: a manual run uses now.
    pub fn all(at: DateTime<Utc>) -> Self {
        Self {
            default: at,
            platforms: HashMap::new(),
            account: None,
        }
    }

    /// One account, if it was not attempted since `at`.
    pub fn account(id: i64, at: DateTime<Utc>) -> Self {
        Self {
            account: Some(id),
            ..Self::all(at)
        }
    }
}

impl From<DateTime<Utc>> for DueBefore {
    fn from(at: DateTime<Utc>) -> Self {
        Self::all(at)
    }
}
