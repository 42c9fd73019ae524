//! The platforms with open APIs and counters of their own (Hacker News
//! karma, Stack Exchange reputation, Discord members and members online)
//! against local fakes serving their documented answers
//! (`tests/fixtures/platforms/SOURCES.md` says where each comes from).

use app::model::{AccountDetail, Counters, Outcome, Platform};
use chrono::Utc;
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::collection::{answer, on_get, platform_fixture};
use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(
    hacker_news_karma_is_a_score,
    stack_exchange_asks_each_site_once_for_its_users,
    stack_exchange_throttling_pauses_the_platform,
    discord_invites_give_members_and_members_online,
    a_discord_vanity_code_taken_by_another_server_is_not_followed,
);

pub(crate) async fn detail(app: &TestApp, id: i64) -> AccountDetail {
    app.get_json(&format!("/api/account?id={id}")).await
}

pub(crate) async fn outcome(app: &TestApp, id: i64) -> Option<Outcome> {
    detail(app, id).await.account.last_outcome
}

async fn hacker_news_karma_is_a_score(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(
        &fake,
        "/hn/v0/user/jl.json",
        answer(200, "hackernews/user.json"),
    )
    .await;
    // An unknown (or differently cased) name answers 200 with `null`.
    on_get(
        &fake,
        "/hn/v0/user/JL.json",
        answer(200, "hackernews/user_not_found.json"),
    )
    .await;
    // The API documents no limit and no limited answer: a bare 429.
    on_get(
        &fake,
        "/hn/v0/user/busy.json",
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
    )
    .await;
    let jl = app.add_account(Platform::Hackernews, "jl").await;
    let other_case = app.add_account(Platform::Hackernews, "JL").await;
    let busy = app.add_account(Platform::Hackernews, "busy").await;

    let run = engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 2), "{run:?}");

    let account = detail(&app, jl).await.account;
    assert_eq!(
        account.latest,
        Counters {
            score: Some(2_937),
            ..Counters::default()
        },
        "karma is a score; HN publishes no followers"
    );
    assert_eq!(outcome(&app, other_case).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));

    // The platform names its counter.
    let platforms: Vec<app::model::PlatformStatus> = app.get_json("/api/platforms").await;
    let hn = platforms
        .iter()
        .find(|p| p.platform == Platform::Hackernews)
        .unwrap();
    assert_eq!(hn.counters.len(), 1);
    assert_eq!(hn.counters[0].name, "karma");
}

async fn stack_exchange_asks_each_site_once_for_its_users(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/se/2\.3/users/[0-9;]+$"))
        .and(query_param("site", "stackoverflow"))
        .and(query_param("pagesize", "100"))
        .respond_with(answer(200, "stackexchange/users_batch.json"))
        .expect(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/se/2\.3/users/"))
        .and(query_param("site", "nosuchsite"))
        .respond_with(answer(400, "stackexchange/bad_site_400.json"))
        .mount(&fake)
        .await;
    let example = app
        .add_account(Platform::Stackexchange, "1@stackoverflow")
        .await;
    let felix = app
        .add_account(Platform::Stackexchange, "646735@stackoverflow.com")
        .await;
    let deleted = app
        .add_account(Platform::Stackexchange, "999@stackoverflow")
        .await;
    let bad_site = app
        .add_account(Platform::Stackexchange, "5@nosuchsite")
        .await;

    let run = engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (2, 2), "{run:?}");

    let account = detail(&app, felix).await.account;
    assert_eq!(account.handle, "646735@stackoverflow");
    assert_eq!(account.latest.score, Some(4_156));
    assert_eq!(account.latest.followers, None);
    assert_eq!(account.display_name.as_deref(), Some("Felix Yan"));
    assert_eq!(
        detail(&app, example).await.account.latest.score,
        Some(9_001)
    );
    // Left out of the answer: deleted, or never existed on that site.
    assert_eq!(outcome(&app, deleted).await, Some(Outcome::NotFound));
    // An unknown site fails its own accounts only.
    assert_eq!(outcome(&app, bad_site).await, Some(Outcome::InvalidHandle));
    fake.verify().await;
}

