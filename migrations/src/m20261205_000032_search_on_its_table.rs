//! On PostgreSQL, text search reads only `account_search` (migration 27),
//! so the accounts' own trigram indexes (migration 17) go. Every write of
//! an account's row is a new version of it with an entry in each of the
//! table's indexes, and a collection run writes every row twice: their
//! entries were about a quarter of each write (a bulk update of 10,000
//! rows, 330 against 255 ms without them), for handles and names that a
//! run never changes. `account_search`'s rows change only with a handle or
//! a name. SQLite searches its FTS5 table: nothing changes there.

use sea_orm_migration::prelude::*;

use crate::postgres_only;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "DROP INDEX IF EXISTS ix_accounts_handle_trgm",
    "DROP INDEX IF EXISTS ix_accounts_display_name_trgm",
];

/// Migration 17's indexes as they were.
const DOWN: &[&str] = &[
    "CREATE INDEX IF NOT EXISTS ix_accounts_handle_trgm ON accounts \
       USING gin (lower(handle) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_accounts_display_name_trgm ON accounts \
       USING gin (lower(display_name) gin_trgm_ops)",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        postgres_only::run(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        postgres_only::run(manager, DOWN).await
    }
}
