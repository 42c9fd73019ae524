//! The audience over time: each day, each platform's number of accounts
//! and the sum of their followers, as the accounts' latest counters stood
//! after that day's runs. Written after every run (and by the demo seed),
//! read by the overview's headline chart, so the chart never has to add
//! up every account's history when it is drawn.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AudienceDays::Table)
                    .col(date(AudienceDays::Day))
                    .col(string_len(AudienceDays::Platform, 32))
                    .col(integer(AudienceDays::Accounts))
                    .col(big_integer(AudienceDays::Followers))
                    .primary_key(
                        Index::create()
                            .col(AudienceDays::Day)
                            .col(AudienceDays::Platform),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AudienceDays::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum AudienceDays {
    Table,
    Day,
    Platform,
    Accounts,
    Followers,
}
