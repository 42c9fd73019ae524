//! Budgets shared through Redis by several instances (here, several
//! `Upstream`s, as each `reach` process has one): together they never send
//! more than the budget, and a pause one of them learnt from the platform
//! holds the others. Without Redis, or once it is gone, each holds to its
//! share.

use std::collections::HashMap;
use std::time::Duration;

use app::model::Platform;
use reach::collect::platforms::{Budget, CollectError, SharedBudgets, Upstream};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::cache::RedisServer;

fn upstream(budget: Budget, redis: Option<&str>) -> Upstream {
    let budgets = HashMap::from([(Platform::Github, budget)]);
    let upstream = Upstream::new(Duration::from_secs(5), "reach-tests", budgets)
        .unwrap()
        .with_max_wait(Duration::from_millis(300));
    match redis {
        Some(url) => upstream
            .with_shared_budgets(SharedBudgets::connect(url, Duration::from_secs(1)).unwrap()),
        None => upstream,
    }
}

async fn until_shared(upstreams: &[&Upstream]) {
    for _ in 0..100 {
        if upstreams.iter().all(|u| u.budgets_shared()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("Redis never answered");
}

async fn ask(upstream: &Upstream, fake: &MockServer) -> Result<serde_json::Value, CollectError> {
    let request = upstream
        .client()
        .get(format!("{}/users/octocat", fake.uri()));
    upstream.get_json(Platform::Github, request).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_redis_share_one_budget_and_its_pauses() {
    let redis = RedisServer::start();
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"login": "octocat"})),
        )
        .mount(&fake)
        .await;
    // Five an hour for everyone: the longest wait (0.3 s) never reaches
    // the next slot.
    let budget = Budget::new(5, Duration::from_secs(3600)).unwrap();
    let url = redis.url();
    let (a, b) = (upstream(budget, Some(&url)), upstream(budget, Some(&url)));
    until_shared(&[&a, &b]).await;
    let mut sent = 0;
    let mut refused = 0;
    for round in 0..8 {
        let instance = if round % 2 == 0 { &a } else { &b };
        match ask(instance, &fake).await {
            Ok(_) => sent += 1,
            Err(CollectError::BudgetSpent { retry_after }) => {
                assert!(retry_after > Duration::from_secs(3000), "{retry_after:?}");
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!((sent, refused), (5, 3), "five in all, not five each");
    assert_eq!(fake.received_requests().await.unwrap().len(), 5);

    // A 429 with Retry-After seen by one pauses the other too.
    let limited = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "120"))
        .up_to_n_times(1)
        .mount(&limited)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&limited)
        .await;
    let roomy = Budget::new(1_000, Duration::from_secs(1)).unwrap();
    // Windows are per host, and both fakes are 127.0.0.1: another Redis
    // database, so the first window's spent budget holds nothing here.
    let other = url.replace("/0", "/1");
    let (c, d) = (upstream(roomy, Some(&other)), upstream(roomy, Some(&other)));
    until_shared(&[&c, &d]).await;
    assert!(matches!(
        ask(&c, &limited).await,
        Err(CollectError::RateLimited { .. })
    ));
    // The pause reaches Redis in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;
    match ask(&d, &limited).await {
        Err(CollectError::BudgetSpent { retry_after }) => {
            assert!(retry_after > Duration::from_secs(100), "{retry_after:?}")
        }
        other => panic!("the other instance should be paused: {other:?}"),
    }
    assert_eq!(limited.received_requests().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_each_instance_sends_its_share() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&fake)
        .await;
    let budget = Budget::new(6, Duration::from_secs(3600)).unwrap();
    let alone = upstream(budget, None);
    // Three live instances: two requests each.
    alone.set_instances(3);
    let mut sent = 0;
    while ask(&alone, &fake).await.is_ok() {
        sent += 1;
        assert!(sent <= 6);
    }
    assert_eq!(sent, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_killed_mid_way_leaves_each_instance_its_share() {
    let mut redis = RedisServer::start();
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
        .mount(&fake)
        .await;
    let budget = Budget::new(6, Duration::from_secs(3600)).unwrap();
    let url = redis.url();
    let (a, b) = (upstream(budget, Some(&url)), upstream(budget, Some(&url)));
    for instance in [&a, &b] {
        instance.set_instances(2);
    }
    until_shared(&[&a, &b]).await;
    for instance in [&a, &b] {
        ask(instance, &fake).await.unwrap();
    }

    redis.kill();
    // Collection goes on without Redis: no request fails for it, and each
    // instance sends no more than its share (three) from its own window.
    let mut sent = [0; 2];
    for _ in 0..6 {
        for (i, instance) in [&a, &b].into_iter().enumerate() {
            match ask(instance, &fake).await {
                Ok(_) => sent[i] += 1,
                Err(CollectError::BudgetSpent { .. }) => {}
                Err(other) => panic!("a request failed because Redis is gone: {other:?}"),
            }
        }
    }
    assert!(
        sent.iter().all(|&n| (1..=3).contains(&n)),
        "each sends its share once Redis is gone: {sent:?}"
    );
    assert!(!a.budgets_shared() && !b.budgets_shared());
}
