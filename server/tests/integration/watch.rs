//! The account page's live count (`POST /api/watch`): watching an account
//! makes this instance's collector run that one account, at most once per
//! watch interval, and only for admins.

use std::time::Duration;

use crate::common::{ACCOUNTS, Backend, DAYS, TestApp};
use crate::on_both_backends;
use app::model::{AccountDetail, Outcome, Page, RunDetail, RunStatus, RunSummary, WatchAnswer};

on_both_backends!(
    watching_collects_that_account_alone_once_per_interval,
    only_admins_watch_and_only_accounts_that_exist,
);

async fn watch(app: &TestApp, token: Option<&str>, id: &str) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/api/watch", app.address))
        .header("accept", "application/json")
        .form(&[("id", id)]);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("the server answers")
}

/// The newest run once it has finished, when there are `runs` in all.
async fn newest_finished_run(app: &TestApp, runs: u64) -> RunSummary {
    for _ in 0..300 {
        let page: Page<RunSummary> = app.get_json("/api/runs?per_page=1").await;
        if page.total == runs && page.items[0].status == RunStatus::Finished {
            return page.items[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no finished run number {runs}");
}

async fn watching_collects_that_account_alone_once_per_interval(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let watched = app.largest_account().await;
    let before: AccountDetail = app
        .get_json(&format!("/api/account?id={}", watched.id))
        .await;

    let response = watch(&app, Some(&token), &watched.id.to_string()).await;
    assert_eq!(response.status(), 200);
    let answer: WatchAnswer = response.json().await.expect("JSON");
    assert!(
        answer.asked,
        "last collected at the seed, days ago: {answer:?}"
    );
    assert_eq!(answer.id, watched.id);
    assert_eq!(answer.every_secs, 60, "REACH_WATCH_EVERY's default");

    // A run of that one account (the seed made one run a day).
    let run = newest_finished_run(&app, u64::from(DAYS) + 1).await;
    assert_eq!(
        (run.accounts_total, run.accounts_ok),
        (1, 1),
        "one account of {ACCOUNTS}: {run:?}"
    );
    let detail: RunDetail = app.get_json(&format!("/api/run?id={}", run.id)).await;
    assert_eq!(detail.results.items.len(), 1);
    assert_eq!(detail.results.items[0].account_id, watched.id);
    assert_eq!(detail.results.items[0].outcome, Outcome::Ok);

    // Its page shows the new collection at once (an account's own answers
    // never lag).
    let after: AccountDetail = app
        .get_json(&format!("/api/account?id={}", watched.id))
        .await;
    assert!(
        after.account.last_collected_at > before.account.last_collected_at,
        "{:?} then {:?}",
        before.account.last_collected_at,
        after.account.last_collected_at
    );
    assert_eq!(after.snapshot_count, before.snapshot_count + 1);

    // Watched again within the interval: nothing is asked, and the answer
    // says when it was last attempted.
    let again: WatchAnswer = watch(&app, Some(&token), &watched.id.to_string())
        .await
        .json()
        .await
        .expect("JSON");
    assert!(!again.asked, "{again:?}");
    assert!(again.last_attempt_at.is_some());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let runs: Page<RunSummary> = app.get_json("/api/runs?per_page=1").await;
    assert_eq!(runs.total, u64::from(DAYS) + 1, "no second run");
}

async fn only_admins_watch_and_only_accounts_that_exist(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let account = app.largest_account().await;
    let anonymous = watch(&app, None, &account.id.to_string()).await;
    assert_eq!(anonymous.status(), 401);

    let token = app.admin_token().await;
    let missing = watch(&app, Some(&token), "999999").await;
    assert_eq!(missing.status(), 404);
    let bad = watch(&app, Some(&token), "one").await;
    assert_eq!(bad.status(), 400);

    // Nothing was collected for any of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let runs: Page<RunSummary> = app.get_json("/api/runs?per_page=1").await;
    assert_eq!(runs.total, u64::from(DAYS));
}
