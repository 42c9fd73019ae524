//! A tracked account, with its latest known counters kept on the row so that
//! lists sort and page without reading snapshots.

use sea_orm::entity::prelude::*;

use types::{AccountState, Counters, CountersAt, Metric, Outcome, Platform};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub platform: Platform,
    pub handle: String,
    /// The platform's own stable id, once known: handles change, ids do not.
    pub platform_id: Option<String>,
    pub display_name: Option<String>,
    /// Core accounts are collected first.
    pub is_core: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub last_collected_at: Option<DateTimeUtc>,
    pub last_error: Option<String>,
    pub followers: Option<i64>,
    pub following: Option<i64>,
    pub posts: Option<i64>,
    pub views: Option<i64>,
    pub likes: Option<i64>,
    /// Collected by the simulator: demo accounts, and platforms without a
    /// free public API.
    pub simulated: bool,
    pub last_outcome: Option<Outcome>,
    /// When a run last tried this account, whatever the outcome.
    pub last_attempt_at: Option<DateTimeUtc>,
    /// While set and in the future, one instance is collecting this account.
    pub lease_until: Option<DateTimeUtc>,
    pub lease_owner: Option<String>,
    /// Follower change up to the latest snapshot from the newest snapshot at
    /// least 1, 7 and 30 days older; unknown without one that old.
    pub followers_change_1d: Option<i64>,
    pub followers_change_7d: Option<i64>,
    pub followers_change_30d: Option<i64>,
    /// The brand this account belongs to, if any.
    pub brand_id: Option<i64>,
    /// Suspended, gone or private, as the platform last said; NULL while
    /// the account is active.
    pub state: Option<AccountState>,
    /// When the account entered `state`.
    pub state_since: Option<DateTimeUtc>,
    /// When each latest counter was observed.
    pub followers_at: Option<DateTimeUtc>,
    pub following_at: Option<DateTimeUtc>,
    pub posts_at: Option<DateTimeUtc>,
    pub views_at: Option<DateTimeUtc>,
    pub likes_at: Option<DateTimeUtc>,
    pub score: Option<i64>,
    pub score_at: Option<DateTimeUtc>,
    pub online: Option<i64>,
    pub online_at: Option<DateTimeUtc>,
    pub listed: Option<i64>,
    pub listed_at: Option<DateTimeUtc>,
    /// The version of the account's picture Reach keeps (`avatar`), if any.
    pub avatar_version: Option<String>,
    /// Moved on by the database's triggers whenever anything an answer
    /// about this account shows changes (its row but the lease, its
    /// snapshots, rollups, tags, brand): the read cache keys this account's
    /// own answers by it.
    pub revision: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::account_tag::Entity")]
    Tags,
    #[sea_orm(has_many = "super::snapshot::Entity")]
    Snapshots,
    #[sea_orm(has_many = "super::run_result::Entity")]
    RunResults,
    #[sea_orm(
        belongs_to = "super::brand::Entity",
        from = "Column::BrandId",
        to = "super::brand::Column::Id",
        on_delete = "SetNull"
    )]
    Brand,
}

impl Related<super::account_tag::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Tags.def()
    }
}

impl Related<super::brand::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Brand.def()
    }
}

impl Related<super::run_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RunResults.def()
    }
}

impl Related<super::snapshot::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Snapshots.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    /// The latest known counters.
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

impl Model {
    /// When each latest counter was observed.
    pub fn counters_at(&self) -> CountersAt {
        CountersAt {
            followers: self.followers_at,
            following: self.following_at,
            posts: self.posts_at,
            views: self.views_at,
            likes: self.likes_at,
            score: self.score_at,
            online: self.online_at,
            listed: self.listed_at,
        }
    }
}

/// The column holding the latest `metric`.
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

/// The column holding when the latest `metric` was observed.
pub fn metric_at_column(metric: Metric) -> Column {
    match metric {
        Metric::Followers => Column::FollowersAt,
        Metric::Following => Column::FollowingAt,
        Metric::Posts => Column::PostsAt,
        Metric::Views => Column::ViewsAt,
        Metric::Likes => Column::LikesAt,
        Metric::Score => Column::ScoreAt,
        Metric::Online => Column::OnlineAt,
        Metric::Listed => Column::ListedAt,
    }
}
