//! Avatars: a small copy of each account's picture, kept by Reach and
//! served from its own origin (the pages' content-security policy allows
//! images from it alone).
//!
//! - `avatars`: per account, the picture as Reach serves it (a small JPEG),
//!   where the platform had it (`source_url`: a new one is fetched again)
//!   and a version (a hash of the bytes) that names it in URLs.
//! - `accounts.avatar_version`: the same version on the account row, so
//!   lists say whether an account has a picture, and which, without a join.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Avatars::Table)
                    .col(big_integer(Avatars::AccountId).primary_key())
                    .col(text(Avatars::SourceUrl))
                    .col(string_len(Avatars::ContentType, 32))
                    .col(blob(Avatars::Image))
                    .col(string_len(Avatars::Version, 16))
                    .col(timestamp_with_time_zone(Avatars::FetchedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Avatars::Table, Avatars::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string_len_null(Accounts::AvatarVersion, 16))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::AvatarVersion)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Avatars::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Avatars {
    Table,
    AccountId,
    SourceUrl,
    ContentType,
    Image,
    Version,
    FetchedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    AvatarVersion,
}
