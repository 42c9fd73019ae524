//! Text search over the accounts' handles and names through an index made
//! for finding text anywhere in a value, instead of reading every account:
//! on SQLite an FTS5 table with the trigram tokenizer (external content,
//! kept by triggers that fire only when a handle or name changes); on
//! PostgreSQL `pg_trgm` GIN indexes on the lowered columns, which serve the
//! same `LIKE '%text%'` the query already makes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_UP: &[&str] = &[
    "CREATE VIRTUAL TABLE accounts_search USING fts5(\
       handle, display_name, content='accounts', content_rowid='id', tokenize='trigram')",
    "INSERT INTO accounts_search(accounts_search) VALUES ('rebuild')",
    "CREATE TRIGGER accounts_search_insert AFTER INSERT ON accounts BEGIN \
       INSERT INTO accounts_search(rowid, handle, display_name) \
       VALUES (new.id, new.handle, new.display_name); END",
    "CREATE TRIGGER accounts_search_delete AFTER DELETE ON accounts BEGIN \
       INSERT INTO accounts_search(accounts_search, rowid, handle, display_name) \
       VALUES ('delete', old.id, old.handle, old.display_name); END",
    // Every collection sets the name; only a change touches the index.
    "CREATE TRIGGER accounts_search_update AFTER UPDATE OF handle, display_name ON accounts \
       WHEN old.handle IS NOT new.handle OR old.display_name IS NOT new.display_name BEGIN \
       INSERT INTO accounts_search(accounts_search, rowid, handle, display_name) \
       VALUES ('delete', old.id, old.handle, old.display_name); \
       INSERT INTO accounts_search(rowid, handle, display_name) \
       VALUES (new.id, new.handle, new.display_name); END",
];

const SQLITE_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS accounts_search_update",
    "DROP TRIGGER IF EXISTS accounts_search_delete",
    "DROP TRIGGER IF EXISTS accounts_search_insert",
    "DROP TABLE IF EXISTS accounts_search",
];

const POSTGRES_UP: &[&str] = &[
    // A trusted extension since PostgreSQL 13: a database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_accounts_handle_trgm ON accounts \
       USING gin (lower(handle) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_accounts_display_name_trgm ON accounts \
       USING gin (lower(display_name) gin_trgm_ops)",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP INDEX IF EXISTS ix_accounts_display_name_trgm",
    "DROP INDEX IF EXISTS ix_accounts_handle_trgm",
];

async fn run(manager: &SchemaManager<'_>, sqlite: &[&str], postgres: &[&str]) -> Result<(), DbErr> {
    let statements = match manager.get_database_backend() {
        DbBackend::Postgres => postgres,
        _ => sqlite,
    };
    let db = manager.get_connection();
    for statement in statements {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_UP, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, SQLITE_DOWN, POSTGRES_DOWN).await
    }
}