async fn stack_exchange_throttling_pauses_the_platform(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    // The first site's answer asks for a pause (`backoff`: 10 s), longer
    // than the engine may wait: the next site's request is not sent.
    Mock::given(method("GET"))
        .and(path_regex(r"^/se/2\.3/users/"))
        .and(query_param("site", "askubuntu"))
        .respond_with(answer(200, "stackexchange/users_backoff.json"))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/se/2\.3/users/"))
        .and(query_param("site", "superuser"))
        .respond_with(answer(400, "stackexchange/throttle_violation_400.json"))
        .mount(&fake)
        .await;
    let answered = app
        .add_account(Platform::Stackexchange, "646735@askubuntu")
        .await;
    let held = app
        .add_account(Platform::Stackexchange, "7@superuser")
        .await;
    let first = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1;
    });
    let run = first.run(Utc::now()).await.expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 1), "{run:?}");
    assert_eq!(
        detail(&app, answered).await.account.latest.score,
        Some(4_156)
    );
    assert_eq!(outcome(&app, held).await, Some(Outcome::RateLimited));
    assert_eq!(
        fake.received_requests().await.unwrap().len(),
        1,
        "the backoff was honoured"
    );

    // A spent quota ("more requests available in 17524 seconds") pauses
    // Stack Exchange for that long: later runs send nothing.
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/se/2\.3/users/"))
        .respond_with(answer(400, "stackexchange/throttle_violation_400.json"))
        .mount(&fake)
        .await;
    let account = app
        .add_account(Platform::Stackexchange, "22656@stackoverflow")
        .await;
    let again = engine(app.db.clone(), &fake.uri(), |_| {});
    let run = again.run(Utc::now()).await.expect("a run");
    assert_eq!(run.accounts_failed, 1, "{run:?}");
    assert_eq!(outcome(&app, account).await, Some(Outcome::RateLimited));
    assert_eq!(
        fake.received_requests().await.unwrap().len(),
        1,
        "not retried"
    );
    let later = again.run(Utc::now()).await.expect("a later run");
    assert_eq!(later.accounts_total, 0, "{later:?}");
    assert_eq!(fake.received_requests().await.unwrap().len(), 1);
}

async fn discord_invites_give_members_and_members_online(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/discord/api/v10/invites/jvuBeT38"))
        .and(query_param("with_counts", "true"))
        .respond_with(answer(200, "discord/invite_with_counts.json"))
        .mount(&fake)
        .await;
    on_get(
        &fake,
        "/discord/api/v10/invites/0vCdhLbwjZZTWZLD",
        answer(200, "discord/invite_without_counts.json"),
    )
    .await;
    on_get(
        &fake,
        "/discord/api/v10/invites/expired",
        answer(404, "discord/unknown_invite_404.json"),
    )
    .await;
    on_get(
        &fake,
        "/discord/api/v10/invites/aBcD3fGh",
        answer(200, "discord/invite_group_dm.json"),
    )
    .await;
    on_get(
        &fake,
        "/discord/api/v10/invites/busy",
        answer(429, "discord/rate_limited_429.json").insert_header("retry-after", "65"),
    )
    .await;
    let server = app
        .add_account(Platform::Discord, "https://discord.gg/jvuBeT38")
        .await;
    let uncounted = app.add_account(Platform::Discord, "0vCdhLbwjZZTWZLD").await;
    let expired = app.add_account(Platform::Discord, "expired").await;
    let group = app.add_account(Platform::Discord, "aBcD3fGh").await;
    let busy = app.add_account(Platform::Discord, "busy").await;

    // One at a time, in the order added: the rate-limited account,
    // added last, pauses the (one) fake host only after the others.
    let run = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 4), "{run:?}");

    let account = detail(&app, server).await.account;
    assert_eq!(account.handle, "jvuBeT38");
    assert_eq!(account.display_name.as_deref(), Some("Alien Network"));
    assert_eq!(
        account.latest,
        Counters {
            followers: Some(100),
            online: Some(99),
            ..Counters::default()
        }
    );
    // No counts in the answer (asked for with `with_counts`): nothing
    // observed, and no snapshot of zeros.
    let account = detail(&app, uncounted).await.account;
    assert_eq!(account.latest, Counters::default());
    assert_eq!(account.last_outcome, Some(Outcome::UpstreamError));
    assert_eq!(account.last_collected_at, None);
    assert_eq!(outcome(&app, expired).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, group).await, Some(Outcome::InvalidHandle));
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));
    let requests = fake.received_requests().await.unwrap();
    assert!(
        requests.iter().all(|r| r.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("DiscordBot (")),
        "Discord's User-Agent form"
    );
}

async fn a_discord_vanity_code_taken_by_another_server_is_not_followed(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let body = platform_fixture("discord/invite_vanity_2026.json");
    let moved = body.replace("897183099731976192", "111111111111111111");
    Mock::given(method("GET"))
        .and(path("/discord/api/v10/invites/temet"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    on_get(
        &fake,
        "/discord/api/v10/invites/temet",
        ResponseTemplate::new(200).set_body_raw(moved, "application/json"),
    )
    .await;
    let id = app.add_account(Platform::Discord, "temet").await;
    let engine = engine(app.db.clone(), &fake.uri(), |_| {});
    engine.run(Utc::now()).await.expect("a run");
    let first = detail(&app, id).await.account;
    assert_eq!(first.last_outcome, Some(Outcome::Ok));
    let members = first.latest.followers;
    assert!(members.is_some());

    engine
        .run(Utc::now() + chrono::Duration::hours(2))
        .await
        .expect("a later run");
    let account = detail(&app, id).await.account;
    assert_eq!(account.last_outcome, Some(Outcome::Gone));
    assert_eq!(
        account.latest.followers, members,
        "the other server's count is not taken"
    );
}
