//! The overview's totals per platform, kept as the accounts change rather
//! than summed over every account on each read: the number of accounts
//! (and core ones), their latest followers, posts and views, and for each
//! follower-change period (1, 7 and 30 days) the sum of the changes, of the
//! values they started from, and how many accounts have one.
//!
//! Triggers keep them, so every writer (the engine, the CLI, imports,
//! retention, a hand-written `UPDATE`) does so in its own transaction:
//!
//! - SQLite runs one writer at a time: a row per platform, updated in place
//!   by row triggers.
//! - PostgreSQL runs writers side by side (several instances): a row per
//!   platform updated by each would make concurrent writes wait on, or
//!   deadlock over, the same rows. Statement triggers instead insert one
//!   row of differences per platform and statement, which nobody else
//!   locks; a read sums the rows, and `compact_platform_totals()` folds
//!   them into one per platform (the engine calls it after each batch).
//!
//! On both, the totals are the sums of `platform_totals` grouped by
//! platform.
//!
//! And the indexes the accounts table's orders lacked: on PostgreSQL for
//! its descending orders ([`DESCENDING`]), on both for the counters added
//! later ([`UNINDEXED`]).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The follower-change periods the accounts keep (`followers_change_{n}d`).
const PERIODS: [u32; 3] = [1, 7, 30];

/// The columns of `platform_totals` after `platform`, each with what one
/// account row (`r`) adds to it.
fn contributions(r: &str) -> Vec<(String, String)> {
    let mut columns = vec![
        ("accounts".to_owned(), "1".to_owned()),
        (
            "core_accounts".to_owned(),
            format!("CASE WHEN {r}.is_core THEN 1 ELSE 0 END"),
        ),
    ];
    for counter in ["followers", "posts", "views"] {
        columns.push((counter.to_owned(), format!("COALESCE({r}.{counter}, 0)")));
    }
    for days in PERIODS {
        let change = format!("{r}.followers_change_{days}d");
        columns.push((format!("change_{days}d"), format!("COALESCE({change}, 0)")));
        // The value the period started from: known only with both.
        columns.push((
            format!("start_{days}d"),
            format!("COALESCE({r}.followers - {change}, 0)"),
        ));
        columns.push((
            format!("known_{days}d"),
            format!("CASE WHEN {change} IS NULL THEN 0 ELSE 1 END"),
        ));
    }
    columns
}

/// The columns of `accounts` the totals read: an update of no other
/// changes them.
fn watched() -> Vec<String> {
    let mut columns: Vec<String> = ["platform", "is_core", "followers", "posts", "views"]
        .map(str::to_owned)
        .to_vec();
    columns.extend(PERIODS.map(|days| format!("followers_change_{days}d")));
    columns
}

fn create_table(backend: DbBackend) -> String {
    let columns: String = contributions("r")
        .iter()
        .map(|(name, _)| format!(", {name} BIGINT NOT NULL DEFAULT 0"))
        .collect();
    let key = match backend {
        // Rows of differences: many per platform until compacted.
        DbBackend::Postgres => "",
        _ => " PRIMARY KEY",
    };
    format!("CREATE TABLE platform_totals (platform VARCHAR(32) NOT NULL{key}{columns})")
}

/// The totals as they stand, one row per platform.
fn backfill() -> String {
    let (names, sums): (Vec<_>, Vec<_>) = contributions("accounts")
        .into_iter()
        .map(|(name, value)| (name, format!("SUM({value})")))
        .unzip();
    format!(
        "INSERT INTO platform_totals (platform, {}) SELECT platform, {} FROM accounts GROUP BY platform",
        names.join(", "),
        sums.join(", ")
    )
}

fn sqlite_up() -> Vec<String> {
    let names: Vec<String> = contributions("r").into_iter().map(|(n, _)| n).collect();
    // Adds (`+`) or takes away (`-`) one account row's contribution.
    let apply = |row: &str, sign: &str| {
        let values: Vec<String> = contributions(row)
            .into_iter()
            .map(|(_, value)| format!("{sign}({value})"))
            .collect();
        let sets: Vec<String> = names
            .iter()
            .map(|n| format!("{n} = {n} + excluded.{n}"))
            .collect();
        format!(
            "INSERT INTO platform_totals (platform, {}) VALUES ({row}.platform, {}) \
             ON CONFLICT (platform) DO UPDATE SET {};",
            names.join(", "),
            values.join(", "),
            sets.join(", ")
        )
    };
    let changed: Vec<String> = watched()
        .iter()
        .map(|c| format!("old.{c} IS NOT new.{c}"))
        .collect();
    vec![
        format!(
            "CREATE TRIGGER accounts_totals_insert AFTER INSERT ON accounts BEGIN {} END",
            apply("new", "+")
        ),
        format!(
            "CREATE TRIGGER accounts_totals_delete AFTER DELETE ON accounts BEGIN {} END",
            apply("old", "-")
        ),
        format!(
            "CREATE TRIGGER accounts_totals_update AFTER UPDATE OF {} ON accounts WHEN {} \
             BEGIN {} {} END",
            watched().join(", "),
            changed.join(" OR "),
            apply("old", "-"),
            apply("new", "+")
        ),
    ]
}

