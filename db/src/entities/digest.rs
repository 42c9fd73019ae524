//! A digest: a scheduled summary of a period (daily, weekly, monthly) of
//! every account, a tag's or a brand's, and where it goes. `secret` is a
//! Matrix or ntfy token; it is never listed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "digests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub period: types::DigestPeriod,
    /// `all`, `tag` or `brand`.
    pub scope_kind: String,
    pub scope_name: Option<String>,
    pub channel: types::DigestChannel,
    pub target: String,
    pub secret: Option<String>,
    pub created_at: DateTimeUtc,
}

impl Model {
    pub fn scope(&self) -> types::DigestScope {
        let name = self.scope_name.clone().unwrap_or_default();
        match self.scope_kind.as_str() {
            "tag" => types::DigestScope::Tag(name),
            "brand" => types::DigestScope::Brand(name),
            _ => types::DigestScope::All,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::digest_delivery::Entity")]
    Deliveries,
}

impl Related<super::digest_delivery::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Deliveries.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
