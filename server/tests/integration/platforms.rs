//! Each collector against a local fake of its platform serving the answers
//! the platform documents or its published source gives (status, headers,
//! body; `tests/fixtures/platforms/SOURCES.md` says where each comes from):
//! bounded retries, account states, renames, OAuth tokens, quotas, blocked
//! clients, batches that fail per account, and a default budget that
//! collects every account eventually.
//!
//! Over 500 lines: every platform's documented edge cases, each a test run
//! on both databases, sharing one set of fakes and helpers; a per-platform
//! split (`platforms/<name>.rs`) is the way if it grows further.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{AccountDetail, AccountState, EventKind, Outcome, Platform};
use chrono::Utc;
use db::entities::{event, run_result, snapshot};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use wiremock::matchers::{body_string_contains, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::collection::{answer, on_get, once_on_get, platform_fixture, platform_json};
use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(
    a_platform_that_never_stops_limiting_gets_bounded_retries,
    suspended_accounts_keep_their_counters_and_come_back,
    missing_and_hidden_counts_never_wipe_known_ones,
    renamed_accounts_are_followed_by_their_id,
    renames_are_followed_on_every_platform_with_ids,
    hidden_subscribers_are_unknown_and_an_item_without_statistics_fails_alone,
    reddit_needs_oauth_and_reports_states,
    a_spent_youtube_quota_pauses_youtube,
    a_refused_twitch_token_is_renewed_once,
    one_account_bluesky_rejects_does_not_fail_the_batch,
    the_default_github_budget_collects_every_account_over_cycles,
    each_platform_says_whether_it_works,
    a_handle_stored_before_the_syntax_check_fails_alone,
    limits_the_platform_announces_pause_the_host,
);

async fn detail(app: &TestApp, id: i64) -> AccountDetail {
    app.get_json(&format!("/api/account?id={id}")).await
}

async fn snapshots(app: &TestApp, id: i64) -> u64 {
    snapshot::Entity::find()
        .filter(snapshot::Column::AccountId.eq(id))
        .count(&app.db)
        .await
        .unwrap()
}

async fn events(app: &TestApp, id: i64, kind: EventKind) -> Vec<event::Model> {
    event::Entity::find()
        .filter(event::Column::AccountId.eq(id))
        .filter(event::Column::Kind.eq(kind))
        .all(&app.db)
        .await
        .unwrap()
}

fn requests_to(requests: &[Request], wanted: &str) -> usize {
    requests.iter().filter(|r| r.url.path() == wanted).count()
}

async fn a_platform_that_never_stops_limiting_gets_bounded_retries(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    // GitHub: a constant `Retry-After: 1`, forever.
    on_get(
        &fake,
        "/users/octocat",
        answer(429, "github/rate_limited_secondary.json").insert_header("retry-after", "1"),
    )
    .await;
    // GitHub's documentation example: a spent limit whose reset is in 2013.
    on_get(
        &fake,
        "/users/hubot",
        answer(403, "github/rate_limited_primary_unauthenticated.json")
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", "1372700873"),
    )
    .await;
    // Bluesky: the IETF draft's headers, also with a reset already past.
    on_get(
        &fake,
        "/xrpc/app.bsky.actor.getProfiles",
        answer(429, "bluesky/rate_limited.json")
            .insert_header("ratelimit-remaining", "0")
            .insert_header("ratelimit-reset", "1372700873"),
    )
    .await;
    let octocat = app.add_account(Platform::Github, "octocat").await;
    let hubot = app.add_account(Platform::Github, "hubot").await;
    let bluesky = app.add_account(Platform::Bluesky, "bsky.app").await;
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1;
        config.max_wait = Duration::from_secs(3);
    });
    let run = tokio::time::timeout(Duration::from_secs(60), engine.run(Utc::now()))
        .await
        .expect("the run ends: every retry is bounded")
        .expect("a run");
    assert_eq!(run.accounts_failed, 3, "{run:?}");
    for id in [octocat, hubot, bluesky] {
        assert_eq!(
            detail(&app, id).await.account.last_outcome,
            Some(Outcome::RateLimited)
        );
    }
    let requests = fake.received_requests().await.unwrap();
    // The engine's 2 retries at most, whatever the platform says; once the
    // 2013 reset pauses GitHub for the default minute (longer than the run
    // may wait), nothing more is sent there at all.
    let github = requests_to(&requests, "/users/octocat") + requests_to(&requests, "/users/hubot");
    assert!((1..=4).contains(&github), "{github} GitHub requests");
    let bluesky = requests_to(&requests, "/xrpc/app.bsky.actor.getProfiles");
    assert_eq!(bluesky, 1, "a past reset is not \"retry now\"");
}

