//! The platforms read with credentials (X's bearer token, a Telegram
//! bot's token, an Instagram access token, a TikTok research client),
//! against local
//! fakes serving their documented answers
//! (`tests/fixtures/platforms/SOURCES.md` says where each comes from).

use app::model::{Counters, Outcome, Platform};
use chrono::Utc;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::collection::{answer, on_get};
use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;
use crate::open_platforms::{detail, outcome};

on_both_backends!(
    x_reads_a_hundred_users_a_request_and_follows_them_by_id,
    x_refusals_are_told_apart,
    telegram_channels_have_subscribers,
    instagram_reads_professional_accounts_only,
    tiktok_research_answers_are_told_apart,
);

async fn x_reads_a_hundred_users_a_request_and_follows_them_by_id(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    // One suspended name among the batch: left out of `data`, in `errors`.
    Mock::given(method("GET"))
        .and(path("/x/2/users/by"))
        .and(query_param("usernames", "XDevelopers,suspendeduser,nobody"))
        .and(query_param(
            "user.fields",
            "public_metrics,protected,profile_image_url",
        ))
        .and(header("authorization", "Bearer test-bearer"))
        .respond_with(answer(200, "x/users_by_suspended.json"))
        .expect(1)
        .mount(&fake)
        .await;
    // The others are asked by name again (they have no id).
    Mock::given(method("GET"))
        .and(path("/x/2/users/by"))
        .and(query_param("usernames", "suspendeduser,nobody"))
        .respond_with(answer(200, "x/users_by_suspended.json"))
        .mount(&fake)
        .await;
    // Asked by its id, the account answers with its new username.
    Mock::given(method("GET"))
        .and(path("/x/2/users"))
        .and(query_param("ids", "2244994945"))
        .respond_with(answer(200, "x/users_ids_renamed.json"))
        .mount(&fake)
        .await;
    let developers = app.add_account(Platform::X, "@XDevelopers").await;
    let suspended = app.add_account(Platform::X, "suspendeduser").await;
    let nobody = app.add_account(Platform::X, "nobody").await;
    let engine = engine(app.db.clone(), &fake.uri(), |_| {});
    let run = engine.run(Utc::now()).await.expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 2), "{run:?}");

    let account = detail(&app, developers).await.account;
    assert_eq!(
        account.latest,
        Counters {
            followers: Some(583_423),
            following: Some(2_048),
            posts: Some(14_052),
            likes: Some(3_517),
            listed: Some(1_672),
            ..Counters::default()
        }
    );
    assert_eq!(outcome(&app, suspended).await, Some(Outcome::Suspended));
    assert_eq!(outcome(&app, nobody).await, Some(Outcome::NotFound));
    fake.verify().await;

    engine
        .run(Utc::now() + chrono::Duration::hours(2))
        .await
        .expect("a later run");
    let account = detail(&app, developers).await.account;
    assert_eq!(account.handle, "XDevs_renamed");
    assert_eq!(account.latest.posts, Some(14_053));
}

/// One X account alone against `response` for `/2/users/by`: its outcome
/// and counters.
async fn x_alone(
    backend: Backend,
    name: &str,
    response: ResponseTemplate,
) -> (Option<Outcome>, Counters) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(&fake, "/x/2/users/by", response).await;
    let id = app.add_account(Platform::X, name).await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    let account = detail(&app, id).await.account;
    (account.last_outcome, account.latest)
}

async fn x_refusals_are_told_apart(backend: Backend) {
    // The spec's newer name for the post count is read as the old one.
    let (outcome, counters) = x_alone(
        backend,
        "XDevelopers",
        answer(200, "x/users_by_spec_2026.json"),
    )
    .await;
    assert_eq!(outcome, Some(Outcome::Ok));
    assert_eq!(counters.posts, Some(14_052));
    // Found names and a missing one in one answer.
    let (outcome, _) = x_alone(
        backend,
        "xn47mzh437",
        answer(200, "x/users_by_partial_not_found.json"),
    )
    .await;
    assert_eq!(outcome, Some(Outcome::NotFound));
    // No name found: no `data` at all.
    let (outcome, _) = x_alone(
        backend,
        "fkdfkdfjfkfjk",
        answer(200, "x/users_by_none_found.json"),
    )
    .await;
    assert_eq!(outcome, Some(Outcome::NotFound));
    // The window spent: X's own headers say until when.
    let (outcome, _) = x_alone(
        backend,
        "busy",
        answer(429, "x/rate_limited_429.json")
            .insert_header("x-rate-limit-remaining", "0")
            .insert_header("x-rate-limit-reset", "4102444800"),
    )
    .await;
    assert_eq!(outcome, Some(Outcome::RateLimited));
    // A refused token, and an app X does not let use API v2.
    for (status, fixture) in [
        (401, "x/unauthorized_401.json"),
        (403, "x/client_not_enrolled_403.json"),
    ] {
        let (outcome, counters) = x_alone(backend, "someone", answer(status, fixture)).await;
        assert_eq!(outcome, Some(Outcome::Blocked), "{fixture}");
        assert_eq!(counters, Counters::default());
    }
}

