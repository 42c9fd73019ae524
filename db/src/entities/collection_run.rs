//! One pass of the collector over the tracked accounts.

use sea_orm::entity::prelude::*;

use types::{RunStatus, RunSummary};

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
    /// Accounts this run set out to collect, and how many it has finished.
    pub accounts_total: i32,
    pub accounts_done: i32,
    /// The `reach` process that ran it.
    pub instance: Option<String>,
    /// When the running run last said it was alive (see the engine).
    pub heartbeat_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::run_result::Entity")]
    Results,
}

impl Related<super::run_result::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Results.def()
    }
}

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
            accounts_total: run.accounts_total,
            accounts_done: run.accounts_done,
            instance: run.instance,
        }
    }
}