async fn suspended_accounts_keep_their_counters_and_come_back(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/lookup"))
        .and(query_param("acct", "Gargron"))
        .respond_with(platform_json("mastodon/lookup.json"))
        .mount(&fake)
        .await;
    // Asked by id from the second run on: suspended once, then back.
    let suspended = platform_fixture("mastodon/account_suspended.json").replace("\"14\"", "\"1\"");
    once_on_get(
        &fake,
        "/api/v1/accounts/1",
        ResponseTemplate::new(200).set_body_raw(suspended, "application/json"),
    )
    .await;
    on_get(
        &fake,
        "/api/v1/accounts/1",
        platform_json("mastodon/lookup.json"),
    )
    .await;
    let id = app
        .add_account(Platform::Mastodon, "Gargron@mastodon.social")
        .await;
    let engine = app.engine(&fake.uri());

    engine.run(Utc::now()).await.expect("a first run");
    let before = detail(&app, id).await.account;
    assert_eq!(before.latest.followers, Some(367_251));

    engine.run(Utc::now()).await.expect("a second run");
    let account = detail(&app, id).await.account;
    assert_eq!(account.last_outcome, Some(Outcome::Suspended));
    assert_eq!(account.state, Some(AccountState::Suspended));
    assert_eq!(account.latest, before.latest, "no drop to zero");
    assert_eq!(account.latest_at, before.latest_at);
    assert_eq!(snapshots(&app, id).await, 1, "no snapshot while suspended");
    assert_eq!(events(&app, id, EventKind::StateChanged).await.len(), 1);
    assert!(events(&app, id, EventKind::UnusualChange).await.is_empty());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    engine.run(Utc::now()).await.expect("a third run");
    let account = detail(&app, id).await.account;
    assert_eq!(account.last_outcome, Some(Outcome::Ok));
    assert_eq!(account.state, None);
    assert_eq!(snapshots(&app, id).await, 2);
    assert_eq!(events(&app, id, EventKind::Restored).await.len(), 1);
    // Webfinger was asked once for the domain's API host, then cached.
    let requests = fake.received_requests().await.unwrap();
    assert_eq!(requests_to(&requests, "/.well-known/webfinger"), 1);
}

async fn missing_and_hidden_counts_never_wipe_known_ones(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    once_on_get(
        &fake,
        "/xrpc/app.bsky.actor.getProfiles",
        platform_json("bluesky/profiles.json"),
    )
    .await;
    // A profile without any aggregates (only `did` and `handle` are
    // required by the lexicon).
    on_get(
        &fake,
        "/xrpc/app.bsky.actor.getProfiles",
        platform_json("bluesky/profiles_lexicon_minimum.json"),
    )
    .await;
    // glitch-soc's -1 for a hidden follower count.
    let hidden = platform_fixture("mastodon/account_hidden_followers_glitch.json");
    on_get(
        &fake,
        "/api/v1/accounts/lookup",
        ResponseTemplate::new(200).set_body_raw(hidden, "application/json"),
    )
    .await;
    let atproto = app.add_account(Platform::Bluesky, "atproto.com").await;
    let quiet = app
        .add_account(Platform::Mastodon, "quietperson@infosec.exchange")
        .await;
    let engine = app.engine(&fake.uri());
    engine.run(Utc::now()).await.expect("a first run");
    let first = detail(&app, atproto).await.account;
    assert_eq!(first.latest.followers, Some(76_123));

    tokio::time::sleep(Duration::from_millis(1100)).await;
    engine.run(Utc::now()).await.expect("a second run");
    // No counters at all: no snapshot, and the known ones stay.
    let second = detail(&app, atproto).await.account;
    assert_eq!(second.latest, first.latest);
    assert_eq!(second.last_outcome, Some(Outcome::UpstreamError));
    assert_eq!(snapshots(&app, atproto).await, 1);

    let quiet = detail(&app, quiet).await.account;
    assert_eq!(quiet.latest.followers, None, "-1 is unknown, not a value");
    assert_eq!(quiet.latest.following, Some(804));
    assert!(quiet.latest_at.following.is_some());
    assert_eq!(quiet.latest_at.followers, None);
}

async fn renamed_accounts_are_followed_by_their_id(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(&fake, "/users/octocat", platform_json("github/user.json")).await;
    on_get(
        &fake,
        "/user/583231",
        platform_json("github/user_by_id_renamed.json"),
    )
    .await;
    let id = app.add_account(Platform::Github, "octocat").await;
    let engine = app.engine(&fake.uri());
    engine.run(Utc::now()).await.expect("a first run");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    engine.run(Utc::now()).await.expect("a second run");

    let account = detail(&app, id).await;
    assert_eq!(account.account.handle, "octo-renamed");
    assert_eq!(account.account.last_outcome, Some(Outcome::Ok));
    assert_eq!(
        account.snapshot_count, 2,
        "the history stays with the account"
    );
    let renamed = events(&app, id, EventKind::Renamed).await;
    assert_eq!(renamed.len(), 1);
    assert!(
        renamed[0].message.contains("octocat"),
        "{}",
        renamed[0].message
    );
    assert!(renamed[0].message.contains("octo-renamed"));
    // The second run asked by id, never by the old login.
    let requests = fake.received_requests().await.unwrap();
    assert_eq!(requests_to(&requests, "/users/octocat"), 1);
    assert_eq!(requests_to(&requests, "/user/583231"), 1);
}

