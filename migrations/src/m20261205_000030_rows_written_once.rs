//! On PostgreSQL, the snapshots' statement trigger that moves their
//! accounts' revisions (migration 18) leaves the accounts alone when the
//! transaction says it writes their rows itself (`reach.accounts_written`,
//! set local to it by `db::snapshots::insert_snapshots_of_written`): such a
//! write moves the revision through `accounts_revised`, and the trigger's
//! own write was a second version of each row (with an entry in each of the
//! table's indexes) for every account of every batch a run stores. Readers
//! see only committed rows, so one move per transaction tells them as much.
//! SQLite's row triggers write the row in place: unchanged.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The function of migration 18, with the transaction's say first.
const UP: &str = "CREATE OR REPLACE FUNCTION revise_accounts_of_changed() RETURNS trigger \
     LANGUAGE plpgsql AS $$ \
     BEGIN \
       IF current_setting('reach.accounts_written', true) = 'on' THEN RETURN NULL; END IF; \
       UPDATE accounts SET revision = revision + 1 \
        WHERE id IN (SELECT DISTINCT account_id FROM changed); \
       RETURN NULL; \
     END $$";

/// Migration 18's function as it was.
const DOWN: &str = "CREATE OR REPLACE FUNCTION revise_accounts_of_changed() RETURNS trigger \
     LANGUAGE plpgsql AS $$ \
     BEGIN \
       UPDATE accounts SET revision = revision + 1 \
        WHERE id IN (SELECT DISTINCT account_id FROM changed); \
       RETURN NULL; \
     END $$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace(manager, DOWN).await
    }
}

async fn replace(manager: &SchemaManager<'_>, function: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DbBackend::Postgres {
        manager
            .get_connection()
            .execute_unprepared(function)
            .await?;
    }
    Ok(())
}
