//! The federated platforms, each account asked on its own server: Lemmy,
//! PeerTube, Misskey, and the servers speaking Mastodon's API (Akkoma,
//! Pixelfed, GoToSocial), against local fakes serving their documented
//! answers (`tests/fixtures/platforms/SOURCES.md` says where each comes
//! from).

use app::model::{Counters, Outcome, Platform};
use chrono::Utc;
use wiremock::matchers::{body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::collection::{answer, on_get, platform_fixture};
use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;
use crate::open_platforms::{detail, outcome};

on_both_backends!(
    lemmy_communities_have_subscribers_and_users_posts,
    peertube_channels_and_accounts_have_subscribers,
    misskey_hidden_counts_are_unknown_not_zero,
    servers_speaking_mastodons_api_are_read_as_they_answer,
);

async fn lemmy_communities_have_subscribers_and_users_posts(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let community = |host: &str, name: &str, status: u16, fixture: &str| {
        Mock::given(method("GET"))
            .and(path(format!("/lemmy/{host}/api/v3/community")))
            .and(query_param("name", name))
            .respond_with(answer(status, fixture))
    };
    community("lemmy.example", "asklemmy", 200, "lemmy/community_v3.json")
        .mount(&fake)
        .await;
    // Lemmy 1.0: the counts on the community.
    community("lemmy.one", "asklemmy", 200, "lemmy/community_v4.json")
        .mount(&fake)
        .await;
    community(
        "lemmy.example",
        "gone",
        400,
        "lemmy/couldnt_find_community.json",
    )
    .mount(&fake)
    .await;
    community(
        "lemmy.example",
        "busy",
        400,
        "lemmy/rate_limit_error_v3.json",
    )
    .mount(&fake)
    .await;
    community(
        "private.example",
        "club",
        400,
        "lemmy/instance_is_private_v3.json",
    )
    .mount(&fake)
    .await;
    let user = |host: &str, route: &str, name: &str, fixture: &str| {
        Mock::given(method("GET"))
            .and(path(format!("/lemmy/{host}{route}")))
            .and(query_param("username", name))
            .respond_with(answer(200, fixture))
    };
    user(
        "lemmy.example",
        "/api/v3/user",
        "alice",
        "lemmy/person_v3.json",
    )
    .mount(&fake)
    .await;
    user(
        "lemmy.example",
        "/api/v3/user",
        "spammer99",
        "lemmy/person_banned_v3.json",
    )
    .mount(&fake)
    .await;
    // Lemmy 1.0 has no `/api/v3/user` (a 404): `/api/v4/person` answers.
    user(
        "lemmy.one",
        "/api/v4/person",
        "alice",
        "lemmy/person_v4.json",
    )
    .mount(&fake)
    .await;

    let asklemmy = app
        .add_account(Platform::Lemmy, "!asklemmy@lemmy.example")
        .await;
    let on_one = app
        .add_account(Platform::Lemmy, "https://lemmy.one/c/asklemmy")
        .await;
    let gone = app
        .add_account(Platform::Lemmy, "!gone@lemmy.example")
        .await;
    let private = app
        .add_account(Platform::Lemmy, "!club@private.example")
        .await;
    let alice = app
        .add_account(Platform::Lemmy, "@alice@lemmy.example")
        .await;
    let alice_one = app.add_account(Platform::Lemmy, "alice@lemmy.one").await;
    let banned = app
        .add_account(Platform::Lemmy, "spammer99@lemmy.example")
        .await;
    let unknown = app
        .add_account(Platform::Lemmy, "nobody@lemmy.example")
        .await;
    let run = engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (4, 4), "{run:?}");

    let account = detail(&app, asklemmy).await.account;
    assert_eq!(account.display_name.as_deref(), Some("Ask Lemmy"));
    assert_eq!(
        account.latest,
        Counters {
            followers: Some(48_213),
            posts: Some(6_120),
            ..Counters::default()
        }
    );
    assert!(
        detail(&app, on_one)
            .await
            .account
            .latest
            .followers
            .is_some()
    );
    let alice = detail(&app, alice).await.account;
    assert_eq!(
        alice.latest,
        Counters {
            posts: Some(211),
            ..Counters::default()
        },
        "a Lemmy user has posts, no subscribers"
    );
    assert_eq!(
        detail(&app, alice_one).await.account.latest.posts,
        Some(211)
    );
    assert_eq!(outcome(&app, gone).await, Some(Outcome::Gone));
    assert_eq!(outcome(&app, private).await, Some(Outcome::Private));
    assert_eq!(outcome(&app, banned).await, Some(Outcome::Suspended));
    assert_eq!(outcome(&app, unknown).await, Some(Outcome::NotFound));

    // Lemmy 0.19's rate limit is a 400 that says so: the instance pauses.
    let busy = app
        .add_account(Platform::Lemmy, "!busy@lemmy.example")
        .await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));
}

