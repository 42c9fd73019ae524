//! One pass of the collector over the tracked accounts.

use sea_orm::entity::prelude::*;

use crate::model::{RunStatus, RunSummary};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "collection_runs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    /// Which collectors ran: "simulated" today.
    pub mode: String,
    pub status: RunStatus,
    pub accounts_ok: i32,
    pub accounts_failed: i32,
    pub accounts_skipped: i32,
    pub duration_ms: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl From<Model> for RunSummary {
    fn from(run: Model) -> Self {
        RunSummary {
            id: run.id,
            started_at: run.started_at,
            finished_at: run.finished_at,
            mode: run.mode,
            status: run.status,
            accounts_ok: run.accounts_ok,
            accounts_failed: run.accounts_failed,
            accounts_skipped: run.accounts_skipped,
            duration_ms: run.duration_ms,
        }
    }
}
