//! Collection against local fake platforms (wiremock) serving the platforms'
//! real response shapes: each collector's mapping, failures per account,
//! retries, priority, rate limits and several instances sharing a database.
//!
//! Over 500 lines: one file per behaviour of the engine, as the test crate
//! is organized; its cases share fakes and helpers (`answer`, `on_get`,
//! fixtures) that `platforms.rs` and `collect_cli.rs` import.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{AccountDetail, Counters, Outcome, Platform};
use chrono::Utc;
use db::entities::{run_result, snapshot};
use reach::collect::engine::DueBefore;
use reach::config::AddAccount;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(
    each_platform_maps_its_real_answer,
    failures_are_recorded_per_account_and_do_not_stop_the_run,
    core_accounts_are_collected_first,
    the_rate_limit_is_never_exceeded,
    an_interrupted_run_leaves_whole_snapshots_only,
    a_spent_budget_leaves_accounts_for_a_later_cycle,
    a_retry_refused_by_the_budget_reports_the_real_failure,
    each_platform_is_due_on_its_own_interval,
    a_stopped_run_ends_at_an_account_boundary_as_interrupted,
);

pub(crate) fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A fixture of `tests/fixtures/platforms/` (see its SOURCES.md).
pub(crate) fn platform_fixture(name: &str) -> String {
    fixture(&format!("platforms/{name}"))
}

pub(crate) fn platform_json(name: &str) -> ResponseTemplate {
    answer(200, name)
}

/// A platform's documented answer: `status` and the body of fixture `name`
/// (HTML for `.html` files, JSON otherwise).
pub(crate) fn answer(status: u16, name: &str) -> ResponseTemplate {
    let kind = if name.ends_with(".html") {
        "text/html"
    } else {
        "application/json"
    };
    ResponseTemplate::new(status).set_body_raw(platform_fixture(name), kind)
}

/// Serves `response` to every GET of `route` on `fake`.
pub(crate) async fn on_get(fake: &MockServer, route: &str, response: impl Respond + 'static) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .mount(fake)
        .await;
}

/// Serves `response` to the first GET of `route` only; mounted before the
/// usual answer, it is answered first.
pub(crate) async fn once_on_get(fake: &MockServer, route: &str, response: impl Respond + 'static) {
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(response)
        .up_to_n_times(1)
        .mount(fake)
        .await;
}

fn json(name: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(fixture(name), "application/json")
}

async fn add(app: &TestApp, platform: Platform, handle: &str, core: bool) -> i64 {
    let request = AddAccount {
        platform,
        handle: handle.to_owned(),
        core,
        tags: vec![],
    };
    reach::accounts::add(&app.db, &request)
        .await
        .expect("add an account")
        .id
}

async fn detail(app: &TestApp, id: i64) -> AccountDetail {
    app.get_json(&format!("/api/account?id={id}")).await
}

/// Records when each request arrived and for which GitHub login.
#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<(Instant, String)>>>);

impl Respond for Recorder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let login = request
            .url
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        self.0.lock().unwrap().push((Instant::now(), login.clone()));
        let body = fixture("github_user.json").replace("\"octocat\"", &format!("\"{login}\""));
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

