//! Runs beat while they work (`heartbeat_at`), so that a run whose process
//! died (`kill -9`, a lost machine) can be told from a long one: a run that
//! has not beaten for a while is recorded as interrupted and its claimed
//! accounts go back to the queue.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CollectionRuns::Table)
                    .add_column(timestamp_with_time_zone_null(CollectionRuns::HeartbeatAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CollectionRuns::Table)
                    .drop_column(CollectionRuns::HeartbeatAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum CollectionRuns {
    Table,
    HeartbeatAt,
}
