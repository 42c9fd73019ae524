//! Starting a transaction that writes.
//!
//! SQLite runs one writer at a time. A transaction begun the default way
//! (`BEGIN DEFERRED`) that reads first and writes later must turn its read
//! lock into the write lock; if another connection holds it, SQLite answers
//! "database is locked" at once rather than wait (waiting could deadlock), so
//! the busy timeout never helps it. `BEGIN IMMEDIATE` takes the write lock
//! first, waiting for it up to the busy timeout like any single statement.
//! Every transaction that may write begins here; read-only ones keep
//! `begin()`. PostgreSQL ignores the mode.

use sea_orm::{DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait};

/// Begins a transaction that will write (`BEGIN IMMEDIATE` on SQLite).
pub async fn begin<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
