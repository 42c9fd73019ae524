//! The leaderboard's marks keyed by day as well (`account_id, metric,
//! day`), so that the next day's marks can be written ahead, while the
//! current day's are read: every mark is at least seven days old, so the
//! next day's are known a day early, and the live board no longer finds
//! every account without marks at midnight (it then sought each account's
//! history on the request, 482 ms at 10,000 accounts on PostgreSQL).
//!
//! Neither database changes a primary key in place: the rows are copied
//! aside, the table made again with its new key and the rows copied back
//! (renaming a table made beside it failed on SQLite within the
//! migration). Down keeps each account and metric's newest day.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The entity's `MARK_OFFSETS` as of this migration.
const OFFSETS: [u32; 8] = [7, 14, 30, 60, 90, 180, 365, 730];

/// Where the rows wait while the table is made again.
const ASIDE: &str = "leaderboard_marks_aside";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(manager, true, "").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            false,
            " WHERE day = (SELECT MAX(day) FROM leaderboard_marks AS newer \
               WHERE newer.account_id = leaderboard_marks.account_id \
                 AND newer.metric = leaderboard_marks.metric)",
        )
        .await
    }
}

/// Makes the marks' table again with the day in its key (`by_day`) or
/// not, keeping the rows `filter` selects.
async fn rebuild(manager: &SchemaManager<'_>, by_day: bool, filter: &str) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(&format!(
        "CREATE TABLE {ASIDE} AS SELECT * FROM leaderboard_marks{filter}"
    ))
    .await?;
    manager
        .drop_table(Table::drop().table(Marks::Table).to_owned())
        .await?;
    // Named apart: PostgreSQL names a key's index after its table.
    let mut key = Index::create();
    key.name(if by_day {
        "pk_leaderboard_marks_by_day"
    } else {
        "pk_leaderboard_marks"
    })
    .col(Marks::AccountId)
    .col(Marks::Metric);
    if by_day {
        key.col(Marks::Day);
    }
    let mut table = Table::create()
        .table(Marks::Table)
        .col(big_integer(Marks::AccountId))
        .col(string_len(Marks::Metric, 16))
        .col(date(Marks::Day))
        .primary_key(&mut key)
        .foreign_key(
            ForeignKey::create()
                .from(Marks::Table, Marks::AccountId)
                .to(Accounts::Table, Accounts::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned();
    let mut columns = vec!["account_id".to_owned(), "metric".into(), "day".into()];
    for days in OFFSETS {
        table
            .col(big_integer_null(Alias::new(format!("value_{days}"))))
            .col(timestamp_with_time_zone_null(Alias::new(format!(
                "at_{days}"
            ))));
        columns.extend([format!("value_{days}"), format!("at_{days}")]);
    }
    manager.create_table(table).await?;
    let columns = columns.join(", ");
    db.execute_unprepared(&format!(
        "INSERT INTO leaderboard_marks ({columns}) SELECT {columns} FROM {ASIDE}"
    ))
    .await?;
    db.execute_unprepared(&format!("DROP TABLE {ASIDE}"))
        .await?;
    Ok(())
}

#[derive(DeriveIden)]
enum Marks {
    #[sea_orm(iden = "leaderboard_marks")]
    Table,
    AccountId,
    Metric,
    Day,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}