async fn each_platform_maps_its_real_answer(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let mounts = [
        Mock::given(method("GET"))
            .and(path("/api/v1/accounts/lookup"))
            .and(query_param("acct", "Gargron"))
            .respond_with(json("mastodon_lookup.json")),
        Mock::given(method("GET"))
            .and(path("/xrpc/app.bsky.actor.getProfiles"))
            .respond_with(json("bluesky_profiles.json")),
        Mock::given(method("POST"))
            .and(path("/api/v1/access_token"))
            .and(wiremock::matchers::body_string(
                "grant_type=client_credentials",
            ))
            .respond_with(platform_json("reddit/access_token_client_credentials.json")),
        Mock::given(method("GET"))
            .and(path("/user/spez/about"))
            .and(wiremock::matchers::header_exists("authorization"))
            .respond_with(json("reddit_about.json")),
        Mock::given(method("GET"))
            .and(path("/users/octocat"))
            .respond_with(json("github_user.json")),
        Mock::given(method("GET"))
            .and(path("/youtube/v3/channels"))
            .and(query_param("forHandle", "@googledevelopers"))
            .and(query_param("key", "test-key"))
            .respond_with(json("youtube_channels.json")),
        Mock::given(method("POST"))
            .and(path("/oauth2/token"))
            .respond_with(json("twitch_token.json")),
        Mock::given(method("GET"))
            .and(path("/helix/users"))
            .and(query_param("login", "twitchdev"))
            .respond_with(json("twitch_users.json")),
        Mock::given(method("GET"))
            .and(path("/helix/channels/followers"))
            .and(query_param("broadcaster_id", "141981764"))
            .respond_with(json("twitch_followers.json")),
    ];
    for mock in mounts {
        mock.mount(&fake).await;
    }

    let mastodon = add(&app, Platform::Mastodon, "Gargron@mastodon.social", false).await;
    let bluesky = add(&app, Platform::Bluesky, "bsky.app", false).await;
    let atproto = add(&app, Platform::Bluesky, "atproto.com", false).await;
    let reddit = add(&app, Platform::Reddit, "spez", false).await;
    let github = add(&app, Platform::Github, "octocat", false).await;
    let youtube = add(&app, Platform::Youtube, "@googledevelopers", false).await;
    let twitch = add(&app, Platform::Twitch, "twitchdev", false).await;

    let run = app
        .engine(&fake.uri())
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(
        (run.accounts_ok, run.accounts_failed, run.accounts_skipped),
        (7, 0, 0)
    );

    let expect = |followers, following, posts, views, likes| Counters {
        followers,
        following,
        posts,
        views,
        likes,
        ..Counters::default()
    };
    let cases = [
        (
            mastodon,
            expect(Some(367_251), Some(753), Some(77_542), None, None),
            Some("1"),
        ),
        (
            bluesky,
            expect(Some(32_795_617), Some(7), Some(683), None, None),
            Some("did:plc:z72i7hdynmk6r22z27h6tvur"),
        ),
        (
            atproto,
            expect(Some(76_123), Some(15), Some(412), None, None),
            Some("did:plc:ewvi7nxzyoun6zhxrhs64oiz"),
        ),
        (
            reddit,
            // Karma is a score, not likes.
            Counters {
                followers: Some(2_181),
                score: Some(933_612),
                ..Counters::default()
            },
            Some("1w72"),
        ),
        (
            github,
            expect(Some(21_871), Some(9), Some(8), None, None),
            Some("583231"),
        ),
        (
            youtube,
            expect(Some(2_540_000), None, Some(6_378), Some(254_768_154), None),
            Some("UC_x5XG1OV2P6uZZ5FSM9Ttw"),
        ),
        (
            twitch,
            expect(Some(8), None, None, None, None),
            Some("141981764"),
        ),
    ];
    for (id, counters, platform_id) in cases {
        let account = detail(&app, id).await;
        assert_eq!(
            account.account.latest, counters,
            "{}",
            account.account.handle
        );
        assert_eq!(
            account.platform_id.as_deref(),
            platform_id,
            "{}",
            account.account.handle
        );
        assert_eq!(account.account.last_outcome, Some(Outcome::Ok));
        assert!(!account.account.simulated);
        assert_eq!(account.snapshot_count, 1);
    }
    // Both Bluesky accounts came from one batched request.
    let bluesky_calls = fake
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path() == "/xrpc/app.bsky.actor.getProfiles")
        .count();
    assert_eq!(bluesky_calls, 1);
    assert_eq!(
        detail(&app, mastodon).await.account.display_name.as_deref(),
        Some("Eugen Rochko")
    );

    // Once known, the stable id is used instead of the handle.
    app.engine(&fake.uri())
        .run(Utc::now())
        .await
        .expect("a second run");
    let by_did = fake
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.query().unwrap_or_default().contains("did%3Aplc"))
        .count();
    assert_eq!(by_did, 1, "the second Bluesky request asks by DID");
}

