//! The events' totals, kept as they are written: `row_counts` gains the
//! row `events` (every event) and one `events:{kind}` per kind, moved by
//! triggers on `events` (so detection, the engine, deletions and cascades
//! all keep them right), and an index serves one kind's page newest first.
//! `/api/events` and the overview read a page and a kept total instead of
//! counting every event (hundreds of thousands at 100,000 accounts).
//!
//! An event's kind never changes once stored, so no update trigger.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const FILL: &str = "INSERT INTO row_counts (table_name, row_count) \
     SELECT 'events', COUNT(*) FROM events \
     UNION ALL SELECT 'events:' || kind, COUNT(*) FROM events GROUP BY kind";

// One upsert per row; the totals' rows exist once an event of their kind
// has been stored.
const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER events_counted_insert AFTER INSERT ON events BEGIN \
       INSERT INTO row_counts (table_name, row_count) \
         VALUES ('events', 1), ('events:' || NEW.kind, 1) \
         ON CONFLICT (table_name) DO UPDATE SET row_count = row_count + 1; END",
    "CREATE TRIGGER events_counted_delete AFTER DELETE ON events BEGIN \
       UPDATE row_counts SET row_count = row_count - 1 \
        WHERE table_name IN ('events', 'events:' || OLD.kind); END",
];

// One upsert per statement. The row `events` comes first in every
// statement, so a transaction holding any kind's row holds it too: two
// writers wait for each other in one order and never deadlock.
const POSTGRES_TRIGGERS: [&str; 3] = [
    "CREATE FUNCTION count_events() RETURNS trigger LANGUAGE plpgsql AS $$ \
     DECLARE direction bigint := CASE WHEN TG_OP = 'INSERT' THEN 1 ELSE -1 END; \
     BEGIN \
       INSERT INTO row_counts (table_name, row_count) \
         SELECT name, direction * n FROM ( \
           SELECT 0 AS turn, 'events' AS name, COUNT(*) AS n FROM changed \
           UNION ALL \
           SELECT 1, 'events:' || kind, COUNT(*) FROM changed GROUP BY kind \
         ) counted WHERE n > 0 ORDER BY turn, name \
         ON CONFLICT (table_name) \
         DO UPDATE SET row_count = row_counts.row_count + EXCLUDED.row_count; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER events_counted_insert AFTER INSERT ON events \
       REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_events()",
    "CREATE TRIGGER events_counted_delete AFTER DELETE ON events \
       REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_events()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(FILL).await?;
        let triggers: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for trigger in triggers {
            db.execute_unprepared(trigger).await?;
        }
        // One kind's page, newest first (ties by id, as the list orders).
        manager
            .create_index(
                Index::create()
                    .name("ix_events_kind_occurred_at")
                    .table(Events::Table)
                    .col(Events::Kind)
                    .col(Events::OccurredAt)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_events_kind_occurred_at")
                    .table(Events::Table)
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER events_counted_insert ON events",
                "DROP TRIGGER events_counted_delete ON events",
                "DROP FUNCTION count_events()",
            ],
            _ => &[
                "DROP TRIGGER events_counted_insert",
                "DROP TRIGGER events_counted_delete",
            ],
        };
        for drop in drops {
            db.execute_unprepared(drop).await?;
        }
        db.execute_unprepared("DELETE FROM row_counts WHERE table_name LIKE 'events%'")
            .await?;
        Ok(())
    }
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    Kind,
    OccurredAt,
}
