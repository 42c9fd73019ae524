//! Daily rollups: when raw snapshots pass the retention period, each day
//! keeps its last snapshot in `snapshots` and its first, last, lowest and
//! highest value of every metric here, with how many snapshots it had.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The metrics, each with first, last, min and max columns.
const METRICS: [&str; 5] = ["followers", "following", "posts", "views", "likes"];
const STATISTICS: [&str; 4] = ["first", "last", "min", "max"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create()
            .table(DailyRollups::Table)
            .if_not_exists()
            .col(big_integer(DailyRollups::AccountId))
            .col(date(DailyRollups::Day))
            .col(integer(DailyRollups::Samples))
            .primary_key(
                Index::create()
                    .col(DailyRollups::AccountId)
                    .col(DailyRollups::Day),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(DailyRollups::Table, DailyRollups::AccountId)
                    .to(Accounts::Table, Accounts::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        for metric in METRICS {
            for statistic in STATISTICS {
                table.col(big_integer_null(Alias::new(format!(
                    "{metric}_{statistic}"
                ))));
            }
        }
        manager.create_table(table).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DailyRollups::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum DailyRollups {
    Table,
    AccountId,
    Day,
    Samples,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}