async fn telegram_channels_have_subscribers(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let bot = |method_name: &str, chat: &str, response: ResponseTemplate| {
        Mock::given(method("GET"))
            .and(path(format!("/telegram/bot123:test-bot/{method_name}")))
            .and(query_param("chat_id", format!("@{chat}")))
            .respond_with(response)
    };
    bot(
        "getChat",
        "examplechannel",
        answer(200, "telegram/get_chat_channel.json"),
    )
    .mount(&fake)
    .await;
    bot(
        "getChatMemberCount",
        "examplechannel",
        answer(200, "telegram/get_chat_member_count.json"),
    )
    .mount(&fake)
    .await;
    bot(
        "getChat",
        "examplegroup",
        answer(200, "telegram/get_chat_supergroup.json"),
    )
    .mount(&fake)
    .await;
    bot(
        "getChat",
        "nosuchchannel",
        answer(400, "telegram/chat_not_found_400.json"),
    )
    .mount(&fake)
    .await;
    bot(
        "getChat",
        "privatechannel",
        answer(403, "telegram/not_member_private_channel_403.json"),
    )
    .mount(&fake)
    .await;
    bot(
        "getChat",
        "busychannel",
        answer(429, "telegram/too_many_requests_429.json").insert_header("retry-after", "5"),
    )
    .mount(&fake)
    .await;
    let channel = app
        .add_account(Platform::Telegram, "https://t.me/examplechannel")
        .await;
    let group = app.add_account(Platform::Telegram, "examplegroup").await;
    let missing = app.add_account(Platform::Telegram, "nosuchchannel").await;
    let private = app.add_account(Platform::Telegram, "privatechannel").await;
    let busy = app.add_account(Platform::Telegram, "busychannel").await;
    // One at a time, in the order added: the rate-limited account,
    // added last, pauses the (one) fake host only after the others.
    let run = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!((run.accounts_ok, run.accounts_failed), (1, 4), "{run:?}");
    let account = detail(&app, channel).await.account;
    assert_eq!(account.latest.followers, Some(1_234));
    assert_eq!(account.display_name.as_deref(), Some("Example Channel"));
    assert_eq!(outcome(&app, group).await, Some(Outcome::InvalidHandle));
    assert_eq!(outcome(&app, missing).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, private).await, Some(Outcome::Private));
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));

    // A refused token: blocked, and the token (part of the URL) is in no
    // message.
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(
        &fake,
        "/telegram/bot123:test-bot/getChat",
        answer(401, "telegram/unauthorized_401.json"),
    )
    .await;
    let id = app.add_account(Platform::Telegram, "examplechannel").await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    let account = detail(&app, id).await.account;
    assert_eq!(account.last_outcome, Some(Outcome::Blocked));
    let message = account.last_error.unwrap_or_default();
    assert!(!message.contains("test-bot"), "{message}");
    // Nor when the API cannot be reached at all.
    let app = TestApp::empty(backend).await;
    let id = app.add_account(Platform::Telegram, "examplechannel").await;
    engine(app.db.clone(), "http://127.0.0.1:9", |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    let account = detail(&app, id).await.account;
    let message = account.last_error.unwrap_or_default();
    assert!(
        !message.is_empty() && !message.contains("test-bot"),
        "{message}"
    );
}

