//! One observation of an account's public counters. The key (account,
//! captured_at) makes a repeated write of the same observation a no-op.

use sea_orm::entity::prelude::*;

use types::{Counters, Metric};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "snapshots")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub captured_at: DateTimeUtc,
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub views: Option<i64>,
    pub likes: Option<i64>,
    pub score: Option<i64>,
    pub online: Option<i64>,
    pub listed: Option<i64>,
    /// Read from a file by `reach import snapshots`, not observed by Reach.
    pub imported: bool,
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
    pub fn counters(&self) -> Counters {
        Counters {
            followers: self.followers,
            following: self.following,
            posts: self.posts,
            views: self.views,
            likes: self.likes,
            score: self.score,
            online: self.online,
            listed: self.listed,
        }
    }
}

/// The column holding `metric`.
pub fn metric_column(metric: Metric) -> Column {
    match metric {
        Metric::Followers => Column::Followers,
        Metric::Following => Column::Following,
        Metric::Posts => Column::Posts,
        Metric::Views => Column::Views,
        Metric::Likes => Column::Likes,
        Metric::Score => Column::Score,
        Metric::Online => Column::Online,
        Metric::Listed => Column::Listed,
    }
}
