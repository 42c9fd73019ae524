//! "Collect now", asked of any instance, for every instance to pick up.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collect_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// On the database's clock: the run collects what was not attempted
    /// since.
    pub requested_at: DateTimeUtc,
    pub requested_by: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