async fn instagram_reads_professional_accounts_only(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    let discover = |name: &str, status: u16, fixture: &str| {
        Mock::given(method("GET"))
            .and(path("/graph/v26.0/17841405309211844"))
            .and(query_param(
                "fields",
                format!(
                    "business_discovery.username({name}){{id,username,name,followers_count,follows_count,media_count,profile_picture_url}}"
                ),
            ))
            .and(query_param("access_token", "test-ig-token"))
            .respond_with(answer(status, fixture))
    };
    discover("bluebottle", 200, "instagram/business_discovery_full.json")
        .mount(&fake)
        .await;
    discover("someone", 400, "instagram/not_found_or_personal_110.json")
        .mount(&fake)
        .await;
    discover("busy", 403, "instagram/rate_limited_app_4.json")
        .mount(&fake)
        .await;
    let business = app.add_account(Platform::Instagram, "@bluebottle").await;
    let personal = app.add_account(Platform::Instagram, "someone").await;
    let busy = app.add_account(Platform::Instagram, "busy").await;
    let run = engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1;
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!(run.accounts_total, 3, "{run:?}");
    let account = detail(&app, business).await.account;
    assert_eq!(
        account.latest,
        Counters {
            followers: Some(267_793),
            following: Some(387),
            posts: Some(1_205),
            ..Counters::default()
        }
    );
    assert_eq!(account.display_name.as_deref(), Some("Blue Bottle Coffee"));
    // A personal account is said to be one, not an error.
    let personal = detail(&app, personal).await.account;
    assert_eq!(personal.last_outcome, Some(Outcome::Private));
    assert!(
        personal
            .last_error
            .as_deref()
            .is_some_and(|e| e.contains("business and creator accounts only")),
        "{:?}",
        personal.last_error
    );
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));

    // An expired token.
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    on_get(
        &fake,
        "/graph/v26.0/17841405309211844",
        answer(400, "instagram/token_expired_190.json"),
    )
    .await;
    let id = app.add_account(Platform::Instagram, "bluebottle").await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(outcome(&app, id).await, Some(Outcome::Blocked));
}

async fn tiktok_research_answers_are_told_apart(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tiktok/v2/oauth/token/"))
        .respond_with(answer(200, "tiktok/token.json"))
        .expect(1)
        .mount(&fake)
        .await;
    let user = |name: &str, status: u16, fixture: &str| {
        Mock::given(method("POST"))
            .and(path("/tiktok/v2/research/user/info/"))
            .and(header(
                "authorization",
                "Bearer clt.example12345Example12345Example",
            ))
            .and(body_json(serde_json::json!({ "username": name })))
            .respond_with(answer(status, fixture))
    };
    user("my_name", 200, "tiktok/user_info.json")
        .mount(&fake)
        .await;
    user("mysteriousreese", 400, "tiktok/user_not_found_400.json")
        .mount(&fake)
        .await;
    user("privateuser", 400, "tiktok/user_private_400.json")
        .mount(&fake)
        .await;
    user("refused", 400, "tiktok/user_refused_400.json")
        .mount(&fake)
        .await;
    user("busy", 429, "tiktok/rate_limited_429.json")
        .mount(&fake)
        .await;
    let found = app.add_account(Platform::Tiktok, "my_name").await;
    let missing = app.add_account(Platform::Tiktok, "mysteriousreese").await;
    let private = app.add_account(Platform::Tiktok, "privateuser").await;
    let refused = app.add_account(Platform::Tiktok, "refused").await;
    let busy = app.add_account(Platform::Tiktok, "busy").await;
    engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.workers = 1;
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!(
        detail(&app, found).await.account.latest,
        Counters {
            followers: Some(232),
            following: Some(45),
            posts: Some(44),
            likes: Some(27_155_089),
            ..Counters::default()
        }
    );
    assert_eq!(outcome(&app, missing).await, Some(Outcome::NotFound));
    assert_eq!(outcome(&app, private).await, Some(Outcome::Private));
    assert_eq!(outcome(&app, refused).await, Some(Outcome::Private));
    assert_eq!(outcome(&app, busy).await, Some(Outcome::RateLimited));
    fake.verify().await;

    // Refused client credentials.
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/tiktok/v2/oauth/token/"))
        .respond_with(answer(401, "tiktok/token_invalid_client.json"))
        .mount(&fake)
        .await;
    let id = app.add_account(Platform::Tiktok, "my_name").await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(outcome(&app, id).await, Some(Outcome::Blocked));
}
