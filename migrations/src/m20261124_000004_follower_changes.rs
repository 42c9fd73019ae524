//! Each account's follower change over the last 1, 7 and 30 days, kept on
//! the account row and recomputed whenever a snapshot is written, so the
//! accounts table sorts by growth and the overview sums it without reading
//! the snapshot history.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COLUMNS: [Accounts; 3] = [
    Accounts::FollowersChange1d,
    Accounts::FollowersChange7d,
    Accounts::FollowersChange30d,
];

/// The accounts table sorts by the 7- and 30-day changes.
const INDEXES: [(&str, Accounts); 2] = [
    (
        "ix_accounts_followers_change_7d",
        Accounts::FollowersChange7d,
    ),
    (
        "ix_accounts_followers_change_30d",
        Accounts::FollowersChange30d,
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in INDEXES {
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(Accounts::Table).to_owned())
                .await?;
        }
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    #[sea_orm(iden = "followers_change_1d")]
    FollowersChange1d,
    #[sea_orm(iden = "followers_change_7d")]
    FollowersChange7d,
    #[sea_orm(iden = "followers_change_30d")]
    FollowersChange30d,
}
