//! Events end to end: detection on real histories, stored once, listed by
//! the API; a failing account over real runs against a failing fake
//! platform; webhooks POSTed to a local receiver, with a retry.

use std::time::Duration;

use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;
use app::model::{Counters, EventKind, EventRow, Overview, Page, Platform};
use chrono::Utc;
use db::entities::event;
use db::generations::Writer;
use db::write::NoRest;
use reach::events::{EventSettings, Scan, Webhooks, detect_for_accounts};
use sea_orm::EntityTrait;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

on_both_backends!(
    a_jump_over_a_milestone_is_two_events_stored_once,
    the_seed_stores_the_events_detection_finds_in_its_history,
    a_failing_account_is_reported_once_to_webhooks_with_retries,
);

/// Two instances deliver the same pending events at once: each receiver
/// gets each event once. A receiver that failed gets, in a later round,
/// only what it missed; the one that took it gets nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_send_each_event_to_each_webhook_once() {
    use sea_orm::ActiveValue::Set;
    let app = TestApp::empty(Backend::Postgres).await;
    let account = app.add_account(Platform::Github, "octocat").await;
    let add_events = |from: i64| {
        let db = app.db.clone();
        async move {
            for n in from..from + 10 {
                event::Entity::insert(event::ActiveModel {
                    account_id: Set(account),
                    kind: Set(EventKind::Milestone),
                    metric: Set(Some("followers".to_owned())),
                    occurred_at: Set(Utc::now()),
                    detected_at: Set(Utc::now()),
                    value: Set(Some(n * 1_000)),
                    milestone: Set(Some(n * 1_000)),
                    message: Set(format!("octocat passed {n}K followers")),
                    dedupe_key: Set(format!("milestone:followers:{n}")),
                    delivery_attempts: Set(0),
                    ..Default::default()
                })
                .exec(&db)
                .await
                .unwrap();
            }
        }
    };
    let steady = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&steady)
        .await;
    let flaky = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&flaky)
        .await;
    let instance = |name: &str| {
        Webhooks::new(
            vec![format!("{}/a", steady.uri()), format!("{}/b", flaky.uri())],
            Duration::from_secs(2),
            "reach-tests",
        )
        .unwrap()
        .unwrap()
        .with_backoff(Duration::from_millis(5))
        .with_instance(name)
    };
    let (a, b) = (instance("a"), instance("b"));
    let (db_a, db_b) = (app.connect().await, app.connect().await);
    let ids_of = |posts: Vec<wiremock::Request>| {
        let mut ids: Vec<i64> = posts
            .iter()
            .map(|post| serde_json::from_slice::<EventRow>(&post.body).unwrap().id)
            .collect();
        ids.sort_unstable();
        ids
    };

    // Round 1: both receivers up, both instances at once.
    add_events(1).await;
    tokio::join!(
        a.deliver_pending(&db_a, Writer::Other),
        b.deliver_pending(&db_b, Writer::Other)
    );
    let first = ids_of(steady.received_requests().await.unwrap());
    assert_eq!(first.len(), 10, "{first:?}");
    assert!(first.windows(2).all(|pair| pair[0] < pair[1]), "{first:?}");
    assert_eq!(ids_of(flaky.received_requests().await.unwrap()), first);

    // Round 2: the second receiver fails throughout.
    add_events(11).await;
    flaky.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&flaky)
        .await;
    tokio::join!(
        a.deliver_pending(&db_a, Writer::Other),
        b.deliver_pending(&db_b, Writer::Other)
    );
    let steady_now = ids_of(steady.received_requests().await.unwrap());
    assert_eq!(steady_now.len(), 20, "each new event once");

    // Round 3: it is back; it gets the ten it missed, the other nothing.
    flaky.reset().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&flaky)
        .await;
    tokio::join!(
        a.deliver_pending(&db_a, Writer::Other),
        b.deliver_pending(&db_b, Writer::Other)
    );
    assert_eq!(steady.received_requests().await.unwrap().len(), 20);
    let missed = ids_of(flaky.received_requests().await.unwrap());
    assert_eq!(missed, steady_now[10..].to_vec());
    let undelivered = event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.delivered_at.is_none())
        .count();
    assert_eq!(undelivered, 0);
}

/// The demo seed judges the histories it generates without reading them
/// back: what it stores is exactly what detection over the stored history
/// finds.
async fn the_seed_stores_the_events_detection_finds_in_its_history(backend: Backend) {
    const ACCOUNTS: u32 = 48;
    const DAYS: u32 = 200;
    let app = TestApp::empty(backend).await;
    let now = Utc::now();
    reach::collect::demo::seed(&app.db, ACCOUNTS, DAYS, now)
        .await
        .unwrap();
    let stored = |db| async move {
        let mut rows: Vec<(i64, String, Option<i64>)> = event::Entity::find()
            .all(db)
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.account_id, e.dedupe_key, e.value))
            .collect();
        rows.sort();
        rows
    };
    let seeded = stored(&app.db).await;
    // Milestones and unusual days of both kinds (about one per two accounts).
    assert!(seeded.len() >= 10, "{seeded:?}");
    for kind in ["milestone:", "unusual:"] {
        assert!(seeded.iter().any(|(_, key, _)| key.starts_with(kind)));
    }
    let ids: Vec<i64> = db::entities::account::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(ids.len(), ACCOUNTS as usize);

    event::Entity::delete_many().exec(&app.db).await.unwrap();
    let found = detect_for_accounts(
        &app.db,
        &ids,
        3,
        Scan::whole(DAYS),
        now,
        Writer::Other,
        &NoRest,
    )
    .await
    .unwrap();
    assert_eq!(found, seeded.len() as u64);
    assert_eq!(stored(&app.db).await, seeded);
}

