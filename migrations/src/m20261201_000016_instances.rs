//! Several `reach serve` processes on one database know of each other:
//! each live instance beats in `instances` (on the database's clock), so
//! the others can tell how many share the platforms' budgets and when one
//! died. Webhook deliveries are leased per event (`delivery_owner`,
//! `delivery_until`) and recorded per receiver (`webhook_deliveries`), so
//! that each event reaches each URL once, whichever instance sends it.
//! "Collect now" is a row in `collect_requests`, which every instance
//! picks up: one cluster-wide run, whichever instance was asked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Instances::Table)
                    .col(string_len(Instances::Name, 100).primary_key())
                    .col(string_len(Instances::Version, 32))
                    .col(timestamp_with_time_zone(Instances::StartedAt))
                    .col(timestamp_with_time_zone(Instances::HeartbeatAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(big_integer(WebhookDeliveries::EventId))
                    .col(string_len(WebhookDeliveries::Receiver, 32))
                    .col(timestamp_with_time_zone(WebhookDeliveries::DeliveredAt))
                    .col(string_len(WebhookDeliveries::Instance, 100))
                    .primary_key(
                        Index::create()
                            .col(WebhookDeliveries::EventId)
                            .col(WebhookDeliveries::Receiver),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDeliveries::Table, WebhookDeliveries::EventId)
                            .to(Events::Table, Events::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CollectRequests::Table)
                    .col(big_pk_auto(CollectRequests::Id))
                    .col(timestamp_with_time_zone(CollectRequests::RequestedAt))
                    .col(string_len(CollectRequests::RequestedBy, 100))
                    .to_owned(),
            )
            .await?;
        // A run's heartbeat renews its leases, and a write checks them, by owner.
        manager
            .create_index(
                Index::create()
                    .name("ix_accounts_lease_owner")
                    .table(Accounts::Table)
                    .col(Accounts::LeaseOwner)
                    .to_owned(),
            )
            .await?;
        // SQLite adds one column per ALTER TABLE.
        for column in [
            ColumnDef::new(Events::DeliveryOwner)
                .string_len(100)
                .null()
                .to_owned(),
            ColumnDef::new(Events::DeliveryUntil)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Events::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_accounts_lease_owner")
                    .table(Accounts::Table)
                    .to_owned(),
            )
            .await?;
        for column in [Events::DeliveryOwner, Events::DeliveryUntil] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Events::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(CollectRequests::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(WebhookDeliveries::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Instances::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Instances {
    Table,
    Name,
    Version,
    StartedAt,
    HeartbeatAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    EventId,
    /// A hash of the receiver's URL: URLs may carry secrets.
    Receiver,
    DeliveredAt,
    Instance,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    DeliveryOwner,
    DeliveryUntil,
}

#[derive(DeriveIden)]
enum CollectRequests {
    Table,
    Id,
    RequestedAt,
    RequestedBy,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    LeaseOwner,
}
