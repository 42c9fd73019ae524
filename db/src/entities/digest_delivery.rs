//! One delivery of a digest: a scheduled period's (`scheduled_for` set,
//! unique per digest) or one asked for. `next_attempt_at` is when it may
//! be tried: a lease while an instance sends it, a backoff after a failure.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "digest_deliveries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub digest_id: i64,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub scheduled_for: Option<DateTimeUtc>,
    pub status: types::DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    pub owner: Option<String>,
    pub sent_at: Option<DateTimeUtc>,
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
}

impl Model {
    pub fn row(&self) -> types::DeliveryRow {
        types::DeliveryRow {
            id: self.id,
            digest_id: self.digest_id,
            period_start: self.period_start,
            period_end: self.period_end,
            manual: self.scheduled_for.is_none(),
            status: self.status,
            attempts: self.attempts,
            sent_at: self.sent_at,
            error: self.error.clone(),
            created_at: self.created_at,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::digest::Entity",
        from = "Column::DigestId",
        to = "super::digest::Column::Id",
        on_delete = "Cascade"
    )]
    Digest,
}

impl Related<super::digest::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Digest.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
