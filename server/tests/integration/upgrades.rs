//! Migration 12 on a database written by the Reach before it: the counters
//! Reach invented for real X, Instagram and TikTok accounts are removed
//! (imported history kept, its newest values the latest), demo accounts
//! keep their simulated history.

use ::migrations::{Migrator, MigratorTrait};
use chrono::{DateTime, Duration, Utc};
use db::entities::{account, snapshot};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement, Value,
};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(invented_counters_of_real_accounts_are_removed);

/// Runs `sql` with `?` placeholders on either backend.
async fn exec(db: &DatabaseConnection, sql: &str, values: Vec<Value>) {
    let backend = db.get_database_backend();
    let mut n = 0;
    let sql: String = sql
        .chars()
        .map(|c| match (c, backend) {
            ('?', DbBackend::Postgres) => {
                n += 1;
                format!("${n}")
            }
            (c, _) => c.to_string(),
        })
        .collect();
    db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn old_account(
    db: &DatabaseConnection,
    platform: &str,
    handle: &str,
    simulated: bool,
    created: DateTime<Utc>,
) -> i64 {
    exec(
        db,
        "INSERT INTO accounts (platform, handle, is_core, created_at, updated_at, simulated, \
           followers, last_collected_at) VALUES (?, ?, false, ?, ?, ?, 1234, ?)",
        vec![
            platform.into(),
            handle.into(),
            created.into(),
            created.into(),
            simulated.into(),
            created.into(),
        ],
    )
    .await;
    // The entity knows the new columns: read the id in SQL.
    let backend = db.get_database_backend();
    let placeholder = if backend == DbBackend::Postgres {
        "$1"
    } else {
        "?"
    };
    db.query_one_raw(Statement::from_sql_and_values(
        backend,
        format!("SELECT id FROM accounts WHERE handle = {placeholder}"),
        [handle.into()],
    ))
    .await
    .unwrap()
    .expect("the account")
    .try_get::<i64>("", "id")
    .unwrap()
}

async fn old_snapshot(
    db: &DatabaseConnection,
    id: i64,
    at: DateTime<Utc>,
    followers: i64,
    imported: bool,
) {
    exec(
        db,
        "INSERT INTO snapshots (account_id, captured_at, followers, imported) VALUES (?, ?, ?, ?)",
        vec![id.into(), at.into(), followers.into(), imported.into()],
    )
    .await;
}

async fn invented_counters_of_real_accounts_are_removed(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let db = &app.db;
    // Back to the schema before migration 12.
    Migrator::down(db, Some(1))
        .await
        .expect("migration 12 down");
    let created = Utc::now() - Duration::days(10);
    let day = |n: i64| created + Duration::days(n);

    // Added by a user, simulated (and, before migration 2, not even marked).
    let marked = old_account(db, "x", "realperson", true, created).await;
    let unmarked = old_account(db, "tiktok", "olderperson", false, created).await;
    for (id, n) in [(marked, 1), (marked, 2), (unmarked, 3)] {
        old_snapshot(db, id, day(n), 1_000 + n, false).await;
    }
    // Its imported history stays, and is what the account shows.
    old_snapshot(db, marked, day(-30), 77, true).await;
    // A demo account: seeded history from before it was created.
    let demo = old_account(db, "instagram", "quietfox", true, created).await;
    old_snapshot(db, demo, day(-5), 500, false).await;
    old_snapshot(db, demo, day(1), 510, false).await;

    Migrator::up(db, None).await.expect("migration 12 up");

    let count = |id: i64| async move {
        snapshot::Entity::find()
            .filter(snapshot::Column::AccountId.eq(id))
            .count(db)
            .await
            .unwrap()
    };
    let row = |id: i64| async move {
        account::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap()
    };
    let marked = row(marked).await;
    assert!(!marked.simulated);
    assert_eq!(count(marked.id).await, 1, "only the imported snapshot");
    assert_eq!(marked.followers, Some(77));
    assert!(marked.followers_at.is_some());
    let unmarked = row(unmarked).await;
    assert_eq!(count(unmarked.id).await, 0);
    assert_eq!(unmarked.followers, None);
    assert_eq!(unmarked.last_collected_at, None);
    let demo = row(demo).await;
    assert!(demo.simulated);
    assert_eq!(count(demo.id).await, 2);
    assert_eq!(demo.followers, Some(1234));
}
