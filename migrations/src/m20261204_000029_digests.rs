//! Digests: scheduled summaries of a period sent by e-mail or to a chat
//! webhook (`digests`), and each delivery of one (`digest_deliveries`).
//!
//! A scheduled delivery names its period in `scheduled_for`, unique per
//! digest, so instances sharing the database queue each period once; one
//! asked for ("send now") leaves it NULL, and NULLs never collide. An
//! instance leases a delivery by moving `next_attempt_at` past its lease
//! in one conditional UPDATE, so two never send the same one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Digests {
    Table,
    Id,
    Name,
    Period,
    ScopeKind,
    ScopeName,
    Channel,
    Target,
    Secret,
    CreatedAt,
}

#[derive(DeriveIden)]
enum DigestDeliveries {
    Table,
    Id,
    DigestId,
    PeriodStart,
    PeriodEnd,
    ScheduledFor,
    Status,
    Attempts,
    NextAttemptAt,
    Owner,
    SentAt,
    Error,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Digests::Table)
                    .if_not_exists()
                    .col(big_integer(Digests::Id).auto_increment().primary_key())
                    .col(string_len_uniq(Digests::Name, 64))
                    .col(string_len(Digests::Period, 8))
                    .col(string_len(Digests::ScopeKind, 8))
                    .col(string_len_null(Digests::ScopeName, 64))
                    .col(string_len(Digests::Channel, 8))
                    .col(string_len(Digests::Target, 1024))
                    .col(string_len_null(Digests::Secret, 512))
                    .col(timestamp_with_time_zone(Digests::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DigestDeliveries::Table)
                    .if_not_exists()
                    .col(
                        big_integer(DigestDeliveries::Id)
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer(DigestDeliveries::DigestId))
                    .col(timestamp_with_time_zone(DigestDeliveries::PeriodStart))
                    .col(timestamp_with_time_zone(DigestDeliveries::PeriodEnd))
                    .col(timestamp_with_time_zone_null(
                        DigestDeliveries::ScheduledFor,
                    ))
                    .col(string_len(DigestDeliveries::Status, 8))
                    .col(integer(DigestDeliveries::Attempts).default(0))
                    .col(timestamp_with_time_zone(DigestDeliveries::NextAttemptAt))
                    .col(string_len_null(DigestDeliveries::Owner, 128))
                    .col(timestamp_with_time_zone_null(DigestDeliveries::SentAt))
                    .col(string_len_null(DigestDeliveries::Error, 512))
                    .col(timestamp_with_time_zone(DigestDeliveries::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(DigestDeliveries::Table, DigestDeliveries::DigestId)
                            .to(Digests::Table, Digests::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Each scheduled period once per digest, whichever instance queues it.
        manager
            .create_index(
                Index::create()
                    .name("ux_digest_deliveries_scheduled")
                    .table(DigestDeliveries::Table)
                    .col(DigestDeliveries::DigestId)
                    .col(DigestDeliveries::ScheduledFor)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // The sender looks for what is pending and due.
        manager
            .create_index(
                Index::create()
                    .name("ix_digest_deliveries_due")
                    .table(DigestDeliveries::Table)
                    .col(DigestDeliveries::Status)
                    .col(DigestDeliveries::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DigestDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Digests::Table).to_owned())
            .await
    }
}
