//! One day of an account's history after compaction: how many snapshots
//! it had and each metric's first, last, lowest and highest value.

use sea_orm::entity::prelude::*;

use types::{DayRange, Metric};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "daily_rollups")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    pub samples: i32,
    pub followers_first: Option<i64>,
    pub followers_last: Option<i64>,
    pub followers_min: Option<i64>,
    pub followers_max: Option<i64>,
    pub following_first: Option<i64>,
    pub following_last: Option<i64>,
    pub following_min: Option<i64>,
    pub following_max: Option<i64>,
    pub posts_first: Option<i64>,
    pub posts_last: Option<i64>,
    pub posts_min: Option<i64>,
    pub posts_max: Option<i64>,
    pub views_first: Option<i64>,
    pub views_last: Option<i64>,
    pub views_min: Option<i64>,
    pub views_max: Option<i64>,
    pub likes_first: Option<i64>,
    pub likes_last: Option<i64>,
    pub likes_min: Option<i64>,
    pub likes_max: Option<i64>,
    pub score_first: Option<i64>,
    pub score_last: Option<i64>,
    pub score_min: Option<i64>,
    pub score_max: Option<i64>,
    pub online_first: Option<i64>,
    pub online_last: Option<i64>,
    pub online_min: Option<i64>,
    pub online_max: Option<i64>,
    pub listed_first: Option<i64>,
    pub listed_last: Option<i64>,
    pub listed_min: Option<i64>,
    pub listed_max: Option<i64>,
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

impl Model {
    /// One metric's range over the day.
    pub fn range(&self, metric: Metric) -> DayRange {
        let (first, last, min, max) = match metric {
            Metric::Followers => (
                self.followers_first,
                self.followers_last,
                self.followers_min,
                self.followers_max,
            ),
            Metric::Following => (
                self.following_first,
                self.following_last,
                self.following_min,
                self.following_max,
            ),
            Metric::Posts => (
                self.posts_first,
                self.posts_last,
                self.posts_min,
                self.posts_max,
            ),
            Metric::Views => (
                self.views_first,
                self.views_last,
                self.views_min,
                self.views_max,
            ),
            Metric::Likes => (
                self.likes_first,
                self.likes_last,
                self.likes_min,
                self.likes_max,
            ),
            Metric::Score => (
                self.score_first,
                self.score_last,
                self.score_min,
                self.score_max,
            ),
            Metric::Online => (
                self.online_first,
                self.online_last,
                self.online_min,
                self.online_max,
            ),
            Metric::Listed => (
                self.listed_first,
                self.listed_last,
                self.listed_min,
                self.listed_max,
            ),
        };
        DayRange {
            first,
            last,
            min,
            max,
        }
    }
}

/// Sets one metric's range on a new rollup.
pub fn set_range(rollup: &mut ActiveModel, metric: Metric, range: DayRange) {
    use sea_orm::ActiveValue::Set;
    let (first, last, min, max) = match metric {
        Metric::Followers => (
            &mut rollup.followers_first,
            &mut rollup.followers_last,
            &mut rollup.followers_min,
            &mut rollup.followers_max,
        ),
        Metric::Following => (
            &mut rollup.following_first,
            &mut rollup.following_last,
            &mut rollup.following_min,
            &mut rollup.following_max,
        ),
        Metric::Posts => (
            &mut rollup.posts_first,
            &mut rollup.posts_last,
            &mut rollup.posts_min,
            &mut rollup.posts_max,
        ),
        Metric::Views => (
            &mut rollup.views_first,
            &mut rollup.views_last,
            &mut rollup.views_min,
            &mut rollup.views_max,
        ),
        Metric::Likes => (
            &mut rollup.likes_first,
            &mut rollup.likes_last,
            &mut rollup.likes_min,
            &mut rollup.likes_max,
        ),
        Metric::Score => (
            &mut rollup.score_first,
            &mut rollup.score_last,
            &mut rollup.score_min,
            &mut rollup.score_max,
        ),
        Metric::Online => (
            &mut rollup.online_first,
            &mut rollup.online_last,
            &mut rollup.online_min,
            &mut rollup.online_max,
        ),
        Metric::Listed => (
            &mut rollup.listed_first,
            &mut rollup.listed_last,
            &mut rollup.listed_min,
            &mut rollup.listed_max,
        ),
    };
    *first = Set(range.first);
    *last = Set(range.last);
    *min = Set(range.min);
    *max = Set(range.max);
}
