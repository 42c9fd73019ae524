//! The first schema: accounts with their latest counters, their tags, the
//! snapshot time series and the collection runs.
//!
//! Every list, filter, sort and history query has an index here. The latest
//! counters live on the account row (written with each snapshot) so that the
//! accounts table sorts and pages without touching the snapshots.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Accounts::Id))
                    .col(string_len(Accounts::Platform, 16))
                    .col(string_len(Accounts::Handle, 255))
                    .col(string_len_null(Accounts::PlatformId, 255))
                    .col(string_len_null(Accounts::DisplayName, 255))
                    .col(boolean(Accounts::IsCore).default(false))
                    .col(timestamp_with_time_zone(Accounts::CreatedAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Accounts::LastCollectedAt))
                    .col(text_null(Accounts::LastError))
                    .col(big_integer_null(Accounts::Followers))
                    .col(big_integer_null(Accounts::Following))
                    .col(big_integer_null(Accounts::Posts))
                    .col(big_integer_null(Accounts::Views))
                    .col(big_integer_null(Accounts::Likes))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_accounts_platform_handle")
                    .table(Accounts::Table)
                    .col(Accounts::Platform)
                    .col(Accounts::Handle)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One index per sortable or filterable column of the accounts table.
        for (name, column) in [
            ("ix_accounts_handle", Accounts::Handle),
            ("ix_accounts_is_core", Accounts::IsCore),
            ("ix_accounts_followers", Accounts::Followers),
            ("ix_accounts_following", Accounts::Following),
            ("ix_accounts_posts", Accounts::Posts),
            ("ix_accounts_views", Accounts::Views),
            ("ix_accounts_likes", Accounts::Likes),
            ("ix_accounts_last_collected_at", Accounts::LastCollectedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Accounts::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(AccountTags::Table)
                    .if_not_exists()
                    .col(big_integer(AccountTags::AccountId))
                    .col(string_len(AccountTags::Tag, 64))
                    .primary_key(
                        Index::create()
                            .col(AccountTags::AccountId)
                            .col(AccountTags::Tag),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_account_tags_account")
                            .from(AccountTags::Table, AccountTags::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_account_tags_tag")
                    .table(AccountTags::Table)
                    .col(AccountTags::Tag)
                    .to_owned(),
            )
            .await?;

        // The primary key (account, captured_at) is both the guard against a
        // repeated write and the index every history query ranges over.
        manager
            .create_table(
                Table::create()
                    .table(Snapshots::Table)
                    .if_not_exists()
                    .col(big_integer(Snapshots::AccountId))
                    .col(timestamp_with_time_zone(Snapshots::CapturedAt))
                    .col(big_integer_null(Snapshots::Followers))
                    .col(big_integer_null(Snapshots::Following))
                    .col(big_integer_null(Snapshots::Posts))
                    .col(big_integer_null(Snapshots::Views))
                    .col(big_integer_null(Snapshots::Likes))
                    .primary_key(
                        Index::create()
                            .col(Snapshots::AccountId)
                            .col(Snapshots::CapturedAt),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_snapshots_account")
                            .from(Snapshots::Table, Snapshots::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CollectionRuns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(CollectionRuns::Id))
                    .col(timestamp_with_time_zone(CollectionRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(CollectionRuns::FinishedAt))
                    .col(string_len(CollectionRuns::Mode, 16))
                    .col(string_len(CollectionRuns::Status, 16))
                    .col(integer(CollectionRuns::AccountsOk).default(0))
                    .col(integer(CollectionRuns::AccountsFailed).default(0))
                    .col(integer(CollectionRuns::AccountsSkipped).default(0))
                    .col(big_integer_null(CollectionRuns::DurationMs))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_collection_runs_started_at")
                    .table(CollectionRuns::Table)
                    .col(CollectionRuns::StartedAt)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CollectionRuns::Table.into_iden(),
            Snapshots::Table.into_iden(),
            AccountTags::Table.into_iden(),
            Accounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Platform,
    Handle,
    PlatformId,
    DisplayName,
    IsCore,
    CreatedAt,
    UpdatedAt,
    LastCollectedAt,
    LastError,
    Followers,
    Following,
    Posts,
    Views,
    Likes,
}

#[derive(DeriveIden)]
enum AccountTags {
    Table,
    AccountId,
    Tag,
}

#[derive(DeriveIden)]
enum Snapshots {
    Table,
    AccountId,
    CapturedAt,
    Followers,
    Following,
    Posts,
    Views,
    Likes,
}

#[derive(DeriveIden)]
enum CollectionRuns {
    Table,
    Id,
    StartedAt,
    FinishedAt,
    Mode,
    Status,
    AccountsOk,
    AccountsFailed,
    AccountsSkipped,
    DurationMs,
}