/// Serves `response` to GETs of `route` whose query has `name=value`.
async fn on_get_with(
    fake: &MockServer,
    route: &str,
    (name, value): (&str, &str),
    response: ResponseTemplate,
) {
    Mock::given(method("GET"))
        .and(path(route))
        .and(query_param(name, value))
        .respond_with(response)
        .mount(fake)
        .await;
}

/// Twitch, Mastodon (on a split domain, found by WebFinger), Bluesky and
/// YouTube: asked by handle once, by id afterwards, and a new handle in the
/// answer renames the account, keeps its history and says so.
async fn renames_are_followed_on_every_platform_with_ids(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    // Twitch: `login=` first, then `id=`, renamed.
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(platform_json("twitch/token.json"))
        .mount(&fake)
        .await;
    let users = "/helix/users";
    on_get_with(
        &fake,
        users,
        ("login", "twitchdev"),
        platform_json("twitch/users.json"),
    )
    .await;
    on_get_with(
        &fake,
        users,
        ("id", "141981764"),
        platform_json("twitch/users_renamed.json"),
    )
    .await;
    on_get(
        &fake,
        "/helix/channels/followers",
        platform_json("twitch/channels_followers_total_only.json"),
    )
    .await;
    // Mastodon: `alice@example.com` is served by `social.example.com`, as
    // WebFinger on `example.com` says; the fake tells hosts apart by path.
    on_get(
        &fake,
        "/example.com/.well-known/webfinger",
        platform_json("mastodon/webfinger_split_domain.json"),
    )
    .await;
    on_get_with(
        &fake,
        "/social.example.com/api/v1/accounts/lookup",
        ("acct", "alice"),
        platform_json("mastodon/account_split_domain.json"),
    )
    .await;
    on_get(
        &fake,
        "/social.example.com/api/v1/accounts/109000000000000001",
        platform_json("mastodon/account_split_domain_renamed.json"),
    )
    .await;
    // Bluesky: the handle first, then the DID.
    let profiles = "/xrpc/app.bsky.actor.getProfiles";
    on_get_with(
        &fake,
        profiles,
        ("actors", "bsky.app"),
        platform_json("bluesky/profiles.json"),
    )
    .await;
    on_get_with(
        &fake,
        profiles,
        ("actors", "did:plc:z72i7hdynmk6r22z27h6tvur"),
        platform_json("bluesky/profiles_renamed.json"),
    )
    .await;
    // YouTube: `forHandle=` first, then `id=`.
    let channels = "/youtube/v3/channels";
    on_get_with(
        &fake,
        channels,
        ("forHandle", "@googledevelopers"),
        platform_json("youtube/channels_for_handle.json"),
    )
    .await;
    on_get_with(
        &fake,
        channels,
        ("id", "UC_x5XG1OV2P6uZZ5FSM9Ttw"),
        platform_json("youtube/channels_renamed.json"),
    )
    .await;

    let accounts = [
        (Platform::Twitch, "twitchdev", "twitchdevs"),
        (
            Platform::Mastodon,
            "alice@example.com",
            "alice_b@example.com",
        ),
        (Platform::Bluesky, "bsky.app", "bluesky.example.com"),
        (
            Platform::Youtube,
            "@googledevelopers",
            "@googlefordevelopers",
        ),
    ];
    let mut ids = Vec::new();
    for (platform, handle, _) in accounts {
        ids.push(app.add_account(platform, handle).await);
    }
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.mastodon_url = Some(format!("{}/{{host}}", fake.uri()));
    });
    engine.run(Utc::now()).await.expect("a first run");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    engine.run(Utc::now()).await.expect("a second run");

    for (id, (platform, old, new)) in ids.into_iter().zip(accounts) {
        let account = detail(&app, id).await;
        assert_eq!(
            account.account.last_outcome,
            Some(Outcome::Ok),
            "{platform:?}: {:?}",
            account.account.last_error
        );
        assert_eq!(account.account.handle, new, "{platform:?}");
        assert_eq!(account.snapshot_count, 2, "{platform:?}: history kept");
        let renamed = events(&app, id, EventKind::Renamed).await;
        assert_eq!(renamed.len(), 1, "{platform:?}");
        assert!(
            renamed[0].message.contains(old) && renamed[0].message.contains(new),
            "{platform:?}: {}",
            renamed[0].message
        );
    }
    let requests = fake.received_requests().await.unwrap();
    let asked = |route: &str, name: &str| {
        requests
            .iter()
            .filter(|r| r.url.path() == route && r.url.query_pairs().any(|(n, _)| n == name))
            .count()
    };
    // One request by handle, then one by id, on every platform.
    assert_eq!((asked(users, "login"), asked(users, "id")), (1, 1));
    assert_eq!(
        (asked(channels, "forHandle"), asked(channels, "id")),
        (1, 1)
    );
    let by_did = requests
        .iter()
        .filter(|r| {
            r.url.path() == profiles
                && r.url
                    .query_pairs()
                    .any(|(name, value)| name == "actors" && value.starts_with("did:plc:"))
        })
        .count();
    assert_eq!(by_did, 1);
    // WebFinger once (the host is cached), the lookup on the host it named.
    assert_eq!(
        requests_to(&requests, "/example.com/.well-known/webfinger"),
        1
    );
    assert_eq!(
        requests_to(&requests, "/social.example.com/api/v1/accounts/lookup"),
        1
    );
    assert_eq!(
        requests_to(
            &requests,
            "/social.example.com/api/v1/accounts/109000000000000001"
        ),
        1
    );
}