async fn failures_are_recorded_per_account_and_do_not_stop_the_run(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let user = |login: &str| Mock::given(method("GET")).and(path(format!("/users/{login}")));
    // Mounted first, answered first: each passing failure happens once.
    user("flaky")
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    user("limited")
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    for login in ["octocat", "flaky", "limited"] {
        user(login)
            .respond_with(json("github_user.json"))
            .mount(&fake)
            .await;
    }
    user("missing")
        .respond_with(ResponseTemplate::new(404).set_body_raw(
            r#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest","status":"404"}"#,
            "application/json",
        ))
        .mount(&fake)
        .await;
    user("broken")
        .respond_with(ResponseTemplate::new(503))
        .mount(&fake)
        .await;
    user("slow")
        .respond_with(json("github_user.json").set_delay(Duration::from_secs(3)))
        .mount(&fake)
        .await;
    user("truncated")
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(r#"{"login": "trunc"#, "application/json"),
        )
        .mount(&fake)
        .await;
    user("partial")
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            fixture("github_user.json").replace("\"followers\":", "\"followers_total\":"),
            "application/json",
        ))
        .mount(&fake)
        .await;

    let mut ids = Vec::new();
    for login in [
        "octocat",
        "flaky",
        "limited",
        "missing",
        "broken",
        "slow",
        "truncated",
        "partial",
    ] {
        ids.push((login, add(&app, Platform::Github, login, false).await));
    }
    let youtube = add(&app, Platform::Youtube, "@somechannel", false).await;

    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.credentials = false
    });
    let run = engine.run(Utc::now()).await.expect("the run completes");
    assert_eq!(
        (run.accounts_ok, run.accounts_failed, run.accounts_skipped),
        (4, 4, 1),
        "{run:?}"
    );
    assert_eq!(run.accounts_done, 9);

    for (login, id) in ids {
        let account = detail(&app, id).await.account;
        let expected = match login {
            // A field missing from the answer is an unknown counter.
            "octocat" | "flaky" | "limited" | "partial" => Outcome::Ok,
            "missing" => Outcome::NotFound,
            _ => Outcome::UpstreamError,
        };
        assert_eq!(
            account.last_outcome,
            Some(expected),
            "{login}: {:?}",
            account.last_error
        );
        assert_eq!(
            account.last_error.is_some(),
            expected != Outcome::Ok,
            "{login}"
        );
        let stored = snapshot::Entity::find()
            .filter(snapshot::Column::AccountId.eq(id))
            .count(&app.db)
            .await
            .unwrap();
        assert_eq!(stored, u64::from(expected == Outcome::Ok), "{login}");
    }
    let youtube = detail(&app, youtube).await.account;
    assert_eq!(youtube.last_outcome, Some(Outcome::NotConfigured));
    assert!(youtube.last_error.unwrap().contains("YOUTUBE_API_KEY"));

    // 404s and bad data are not retried; 5xx are (1 + 2 retries).
    let requests = fake.received_requests().await.unwrap();
    let calls = |login: &str| {
        requests
            .iter()
            .filter(|r| r.url.path() == format!("/users/{login}"))
            .count()
    };
    assert_eq!(calls("missing"), 1);
    assert_eq!(calls("partial"), 1);
    assert_eq!(calls("broken"), 3);
    assert_eq!(calls("flaky"), 2);
}

async fn core_accounts_are_collected_first(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let recorder = Recorder::default();
    Mock::given(method("GET"))
        .respond_with(recorder.clone())
        .mount(&fake)
        .await;
    for login in ["first", "second", "third"] {
        add(&app, Platform::Github, login, false).await;
    }
    add(&app, Platform::Github, "vip", true).await;

    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1
    });
    engine.run(Utc::now()).await.expect("a run");
    let order: Vec<String> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(_, l)| l.clone())
        .collect();
    assert_eq!(order, ["vip", "first", "second", "third"]);
}

async fn the_rate_limit_is_never_exceeded(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let recorder = Recorder::default();
    Mock::given(method("GET"))
        .respond_with(recorder.clone())
        .mount(&fake)
        .await;
    for i in 0..10 {
        add(&app, Platform::Github, &format!("user{i}"), false).await;
    }
    let (limit, window) = (4, Duration::from_secs(1));
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 8;
        config.budgets.insert(
            Platform::Github,
            reach::collect::platforms::Budget::new(limit, window).unwrap(),
        );
    });
    let run = engine.run(Utc::now()).await.expect("a run");
    assert_eq!(run.accounts_ok, 10);

    let arrivals: Vec<Instant> = recorder
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|(at, _)| *at)
        .collect();
    assert_eq!(arrivals.len(), 10);
    // No window of one second holds more than `limit` requests: the request
    // `limit` places later always comes at least a window later. (2% slack
    // for when the fake server notes the arrival.)
    for pair in arrivals.windows(limit as usize + 1) {
        let span = pair[limit as usize] - pair[0];
        assert!(
            span >= window.mul_f64(0.98),
            "{} requests within {span:?}",
            limit + 1
        );
    }
}

