//! Brands: one creator's or company's accounts across platforms, so their
//! combined audience and growth can be followed and ranked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Brands::Table)
                    .if_not_exists()
                    .col(big_integer(Brands::Id).auto_increment().primary_key())
                    .col(string_len(Brands::Name, 128).unique_key())
                    .col(timestamp_with_time_zone(Brands::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(big_integer_null(Accounts::BrandId))
                    .to_owned(),
            )
            .await?;
        // Brand pages and sums select a brand's accounts.
        manager
            .create_index(
                Index::create()
                    .name("ix_accounts_brand_id")
                    .table(Accounts::Table)
                    .col(Accounts::BrandId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_accounts_brand_id")
                    .table(Accounts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::BrandId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Brands::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Brands {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    BrandId,
}
