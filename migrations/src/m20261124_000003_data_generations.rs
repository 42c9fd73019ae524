//! One counter per data domain (accounts, snapshots, runs), bumped by every
//! write in the same transaction. Cache keys carry the counters of what they
//! read, so after a write no cached answer computed before it is asked for
//! again, on any instance (see `app::cache`).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The domains, as `app::db::generations::Domain` names them.
const DOMAINS: [&str; 3] = ["accounts", "snapshots", "runs"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DataGenerations::Table)
                    .if_not_exists()
                    .col(string_len(DataGenerations::Domain, 16).primary_key())
                    .col(big_integer(DataGenerations::Generation).default(0))
                    .to_owned(),
            )
            .await?;
        let mut insert = Query::insert()
            .into_table(DataGenerations::Table)
            .columns([DataGenerations::Domain, DataGenerations::Generation])
            .to_owned();
        for domain in DOMAINS {
            insert.values_panic([domain.into(), 0.into()]);
        }
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DataGenerations::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DataGenerations {
    Table,
    Domain,
    Generation,
}
