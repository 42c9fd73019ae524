//! Brands: accounts grouped by the creator or company behind them.

use serde::{Deserialize, Serialize};

use crate::account::AccountRow;
use crate::platform::Platform;

/// A brand with its combined audience (`/api/brands`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrandDetail {
    pub brand: BrandRow,
    /// Biggest first.
    pub accounts: Vec<AccountRow>,
}
