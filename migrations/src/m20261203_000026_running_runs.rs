//! A partial index of the collection runs going on: the read cache asks,
//! with every read of the accounts' revisions, whether a run is going on
//! (`db::generations::revisions`), which without it scans every run.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The same statement on SQLite and PostgreSQL; sea-query's index
        // builder has no partial indexes.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE INDEX collection_runs_running ON collection_runs (id) \
                 WHERE status = 'running'",
            )
            .await
            .map(|_| ())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX collection_runs_running")
            .await
            .map(|_| ())
    }
}
