//! Leases under runs longer than a lease, and lost leases: a run's
//! heartbeat keeps what it holds, so a second instance never takes an
//! account in flight; a run that did lose an account (silent too long,
//! taken over) stores nothing for it.

use std::time::Duration;

use app::model::Platform;
use chrono::Utc;
use db::entities::{account, run_result};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(
    a_result_whose_lease_was_lost_is_discarded,
    a_claim_walks_the_due_order_instead_of_sorting_every_account
);

fn slow_github(delay: Duration) -> ResponseTemplate {
    let body = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/github_user.json"
    ))
    .unwrap();
    ResponseTemplate::new(200)
        .set_body_raw(body, "application/json")
        .set_delay(delay)
}

/// The case: a run outlives its lease many times over (each
/// request takes longer than the whole lease), and another instance runs
/// the same cycle meanwhile. Renewed by the heartbeat, the leases hold:
/// each account is asked and stored once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_longer_than_its_lease_keeps_its_accounts() {
    let app = TestApp::empty(Backend::Postgres).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(slow_github(Duration::from_millis(1_500)))
        .mount(&fake)
        .await;
    for i in 0..6 {
        app.add_account(Platform::Github, &format!("user{i}")).await;
    }
    // Leases of six beats of 100 ms: 0.6 s, far shorter than a request.
    let instance = |name: &'static str| {
        engine(app.db.clone(), &fake.uri(), move |config| {
            config.settings.instance = name.to_owned();
            config.settings.heartbeat = Duration::from_millis(100);
            config.settings.workers = 2;
            config.settings.claim_chunk = 2;
            config.timeout = Duration::from_secs(10);
        })
    };
    let (a, b) = (instance("a"), instance("b"));
    let cycle = Utc::now();
    let late = async {
        // Well after the first claims' leases would have lapsed unrenewed.
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        b.run(cycle).await
    };
    let (run_a, run_b) = tokio::join!(a.run(cycle), late);
    let (run_a, run_b) = (run_a.unwrap(), run_b.unwrap());
    let results = run_result::Entity::find().all(&app.db).await.unwrap();
    let accounts: std::collections::HashSet<i64> = results.iter().map(|r| r.account_id).collect();
    assert_eq!(
        (results.len(), accounts.len()),
        (6, 6),
        "{run_a:?} {run_b:?}"
    );
    assert_eq!(fake.received_requests().await.unwrap().len(), 6);
    assert_eq!(run_a.accounts_ok + run_b.accounts_ok, 6);
}

async fn a_result_whose_lease_was_lost_is_discarded(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(slow_github(Duration::from_millis(800)))
        .mount(&fake)
        .await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(app.add_account(Platform::Github, &format!("user{i}")).await);
    }
    let a = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.instance = "a".to_owned();
        config.settings.workers = 4;
        config.timeout = Duration::from_secs(10);
    });
    let run = a.run(Utc::now());
    let take_over = async {
        // Once the requests are in flight, another run takes two accounts
        // over, as a survivor does when it judges this run dead.
        let started = std::time::Instant::now();
        loop {
            let leased = account::Entity::find()
                .filter(account::Column::LeaseOwner.like("a#%"))
                .count(&app.db)
                .await
                .unwrap();
            if leased == 4 {
                break;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "never claimed");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        account::Entity::update_many()
            .col_expr(account::Column::LeaseOwner, Expr::value("b#999"))
            .filter(account::Column::Id.is_in(ids[..2].iter().copied()))
            .exec(&app.db)
            .await
            .unwrap();
    };
    let (run, ()) = tokio::join!(run, take_over);
    let run = run.unwrap();
    assert_eq!(run.accounts_ok, 2, "{run:?}");
    let stored: Vec<i64> = run_result::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.account_id)
        .collect();
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|id| ids[2..].contains(id)), "{stored:?}");
    // The taken-over accounts are left to the run that holds them.
    let kept = account::Entity::find()
        .filter(account::Column::LeaseOwner.eq("b#999"))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(kept, 2);
}

/// A claim takes the first due accounts in priority order by walking an
/// index of that order up to its size (migration 31). With the core
/// flag's index only, each of a run's claims sorted every account not
/// yet collected: the run's claims grew with the square of its accounts.
async fn a_claim_walks_the_due_order_instead_of_sorting_every_account(backend: Backend) {
    use sea_orm::{ConnectionTrait, Statement};

    let app = TestApp::spawn(backend).await;
    let now = Utc::now();
    let due = reach::collect::engine::DueBefore::all(now);
    let claim = reach::collect::engine::Claim {
        lease_until: now + chrono::Duration::minutes(5),
        owner: "test#1".to_owned(),
        now,
        due: &due,
        excluded: &[Platform::X],
        size: 40,
    };
    let db_backend = app.db.get_database_backend();
    let statement = reach::collect::engine::claim_statement(db_backend, &claim);
    match backend {
        Backend::Postgres => {
            // On the test's few accounts a sort of the few due costs
            // nothing: priced out, what remains is whether an index gives
            // the order (without one, the sort stays, at its price).
            let plan = crate::plans::postgres_plan_without(
                &app.db,
                &statement.to_string(),
                &["enable_sort"],
            )
            .await;
            let plan = plan.join("\n");
            assert!(plan.contains("ix_accounts_due_order"), "{plan}");
            assert!(!plan.contains("Sort"), "{plan}");
        }
        Backend::Sqlite => {
            let plan: Vec<String> = app
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    db_backend,
                    format!("EXPLAIN QUERY PLAN {}", statement.sql),
                    statement.values.clone().map(|v| v.0).unwrap_or_default(),
                ))
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains("USING INDEX ix_accounts_due_order"), "{plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }
}
