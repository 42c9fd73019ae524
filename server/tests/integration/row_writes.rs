//! What a collection run writes to the accounts table: once per account to
//! claim it, once to store it. On PostgreSQL every write of a row is a new
//! version of it, with an entry in each of the table's indexes, for vacuum
//! to clean up; a run wrote each row four times (the snapshots' revision
//! trigger and the follower changes each wrote it again, and every
//! heartbeat renewed every lease). The one store still moves the revision
//! and keeps the follower changes as before.

use std::time::Duration;

use app::model::Counters;
use app::model::Platform;
use chrono::Utc;
use db::entities::account;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(a_run_moves_revisions_and_keeps_changes_writing_each_row_once);

/// The fixture's user as `login` (a login unlike the handle is a rename,
/// which writes the row once more, as it should).
fn github_user(login: &str) -> ResponseTemplate {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/github_user.json"
    ))
    .unwrap();
    let mut user: serde_json::Value = serde_json::from_slice(&body).unwrap();
    user["login"] = login.into();
    ResponseTemplate::new(200).set_body_json(user)
}

/// Counts every write of an accounts row (PostgreSQL: a row version each).
const COUNT_WRITES: [&str; 3] = [
    "CREATE TABLE row_writes (account_id BIGINT NOT NULL)",
    "CREATE FUNCTION count_row_write() RETURNS trigger LANGUAGE plpgsql AS $$ \
     BEGIN INSERT INTO row_writes VALUES (NEW.id); RETURN NULL; END $$",
    "CREATE TRIGGER count_row_writes AFTER UPDATE ON accounts \
     FOR EACH ROW EXECUTE FUNCTION count_row_write()",
];

async fn accounts(app: &TestApp) -> Vec<account::Model> {
    account::Entity::find()
        .order_by_asc(account::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

async fn a_run_moves_revisions_and_keeps_changes_writing_each_row_once(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let mut ids = Vec::new();
    for i in 0..6 {
        let login = format!("user{i}");
        Mock::given(method("GET"))
            .and(path(format!("/users/{login}")))
            .respond_with(github_user(&login))
            .mount(&fake)
            .await;
        ids.push(app.add_account(Platform::Github, &login).await);
    }
    // A baseline for the first account's 1- and 7-day changes, none for its
    // 30-day one; none at all for the others.
    let week_ago = Utc::now() - chrono::Duration::days(8);
    let old = Counters {
        followers: Some(100),
        ..Counters::default()
    };
    db::snapshots::record(&app.db, ids[0], week_ago, old)
        .await
        .unwrap();
    let postgres = matches!(backend, Backend::Postgres);
    if postgres {
        for statement in COUNT_WRITES {
            app.db.execute_unprepared(statement).await.unwrap();
        }
    }
    let before = accounts(&app).await;
    let run = engine(app.db.clone(), &fake.uri(), |config| {
        // One beat at the start, none after: no lease is yet due for one.
        config.settings.heartbeat = Duration::from_secs(60);
        config.settings.avatars.per_run = 0;
    })
    .run(Utc::now())
    .await
    .unwrap();
    assert_eq!(run.accounts_ok, 6, "{run:?}");

    if postgres {
        let counted = app
            .db
            .query_all_raw(sea_orm::Statement::from_string(
                sea_orm::DbBackend::Postgres,
                "SELECT account_id, COUNT(*) AS n FROM row_writes \
                 GROUP BY account_id ORDER BY account_id",
            ))
            .await
            .unwrap();
        let writes: Vec<(i64, i64)> = counted
            .iter()
            .map(|row| {
                (
                    row.try_get::<i64>("", "account_id").unwrap(),
                    row.try_get::<i64>("", "n").unwrap(),
                )
            })
            .collect();
        // The claim and the store.
        let expected: Vec<(i64, i64)> = ids.iter().map(|id| (*id, 2)).collect();
        assert_eq!(writes[..], expected[..]);
    }

    let after = accounts(&app).await;
    for (was, is) in before.iter().zip(&after) {
        assert_ne!(was.revision, is.revision, "account {}'s revision", is.id);
    }
    let followers = after[0].followers.expect("the fixture's followers");
    assert_eq!(after[0].followers_change_1d, Some(followers - 100));
    assert_eq!(after[0].followers_change_7d, Some(followers - 100));
    assert_eq!(after[0].followers_change_30d, None);
    assert!(after[1..].iter().all(|a| a.followers_change_7d.is_none()));
    // The same as the changes computed on their own, from what was stored.
    let as_of = after[0].last_collected_at.unwrap();
    db::snapshots::refresh_changes(&app.db, &ids, as_of)
        .await
        .unwrap();
    let again = accounts(&app).await;
    let changes = |a: &account::Model| {
        (
            a.followers_change_1d,
            a.followers_change_7d,
            a.followers_change_30d,
        )
    };
    assert_eq!(
        after.iter().map(changes).collect::<Vec<_>>(),
        again.iter().map(changes).collect::<Vec<_>>()
    );
}