async fn a_jump_over_a_milestone_is_two_events_stored_once(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let jumper = app.add_account(Platform::Github, "jumper").await;
    let steady = app.add_account(Platform::Github, "steady").await;
    let now = Utc::now();
    // 30 days of about +50 a day; the day before yesterday, +900 more,
    // which also crosses 10,000.
    let mut value = 8_000;
    for day in 0..30_i64 {
        let at = now - chrono::Duration::days(29 - day);
        value += 50 + [0, 3, -2, 4, -4, 1][day as usize % 6] + if day == 28 { 900 } else { 0 };
        let followers = |v| Counters {
            followers: Some(v),
            following: Some(1),
            posts: Some(10),
            ..Counters::default()
        };
        db::snapshots::record(&app.db, jumper, at, followers(value))
            .await
            .unwrap();
        db::snapshots::record(&app.db, steady, at, followers(500 + 5 * day))
            .await
            .unwrap();
    }

    let rests = crate::common::CountedRests::default();
    let found = detect_for_accounts(
        &app.db,
        &[jumper, steady],
        3,
        Scan::AFTER_RUN,
        now,
        Writer::Other,
        &rests,
    )
    .await
    .unwrap();
    assert_eq!(found, 2);
    assert_eq!(rests.count(), 1, "the collector rests after each chunk");
    let again = detect_for_accounts(
        &app.db,
        &[jumper, steady],
        3,
        Scan::AFTER_RUN,
        now,
        Writer::Other,
        &NoRest,
    )
    .await
    .unwrap();
    assert_eq!(again, 0, "an event is stored once");

    let events: Page<EventRow> = app.get_json("/api/events").await;
    assert_eq!(events.total, 2);
    let kinds: Vec<EventKind> = events.items.iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&EventKind::Milestone) && kinds.contains(&EventKind::UnusualChange));
    assert!(
        events
            .items
            .iter()
            .all(|e| e.account_id == jumper && e.handle == "jumper")
    );
    let milestone = events
        .items
        .iter()
        .find(|e| e.kind == EventKind::Milestone)
        .unwrap();
    assert_eq!(milestone.milestone, Some(10_000));
    assert_eq!(milestone.message, "jumper passed 10,000 followers");
    let unusual = events
        .items
        .iter()
        .find(|e| e.kind == EventKind::UnusualChange)
        .unwrap();
    assert_eq!(
        unusual.change,
        Some(50 + 900 + [0, 3, -2, 4, -4, 1][28 % 6])
    );
    assert!(unusual.score.unwrap() > 5.0);
    // Plain words, no statistics: about 19 times the usual +50 a day.
    assert!(
        unusual.message.starts_with("jumper: +9") && unusual.message.ends_with("× a usual day"),
        "{}",
        unusual.message
    );
    assert_eq!(
        unusual.occurred_at.date_naive(),
        (now - chrono::Duration::days(1)).date_naive()
    );

    let milestones: Page<EventRow> = app.get_json("/api/events?kind=milestone").await;
    assert_eq!(milestones.total, 1);
    let of_steady: Page<EventRow> = app
        .get_json(&format!("/api/events?account_id={steady}"))
        .await;
    assert_eq!(of_steady.total, 0);
    let overview: Overview = app.get_json("/api/overview").await;
    assert_eq!(overview.recent_events.len(), 2);
    assert_eq!(app.get("/api/events?kind=fame").await.status(), 400);
}

async fn a_failing_account_is_reported_once_to_webhooks_with_retries(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let platform = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/ghost"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&platform)
        .await;
    let receiver = MockServer::start().await;
    // The first delivery fails; the retry gets through.
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&receiver)
        .await;
    let ghost = app.add_account(Platform::Github, "ghost").await;

    let webhooks = Webhooks::new(
        vec![format!("{}/hook", receiver.uri())],
        Duration::from_secs(2),
        "reach-tests",
    )
    .unwrap()
    .map(|w| w.with_backoff(Duration::from_millis(10)));
    let engine = engine(app.db.clone(), &platform.uri(), |_| {}).with_events(EventSettings {
        failing_after: 3,
        webhooks,
    });
    for run in 1..=4 {
        engine.run(Utc::now()).await.expect("a run");
        let failing: Page<EventRow> = app.get_json("/api/events?kind=failing").await;
        // Reported when the third failure in a row ends, and only then.
        assert_eq!(failing.total, u64::from(run >= 3), "after run {run}");
        // Each run starts after the previous one's attempts.
        tokio::time::sleep(Duration::from_millis(1_100)).await;
    }
    let failing: Page<EventRow> = app.get_json("/api/events?kind=failing").await;
    let event = &failing.items[0];
    assert_eq!((event.account_id, event.failures), (ghost, Some(3)));
    assert_eq!(
        event.message,
        "ghost: collection failed 3 runs in a row (last: upstream error)"
    );

    let posts = receiver.received_requests().await.unwrap();
    assert_eq!(posts.len(), 2, "one failed delivery, one retry");
    let sent: EventRow = serde_json::from_slice(&posts[1].body).unwrap();
    assert_eq!(&sent, event);
    let stored = event::Entity::find_by_id(event.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.delivered_at.is_some());
}
