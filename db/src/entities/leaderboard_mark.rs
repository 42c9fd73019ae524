//! What the live leaderboard ranks from, besides the account row: per
//! account and metric, the newest known value (and when it was seen) at the
//! end of each of [`MARK_OFFSETS`] days before `day`. Written by
//! `db::leaderboard::refresh_marks` only.

use sea_orm::entity::prelude::*;

/// Days before the board's day whose end is kept: each leaderboard period
/// ([`types::LEADERBOARD_PERIODS`]) and twice it. The columns
/// `value_{days}` and `at_{days}` follow this list.
pub const MARK_OFFSETS: [u32; 8] = [7, 14, 30, 60, 90, 180, 365, 730];

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leaderboard_marks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: i64,
    /// `Metric::as_str`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub metric: String,
    /// The day the marks are for: today's are read, the next day's written
    /// ahead (`db::marks`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub value_7: Option<i64>,
    pub at_7: Option<DateTimeUtc>,
    pub value_14: Option<i64>,
    pub at_14: Option<DateTimeUtc>,
    pub value_30: Option<i64>,
    pub at_30: Option<DateTimeUtc>,
    pub value_60: Option<i64>,
    pub at_60: Option<DateTimeUtc>,
    pub value_90: Option<i64>,
    pub at_90: Option<DateTimeUtc>,
    pub value_180: Option<i64>,
    pub at_180: Option<DateTimeUtc>,
    pub value_365: Option<i64>,
    pub at_365: Option<DateTimeUtc>,
    pub value_730: Option<i64>,
    pub at_730: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::account::Entity",
        from = "Column::AccountId",
        to = "super::account::Column::Id",
        on_delete = "Cascade"
    )]
    Account,
}

impl Related<super::account::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Account.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

#[cfg(test)]
mod tests {
    use super::*;
    use types::LEADERBOARD_PERIODS;

    #[test]
    fn every_period_and_its_double_is_kept() {
        for days in LEADERBOARD_PERIODS {
            assert!(MARK_OFFSETS.contains(&days), "{days}");
            assert!(MARK_OFFSETS.contains(&(2 * days)), "{}", 2 * days);
        }
    }
}
