//! Something worth telling about an account: a milestone crossed, an
//! unusual daily change, collection failing run after run.

use sea_orm::entity::prelude::*;

use types::EventKind;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub account_id: i64,
    pub kind: EventKind,
    /// The metric concerned (milestones and unusual changes).
    pub metric: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub detected_at: DateTimeUtc,
    /// The metric's value when it happened.
    pub value: Option<i64>,
    pub milestone: Option<i64>,
    /// The unusual day's change, and how far from usual (robust z-score).
    pub change: Option<i64>,
    pub score: Option<f64>,
    /// Failed runs in a row.
    pub failures: Option<i32>,
    pub message: String,
    /// What makes the event unique for its account (`milestone:followers:10000`).
    pub dedupe_key: String,
    pub delivered_at: Option<DateTimeUtc>,
    pub delivery_attempts: i32,
    /// The instance sending it now, until when (a delivery lease).
    pub delivery_owner: Option<String>,
    pub delivery_until: Option<DateTimeUtc>,
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
