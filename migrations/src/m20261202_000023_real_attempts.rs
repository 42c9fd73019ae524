//! An index for `/api/platforms`' latest attempt on a real account of each
//! platform (`platform = ? AND simulated = ? … ORDER BY last_attempt_at
//! DESC LIMIT 1`): without it, every account of the platform was read for
//! each platform on every request (`db::platforms::by_platform`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const NAME: &str = "ix_accounts_platform_attempts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(NAME)
                    .table(Accounts::Table)
                    .col(Accounts::Platform)
                    .col(Accounts::Simulated)
                    .col(Accounts::LastAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(NAME).table(Accounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Platform,
    Simulated,
    LastAttemptAt,
}
