//! Snapshots imported from a file (a backfill of history collected
//! elsewhere) are marked, so charts and exports can tell them from what
//! Reach observed itself.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Snapshots::Table)
                    .add_column(boolean(Snapshots::Imported).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Snapshots::Table)
                    .drop_column(Snapshots::Imported)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Snapshots {
    Table,
    Imported,
}
