//! The real `reach` binary reading the platforms that need credentials (X,
//! Telegram, Instagram, TikTok) from local fakes, given their credentials
//! in its environment.

use db::entities::{account, snapshot};
use sea_orm::{Database, EntityTrait, PaginatorTrait};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::collect_cli::{reach_with, succeeded};
use crate::collection::{on_get, platform_json};

/// X, Telegram, Instagram and TikTok need credentials: given them, the
/// binary reads their answers and stores the counters (X's lists and likes
/// given included).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_reads_the_platforms_that_need_credentials() {
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/x/2/users/by"))
        .and(wiremock::matchers::header(
            "authorization",
            "Bearer x-test-token",
        ))
        .respond_with(platform_json("x/users_by_spec_2026.json"))
        .mount(&fake)
        .await;
    on_get(
        &fake,
        "/telegram/bot42:tg-test/getChat",
        platform_json("telegram/get_chat_channel.json"),
    )
    .await;
    on_get(
        &fake,
        "/telegram/bot42:tg-test/getChatMemberCount",
        platform_json("telegram/get_chat_member_count.json"),
    )
    .await;
    on_get(
        &fake,
        "/graph/v26.0/178414000",
        platform_json("instagram/business_discovery_full.json"),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/tiktok/v2/oauth/token/"))
        .respond_with(platform_json("tiktok/token.json"))
        .mount(&fake)
        .await;
    Mock::given(method("POST"))
        .and(path("/tiktok/v2/research/user/info/"))
        .respond_with(platform_json("tiktok/user_info.json"))
        .mount(&fake)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let uri = fake.uri();
    let env = [
        ("X_BEARER_TOKEN", "x-test-token"),
        ("TELEGRAM_BOT_TOKEN", "42:tg-test"),
        ("INSTAGRAM_ACCESS_TOKEN", "ig-test"),
        ("INSTAGRAM_USER_ID", "178414000"),
        ("TIKTOK_CLIENT_KEY", "tt-key"),
        ("TIKTOK_CLIENT_SECRET", "tt-secret"),
    ];
    for (platform, handle) in [
        ("x", "XDevelopers"),
        ("telegram", "examplechannel"),
        ("instagram", "bluebottle"),
        ("tiktok", "my_name"),
    ] {
        succeeded(
            &reach_with(
                dir.path(),
                &uri,
                &["account", "add", platform, handle],
                &env,
            )
            .await,
        );
    }
    let run = succeeded(&reach_with(dir.path(), &uri, &["collect"], &env).await);
    assert!(run.contains("4 ok"), "{run}");
    let db = Database::connect(format!("sqlite://{}/reach.db", dir.path().display()))
        .await
        .unwrap();
    let accounts = account::Entity::find().all(&db).await.unwrap();
    let x = accounts
        .iter()
        .find(|a| a.platform.as_str() == "x")
        .unwrap();
    assert_eq!(
        (x.followers, x.posts, x.listed, x.likes),
        (Some(583_423), Some(14_052), Some(1_672), Some(3_517))
    );
    assert_eq!(x.platform_id.as_deref(), Some("2244994945"));
    let telegram = accounts
        .iter()
        .find(|a| a.platform.as_str() == "telegram")
        .unwrap();
    assert_eq!(telegram.followers, Some(1_234));
    assert_eq!(telegram.platform_id.as_deref(), Some("-1001234567890"));
    let instagram = accounts
        .iter()
        .find(|a| a.platform.as_str() == "instagram")
        .unwrap();
    assert_eq!(
        (instagram.followers, instagram.following, instagram.posts),
        (Some(267_793), Some(387), Some(1_205))
    );
    let tiktok = accounts
        .iter()
        .find(|a| a.platform.as_str() == "tiktok")
        .unwrap();
    assert_eq!(
        (tiktok.followers, tiktok.likes),
        (Some(232), Some(27_155_089))
    );
    assert_eq!(
        snapshot::Entity::find().count(&db).await.unwrap(),
        4,
        "one snapshot each"
    );
}