/// YouTube: a hidden subscriber count is unknown in the snapshot (views
/// and videos are stored), and one channel answered without `statistics`
/// fails alone, its batch's other channel collected.
async fn hidden_subscribers_are_unknown_and_an_item_without_statistics_fails_alone(
    backend: Backend,
) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let channels = "/youtube/v3/channels";
    on_get_with(
        &fake,
        channels,
        ("id", "UCAAAAAAAAAAAAAAAAAAAAAA"),
        platform_json("youtube/channels_hidden_subscribers.json"),
    )
    .await;
    let hidden = app
        .add_account(Platform::Youtube, "UCAAAAAAAAAAAAAAAAAAAAAA")
        .await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a first run");
    let account = detail(&app, hidden).await.account;
    assert_eq!(account.last_outcome, Some(Outcome::Ok));
    assert_eq!(account.latest.followers, None, "hidden is unknown, not 0");
    assert_eq!(account.latest.views, Some(123_456));
    assert_eq!(account.latest.posts, Some(42));
    let stored = snapshot::Entity::find()
        .filter(snapshot::Column::AccountId.eq(hidden))
        .one(&app.db)
        .await
        .unwrap()
        .expect("a snapshot");
    assert_eq!(stored.followers, None);
    assert_eq!(stored.views, Some(123_456));

    // A second app and fake, so the batch holds exactly the fixture's two
    // channels (in whichever order they are asked).
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(
        &fake,
        channels,
        platform_json("youtube/channels_without_statistics.json"),
    )
    .await;
    let complete = app
        .add_account(Platform::Youtube, "UC_x5XG1OV2P6uZZ5FSM9Ttw")
        .await;
    let bare = app
        .add_account(Platform::Youtube, "UCBBBBBBBBBBBBBBBBBBBBBB")
        .await;
    let run = engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 1), "{run:?}");
    let complete = detail(&app, complete).await.account;
    assert_eq!(complete.last_outcome, Some(Outcome::Ok));
    assert_eq!(complete.latest.followers, Some(2_540_000));
    let bare = detail(&app, bare).await;
    assert_eq!(bare.account.last_outcome, Some(Outcome::UpstreamError));
    assert!(
        bare.account
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("without statistics"),
        "{:?}",
        bare.account.last_error
    );
    assert_eq!(bare.snapshot_count, 0);
}