async fn peertube_channels_and_accounts_have_subscribers(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(
        &fake,
        "/peertube/kolektiva.media/api/v1/video-channels/documentary_channel",
        answer(200, "peertube/video_channel.json"),
    )
    .await;
    on_get(
        &fake,
        "/peertube/framatube.org/api/v1/accounts/framasoft",
        answer(200, "peertube/account.json"),
    )
    .await;
    on_get(
        &fake,
        "/peertube/framatube.org/api/v1/video-channels/nothing",
        answer(404, "peertube/video_channel_not_found.json"),
    )
    .await;
    // PeerTube's limiter answers in plain text.
    on_get(
        &fake,
        "/peertube/framatube.org/api/v1/accounts/busy",
        ResponseTemplate::new(429)
            .insert_header("retry-after", "7")
            .set_body_raw(
                platform_fixture("peertube/rate_limited_429.txt"),
                "text/plain",
            ),
    )
    .await;
    let channel = app
        .add_account(Platform::Peertube, "c/documentary_channel@kolektiva.media")
        .await;
    let account = app
        .add_account(Platform::Peertube, "https://framatube.org/a/framasoft")
        .await;
    let missing = app
        .add_account(Platform::Peertube, "c/nothing@framatube.org")
        .await;
    let busy = app
        .add_account(Platform::Peertube, "a/busy@framatube.org")
        .await;
    // One at a time, in the order added: the rate-limited account,
    // added last, pauses the (one) fake host only after the others.
    let run = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (2, 2), "{run:?}");
    let channel = detail(&app, channel).await.account;
    assert_eq!(channel.latest.followers, Some(35));
    assert_eq!(channel.display_name.as_deref(), Some("Documentary Channel"));
    assert_eq!(
        detail(&app, account).await.account.latest.followers,
        Some(980)
    );
    assert_eq!(outcome(&app, missing).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));
}

async fn misskey_hidden_counts_are_unknown_not_zero(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let show = |username: &str, status: u16, fixture: &str| {
        Mock::given(method("POST"))
            .and(path("/misskey/misskey.backspace.fm/api/users/show"))
            .and(body_json(
                serde_json::json!({"username": username, "host": null}),
            ))
            .respond_with(answer(status, fixture))
    };
    show("akeome", 200, "misskey/users_show.json")
        .mount(&fake)
        .await;
    show("shy", 200, "misskey/users_show_hidden_counts.json")
        .mount(&fake)
        .await;
    show("nobody", 404, "misskey/no_such_user.json")
        .mount(&fake)
        .await;
    // Misskey before 13.10 answered 400.
    show("old", 400, "misskey/no_such_user.json")
        .mount(&fake)
        .await;
    show("busy", 429, "misskey/rate_limit_exceeded.json")
        .mount(&fake)
        .await;
    let akeome = app
        .add_account(Platform::Misskey, "@akeome@misskey.backspace.fm")
        .await;
    let shy = app
        .add_account(Platform::Misskey, "shy@misskey.backspace.fm")
        .await;
    let nobody = app
        .add_account(Platform::Misskey, "nobody@misskey.backspace.fm")
        .await;
    let old = app
        .add_account(Platform::Misskey, "old@misskey.backspace.fm")
        .await;
    let busy = app
        .add_account(Platform::Misskey, "busy@misskey.backspace.fm")
        .await;
    // One at a time, in the order added: the rate-limited account,
    // added last, pauses the (one) fake host only after the others.
    let run = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (2, 3), "{run:?}");

    let fixture: serde_json::Value =
        serde_json::from_str(&platform_fixture("misskey/users_show.json")).unwrap();
    let akeome = detail(&app, akeome).await.account;
    assert_eq!(akeome.latest.followers, fixture["followersCount"].as_i64());
    assert_eq!(akeome.latest.posts, fixture["notesCount"].as_i64());
    // `followersVisibility: private`, `followingVisibility: followers`:
    // the zeros Misskey sends are not counts.
    let shy = detail(&app, shy).await.account;
    assert_eq!(
        shy.latest,
        Counters {
            posts: Some(1_312),
            ..Counters::default()
        }
    );
    assert_eq!(outcome(&app, nobody).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, old).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));
}

