//! What the collection engine needs: which accounts are simulated, each
//! account's last outcome and its work lease (so several instances sharing
//! a database never collect the same account twice in a cycle), per-account
//! results of every run, and a run's progress.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            boolean(Accounts::Simulated).default(false).to_owned(),
            string_len_null(Accounts::LastOutcome, 32).to_owned(),
            timestamp_with_time_zone_null(Accounts::LastAttemptAt).to_owned(),
            timestamp_with_time_zone_null(Accounts::LeaseUntil).to_owned(),
            string_len_null(Accounts::LeaseOwner, 64).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            integer(CollectionRuns::AccountsTotal).default(0).to_owned(),
            integer(CollectionRuns::AccountsDone).default(0).to_owned(),
            string_len_null(CollectionRuns::Instance, 64).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CollectionRuns::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RunResults::Table)
                    .if_not_exists()
                    .col(big_integer(RunResults::RunId))
                    .col(big_integer(RunResults::AccountId))
                    .col(string_len(RunResults::Outcome, 32))
                    .col(text_null(RunResults::Error))
                    .col(big_integer(RunResults::DurationMs))
                    .col(timestamp_with_time_zone(RunResults::FinishedAt))
                    .primary_key(
                        Index::create()
                            .col(RunResults::RunId)
                            .col(RunResults::AccountId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_run_results_run")
                            .from(RunResults::Table, RunResults::RunId)
                            .to(CollectionRuns::Table, CollectionRuns::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_run_results_account")
                            .from(RunResults::Table, RunResults::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_run_results_account")
                    .table(RunResults::Table)
                    .col(RunResults::AccountId)
                    .to_owned(),
            )
            .await?;
        // The engine picks work by lease, then priority.
        manager
            .create_index(
                Index::create()
                    .name("ix_accounts_lease_until")
                    .table(Accounts::Table)
                    .col(Accounts::LeaseUntil)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RunResults::Table).to_owned())
            .await?;
        for column in [
            Accounts::Simulated,
            Accounts::LastOutcome,
            Accounts::LastAttemptAt,
            Accounts::LeaseUntil,
            Accounts::LeaseOwner,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            CollectionRuns::AccountsTotal,
            CollectionRuns::AccountsDone,
            CollectionRuns::Instance,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(CollectionRuns::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    Simulated,
    LastOutcome,
    LastAttemptAt,
    LeaseUntil,
    LeaseOwner,
}

#[derive(DeriveIden)]
enum CollectionRuns {
    Table,
    Id,
    AccountsTotal,
    AccountsDone,
    Instance,
}

#[derive(DeriveIden)]
enum RunResults {
    Table,
    RunId,
    AccountId,
    Outcome,
    Error,
    DurationMs,
    FinishedAt,
}
