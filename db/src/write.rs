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

/// What a long piece of background work does after each transaction it
/// commits: the collector rests there for its pace (it is background work,
/// and leaves the processor to the readers in proportion); a command or a
/// test goes straight on ([`NoRest`]). Called with no write transaction
/// open, so a rest holds no lock a writer waits for (the kept leaderboards
/// rest inside their read-only snapshot).
pub trait Rest: Sync {
    /// After a piece of work that began at `started` and has committed.
    fn after(&self, started: std::time::Instant) -> impl Future<Output = ()> + Send;
}

/// Never rests.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRest;

impl Rest for NoRest {
    async fn after(&self, _started: std::time::Instant) {}
}
