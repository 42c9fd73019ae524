//! Opening the database: SQLite (the embedded default) or PostgreSQL, chosen
//! by the URL, with the pool configured and the migrations applied before
//! anything else uses it.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::config::DatabaseConfig;

/// How long a SQLite writer waits for another to finish before giving up:
/// long enough that readers never see "database is locked" under normal load.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Opens the pool and applies the migrations before anything else uses it.
pub async fn connect(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    let db = open(config).await?;
    Migrator::up(&db, None)
        .await
        .context("cannot apply the database migrations")?;
    Ok(db)
}

/// Gives PostgreSQL's planner the statistics of a bulk load (`reach seed`,
/// `reach import`, the demo data set) at once: without them, until
/// autovacuum gets to it, it read a page of the accounts table with a
/// sequential scan of every snapshot (1.2 s at 100,000 accounts:
/// bench/RESULTS.md, 2026-12-03). Vacuumed too: otherwise autovacuum's
/// first pass over the millions of rows just inserted (it starts once a
/// fifth of a table is new) reads and writes them all in the load's first
/// minutes of service, and until then the visibility map has no page, so
/// no index-only scan skips the table. SQLite plans without them. Not part of
/// the loads themselves, which tests run on tiny databases whose real
/// statistics would have the planner walk any index.
pub async fn vacuum_and_analyze(db: &DatabaseConnection) -> anyhow::Result<()> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        use sea_orm::ConnectionTrait;
        // VACUUM cannot run in a transaction; the pool runs it alone.
        db.execute_unprepared("VACUUM (ANALYZE)")
            .await
            .context("cannot vacuum and analyze the loaded tables")?;
    }
    Ok(())
}

/// Opens a pool on a database already migrated (the collector's own, in
/// `reach serve`, beside the server's).
pub async fn open(config: &DatabaseConfig) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .connect_timeout(config.acquire_timeout)
        .sqlx_logging(false);

    if config.url.starts_with("sqlite:") {
        create_parent_dir(&config.url)?;
        // WAL lets readers run while the collector writes; NORMAL sync is
        // safe with WAL and much faster than FULL.
        options.map_sqlx_sqlite_opts(|sqlite| {
            sqlite
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    }

    Database::connect(options)
        .await
        .with_context(|| format!("cannot open the database at {}", redact(&config.url)))
}

/// The file of a SQLite URL (`None` for PostgreSQL or in-memory SQLite).
pub fn sqlite_file(url: &str) -> Option<&Path> {
    let path = url
        .strip_prefix("sqlite:")?
        .trim_start_matches("//")
        .split('?')
        .next()
        .unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| Path::new(path))
}

/// SQLite creates the file but not its directory (`data/` by default).
fn create_parent_dir(url: &str) -> anyhow::Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    Ok(())
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::{connect, redact};
    use crate::config::DatabaseConfig;
    use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
    use std::time::Duration;

    async fn two_writers() -> (tempfile::TempDir, DatabaseConnection) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("reach.db").display());
        let db = connect(&DatabaseConfig {
            url,
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .unwrap();
        db.execute_unprepared("CREATE TABLE scratch (x INTEGER)")
            .await
            .unwrap();
        (dir, db)
    }

    /// Holds SQLite's write lock for a moment on one connection while the
    /// other reads then writes in a transaction begun by `begin`.
    async fn read_then_write_while_another_writes(
        db: &DatabaseConnection,
        deferred: bool,
    ) -> Result<(), sea_orm::DbErr> {
        let first = db::write::begin(db).await?;
        first
            .execute_unprepared("INSERT INTO scratch VALUES (1)")
            .await?;
        let other = db.clone();
        let second = tokio::spawn(async move {
            let txn = if deferred {
                other.begin().await?
            } else {
                db::write::begin(&other).await?
            };
            txn.execute_unprepared("SELECT count(*) FROM scratch")
                .await?;
            txn.execute_unprepared("INSERT INTO scratch VALUES (2)")
                .await?;
            txn.commit().await
        });
        tokio::time::sleep(Duration::from_millis(1000)).await;
        first.commit().await?;
        second.await.unwrap()
    }

    #[tokio::test]
    async fn a_writing_transaction_waits_for_the_other_writer() {
        let (_dir, db) = two_writers().await;
        read_then_write_while_another_writes(&db, false)
            .await
            .unwrap();
    }

    /// Why `db::write::begin` exists: the default (deferred) transaction
    /// cannot wait to turn its read into a write, whatever the busy timeout.
    #[tokio::test]
    async fn a_deferred_transaction_is_refused_at_once() {
        let (_dir, db) = two_writers().await;
        let error = read_then_write_while_another_writes(&db, true)
            .await
            .unwrap_err();
        assert!(error.to_string().contains("locked"), "{error}");
    }

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact("postgres://reach:secret@db:5432/reach"),
            "postgres://reach:***@db:5432/reach"
        );
        assert_eq!(
            redact("postgres://postgres@localhost/reach"),
            "postgres://postgres@localhost/reach"
        );
        assert_eq!(redact("sqlite://data/reach.db"), "sqlite://data/reach.db");
    }
}
