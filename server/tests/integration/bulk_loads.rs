//! Bulk loads through the binary on PostgreSQL: the planner has the
//! statistics of what was loaded, and the tables are vacuumed, as soon as
//! the command returns.

use std::process::Command;

use sea_orm::ConnectionTrait;

use crate::cli::stdout;
use crate::common::{Backend, TestApp};

/// Bulk loads give PostgreSQL's planner its statistics at once (-1 rows
/// before any): `reach seed` and `reach import`, which without them read a
/// page of accounts with a sequential scan of every snapshot.
#[test]
fn bulk_loads_leave_postgres_its_statistics() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let value = |app: &TestApp, sql: &str| {
        runtime.block_on(async {
            app.db
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DbBackend::Postgres,
                    sql,
                ))
                .await
                .unwrap()
                .unwrap()
        })
    };
    let planned_rows = |app: &TestApp| {
        value(
            app,
            "SELECT reltuples::bigint FROM pg_class WHERE relname = 'snapshots'",
        )
        .try_get_by_index::<i64>(0)
        .unwrap()
    };
    let on = |app: &TestApp, args: &[&str]| {
        stdout(
            &Command::new(env!("CARGO_BIN_EXE_reach"))
                .arg("--database-url")
                .arg(app.database_url())
                .args(args)
                .env("RUST_LOG", "warn")
                .output()
                .expect("run reach"),
        )
    };

    let seeded = runtime.block_on(TestApp::database_only(Backend::Postgres));
    on(&seeded, &["seed", "--accounts", "4", "--days", "5"]);
    assert_eq!(planned_rows(&seeded), 20);
    // Vacuumed as well: autovacuum has no first pass left to make.
    let vacuumed = value(
        &seeded,
        "SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'snapshots'",
    )
    .try_get_by_index::<bool>(0)
    .unwrap();
    assert!(vacuumed, "reach seed leaves snapshots vacuumed");

    let dir = tempfile::tempdir().unwrap();
    let (accounts, snapshots) = (dir.path().join("a.csv"), dir.path().join("s.csv"));
    on(
        &seeded,
        &["export", "accounts", "--output", accounts.to_str().unwrap()],
    );
    on(
        &seeded,
        &[
            "export",
            "snapshots",
            "--output",
            snapshots.to_str().unwrap(),
        ],
    );
    let imported = runtime.block_on(TestApp::database_only(Backend::Postgres));
    on(
        &imported,
        &["import", "accounts", accounts.to_str().unwrap()],
    );
    on(
        &imported,
        &["import", "snapshots", snapshots.to_str().unwrap()],
    );
    assert_eq!(planned_rows(&imported), 20);
}