async fn reddit_needs_oauth_and_reports_states(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .and(body_string_contains("grant_type=client_credentials"))
        .respond_with(platform_json("reddit/access_token_client_credentials.json"))
        .mount(&fake)
        .await;
    // The token is refused once (expired): one new token, one retry.
    once_on_get(
        &fake,
        "/user/spez/about",
        answer(401, "reddit/unauthorized_401.json").insert_header(
            "www-authenticate",
            r#"Bearer realm="reddit", error="invalid_token""#,
        ),
    )
    .await;
    on_get(
        &fake,
        "/user/spez/about",
        platform_json("reddit/user_about.json"),
    )
    .await;
    on_get(
        &fake,
        "/user/example_suspended/about",
        platform_json("reddit/user_about_suspended.json"),
    )
    .await;
    on_get(
        &fake,
        "/r/secret/about",
        answer(403, "reddit/subreddit_private_403.json"),
    )
    .await;
    on_get(
        &fake,
        "/r/gone/about",
        answer(404, "reddit/subreddit_banned_404.json"),
    )
    .await;
    on_get(
        &fake,
        "/r/announcements/about",
        platform_json("reddit/subreddit_about.json"),
    )
    .await;
    on_get(
        &fake,
        "/user/walled/about",
        answer(403, "reddit/blocked_403.html"),
    )
    .await;
    let spez = app.add_account(Platform::Reddit, "u/spez").await;
    let suspended = app.add_account(Platform::Reddit, "example_suspended").await;
    let private = app.add_account(Platform::Reddit, "r/secret").await;
    let subreddit = app.add_account(Platform::Reddit, "r/announcements").await;
    let walled = app.add_account(Platform::Reddit, "walled").await;
    let banned = app.add_account(Platform::Reddit, "r/gone").await;

    // Without credentials: not configured, nothing asked.
    let anonymous = engine(app.db.clone(), &fake.uri(), |config| {
        config.credentials = false
    });
    let run = anonymous.run(Utc::now()).await.expect("a run");
    assert_eq!(run.accounts_skipped, 6, "{run:?}");
    let account = detail(&app, spez).await.account;
    assert_eq!(account.last_outcome, Some(Outcome::NotConfigured));
    assert!(account.last_error.unwrap().contains("REDDIT_CLIENT_ID"));
    assert!(fake.received_requests().await.unwrap().is_empty());

    let engine = app.engine(&fake.uri());
    engine.run(Utc::now()).await.expect("a run");
    let outcome = |id| {
        let app = &app;
        async move { detail(app, id).await.account.last_outcome }
    };
    assert_eq!(outcome(spez).await, Some(Outcome::Ok));
    assert_eq!(outcome(suspended).await, Some(Outcome::Suspended));
    assert_eq!(outcome(private).await, Some(Outcome::Private));
    assert_eq!(outcome(subreddit).await, Some(Outcome::Ok));
    assert_eq!(outcome(walled).await, Some(Outcome::Blocked));
    assert_eq!(outcome(banned).await, Some(Outcome::Suspended));
    assert_eq!(snapshots(&app, suspended).await, 0);
    assert!(
        detail(&app, subreddit)
            .await
            .account
            .latest
            .followers
            .is_some()
    );
    let requests = fake.received_requests().await.unwrap();
    assert_eq!(requests_to(&requests, "/api/v1/access_token"), 2);
    // Reddit's User-Agent rule.
    let agent = requests
        .iter()
        .find(|r| r.url.path() == "/user/spez/about")
        .and_then(|r| r.headers.get("user-agent"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        agent.starts_with("server:reach:") && agent.ends_with("(by /u/reach-tests)"),
        "{agent}"
    );
}

async fn a_spent_youtube_quota_pauses_youtube(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(
        &fake,
        "/youtube/v3/channels",
        answer(403, "youtube/error_quota_exceeded_403.json"),
    )
    .await;
    // Two requests' worth (50 a batch): the second is held by the pause.
    let mut ids = Vec::new();
    for i in 0..51 {
        ids.push(
            app.add_account(Platform::Youtube, &format!("@channel{i}"))
                .await,
        );
    }
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1
    });
    let run = engine.run(Utc::now()).await.expect("a run");
    assert_eq!(run.accounts_failed, 51, "{run:?}");
    for id in ids {
        assert_eq!(
            detail(&app, id).await.account.last_outcome,
            Some(Outcome::RateLimited)
        );
    }
    let requests = fake.received_requests().await.unwrap();
    assert_eq!(
        requests.len(),
        1,
        "no request is spent after the quota is gone"
    );
    // Until midnight Pacific, later runs leave YouTube alone.
    let later = engine.run(Utc::now()).await.expect("a later run");
    assert_eq!(later.accounts_total, 0, "{later:?}");
    assert_eq!(fake.received_requests().await.unwrap().len(), 1);
}

/// A fake Twitch whose first app token is refused once (401 "Invalid OAuth
/// token"); tokens are given only for the secret in the form body.
pub(crate) async fn twitch_refusing_the_first_token(fake: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .and(body_string_contains("client_secret=test-secret"))
        .respond_with(platform_json("twitch/token.json"))
        .mount(fake)
        .await;
    once_on_get(
        fake,
        "/helix/users",
        answer(401, "twitch/unauthorized_401.json"),
    )
    .await;
    on_get(fake, "/helix/users", platform_json("twitch/users.json")).await;
    on_get(
        fake,
        "/helix/channels/followers",
        platform_json("twitch/channels_followers_total_only.json"),
    )
    .await;
}

async fn a_refused_twitch_token_is_renewed_once(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    twitch_refusing_the_first_token(&fake).await;
    let id = app.add_account(Platform::Twitch, "twitchdev").await;
    app.engine(&fake.uri())
        .run(Utc::now())
        .await
        .expect("a run");
    let account = detail(&app, id).await.account;
    assert_eq!(
        account.last_outcome,
        Some(Outcome::Ok),
        "{:?}",
        account.last_error
    );
    let requests = fake.received_requests().await.unwrap();
    let tokens: Vec<&Request> = requests
        .iter()
        .filter(|r| r.url.path() == "/oauth2/token")
        .collect();
    assert_eq!(
        tokens.len(),
        2,
        "the refused token is dropped, one new one fetched"
    );
    assert!(
        tokens
            .iter()
            .all(|r| !r.url.query().unwrap_or_default().contains("secret")),
        "the secret travels in the body, never in the URL"
    );
}

/// Bluesky's getProfiles: a 400 for the whole call when one actor is not
/// one it accepts (`stale.bsky.social`); the profiles it has otherwise (by
/// handle or DID), leaving out the rest.
pub(crate) struct Profiles;

