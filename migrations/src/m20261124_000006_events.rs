//! Events: a milestone crossed, an unusual daily change, collection failing
//! several runs in a row. Each is stored once (unique per account and
//! dedupe key), listed on the dashboard and delivered to webhooks, whose
//! progress is kept on the row.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .if_not_exists()
                    .col(big_integer(Events::Id).auto_increment().primary_key())
                    .col(big_integer(Events::AccountId))
                    .col(string_len(Events::Kind, 16))
                    .col(string_len_null(Events::Metric, 16))
                    .col(timestamp_with_time_zone(Events::OccurredAt))
                    .col(timestamp_with_time_zone(Events::DetectedAt))
                    .col(big_integer_null(Events::Value))
                    .col(big_integer_null(Events::Milestone))
                    .col(big_integer_null(Events::Change))
                    .col(double_null(Events::Score))
                    .col(integer_null(Events::Failures))
                    .col(string_len(Events::Message, 512))
                    .col(string_len(Events::DedupeKey, 96))
                    .col(timestamp_with_time_zone_null(Events::DeliveredAt))
                    .col(integer(Events::DeliveryAttempts).default(0))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::AccountId)
                            .to(Accounts::Table, Accounts::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // An event is detected once, however often detection runs.
        manager
            .create_index(
                Index::create()
                    .name("ux_events_account_dedupe")
                    .table(Events::Table)
                    .col(Events::AccountId)
                    .col(Events::DedupeKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Lists: newest first, overall and per account.
        manager
            .create_index(
                Index::create()
                    .name("ix_events_occurred_at")
                    .table(Events::Table)
                    .col(Events::OccurredAt)
                    .to_owned(),
            )
            .await?;
        // Webhook delivery looks for what is not delivered yet.
        manager
            .create_index(
                Index::create()
                    .name("ix_events_delivered_at")
                    .table(Events::Table)
                    .col(Events::DeliveredAt)
                    .to_owned(),
            )
            .await?;
        let insert = Query::insert()
            .into_table(DataGenerations::Table)
            .columns([DataGenerations::Domain, DataGenerations::Generation])
            .values_panic(["events".into(), 0.into()])
            .to_owned();
        manager.exec_stmt(insert).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let delete = Query::delete()
            .from_table(DataGenerations::Table)
            .and_where(Expr::col(DataGenerations::Domain).eq("events"))
            .to_owned();
        manager.exec_stmt(delete).await?;
        manager
            .drop_table(Table::drop().table(Events::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    AccountId,
    Kind,
    Metric,
    OccurredAt,
    DetectedAt,
    Value,
    Milestone,
    Change,
    Score,
    Failures,
    Message,
    DedupeKey,
    DeliveredAt,
    DeliveryAttempts,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DataGenerations {
    Table,
    Domain,
    Generation,
}
