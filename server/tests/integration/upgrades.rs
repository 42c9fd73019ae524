//! Migrations on a database written by the Reach before them.
//!
//! - 12: the counters Reach invented for real X, Instagram and TikTok
//!   accounts are removed (imported history kept, its newest values the
//!   latest), demo accounts keep their simulated history.
//! - 13: Reddit karma, stored as likes before, becomes a score everywhere
//!   it was kept; other platforms' likes stay likes.

use ::migrations::{Migrator, MigratorTrait};
use chrono::{DateTime, Duration, Utc};
use db::entities::{account, daily_rollup, leaderboard_mark, snapshot};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement, Value,
};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    invented_counters_of_real_accounts_are_removed,
    reddit_karma_becomes_a_score,
);

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

/// Undoes `migration` and every later one, however many come after it.
async fn down_to_before(db: &sea_orm::DatabaseConnection, migration: &str) {
    let names: Vec<String> = Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect();
    let position = names
        .iter()
        .position(|name| name == migration)
        .expect("a known migration");
    let steps = (names.len() - position) as u32;
    Migrator::down(db, Some(steps))
        .await
        .unwrap_or_else(|e| panic!("{steps} migrations down to before {migration}: {e}"));
}

async fn invented_counters_of_real_accounts_are_removed(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let db = &app.db;
    // Back to the schema before migration 12.
    down_to_before(db, "m20261130_000012_account_states").await;
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

async fn reddit_karma_becomes_a_score(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let db = &app.db;
    down_to_before(db, "m20261130_000013_platform_counters").await;
    let at = Utc::now() - Duration::days(3);
    let reddit = old_account(db, "reddit", "spez", false, at).await;
    let x = old_account(db, "x", "someone", true, at).await;
    for id in [reddit, x] {
        exec(
            db,
            "UPDATE accounts SET likes = 900, likes_at = ? WHERE id = ?",
            vec![at.into(), id.into()],
        )
        .await;
        exec(
            db,
            "INSERT INTO snapshots (account_id, captured_at, followers, likes, imported) \
               VALUES (?, ?, 10, 900, false)",
            vec![id.into(), at.into()],
        )
        .await;
        exec(
            db,
            "INSERT INTO leaderboard_marks (account_id, metric, day) VALUES (?, 'likes', ?)",
            vec![id.into(), at.date_naive().into()],
        )
        .await;
        exec(
            db,
            "INSERT INTO daily_rollups (account_id, day, samples, likes_first, likes_last, \
               likes_min, likes_max) VALUES (?, ?, 2, 800, 900, 800, 900)",
            vec![id.into(), at.date_naive().into()],
        )
        .await;
    }

    Migrator::up(db, None).await.expect("migration 13 up");

    let row = account::Entity::find_by_id(reddit)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.likes, row.score), (None, Some(900)));
    assert_eq!((row.likes_at, row.score_at.is_some()), (None, true));
    let snapshot = snapshot::Entity::find()
        .filter(snapshot::Column::AccountId.eq(reddit))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((snapshot.likes, snapshot.score), (None, Some(900)));
    let rollup = daily_rollup::Entity::find()
        .filter(daily_rollup::Column::AccountId.eq(reddit))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (rollup.likes_max, rollup.score_first, rollup.score_max),
        (None, Some(800), Some(900))
    );
    let mark = leaderboard_mark::Entity::find()
        .filter(leaderboard_mark::Column::AccountId.eq(reddit))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mark.metric, "score");
    // X publishes likes: they stay where they are.
    let row = account::Entity::find_by_id(x)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.likes, row.score), (Some(900), None));
    let mark = leaderboard_mark::Entity::find()
        .filter(leaderboard_mark::Column::AccountId.eq(x))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mark.metric, "likes");
}
