//! What the read side would otherwise compute from the whole history on
//! every request, kept at write time:
//!
//! - `row_counts`: the number of snapshots, kept by triggers on `snapshots`
//!   (so every writer, cascades and compaction included, keeps it right);
//!   the overview shows it without counting millions of rows.
//! - `leaderboard_marks`: per account and metric, the newest known value
//!   (and when it was seen) at the end of the days 7, 14, 30, 60, 90, 180,
//!   365 and 730 days before `day`; the live leaderboard ranks from them
//!   instead of seeking each account's history.
//! - an index on the accounts' last outcome, for the overview's failing
//!   accounts.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Days before the board's day whose end is kept: each leaderboard period
/// (7, 30, 90, 365 days) and twice it (the previous period's start). The
/// entity's `MARK_OFFSETS` as of this migration, which never changes.
const OFFSETS: [u32; 8] = [7, 14, 30, 60, 90, 180, 365, 730];

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER snapshots_counted_insert AFTER INSERT ON snapshots BEGIN \
       UPDATE row_counts SET row_count = row_count + 1 WHERE table_name = 'snapshots'; END",
    "CREATE TRIGGER snapshots_counted_delete AFTER DELETE ON snapshots BEGIN \
       UPDATE row_counts SET row_count = row_count - 1 WHERE table_name = 'snapshots'; END",
];

// One update per statement, not per row: a run's insert of thousands of
// snapshots adds its count once.
const POSTGRES_TRIGGERS: [&str; 3] = [
    "CREATE FUNCTION count_snapshots() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE row_counts \
          SET row_count = row_count + CASE WHEN TG_OP = 'INSERT' \
              THEN (SELECT COUNT(*) FROM changed) ELSE -(SELECT COUNT(*) FROM changed) END \
        WHERE table_name = 'snapshots'; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER snapshots_counted_insert AFTER INSERT ON snapshots \
       REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_snapshots()",
    "CREATE TRIGGER snapshots_counted_delete AFTER DELETE ON snapshots \
       REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION count_snapshots()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RowCounts::Table)
                    .col(string_len(RowCounts::TableName, 64).primary_key())
                    .col(big_integer(RowCounts::RowCount))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "INSERT INTO row_counts (table_name, row_count) \
             SELECT 'snapshots', COUNT(*) FROM snapshots",
        )
        .await?;
        let triggers: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &POSTGRES_TRIGGERS,
            _ => &SQLITE_TRIGGERS,
        };
        for trigger in triggers {
            db.execute_unprepared(trigger).await?;
        }

        let mut marks = Table::create()
            .table(LeaderboardMarks::Table)
            .col(big_integer(LeaderboardMarks::AccountId))
            .col(string_len(LeaderboardMarks::Metric, 16))
            .col(date(LeaderboardMarks::Day))
            .primary_key(
                Index::create()
                    .col(LeaderboardMarks::AccountId)
                    .col(LeaderboardMarks::Metric),
            )
            .foreign_key(
                ForeignKey::create()
                    .from(LeaderboardMarks::Table, LeaderboardMarks::AccountId)
                    .to(Accounts::Table, Accounts::Id)
                    .on_delete(ForeignKeyAction::Cascade),
            )
            .to_owned();
        for days in OFFSETS {
            marks
                .col(big_integer_null(Alias::new(format!("value_{days}"))))
                .col(timestamp_with_time_zone_null(Alias::new(format!(
                    "at_{days}"
                ))));
        }
        manager.create_table(marks).await?;
        // The overview finds failing accounts by their outcome.
        manager
            .create_index(
                Index::create()
                    .name("ix_accounts_last_outcome")
                    .table(Accounts::Table)
                    .col(Accounts::LastOutcome)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_accounts_last_outcome")
                    .table(Accounts::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(LeaderboardMarks::Table).to_owned())
            .await?;
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS snapshots_counted_insert ON snapshots",
                )
                .await?;
                db.execute_unprepared(
                    "DROP TRIGGER IF EXISTS snapshots_counted_delete ON snapshots",
                )
                .await?;
                db.execute_unprepared("DROP FUNCTION IF EXISTS count_snapshots()")
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP TRIGGER IF EXISTS snapshots_counted_insert")
                    .await?;
                db.execute_unprepared("DROP TRIGGER IF EXISTS snapshots_counted_delete")
                    .await?;
            }
        }
        manager
            .drop_table(Table::drop().table(RowCounts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum RowCounts {
    Table,
    TableName,
    RowCount,
}

#[derive(DeriveIden)]
enum LeaderboardMarks {
    Table,
    AccountId,
    Metric,
    Day,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    LastOutcome,
}