async fn servers_speaking_mastodons_api_are_read_as_they_answer(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let lookup = |host: &str, acct: &str, response: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path(format!("/m/{host}/api/v1/accounts/lookup")))
            .and(query_param("acct", acct))
            .respond_with(response)
    };
    // Akkoma: like Mastodon. A count hidden while the list is shown is
    // still sent, and kept.
    let akkoma = platform_fixture("mastodon/akkoma_lookup.json").replace(
        "\"hide_followers_count\": false",
        "\"hide_followers_count\": true",
    );
    lookup(
        "shitposter.club",
        "shp",
        ResponseTemplate::new(200).set_body_raw(akkoma, "application/json"),
    )
    .mount(&fake)
    .await;
    // Pixelfed: found by name; by id only for signed-in users (its login
    // page); an unknown name is a 400.
    lookup(
        "pixelfed.example",
        "alice",
        answer(200, "mastodon/pixelfed_lookup.json"),
    )
    .mount(&fake)
    .await;
    on_get(
        &fake,
        "/m/pixelfed.example/api/v1/accounts/704211345367216129",
        ResponseTemplate::new(302).insert_header("location", "/m/pixelfed.example/login"),
    )
    .await;
    on_get(
        &fake,
        "/m/pixelfed.example/login",
        ResponseTemplate::new(200).set_body_raw("<!DOCTYPE html><title>Login</title>", "text/html"),
    )
    .await;
    lookup(
        "pixelfed.example",
        "nobody",
        answer(400, "mastodon/pixelfed_record_not_found_400.json"),
    )
    .mount(&fake)
    .await;
    // GoToSocial: signed-in clients only.
    lookup(
        "gts.example",
        "the_mighty_zork",
        answer(401, "mastodon/gotosocial_unauthorized.json"),
    )
    .mount(&fake)
    .await;
    let shp = app
        .add_account(Platform::Mastodon, "shp@shitposter.club")
        .await;
    let alice = app
        .add_account(Platform::Mastodon, "alice@pixelfed.example")
        .await;
    let nobody = app
        .add_account(Platform::Mastodon, "nobody@pixelfed.example")
        .await;
    let zork = app
        .add_account(Platform::Mastodon, "the_mighty_zork@gts.example")
        .await;
    let uri = fake.uri();
    let engine = engine(app.db.clone(), &uri, |config| {
        config.mastodon_url = Some(format!("{uri}/m/{{host}}"));
    });
    engine.run(Utc::now()).await.expect("a run");

    let shp = detail(&app, shp).await.account;
    assert_eq!(shp.last_outcome, Some(Outcome::Ok), "{:?}", shp.last_error);
    assert_eq!(shp.latest.followers, Some(3));
    assert_eq!(
        detail(&app, alice).await.account.latest.followers,
        Some(1_204)
    );
    assert_eq!(outcome(&app, nobody).await, Some(Outcome::NotFound));
    let zork = detail(&app, zork).await.account;
    assert_eq!(zork.last_outcome, Some(Outcome::Blocked));
    assert!(
        zork.last_error
            .as_deref()
            .is_some_and(|e| e.contains("signed-in clients only")),
        "{:?}",
        zork.last_error
    );

    // Asked again by its id, Pixelfed's login page sends Reach back to the
    // lookup by name.
    engine
        .run(Utc::now() + chrono::Duration::hours(2))
        .await
        .expect("a later run");
    let again = detail(&app, alice).await.account;
    assert_eq!(
        again.last_outcome,
        Some(Outcome::Ok),
        "{:?}",
        again.last_error
    );
    let requests = fake.received_requests().await.unwrap();
    assert!(
        requests
            .iter()
            .any(|r| r.url.path().ends_with("/704211345367216129"))
    );
}
