//! A revision on each account, moved on by the database itself whenever
//! anything an answer about that one account shows changes: its row (but
//! not its lease), its snapshots, its compacted days, its tags, its brand's
//! name. The read cache keys an account's own answers (its page, history,
//! projection…) by it, so a write to one account leaves every other
//! account's cached answers standing. Triggers rather than code: every
//! writer (the engine, the CLI, imports, retention, a hand-written `UPDATE`)
//! moves it in the transaction of its write.

use sea_orm_migration::sea_orm::DbBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every column of `accounts` an answer may show: all but the id, the
/// lease (renewed while a run holds the account) and the revision itself.
/// A test compares it with the entity, so a new column cannot be missed.
const REVISED_COLUMNS: &[&str] = &[
    "platform",
    "handle",
    "platform_id",
    "display_name",
    "is_core",
    "created_at",
    "updated_at",
    "last_collected_at",
    "last_error",
    "followers",
    "following",
    "posts",
    "views",
    "likes",
    "simulated",
    "last_outcome",
    "last_attempt_at",
    "followers_change_1d",
    "followers_change_7d",
    "followers_change_30d",
    "brand_id",
    "state",
    "state_since",
    "followers_at",
    "following_at",
    "posts_at",
    "views_at",
    "likes_at",
    "score",
    "score_at",
    "online",
    "online_at",
    "listed",
    "listed_at",
    "avatar_version",
];

/// The tables whose rows belong to one account (`account_id`).
const CHILDREN: &[&str] = &["snapshots", "daily_rollups", "account_tags"];

fn sqlite_up() -> Vec<String> {
    let mut statements = vec![format!(
        // `WHEN`: an update that sets the revision itself is left alone.
        "CREATE TRIGGER accounts_revised AFTER UPDATE OF {} ON accounts \
           WHEN new.revision = old.revision BEGIN \
           UPDATE accounts SET revision = old.revision + 1 WHERE id = new.id; END",
        REVISED_COLUMNS.join(", ")
    )];
    for table in CHILDREN {
        for (event, row) in [("INSERT", "new"), ("DELETE", "old"), ("UPDATE", "new")] {
            statements.push(format!(
                "CREATE TRIGGER {table}_revise_{event} AFTER {event} ON {table} BEGIN \
                   UPDATE accounts SET revision = revision + 1 WHERE id = {row}.account_id; END",
                event = event.to_lowercase()
            ));
        }
    }
    statements.push(
        "CREATE TRIGGER brands_revise AFTER UPDATE ON brands BEGIN \
           UPDATE accounts SET revision = revision + 1 WHERE brand_id = new.id; END"
            .to_owned(),
    );
    statements
}

fn sqlite_down() -> Vec<String> {
    let mut statements = vec!["DROP TRIGGER IF EXISTS accounts_revised".to_owned()];
    for table in CHILDREN {
        for event in ["insert", "delete", "update"] {
            statements.push(format!("DROP TRIGGER IF EXISTS {table}_revise_{event}"));
        }
    }
    statements.push("DROP TRIGGER IF EXISTS brands_revise".to_owned());
    statements
}

fn postgres_up() -> Vec<String> {
    let mut statements = vec![
        "CREATE FUNCTION revise_account() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN \
           IF NEW.revision = OLD.revision THEN NEW.revision := OLD.revision + 1; END IF; \
           RETURN NEW; \
         END $$"
            .to_owned(),
        format!(
            "CREATE TRIGGER accounts_revised BEFORE UPDATE OF {} ON accounts \
               FOR EACH ROW EXECUTE FUNCTION revise_account()",
            REVISED_COLUMNS.join(", ")
        ),
        // One update per statement: a run's insert of thousands of
        // snapshots touches each of its accounts once.
        "CREATE FUNCTION revise_accounts_of_changed() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN \
           UPDATE accounts SET revision = revision + 1 \
            WHERE id IN (SELECT DISTINCT account_id FROM changed); \
           RETURN NULL; \
         END $$"
            .to_owned(),
        "CREATE FUNCTION revise_accounts_of_brand() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN \
           UPDATE accounts SET revision = revision + 1 WHERE brand_id = NEW.id; \
           RETURN NULL; \
         END $$"
            .to_owned(),
        "CREATE TRIGGER brands_revise AFTER UPDATE ON brands \
           FOR EACH ROW EXECUTE FUNCTION revise_accounts_of_brand()"
            .to_owned(),
    ];
    for table in CHILDREN {
        for (event, transition) in [("INSERT", "NEW"), ("DELETE", "OLD"), ("UPDATE", "NEW")] {
            statements.push(format!(
                "CREATE TRIGGER {table}_revise_{name} AFTER {event} ON {table} \
                   REFERENCING {transition} TABLE AS changed \
                   FOR EACH STATEMENT EXECUTE FUNCTION revise_accounts_of_changed()",
                name = event.to_lowercase()
            ));
        }
    }
    statements
}

fn postgres_down() -> Vec<String> {
    let mut statements = vec![
        "DROP TRIGGER IF EXISTS accounts_revised ON accounts".to_owned(),
        "DROP TRIGGER IF EXISTS brands_revise ON brands".to_owned(),
    ];
    for table in CHILDREN {
        for event in ["insert", "delete", "update"] {
            statements.push(format!(
                "DROP TRIGGER IF EXISTS {table}_revise_{event} ON {table}"
            ));
        }
    }
    for function in [
        "revise_account",
        "revise_accounts_of_changed",
        "revise_accounts_of_brand",
    ] {
        statements.push(format!("DROP FUNCTION IF EXISTS {function}()"));
    }
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(big_integer(Accounts::Revision).default(0))
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_down(),
            _ => sqlite_down(),
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::Revision)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Revision,
}
