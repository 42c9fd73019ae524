//! Counting the accounts a text search finds, on PostgreSQL, without
//! visiting the accounts themselves. Migration 17's trigram indexes find
//! the matches, but a count must still read each match's row to recheck
//! it, and the accounts' rows are wide: at 100,000 accounts the 5,000
//! matching "fox" were spread over nearly every page of the table (20 ms
//! warm through the indexes, 55 ms as the planner chose a sequential
//! scan). `account_search` holds only each account's lowered handle and
//! name, kept by triggers that fire when one changes; its trigram indexes
//! find and its rows recheck the same matches in about 2 ms. A text
//! found in few accounts has its page read from here too
//! (`db::accounts::search`); one found in many walks the sort's order in
//! `accounts`. SQLite counts through its FTS5 table already: nothing
//! changes there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &[&str] = &[
    "CREATE TABLE account_search (\
       account_id BIGINT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE, \
       handle TEXT NOT NULL, \
       name TEXT NOT NULL)",
    "INSERT INTO account_search (account_id, handle, name) \
       SELECT id, lower(handle), lower(COALESCE(display_name, '')) FROM accounts",
    "CREATE INDEX ix_account_search_handle_trgm ON account_search USING gin (handle gin_trgm_ops)",
    "CREATE INDEX ix_account_search_name_trgm ON account_search USING gin (name gin_trgm_ops)",
    "CREATE FUNCTION account_search_keep() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN \
       INSERT INTO account_search (account_id, handle, name) \
       VALUES (NEW.id, lower(NEW.handle), lower(COALESCE(NEW.display_name, ''))) \
       ON CONFLICT (account_id) DO UPDATE SET handle = EXCLUDED.handle, name = EXCLUDED.name; \
       RETURN NULL; \
     END $$",
    "CREATE TRIGGER account_search_insert AFTER INSERT ON accounts \
       FOR EACH ROW EXECUTE FUNCTION account_search_keep()",
    // Every collection sets the name; only a change touches the table.
    "CREATE TRIGGER account_search_update AFTER UPDATE OF handle, display_name ON accounts \
       FOR EACH ROW WHEN (OLD.handle IS DISTINCT FROM NEW.handle \
         OR OLD.display_name IS DISTINCT FROM NEW.display_name) \
       EXECUTE FUNCTION account_search_keep()",
];

const POSTGRES_DOWN: &[&str] = &[
    "DROP TRIGGER IF EXISTS account_search_update ON accounts",
    "DROP TRIGGER IF EXISTS account_search_insert ON accounts",
    "DROP FUNCTION IF EXISTS account_search_keep()",
    "DROP TABLE IF EXISTS account_search",
];

async fn run(manager: &SchemaManager<'_>, postgres: &[&str]) -> Result<(), DbErr> {
    if manager.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    let db = manager.get_connection();
    for statement in postgres {
        db.execute_unprepared(statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN).await
    }
}