impl Respond for Profiles {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let actors: Vec<String> = request
            .url
            .query_pairs()
            .filter(|(k, _)| k == "actors")
            .map(|(_, v)| v.into_owned())
            .collect();
        if actors.iter().any(|a| a == "stale.bsky.social") {
            return answer(400, "bluesky/profiles_invalid_actor.json");
        }
        let all: serde_json::Value =
            serde_json::from_str(&platform_fixture("bluesky/profiles.json")).unwrap();
        let profiles: Vec<&serde_json::Value> = all["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                actors
                    .iter()
                    .any(|a| a == p["handle"].as_str().unwrap() || a == p["did"].as_str().unwrap())
            })
            .collect();
        ResponseTemplate::new(200).set_body_json(serde_json::json!({ "profiles": profiles }))
    }
}

async fn one_account_bluesky_rejects_does_not_fail_the_batch(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(&fake, "/xrpc/app.bsky.actor.getProfiles", Profiles).await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.actor.getProfile"))
        .and(query_param("actor", "gone.bsky.social"))
        .respond_with(answer(400, "bluesky/profile_deactivated.json"))
        .mount(&fake)
        .await;
    let good = app.add_account(Platform::Bluesky, "bsky.app").await;
    let also_good = app.add_account(Platform::Bluesky, "atproto.com").await;
    let stale = app
        .add_account(Platform::Bluesky, "stale.bsky.social")
        .await;
    let gone = app.add_account(Platform::Bluesky, "gone.bsky.social").await;
    app.engine(&fake.uri())
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(
        detail(&app, good).await.account.last_outcome,
        Some(Outcome::Ok)
    );
    assert_eq!(
        detail(&app, also_good).await.account.last_outcome,
        Some(Outcome::Ok)
    );
    assert_eq!(
        detail(&app, stale).await.account.last_outcome,
        Some(Outcome::InvalidHandle)
    );
    let gone = detail(&app, gone).await.account;
    assert_eq!(gone.last_outcome, Some(Outcome::Gone));
    assert_eq!(gone.state, Some(AccountState::Gone));
    // Atproto's own syntax is checked when the account is added.
    let refused = reach::accounts::add(
        &app.db,
        &reach::config::AddAccount {
            platform: Platform::Bluesky,
            handle: "john.0".into(),
            core: false,
            tags: vec![],
        },
    )
    .await;
    assert!(refused.is_err());
}

/// GitHub's anonymous limit, scaled: `LIMIT` requests per `WINDOW`, counted
/// per address over a fixed window as GitHub does; beyond it a 403 with
/// `x-ratelimit-remaining: 0`.
#[derive(Clone, Default)]
struct LimitedGithub {
    sent: Arc<Mutex<Vec<Instant>>>,
    refused: Arc<Mutex<usize>>,
}

const LIMIT: usize = 60;
const WINDOW: Duration = Duration::from_secs(3);

impl Respond for LimitedGithub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let now = Instant::now();
        let mut sent = self.sent.lock().unwrap();
        let recent = sent.iter().filter(|t| now - **t < WINDOW).count();
        if recent >= LIMIT {
            *self.refused.lock().unwrap() += 1;
            return answer(403, "github/rate_limited_primary_unauthenticated.json")
                .insert_header("x-ratelimit-remaining", "0");
        }
        sent.push(now);
        let login = request.url.path().rsplit('/').next().unwrap_or_default();
        let body = platform_fixture("github/user.json")
            .replace("\"octocat\"", &format!("\"{login}\""))
            .replace("583231", &(1_000 + sent.len()).to_string());
        ResponseTemplate::new(200).set_body_raw(body, "application/json")
    }
}

async fn the_default_github_budget_collects_every_account_over_cycles(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let github = LimitedGithub::default();
    Mock::given(method("GET"))
        .respond_with(github.clone())
        .mount(&fake)
        .await;
    for i in 0..200 {
        app.add_account(Platform::Github, &format!("user{i}")).await;
    }
    // The default anonymous budget (55 of GitHub's 60 an hour), scaled to
    // the fake's window; the default wait, scaled the same (60 s of an hour).
    let default = reach::collect::platforms::Budget::default_for(Platform::Github, false);
    let scale = WINDOW.as_secs_f64() / default.period.as_secs_f64();
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.budgets.insert(
            Platform::Github,
            reach::collect::platforms::Budget {
                period: WINDOW,
                ..default
            },
        );
        config.max_wait = Duration::from_secs_f64(60.0 * scale);
    });
    let mut cycles = 0;
    loop {
        cycles += 1;
        let run = engine.run(Utc::now()).await.expect("a run");
        assert_eq!(run.accounts_failed, 0, "cycle {cycles}: {run:?}");
        let left = db::entities::account::Entity::find()
            .filter(db::entities::account::Column::LastCollectedAt.is_null())
            .count(&app.db)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        assert!(
            cycles < 6,
            "{left} accounts still waiting after {cycles} cycles"
        );
        tokio::time::sleep(WINDOW).await;
    }
    // 200 accounts at 55 a window: four cycles, never refused, nobody
    // recorded rate limited for waiting its turn.
    assert_eq!(cycles, 4);
    assert_eq!(*github.refused.lock().unwrap(), 0);
    let limited = run_result::Entity::find()
        .filter(run_result::Column::Outcome.ne(Outcome::Ok))
        .count(&app.db)
        .await
        .unwrap();
    assert_eq!(limited, 0);
}

