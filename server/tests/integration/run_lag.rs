//! Within a run, the lists, boards, totals and the overview show the run's
//! batches at a bounded lag (`EngineSettings::publish_every`) and its end
//! on the next read. An account's own answers show a batch on the next
//! read when none was kept before, and otherwise at most `stale_for` after
//! it; a run's end on the next read if they were last found current before
//! the run, and at most `stale_for` after it if during the run (runs back
//! to back).
//!
//! Each run test holds a run open with one account whose platform answers
//! late, and looks at the answers after the other account's batch has been
//! committed. The last ones write and publish a batch as a run does, and
//! look at what the read cache serves while the new answer is computed.

use std::time::{Duration, Instant};

use app::model::{AccountDetail, AccountRow, Page, Platform, RunStatus};
use app::ssr::cache::CacheSettings;
use chrono::Utc;
use db::entities::{collection_run, snapshot};
use db::generations::{self, Domain};
use reach::config::AddAccount;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::collection::fixture;
use crate::common::{Backend, EngineConfig, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(
    a_runs_batch_reaches_the_lists_within_the_lag_while_the_run_goes_on,
    the_lists_wait_for_the_lag_and_the_runs_end_publishes_at_once,
    after_a_publication_the_list_before_is_served_while_the_next_is_computed,
    past_stale_for_a_publication_is_on_the_next_read,
    a_batch_reaches_an_accounts_own_answers_within_stale_for,
    a_page_looked_at_before_a_run_shows_its_end_on_the_next_read,
    a_page_found_current_during_a_run_stands_in_when_the_next_run_writes,
);

/// The followers `github_user.json` reports.
const FOLLOWERS: i64 = 21_871;

/// How late the second account's platform answers: the run stays open at
/// least this long after the first account's batch.
const LATE: Duration = Duration::from_secs(4);

/// A fake GitHub where `quick` answers at once and `late` after [`LATE`],
/// both accounts added, and the list's answer cached before the run.
async fn two_accounts(app: &TestApp) -> (MockServer, i64) {
    let fake = MockServer::start().await;
    let user = |login: &str| Mock::given(method("GET")).and(path(format!("/users/{login}")));
    let body =
        || ResponseTemplate::new(200).set_body_raw(fixture("github_user.json"), "application/json");
    user("quick").respond_with(body()).mount(&fake).await;
    user("late")
        .respond_with(body().set_delay(LATE))
        .mount(&fake)
        .await;
    let mut quick = 0;
    for login in ["quick", "late"] {
        let request = AddAccount {
            platform: Platform::Github,
            handle: login.to_owned(),
            core: false,
            tags: vec![],
        };
        let id = reach::accounts::add(&app.db, &request).await.unwrap().id;
        if login == "quick" {
            quick = id;
        }
    }
    assert_eq!(followers_in_list(app, quick).await, None);
    (fake, quick)
}

fn settings(publish_every: Duration) -> impl FnOnce(&mut EngineConfig) {
    move |config| {
        config.settings.workers = 2;
        config.settings.write_delay = Duration::from_millis(10);
        config.settings.publish_every = publish_every;
        config.timeout = LATE * 3;
    }
}

/// The followers the accounts list shows for `id`.
async fn followers_in_list(app: &TestApp, id: i64) -> Option<i64> {
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=10").await;
    page.items
        .iter()
        .find(|row| row.id == id)
        .expect("the account is listed")
        .latest
        .followers
}

/// Waits (at most [`LATE`]) until `id`'s snapshot is committed.
async fn stored(app: &TestApp, id: i64) {
    let start = Instant::now();
    while snapshots_of(app, id).await == 0 {
        assert!(start.elapsed() < LATE, "the quick account was not stored");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn running(app: &TestApp) -> bool {
    collection_run::Entity::find()
        .filter(collection_run::Column::Status.eq(RunStatus::Running))
        .count(&app.db)
        .await
        .unwrap()
        > 0
}

async fn a_runs_batch_reaches_the_lists_within_the_lag_while_the_run_goes_on(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let (fake, quick) = two_accounts(&app).await;
    let lag = Duration::from_millis(300);
    let engine = engine(app.db.clone(), &fake.uri(), settings(lag));
    let (run, ()) = tokio::join!(engine.run(Utc::now()), async {
        stored(&app, quick).await;
        let committed = Instant::now();
        // Without the lag's own clock, only the late account's batch or the
        // run's end would publish it: LATE later.
        while followers_in_list(&app, quick).await != Some(FOLLOWERS) {
            assert!(
                committed.elapsed() < LATE / 2,
                "the list did not show the batch within {lag:?} (and then some)"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            running(&app).await,
            "published by the run's end, not the lag"
        );
    });
    let run = run.expect("the run completes");
    assert_eq!(run.accounts_ok, 2);
}

async fn the_lists_wait_for_the_lag_and_the_runs_end_publishes_at_once(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let (fake, quick) = two_accounts(&app).await;
    let engine = engine(
        app.db.clone(),
        &fake.uri(),
        settings(Duration::from_secs(3600)),
    );
    let (run, ()) = tokio::join!(engine.run(Utc::now()), async {
        stored(&app, quick).await;
        // The account's own answer is keyed by its revision, and none
        // was kept before to stand in for it: computed on this read.
        let detail: AccountDetail = app.get_json(&format!("/api/account?id={quick}")).await;
        assert_eq!(detail.account.latest.followers, Some(FOLLOWERS));
        // The list is still the answer cached before the run.
        assert_eq!(followers_in_list(&app, quick).await, None);
        assert!(running(&app).await);
    });
    let run = run.expect("the run completes");
    assert_eq!(run.accounts_ok, 2);
    // Ended: on the next read, both accounts.
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=10").await;
    assert!(
        page.items
            .iter()
            .all(|row| row.latest.followers == Some(FOLLOWERS)),
        "{:?}",
        page.items
    );
}

/// Sets `id`'s followers as a run's batch does, without moving any
/// generation: what a batch committed and not yet published looks like.
async fn set_followers(app: &TestApp, id: i64, followers: i64) {
    app.db
        .execute_unprepared(&format!(
            "UPDATE accounts SET followers = {followers} WHERE id = {id}"
        ))
        .await
        .unwrap();
}

fn stale_hits(stats: &app::model::CacheStats) -> u64 {
    stats.kinds.iter().map(|kind| kind.stale_hits).sum()
}

fn waited(stats: &app::model::CacheStats) -> u64 {
    stats.kinds.iter().map(|kind| kind.waited).sum()
}

/// A server on the demo data whose cache lets an answer stand in for its
/// successor for `stale_for`.
async fn standing_in_for(backend: Backend, stale_for: Duration) -> TestApp {
    TestApp::with_cache(
        backend,
        CacheSettings {
            stale_for,
            ..CacheSettings::default()
        },
    )
    .await
}

/// Waits (at most 10 s) until `followers` reads the followers the tests
/// set first: the successor computed in the background.
async fn computed(mut followers: impl AsyncFnMut() -> Option<i64>) {
    let start = Instant::now();
    while followers().await != Some(987_654_321) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the new answer was not computed in the background"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The first listed account and its followers, the list's answer kept.
async fn first_listed(app: &TestApp) -> (i64, Option<i64>) {
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=10").await;
    (page.items[0].id, page.items[0].latest.followers)
}

async fn after_a_publication_the_list_before_is_served_while_the_next_is_computed(
    backend: Backend,
) {
    let app = standing_in_for(backend, Duration::from_secs(60)).await;
    let (id, before) = first_listed(&app).await;
    set_followers(&app, id, 987_654_321).await;
    generations::publish(&app.db, &[Domain::Accounts, Domain::Snapshots])
        .await
        .unwrap();
    // The first read after the publication is answered at once with the
    // list before it, and its successor is computed meanwhile.
    let stale = stale_hits(&app.cache.stats().await);
    assert_eq!(followers_in_list(&app, id).await, before);
    assert_eq!(stale_hits(&app.cache.stats().await), stale + 1);
    computed(async || followers_in_list(&app, id).await).await;
    // Any other write (here, a bump as an edit does) is on the next read.
    set_followers(&app, id, 987_654_322).await;
    generations::bump(&app.db, &[Domain::Accounts])
        .await
        .unwrap();
    assert_eq!(followers_in_list(&app, id).await, Some(987_654_322));
}

/// The followers `id`'s own page shows.
async fn followers_of(app: &TestApp, id: i64) -> Option<i64> {
    let detail: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    detail.account.latest.followers
}

async fn a_batch_reaches_an_accounts_own_answers_within_stale_for(backend: Backend) {
    let app = standing_in_for(backend, Duration::from_secs(60)).await;
    let (id, before) = first_listed(&app).await;
    assert_eq!(followers_of(&app, id).await, before);
    // A batch's commit moves the account's revision (a trigger) and no
    // generation: the page before is served once, its successor computed.
    set_followers(&app, id, 987_654_321).await;
    assert_eq!(followers_of(&app, id).await, before);
    computed(async || followers_of(&app, id).await).await;
    // An edit moves `exact`: on the next read.
    set_followers(&app, id, 987_654_322).await;
    generations::bump(&app.db, &[Domain::Accounts])
        .await
        .unwrap();
    assert_eq!(followers_of(&app, id).await, Some(987_654_322));
}

/// What a person who looked at a page, asked for a run and looked again
/// once it ended expects: the run, on the next read.
async fn a_page_looked_at_before_a_run_shows_its_end_on_the_next_read(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let (fake, quick) = two_accounts(&app).await;
    assert_eq!(followers_of(&app, quick).await, None);
    let engine = engine(
        app.db.clone(),
        &fake.uri(),
        settings(Duration::from_secs(3600)),
    );
    let run = engine.run(Utc::now()).await.expect("the run completes");
    assert_eq!(run.accounts_ok, 2);
    let stats = app.cache.stats().await;
    assert_eq!(followers_of(&app, quick).await, Some(FOLLOWERS));
    assert_eq!(followers_in_list(&app, quick).await, Some(FOLLOWERS));
    let after = app.cache.stats().await;
    assert_eq!(stale_hits(&after), stale_hits(&stats));
    assert_eq!(
        waited(&after),
        waited(&stats) + 2,
        "both computed on the read"
    );
}

/// Runs back to back: a page asked for during one stands in, once that
/// run has ended, when the next writes its account, so that no request
/// waits for it; its successor is computed meanwhile.
async fn a_page_found_current_during_a_run_stands_in_when_the_next_run_writes(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let (fake, quick) = two_accounts(&app).await;
    let engine = engine(
        app.db.clone(),
        &fake.uri(),
        settings(Duration::from_secs(3600)),
    );
    let (run, ()) = tokio::join!(engine.run(Utc::now()), async {
        stored(&app, quick).await;
        assert_eq!(followers_of(&app, quick).await, Some(FOLLOWERS));
    });
    assert_eq!(run.expect("the first run").accounts_ok, 2);
    // The next run starts and its batch writes the account, as a run does
    // (held here, where a run's timing is the machine's).
    generations::settle(&app.db, &[Domain::Runs]).await.unwrap();
    set_followers(&app, quick, 987_654_321).await;
    let stats = app.cache.stats().await;
    assert_eq!(followers_of(&app, quick).await, Some(FOLLOWERS));
    let after = app.cache.stats().await;
    assert_eq!(
        stale_hits(&after),
        stale_hits(&stats) + 1,
        "the page from the run before stood in"
    );
    assert_eq!(waited(&after), waited(&stats), "no request waited");
    computed(async || followers_of(&app, quick).await).await;
}

async fn snapshots_of(app: &TestApp, id: i64) -> u64 {
    snapshot::Entity::find()
        .filter(snapshot::Column::AccountId.eq(id))
        .count(&app.db)
        .await
        .unwrap()
}

async fn past_stale_for_a_publication_is_on_the_next_read(backend: Backend) {
    let stale_for = Duration::from_millis(300);
    let app = standing_in_for(backend, stale_for).await;
    let (id, _) = first_listed(&app).await;
    tokio::time::sleep(stale_for + Duration::from_millis(100)).await;
    set_followers(&app, id, 987_654_321).await;
    generations::publish(&app.db, &[Domain::Accounts, Domain::Snapshots])
        .await
        .unwrap();
    assert_eq!(followers_in_list(&app, id).await, Some(987_654_321));
    assert_eq!(stale_hits(&app.cache.stats().await), 0);
}