async fn a_spent_budget_leaves_accounts_for_a_later_cycle(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let recorder = Recorder::default();
    Mock::given(method("GET"))
        .respond_with(recorder.clone())
        .mount(&fake)
        .await;
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(add(&app, Platform::Github, &format!("user{i}"), false).await);
    }
    // One request an hour: waiting for the next would hold the run an hour.
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.budgets.insert(
            Platform::Github,
            reach::collect::platforms::Budget::new(1, Duration::from_secs(3600)).unwrap(),
        );
    });
    let run = tokio::time::timeout(Duration::from_secs(60), engine.run(Utc::now()))
        .await
        .expect("the run ends instead of waiting for the budget")
        .expect("a run");
    // The run plans what the budget allows; the rest is not attempted and
    // not recorded as rate limited for merely waiting its turn.
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 0), "{run:?}");
    assert_eq!(run.accounts_total, 1);
    assert_eq!(
        recorder.0.lock().unwrap().len(),
        1,
        "one request, within budget"
    );
    let results = run_result::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(results, 1);
    let waiting = db::entities::account::Entity::find()
        .filter(db::entities::account::Column::LastAttemptAt.is_null())
        .filter(db::entities::account::Column::LeaseOwner.is_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(waiting, 2, "the others stay due, unclaimed");

    // Another run within the hour sends nothing and records nothing.
    let again = engine.run(Utc::now()).await.expect("a second run");
    assert_eq!(again.accounts_total, 0, "{again:?}");
    assert_eq!(recorder.0.lock().unwrap().len(), 1);
}

async fn a_retry_refused_by_the_budget_reports_the_real_failure(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .mount(&fake)
        .await;
    let id = add(&app, Platform::Github, "octocat", false).await;
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.budgets.insert(
            Platform::Github,
            reach::collect::platforms::Budget::new(1, Duration::from_secs(3600)).unwrap(),
        );
    });
    let run = engine.run(Utc::now()).await.expect("a run");
    assert_eq!(run.accounts_failed, 1);
    let account = detail(&app, id).await;
    assert_eq!(
        account.account.last_outcome,
        Some(Outcome::UpstreamError),
        "{:?}",
        account.account.last_error
    );
    assert!(
        account
            .account
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("503")),
        "{:?}",
        account.account.last_error
    );
}

async fn each_platform_is_due_on_its_own_interval(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(json("github_user.json"))
        .mount(&fake)
        .await;
    for mastodon in ["/api/v1/accounts/lookup", "/api/v1/accounts/1"] {
        Mock::given(method("GET"))
            .and(path(mastodon))
            .respond_with(json("mastodon_lookup.json"))
            .mount(&fake)
            .await;
    }
    add(&app, Platform::Github, "octocat", false).await;
    let mastodon = add(&app, Platform::Mastodon, "Gargron@mastodon.social", false).await;
    let engine = app.engine(&fake.uri());
    let first = engine.run(Utc::now()).await.expect("a first run");
    assert_eq!(first.accounts_ok, 2);

    // An hour later the default cycle has begun again, GitHub's (say, a day
    // long) has not: only Mastodon is due.
    let later = Utc::now() + chrono::Duration::hours(1);
    let due = DueBefore {
        default: later,
        platforms: [(Platform::Github, Utc::now() - chrono::Duration::hours(23))].into(),
        account: None,
    };
    let second = engine.run(due).await.expect("a second run");
    assert_eq!(
        (second.accounts_total, second.accounts_ok),
        (1, 1),
        "{second:?}"
    );
    let collected: Vec<i64> = run_result::Entity::find()
        .filter(run_result::Column::RunId.eq(second.id))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|result| result.account_id)
        .collect();
    assert_eq!(collected, vec![mastodon]);
}