async fn each_platform_says_whether_it_works(backend: Backend) {
    use app::model::PlatformHealth;
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(&fake, "/users/octocat", platform_json("github/user.json")).await;
    on_get(
        &fake,
        "/rate_limit",
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "resources": {},
            "rate": {"limit": 60, "used": 1, "remaining": 59, "reset": 1_900_000_000}
        })),
    )
    .await;
    // Bluesky refuses this client with an HTML page, whatever it asks.
    on_get(
        &fake,
        "/xrpc/app.bsky.actor.getProfiles",
        ResponseTemplate::new(403).set_body_raw(
            "<html><head><title>Blocked</title></head></html>",
            "text/html",
        ),
    )
    .await;
    on_get(
        &fake,
        "/xrpc/app.bsky.actor.getProfile",
        ResponseTemplate::new(403).set_body_raw(
            "<html><head><title>Blocked</title></head></html>",
            "text/html",
        ),
    )
    .await;
    app.add_account(Platform::Github, "octocat").await;
    app.add_account(Platform::Bluesky, "bsky.app").await;
    app.add_account(Platform::Youtube, "@googledevelopers")
        .await;
    app.add_account(Platform::X, "someone").await;
    app.add_account(Platform::Instagram, "someone").await;
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.credentials = false;
    });
    engine.run(Utc::now()).await.expect("a run");

    let status = engine.status();
    let statuses = reach::platforms::statuses(&app.db, &status)
        .await
        .expect("the platforms");
    assert_eq!(statuses.len(), Platform::ALL.len());
    let of = |platform: Platform| {
        statuses
            .iter()
            .find(|s| s.platform == platform)
            .cloned()
            .unwrap()
    };
    let github = of(Platform::Github);
    assert_eq!(github.health, PlatformHealth::Live);
    assert_eq!(github.accounts, 1);
    let budget = github.budget.expect("a budget");
    assert_eq!((budget.spent, budget.pass_requests), (1, 1));
    let bluesky = of(Platform::Bluesky);
    assert_eq!(bluesky.health, PlatformHealth::Failing);
    assert_eq!(bluesky.failing, 1);
    assert!(
        bluesky
            .last_error
            .as_deref()
            .unwrap_or_default()
            .contains("blocks"),
        "{bluesky:?}"
    );
    let youtube = of(Platform::Youtube);
    assert_eq!(youtube.health, PlatformHealth::NotConfigured);
    assert_eq!(youtube.needs.as_deref(), Some("YOUTUBE_API_KEY"));
    let x = of(Platform::X);
    assert_eq!(x.health, PlatformHealth::NotConfigured);
    assert_eq!(x.needs.as_deref(), Some("X_BEARER_TOKEN"));
    let instagram = of(Platform::Instagram);
    assert_eq!(instagram.health, PlatformHealth::NotConfigured);
    assert!(
        instagram
            .needs
            .as_deref()
            .is_some_and(|n| n.contains("INSTAGRAM_ACCESS_TOKEN")),
        "{instagram:?}"
    );
    assert_eq!(of(Platform::Reddit).health, PlatformHealth::NotConfigured);
    assert_eq!(of(Platform::Tiktok).accounts, 0);

    // One cheap request each: GitHub's `/rate_limit` (which costs nothing),
    // Bluesky's refusal named.
    let checked = status
        .check(Platform::Github)
        .await
        .expect("a collector")
        .expect("GitHub answers");
    assert!(checked.contains("59 of 60"), "{checked}");
    let refused = status
        .check(Platform::Bluesky)
        .await
        .expect("a collector")
        .unwrap_err();
    assert_eq!(refused.outcome(), Outcome::Blocked);
    let unconfigured = status
        .check(Platform::Instagram)
        .await
        .expect("a collector")
        .unwrap_err();
    assert_eq!(unconfigured.outcome(), Outcome::NotConfigured);
    let table = reach::platforms::table(&statuses, &[]);
    assert!(table.contains("set YOUTUBE_API_KEY"), "{table}");

    // `/api/platforms` says the same of every platform (the server's own
    // budgets aside: it has engines of its own).
    let over_http: Vec<app::model::PlatformStatus> = app.get_json("/api/platforms").await;
    assert_eq!(over_http.len(), statuses.len());
    for (answered, expected) in over_http.iter().zip(&statuses) {
        assert_eq!(
            (answered.platform, answered.accounts, answered.failing),
            (expected.platform, expected.accounts, expected.failing)
        );
        assert_eq!(answered.last_error, expected.last_error);
    }
    let instagram = over_http
        .iter()
        .find(|s| s.platform == Platform::Instagram)
        .unwrap();
    assert_eq!(instagram.accounts, 1);
    let bluesky = over_http
        .iter()
        .find(|s| s.platform == Platform::Bluesky)
        .unwrap();
    assert_eq!(bluesky.health, PlatformHealth::Failing);

    // Attempts stored in one batch share their time. When one of them
    // worked, the platform answers: it is live, whichever row an index
    // happens to give first among equal times.
    let attempted = db::entities::account::Entity::find()
        .filter(db::entities::account::Column::Handle.eq("octocat"))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .last_attempt_at;
    let ghost = app.add_account(Platform::Github, "ghost").await;
    db::entities::account::Entity::update_many()
        .col_expr(
            db::entities::account::Column::LastAttemptAt,
            sea_orm::sea_query::Expr::value(attempted),
        )
        .col_expr(
            db::entities::account::Column::LastOutcome,
            sea_orm::sea_query::Expr::value(Outcome::Blocked),
        )
        .col_expr(
            db::entities::account::Column::LastError,
            sea_orm::sea_query::Expr::value("blocked in the same batch"),
        )
        .filter(db::entities::account::Column::Id.eq(ghost))
        .exec(&app.db)
        .await
        .unwrap();
    let statuses = reach::platforms::statuses(&app.db, &status)
        .await
        .expect("the platforms");
    let github = statuses
        .iter()
        .find(|s| s.platform == Platform::Github)
        .unwrap();
    assert_eq!(
        (github.health, github.accounts, github.failing),
        (PlatformHealth::Live, 2, 1),
        "{github:?}"
    );
}

