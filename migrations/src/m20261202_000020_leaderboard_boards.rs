//! The live leaderboards as ranked after the latest run: per metric, ranking
//! (value, change, percent), period and scope (every account, the core ones,
//! one platform's), the first places with their ranks, and how many compete
//! and are ranked. A board is used only while the data is as it was ranked
//! (the accounts' and snapshots' generations it names) on the day it names;
//! otherwise the board is ranked on the request, as before. Written by
//! `db::leaderboard::kept::keep` only.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LeaderboardBoards::Table)
                    .col(string_len(LeaderboardBoards::Metric, 16))
                    .col(string_len(LeaderboardBoards::RankBy, 16))
                    .col(integer(LeaderboardBoards::Days))
                    .col(string_len(LeaderboardBoards::Scope, 48))
                    .col(date(LeaderboardBoards::Day))
                    .col(big_integer(LeaderboardBoards::AccountsVersion))
                    .col(big_integer(LeaderboardBoards::SnapshotsVersion))
                    .col(big_integer(LeaderboardBoards::Ranked))
                    .col(big_integer(LeaderboardBoards::Total))
                    // A JSON array of [account id, rank, previous rank].
                    .col(text(LeaderboardBoards::Places))
                    .primary_key(
                        Index::create()
                            .col(LeaderboardBoards::Metric)
                            .col(LeaderboardBoards::RankBy)
                            .col(LeaderboardBoards::Days)
                            .col(LeaderboardBoards::Scope),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LeaderboardBoards::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LeaderboardBoards {
    Table,
    Metric,
    RankBy,
    Days,
    Scope,
    Day,
    AccountsVersion,
    SnapshotsVersion,
    Ranked,
    Total,
    Places,
}