async fn an_interrupted_run_leaves_whole_snapshots_only(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json("github_user.json").set_delay(Duration::from_millis(150)))
        .mount(&fake)
        .await;
    for i in 0..12 {
        add(&app, Platform::Github, &format!("user{i}"), false).await;
    }
    let short_lease = |config: &mut crate::common::EngineConfig| {
        config.settings.workers = 2;
        // Leases last six beats: 1.2 s.
        config.settings.heartbeat = Duration::from_millis(200);
    };
    let started = Utc::now();
    let first = engine(app.db.clone(), &fake.uri(), short_lease);
    // Killed mid-way, once something is stored: the future is dropped
    // between or inside writes.
    {
        let run = first.run(started);
        tokio::pin!(run);
        loop {
            tokio::select! {
                _ = &mut run => panic!("the run should still be going"),
                () = tokio::time::sleep(Duration::from_millis(10)) => {
                    if snapshot::Entity::find().count(&app.db).await.unwrap() > 0 {
                        break;
                    }
                }
            }
        }
    }

    let snapshots = snapshot::Entity::find().count(&app.db).await.unwrap();
    let ok_results = run_result::Entity::find()
        .filter(run_result::Column::Outcome.eq(Outcome::Ok))
        .count(&app.db)
        .await
        .unwrap();
    assert!(snapshots > 0 && snapshots < 12, "{snapshots} snapshots");
    assert_eq!(
        snapshots, ok_results,
        "every snapshot comes with its result, whole"
    );

    // Once the dead run's leases lapse, a run of the same cycle collects the
    // rest, and only the rest.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let second = engine(app.db.clone(), &fake.uri(), short_lease);
    let run = second.run(started).await.expect("a second run");
    assert_eq!(u64::from(run.accounts_ok as u32), 12 - ok_results);
    let all = snapshot::Entity::find().all(&app.db).await.unwrap();
    let accounts: std::collections::HashSet<i64> = all.iter().map(|s| s.account_id).collect();
    assert_eq!(
        (all.len(), accounts.len()),
        (12, 12),
        "one snapshot per account"
    );
}

async fn a_stopped_run_ends_at_an_account_boundary_as_interrupted(backend: Backend) {
    use app::model::RunStatus;
    use db::entities::{account, collection_run};
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json("github_user.json").set_delay(Duration::from_millis(150)))
        .mount(&fake)
        .await;
    for i in 0..12 {
        add(&app, Platform::Github, &format!("user{i}"), false).await;
    }
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 2;
        config.settings.claim_chunk = 12;
    });
    let stop = engine.stop_handle();
    let started = Utc::now();
    let (run, ()) = tokio::join!(engine.run(started), async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        stop.request();
    });
    let run = run.expect("a stopped run still reports");
    assert_eq!(run.status, RunStatus::Interrupted);
    assert!(
        run.accounts_ok > 0 && run.accounts_ok < 12,
        "requests in flight finished, nothing more: {run:?}"
    );
    let stored = collection_run::Entity::find_by_id(run.id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, RunStatus::Interrupted);
    // Every request that started was stored, whole.
    let snapshots = snapshot::Entity::find().count(&app.db).await.unwrap();
    assert_eq!(snapshots, u64::from(run.accounts_ok as u32));
    // The accounts it claimed but did not start are given back at once.
    let leased = account::Entity::find()
        .filter(account::Column::LeaseOwner.is_not_null())
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(leased, 0);
    let next = crate::common::engine(app.db.clone(), &fake.uri(), |_| {});
    let rest = next.run(started).await.expect("the next run");
    assert_eq!(
        rest.accounts_ok + run.accounts_ok,
        12,
        "the rest, and only the rest"
    );
}

/// Two `reach serve` processes on one PostgreSQL database split a cycle's
/// accounts between them, none collected twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_split_the_work_without_overlap() {
    let app = TestApp::empty(Backend::Postgres).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(json("github_user.json").set_delay(Duration::from_millis(20)))
        .mount(&fake)
        .await;
    for i in 0..40 {
        add(&app, Platform::Github, &format!("user{i}"), i % 10 == 0).await;
    }
    let instance = |name: &'static str| {
        engine(app.db.clone(), &fake.uri(), move |config| {
            config.settings.instance = name.to_owned();
            config.settings.claim_chunk = 4;
            config.settings.workers = 2;
        })
    };
    let (a, b) = (instance("a"), instance("b"));
    let cycle = Utc::now();
    let (run_a, run_b) = tokio::join!(a.run(cycle), b.run(cycle));
    let (run_a, run_b) = (run_a.expect("run a"), run_b.expect("run b"));
    assert!(
        run_a.accounts_ok > 0 && run_b.accounts_ok > 0,
        "{run_a:?} {run_b:?}"
    );
    assert_eq!(run_a.accounts_ok + run_b.accounts_ok, 40);

    let results = run_result::Entity::find().all(&app.db).await.unwrap();
    let accounts: std::collections::HashSet<i64> = results.iter().map(|r| r.account_id).collect();
    assert_eq!(
        (results.len(), accounts.len()),
        (40, 40),
        "no account collected twice"
    );
    assert_eq!(fake.received_requests().await.unwrap().len(), 40);
}
