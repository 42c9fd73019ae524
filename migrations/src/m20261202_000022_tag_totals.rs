//! The totals per tag behind `/api/tags`, kept as accounts and their tags
//! change rather than summed over every tagged account on each read (about
//! 130,000 rows joined at 100,000 accounts): how many accounts carry the
//! tag, their latest followers, and their 7-day follower change with how
//! many accounts have one (the change is unknown when none has).
//!
//! Kept by triggers, as `platform_totals` is
//! (`m20261202_000019_platform_totals`), and for the same reasons in the
//! same two shapes: rows updated in place on SQLite; on PostgreSQL rows of
//! differences that no two writers lock, folded by `compact_tag_totals()`
//! (which `db::totals::compact` calls with the platforms' after each batch).
//!
//! What moves them:
//! - a tag given or taken (`account_tags` inserted or deleted): the
//!   account's figures added to or taken from that tag;
//! - an account's followers or change updated: the difference, to each of
//!   its tags;
//! - an account deleted: its figures taken from each of its tags *before*
//!   the row goes, while its tags are still there. The cascade then
//!   deletes the tags, whose trigger finds no account any more and adds
//!   nothing (checked on both databases when this was written).
//!
//! On both, the totals are the sums of `tag_totals` grouped by tag; a tag
//! whose last account is gone keeps a row of zeros, which is not listed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns of `tag_totals` after `tag`, each with what one account row
/// (`a`) adds to it.
fn contributions(a: &str) -> [(&'static str, String); 4] {
    [
        ("accounts", "1".to_owned()),
        ("followers", format!("COALESCE({a}.followers, 0)")),
        ("change_7d", format!("COALESCE({a}.followers_change_7d, 0)")),
        (
            "known_7d",
            format!("CASE WHEN {a}.followers_change_7d IS NULL THEN 0 ELSE 1 END"),
        ),
    ]
}

fn names() -> Vec<&'static str> {
    contributions("a").iter().map(|(name, _)| *name).collect()
}