async fn a_handle_stored_before_the_syntax_check_fails_alone(backend: Backend) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(&fake, "/xrpc/app.bsky.actor.getProfiles", Profiles).await;
    let stale = app
        .add_account(Platform::Bluesky, "stale.bsky.social")
        .await;
    // Stored before handles were checked against atproto's syntax.
    let old = db::entities::account::ActiveModel {
        platform: Set(Platform::Bluesky),
        handle: Set("john.0".into()),
        is_core: Set(false),
        simulated: Set(false),
        created_at: Set(Utc::now()),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id;
    app.engine(&fake.uri())
        .run(Utc::now())
        .await
        .expect("a run");
    for id in [stale, old] {
        let account = detail(&app, id).await.account;
        assert_eq!(
            account.last_outcome,
            Some(Outcome::InvalidHandle),
            "{}: {:?}",
            account.handle,
            account.last_error
        );
    }
}

async fn limits_the_platform_announces_pause_the_host(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    // GitHub's secondary limit: 403, requests remaining, `retry-after`.
    on_get(
        &fake,
        "/users/mona",
        answer(403, "github/rate_limited_secondary.json")
            .insert_header("x-ratelimit-remaining", "4990")
            .insert_header("retry-after", "60"),
    )
    .await;
    on_get(&fake, "/users/lisa", platform_json("github/user.json")).await;
    // Bluesky says, on a good answer, that the window is spent for two
    // minutes, in the IETF draft's headers (no `x-` prefix).
    let reset = (Utc::now().timestamp() + 120).to_string();
    on_get(
        &fake,
        "/xrpc/app.bsky.actor.getProfiles",
        platform_json("bluesky/profiles.json")
            .insert_header("ratelimit-limit", "3000")
            .insert_header("ratelimit-remaining", "0")
            .insert_header("ratelimit-reset", reset.as_str()),
    )
    .await;
    let mona = app.add_account(Platform::Github, "mona").await;
    let lisa = app.add_account(Platform::Github, "lisa").await;
    // 26 Bluesky accounts: two requests' worth (25 a batch).
    let mut bluesky = Vec::new();
    for i in 0..26 {
        bluesky.push(
            app.add_account(Platform::Bluesky, &format!("user{i}.bsky.social"))
                .await,
        );
    }
    let engine = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1;
        config.max_wait = Duration::from_secs(3);
    });
    engine.run(Utc::now()).await.expect("a run");

    let requests = fake.received_requests().await.unwrap();
    assert_eq!(
        requests_to(&requests, "/users/mona"),
        1,
        "not retried into the limit"
    );
    assert_eq!(
        requests_to(&requests, "/users/lisa"),
        0,
        "the host is paused"
    );
    for id in [mona, lisa] {
        assert_eq!(
            detail(&app, id).await.account.last_outcome,
            Some(Outcome::RateLimited)
        );
    }
    assert_eq!(
        requests_to(&requests, "/xrpc/app.bsky.actor.getProfiles"),
        1,
        "RateLimit-Remaining: 0 pauses Bluesky"
    );
    let held = detail(&app, *bluesky.last().unwrap()).await.account;
    assert_eq!(
        held.last_outcome,
        Some(Outcome::RateLimited),
        "{:?}",
        held.last_error
    );
}
