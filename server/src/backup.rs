//! `reach backup` and `reach restore` for the SQLite database. A backup is
//! `VACUUM INTO`: one read transaction, so the copy is consistent while the
//! server and collector keep writing, and compact. A restore checks the copy
//! (`PRAGMA integrity_check`, Reach's tables) and migrates it beside the
//! database before it replaces the file, keeping the old one as `.bak`;
//! the server must be stopped while it does (nothing can check that a
//! server elsewhere holds the file open).
//! PostgreSQL has its own tools (`pg_dump`; see README).

use std::path::Path;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::config::DatabaseConfig;
use crate::database;

/// Copies the live database of `db` to `path`, which must not exist.
pub async fn backup(db: &DatabaseConnection, url: &str, path: &Path) -> anyhow::Result<()> {
    if database::sqlite_file(url).is_none() {
        bail!(
            "`reach backup` copies SQLite databases; back PostgreSQL up with pg_dump (see README)"
        );
    }
    if path.exists() {
        bail!(
            "{} exists already; a backup never overwrites",
            path.display()
        );
    }
    let target = path
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", path.display()))?;
    db.execute_raw(Statement::from_sql_and_values(
        db.get_database_backend(),
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await
    .with_context(|| format!("cannot write the backup to {}", path.display()))?;
    Ok(())
}

/// Checks that `path` is a sound SQLite database made by Reach.
async fn check_backup(path: &Path) -> anyhow::Result<()> {
    let url = format!("sqlite://{}?mode=ro", path.display());
    let copy = Database::connect(&url)
        .await
        .with_context(|| format!("cannot open {} as a SQLite database", path.display()))?;
    let backend = copy.get_database_backend();
    let integrity = copy
        .query_one_raw(Statement::from_string(backend, "PRAGMA integrity_check"))
        .await
        .with_context(|| format!("{} is not a SQLite database", path.display()))?
        .context("integrity_check gave no answer")?;
    let verdict: String = integrity.try_get_by_index(0)?;
    if verdict != "ok" {
        bail!("{} is damaged: {verdict}", path.display());
    }
    let reach = copy
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('seaql_migrations', 'accounts', 'snapshots')",
        ))
        .await?
        .context("sqlite_master gave no answer")?;
    if reach.try_get_by_index::<i64>(0)? != 3 {
        bail!("{} is not a Reach database", path.display());
    }
    copy.close().await.ok();
    Ok(())
}

/// Replaces the SQLite database of `config` with the backup at `path`,
/// then opens it (applying newer migrations) and refreshes what reads
/// precompute. Returns the opened database.
pub async fn restore(config: &DatabaseConfig, path: &Path) -> anyhow::Result<DatabaseConnection> {
    let Some(target) = database::sqlite_file(&config.url) else {
        bail!(
            "`reach restore` restores SQLite databases; restore PostgreSQL with pg_restore or psql (see README)"
        );
    };
    check_backup(path).await?;
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    }
    // Copied beside the target and brought up to this version's schema
    // there: a copy that cannot be migrated replaces nothing.
    let staging = target.with_extension("restoring");
    std::fs::copy(path, &staging)
        .with_context(|| format!("cannot copy {} to {}", path.display(), staging.display()))?;
    let staged = DatabaseConfig {
        url: format!("sqlite://{}", staging.display()),
        ..config.clone()
    };
    database::connect(&staged)
        .await
        .context("the backup cannot be brought up to this version of Reach")?
        .close()
        .await
        .ok();
    // The old database (with its WAL) is kept beside as `.bak`, then the
    // copy is renamed over it: the database is the old one or the new one,
    // never half of each.
    let side = |file: &Path, suffix: &str| {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    let kept = target.with_extension("bak");
    for suffix in ["", "-wal", "-shm"] {
        let from = side(target, suffix);
        if from.exists() {
            std::fs::rename(&from, side(&kept, suffix))
                .with_context(|| format!("cannot keep {} aside", from.display()))?;
        }
    }
    for suffix in ["-wal", "-shm"] {
        std::fs::remove_file(side(&staging, suffix)).ok();
    }
    std::fs::rename(&staging, target)
        .with_context(|| format!("cannot move the backup into {}", target.display()))?;
    let db = database::connect(config).await?;
    db::marks::refresh_stale_marks(&db, chrono::Utc::now().date_naive(), &db::write::NoRest)
        .await
        .context("cannot refresh the leaderboard's marks")?;
    Ok(db)
}