fn postgres_up() -> Vec<String> {
    let names: Vec<String> = contributions("r").into_iter().map(|(n, _)| n).collect();
    // One row of differences per platform, from the transition tables:
    // `removed` counts against, `added` for.
    let differences = |parts: &[(&str, &str)]| {
        let rows: Vec<String> = parts
            .iter()
            .map(|(table, sign)| {
                let values: Vec<String> = contributions("r")
                    .into_iter()
                    .map(|(name, value)| format!("{sign}({value}) AS {name}"))
                    .collect();
                format!("SELECT r.platform, {} FROM {table} r", values.join(", "))
            })
            .collect();
        let sums: Vec<String> = names
            .iter()
            .map(|n| format!("CAST(SUM({n}) AS BIGINT)"))
            .collect();
        // Nothing the totals read changed (a lease, a revision): no row.
        let nonzero: Vec<String> = names.iter().map(|n| format!("SUM({n}) <> 0")).collect();
        format!(
            "INSERT INTO platform_totals (platform, {names}) \
             SELECT platform, {sums} FROM ({rows}) d GROUP BY platform HAVING {nonzero};",
            names = names.join(", "),
            sums = sums.join(", "),
            rows = rows.join(" UNION ALL "),
            nonzero = nonzero.join(" OR "),
        )
    };
    let function = |name: &str, body: String| {
        format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN {body} RETURN NULL; END $$"
        )
    };
    let folded: Vec<String> = names
        .iter()
        .map(|n| format!("CAST(SUM({n}) AS BIGINT)"))
        .collect();
    vec![
        function("total_added_accounts", differences(&[("added", "+")])),
        function("total_removed_accounts", differences(&[("removed", "-")])),
        function(
            "total_updated_accounts",
            differences(&[("added", "+"), ("removed", "-")]),
        ),
        "CREATE TRIGGER accounts_totals_insert AFTER INSERT ON accounts \
           REFERENCING NEW TABLE AS added FOR EACH STATEMENT \
           EXECUTE FUNCTION total_added_accounts()"
            .to_owned(),
        "CREATE TRIGGER accounts_totals_delete AFTER DELETE ON accounts \
           REFERENCING OLD TABLE AS removed FOR EACH STATEMENT \
           EXECUTE FUNCTION total_removed_accounts()"
            .to_owned(),
        // PostgreSQL takes no column list with transition tables: every
        // update statement is seen, and one that changes nothing counted
        // adds no row.
        "CREATE TRIGGER accounts_totals_update AFTER UPDATE ON accounts \
           REFERENCING OLD TABLE AS removed NEW TABLE AS added FOR EACH STATEMENT \
           EXECUTE FUNCTION total_updated_accounts()"
            .to_owned(),
        // One compaction at a time (the others skip it: the next batch
        // compacts again); in one statement, so that the rows it deletes are
        // exactly those it sums.
        format!(
            "CREATE FUNCTION compact_platform_totals() RETURNS void LANGUAGE plpgsql AS $$ \
             BEGIN \
               IF pg_try_advisory_xact_lock(hashtext('platform_totals')) THEN \
                 WITH gone AS (DELETE FROM platform_totals RETURNING *) \
                 INSERT INTO platform_totals (platform, {names}) \
                 SELECT platform, {folded} FROM gone GROUP BY platform; \
               END IF; \
             END $$",
            names = names.join(", "),
            folded = folded.join(", ")
        ),
    ]
}

/// The columns the accounts table sorts by that may be unknown.
///
/// PostgreSQL reads a plain index backwards with unknown values first, so
/// without these indexes every descending read of such a column (the
/// default for counters, and the overview's biggest accounts) sorted every
/// account. SQLite needs none: its index serves both directions (unknown
/// values are its smallest, read last when asked).
const DESCENDING: [&str; 11] = [
    "followers",
    "following",
    "posts",
    "views",
    "likes",
    "score",
    "online",
    "listed",
    "followers_change_7d",
    "followers_change_30d",
    "last_collected_at",
];

/// Counters added after the first schema, which came without the index
/// the accounts table's order by them needs (both directions on SQLite,
/// ascending on PostgreSQL).
const UNINDEXED: [&str; 3] = ["score", "online", "listed"];

fn descending_indexes() -> Vec<String> {
    DESCENDING
        .iter()
        .map(|column| {
            format!(
                "CREATE INDEX ix_accounts_{column}_desc ON accounts ({column} DESC NULLS LAST, id DESC)"
            )
        })
        .collect()
}

fn down(backend: DbBackend) -> Vec<String> {
    let mut statements: Vec<String> = ["insert", "delete", "update"]
        .iter()
        .map(|event| match backend {
            DbBackend::Postgres => {
                format!("DROP TRIGGER IF EXISTS accounts_totals_{event} ON accounts")
            }
            _ => format!("DROP TRIGGER IF EXISTS accounts_totals_{event}"),
        })
        .collect();
    if backend == DbBackend::Postgres {
        for column in DESCENDING {
            statements.push(format!("DROP INDEX IF EXISTS ix_accounts_{column}_desc"));
        }
        for function in [
            "total_added_accounts",
            "total_removed_accounts",
            "total_updated_accounts",
            "compact_platform_totals",
        ] {
            statements.push(format!("DROP FUNCTION IF EXISTS {function}()"));
        }
    }
    for column in UNINDEXED {
        statements.push(format!("DROP INDEX IF EXISTS ix_accounts_{column}"));
    }
    statements.push("DROP TABLE IF EXISTS platform_totals".to_owned());
    statements
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let mut statements = vec![create_table(backend), backfill()];
        statements.extend(match backend {
            DbBackend::Postgres => {
                let mut statements = postgres_up();
                statements.extend(descending_indexes());
                statements
            }
            _ => sqlite_up(),
        });
        statements.extend(
            UNINDEXED
                .map(|column| format!("CREATE INDEX ix_accounts_{column} ON accounts ({column})")),
        );
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
