//! Loading many snapshots at once, as the demo seed does (36.5 million rows
//! for 100,000 accounts × a year).
//!
//! On SQLite they are inserted in statements of [`STATEMENT_ROWS`] rows, in
//! the caller's transaction: SQLite has one writer, so a second connection
//! would wait for that transaction's end. On PostgreSQL parameterized
//! statements cost more than the rows themselves (a statement of 2,000 rows
//! binds 22,000 values; the 100,000-account seed spent 18 to 46 minutes
//! inserting its snapshots that way, bench/RESULTS.md), so each batch is
//! streamed with `COPY` into a temporary table on a connection of its own
//! and moved into `snapshots` by one `INSERT …
//! SELECT … ON CONFLICT DO NOTHING`, which keeps the load idempotent like
//! [`crate::snapshots::insert_snapshots`]. That batch is committed on its
//! own, before the caller's transaction: what reads the snapshots later in
//! that transaction (PostgreSQL reads committed rows) sees them.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr};
use types::Counters;

use crate::snapshots::{insert_snapshots, snapshot_row};

/// Rows per INSERT on SQLite: eleven values each, under its bind limit.
const STATEMENT_ROWS: usize = 2_000;

/// One snapshot to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotRow {
    pub account_id: i64,
    pub captured_at: DateTime<Utc>,
    pub counters: Counters,
}

/// Rows the caller should gather before each [`load_snapshots`] on this
/// database: a `COPY` is worth it for many rows at once.
pub fn batch_rows(db: &DatabaseConnection) -> usize {
    match db.get_database_backend() {
        DbBackend::Postgres => 200_000,
        _ => STATEMENT_ROWS,
    }
}

/// Stores `rows`, skipping those already stored; returns how many were new.
/// `txn` is the caller's transaction, used on SQLite; PostgreSQL loads and
/// commits them on a connection of `db`'s pool (see the module's comment).
pub async fn load_snapshots(
    db: &DatabaseConnection,
    txn: &impl ConnectionTrait,
    rows: &[SnapshotRow],
) -> Result<u64, DbErr> {
    if rows.is_empty() {
        return Ok(0);
    }
    if db.get_database_backend() != DbBackend::Postgres {
        let mut inserted = 0;
        for chunk in rows.chunks(STATEMENT_ROWS) {
            let models = chunk
                .iter()
                .map(|row| snapshot_row(row.account_id, row.captured_at, row.counters));
            inserted += insert_snapshots(txn, models).await?;
        }
        return Ok(inserted);
    }
    copy_snapshots(db, rows).await.map_err(sqlx_error)
}

/// `snapshots`' columns in the order of [`copy_text`]'s fields.
macro_rules! columns {
    () => {
        "account_id, captured_at, followers, following, posts, views, likes, score, online, listed, imported"
    };
}
const COPY: &str = concat!(
    "COPY snapshots_loaded (",
    columns!(),
    ") FROM STDIN (FORMAT text)"
);
const MOVE: &str = concat!(
    "INSERT INTO snapshots (",
    columns!(),
    ") SELECT ",
    columns!(),
    " FROM snapshots_loaded ON CONFLICT (account_id, captured_at) DO NOTHING"
);

async fn copy_snapshots(
    db: &DatabaseConnection,
    rows: &[SnapshotRow],
) -> Result<u64, sea_orm::sqlx::Error> {
    use sea_orm::sqlx::Connection;

    let pool = db.get_postgres_connection_pool();
    let mut connection = pool.acquire().await?;
    let mut transaction = connection.begin().await?;
    // Dropped with the transaction, so a pooled connection keeps nothing.
    sea_orm::sqlx::query(
        "CREATE TEMPORARY TABLE snapshots_loaded (LIKE snapshots INCLUDING DEFAULTS) ON COMMIT DROP",
    )
    .execute(&mut *transaction)
    .await?;
    let mut copy = transaction.copy_in_raw(COPY).await?;
    copy.send(copy_text(rows)).await?;
    copy.finish().await?;
    let inserted = sea_orm::sqlx::query(MOVE)
        .execute(&mut *transaction)
        .await?
        .rows_affected();
    transaction.commit().await?;
    Ok(inserted)
}

/// `rows` in `COPY`'s text format: tab-separated, `\N` for a missing value.
fn copy_text(rows: &[SnapshotRow]) -> Vec<u8> {
    let mut text = String::with_capacity(rows.len() * 96);
    for row in rows {
        let c = row.counters;
        // Writing to a String cannot fail.
        let _ = write!(
            text,
            "{}\t{}",
            row.account_id,
            row.captured_at.format("%Y-%m-%d %H:%M:%S%.f+00")
        );
        for value in [
            c.followers,
            c.following,
            c.posts,
            c.views,
            c.likes,
            c.score,
            c.online,
            c.listed,
        ] {
            match value {
                Some(value) => {
                    let _ = write!(text, "\t{value}");
                }
                None => text.push_str("\t\\N"),
            }
        }
        text.push_str("\tf\n");
    }
    text.into_bytes()
}

fn sqlx_error(error: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Custom(format!("cannot load snapshots: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn copy_text_is_tab_separated_with_nulls() {
        let row = SnapshotRow {
            account_id: 7,
            captured_at: Utc.with_ymd_and_hms(2026, 12, 3, 0, 0, 0).unwrap(),
            counters: Counters {
                followers: Some(1_200),
                posts: Some(-3),
                ..Counters::default()
            },
        };
        assert_eq!(
            String::from_utf8(copy_text(&[row, row])).unwrap(),
            "7\t2026-12-03 00:00:00+00\t1200\t\\N\t-3\t\\N\t\\N\t\\N\t\\N\t\\N\tf\n".repeat(2)
        );
    }
}