/// `sign`ed contributions of the account `a`, as a SELECT list.
fn values(a: &str, sign: &str) -> String {
    contributions(a)
        .iter()
        .map(|(name, value)| format!("{sign}({value}) AS {name}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn create_table(backend: DbBackend) -> String {
    let key = match backend {
        // Rows of differences: many per tag until compacted.
        DbBackend::Postgres => "",
        _ => " PRIMARY KEY",
    };
    let columns: String = names()
        .iter()
        .map(|name| format!(", {name} BIGINT NOT NULL DEFAULT 0"))
        .collect();
    format!("CREATE TABLE tag_totals (tag VARCHAR(64) NOT NULL{key}{columns})")
}

fn backfill() -> String {
    let sums: Vec<String> = contributions("a")
        .iter()
        .map(|(_, value)| format!("SUM({value})"))
        .collect();
    format!(
        "INSERT INTO tag_totals (tag, {}) SELECT t.tag, {} \
         FROM account_tags t JOIN accounts a ON a.id = t.account_id GROUP BY t.tag",
        names().join(", "),
        sums.join(", ")
    )
}

fn sqlite_up() -> Vec<String> {
    let names = names();
    let upsert = |select: String| {
        let sets: Vec<String> = names
            .iter()
            .map(|n| format!("{n} = {n} + excluded.{n}"))
            .collect();
        // `WHERE` before `ON CONFLICT`: an INSERT … SELECT needs one there
        // to be read as an upsert.
        format!(
            "INSERT INTO tag_totals (tag, {}) {select} ON CONFLICT (tag) DO UPDATE SET {};",
            names.join(", "),
            sets.join(", ")
        )
    };
    let of_tag = |row: &str, sign: &str| {
        upsert(format!(
            "SELECT {row}.tag, {} FROM accounts a WHERE a.id = {row}.account_id",
            values("a", sign)
        ))
    };
    // An account's difference, to each of its tags (they all have a row).
    let differences: Vec<String> = contributions("new")
        .iter()
        .zip(contributions("old"))
        .skip(1)
        .map(|((name, new), (_, old))| format!("{name} = {name} + ({new}) - ({old})"))
        .collect();
    vec![
        format!(
            "CREATE TRIGGER account_tags_totals_insert AFTER INSERT ON account_tags BEGIN {} END",
            of_tag("new", "+")
        ),
        format!(
            "CREATE TRIGGER account_tags_totals_delete AFTER DELETE ON account_tags BEGIN {} END",
            of_tag("old", "-")
        ),
        format!(
            "CREATE TRIGGER accounts_tag_totals_delete BEFORE DELETE ON accounts BEGIN {} END",
            upsert(format!(
                "SELECT t.tag, {} FROM account_tags t WHERE t.account_id = old.id",
                values("old", "-")
            ))
        ),
        format!(
            "CREATE TRIGGER accounts_tag_totals_update AFTER UPDATE OF followers, \
             followers_change_7d ON accounts \
             WHEN old.followers IS NOT new.followers \
               OR old.followers_change_7d IS NOT new.followers_change_7d \
             BEGIN UPDATE tag_totals SET {} \
               WHERE tag IN (SELECT tag FROM account_tags WHERE account_id = new.id); END",
            differences.join(", ")
        ),
    ]
}

fn postgres_up() -> Vec<String> {
    let names = names();
    let sums: Vec<String> = names
        .iter()
        .map(|n| format!("CAST(SUM({n}) AS BIGINT)"))
        .collect();
    let nonzero: Vec<String> = names.iter().map(|n| format!("SUM({n}) <> 0")).collect();
    // Rows of differences per tag from `rows` (tag, then the named columns).
    let insert = |rows: String| {
        format!(
            "INSERT INTO tag_totals (tag, {names}) SELECT tag, {sums} FROM ({rows}) d \
             GROUP BY tag HAVING {nonzero};",
            names = names.join(", "),
            sums = sums.join(", "),
            nonzero = nonzero.join(" OR "),
        )
    };
    let function = |name: &str, body: String, returns: &str| {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN {body} RETURN {returns}; END $$"
        )
    };
    let tagged = |table: &str, sign: &str| {
        insert(format!(
            "SELECT t.tag, {} FROM {table} t JOIN accounts a ON a.id = t.account_id",
            values("a", sign)
        ))
    };
    let updated = insert(format!(
        "SELECT t.tag, {} FROM added n JOIN removed o ON o.id = n.id \
         JOIN account_tags t ON t.account_id = n.id \
         UNION ALL SELECT t.tag, {} FROM added n JOIN removed o ON o.id = n.id \
         JOIN account_tags t ON t.account_id = n.id",
        values("n", "+"),
        values("o", "-")
    ));
    let folded: Vec<String> = names
        .iter()
        .map(|n| format!("CAST(SUM({n}) AS BIGINT)"))
        .collect();
    vec![
        function("tag_totals_added_tags", tagged("added", "+"), "NULL"),
        function("tag_totals_removed_tags", tagged("removed", "-"), "NULL"),
        function(
            "tag_totals_removed_account",
            insert(format!(
                "SELECT t.tag, {} FROM account_tags t WHERE t.account_id = OLD.id",
                values("OLD", "-")
            )),
            "OLD",
        ),
        function("tag_totals_updated_accounts", updated, "NULL"),
        "CREATE TRIGGER account_tags_totals_insert AFTER INSERT ON account_tags \
           REFERENCING NEW TABLE AS added FOR EACH STATEMENT \
           EXECUTE FUNCTION tag_totals_added_tags()"
            .to_owned(),
        "CREATE TRIGGER account_tags_totals_delete AFTER DELETE ON account_tags \
           REFERENCING OLD TABLE AS removed FOR EACH STATEMENT \
           EXECUTE FUNCTION tag_totals_removed_tags()"
            .to_owned(),
        "CREATE TRIGGER accounts_tag_totals_delete BEFORE DELETE ON accounts \
           FOR EACH ROW EXECUTE FUNCTION tag_totals_removed_account()"
            .to_owned(),
        // No column list with transition tables: an update that changes
        // nothing counted adds no row.
        "CREATE TRIGGER accounts_tag_totals_update AFTER UPDATE ON accounts \
           REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT \
           EXECUTE FUNCTION tag_totals_updated_accounts()"
            .to_owned(),
        format!(
            "CREATE FUNCTION compact_tag_totals() RETURNS void LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF pg_try_advisory_xact_lock(hashtext('tag_totals')) THEN \
                 WITH gone AS (DELETE FROM tag_totals RETURNING *) \
                 INSERT INTO tag_totals (tag, {names}) \
                 SELECT tag, {folded} FROM gone GROUP BY tag; \
               END IF; \
             END $$",
            names = names.join(", "),
            folded = folded.join(", ")
        ),
        "CREATE INDEX ix_tag_totals_tag ON tag_totals (tag)".to_owned(),
    ]
}

fn down(backend: DbBackend) -> Vec<String> {
    let triggers = [
        ("account_tags_totals_insert", "account_tags"),
        ("account_tags_totals_delete", "account_tags"),
        ("accounts_tag_totals_delete", "accounts"),
        ("accounts_tag_totals_update", "accounts"),
    ];
    let mut statements: Vec<String> = triggers
        .iter()
        .map(|(trigger, table)| match backend {
            DbBackend::Postgres => format!("DROP TRIGGER IF EXISTS {trigger} ON {table}"),
            _ => format!("DROP TRIGGER IF EXISTS {trigger}"),
        })
        .collect();
    if backend == DbBackend::Postgres {
        for function in [
            "tag_totals_added_tags",
            "tag_totals_removed_tags",
            "tag_totals_removed_account",
            "tag_totals_updated_accounts",
            "compact_tag_totals",
        ] {
            statements.push(format!("DROP FUNCTION IF EXISTS {function}()"));
        }
    }
    statements.push("DROP TABLE IF EXISTS tag_totals".to_owned());
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut statements = vec![create_table(backend), backfill()];
        statements.extend(match backend {
            DbBackend::Postgres => postgres_up(),
            _ => sqlite_up(),
        });
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for statement in down(manager.get_database_backend()) {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }
}
