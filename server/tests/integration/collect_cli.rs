//! The real `reach` binary collecting from local fakes of every platform,
//! reached through its `REACH_*_URL` settings: `account add`, two
//! `collect`s, `platforms` and `platforms --check`, then what the database holds. The
//! fakes serve the platforms' documented answers
//! (`tests/fixtures/platforms/SOURCES.md`): a suspended account, a rename,
//! a spent quota, a refused token, a blocked client and one handle the
//! platform rejects in a batch.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use app::model::Outcome;
use db::entities::{account, snapshot};
use sea_orm::{ColumnTrait, Database, EntityTrait, PaginatorTrait, QueryFilter};
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::collection::{answer, on_get, platform_fixture, platform_json};
use crate::platforms::{Profiles, twitch_refusing_the_first_token};

/// Runs `reach` on `dir`'s database with every platform at `fake`.
async fn reach(dir: &Path, fake: &str, args: &[&str]) -> Output {
    reach_with(dir, fake, args, &[]).await
}

/// [`reach`] with more environment: credentials some tests give.
pub(crate) async fn reach_with(
    dir: &Path,
    fake: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reach"));
    command.envs(env.iter().copied());
    command
        .arg("--database-url")
        .arg(format!("sqlite://{}/reach.db", dir.display()))
        .args(args)
        .env("RUST_LOG", "warn")
        .env("REACH_MASTODON_URL", fake)
        .env("REACH_BLUESKY_URL", fake)
        .env("REACH_REDDIT_URL", fake)
        .env(
            "REACH_REDDIT_AUTH_URL",
            format!("{fake}/api/v1/access_token"),
        )
        .env("REACH_GITHUB_URL", fake)
        .env("REACH_YOUTUBE_URL", format!("{fake}/youtube/v3"))
        .env("REACH_TWITCH_URL", format!("{fake}/helix"))
        .env("REACH_TWITCH_AUTH_URL", format!("{fake}/oauth2/token"))
        .env("REACH_HACKERNEWS_URL", format!("{fake}/hn/v0"))
        .env("REACH_STACKEXCHANGE_URL", format!("{fake}/se/2.3"))
        .env("REACH_DISCORD_URL", format!("{fake}/discord/api/v10"))
        .env("REACH_LEMMY_URL", format!("{fake}/lemmy/{{host}}"))
        .env("REACH_PEERTUBE_URL", format!("{fake}/peertube/{{host}}"))
        .env("REACH_MISSKEY_URL", format!("{fake}/misskey/{{host}}"))
        .env("REACH_X_URL", format!("{fake}/x"))
        .env("REACH_TELEGRAM_URL", format!("{fake}/telegram"))
        .env("REACH_INSTAGRAM_URL", format!("{fake}/graph/v26.0"))
        .env("REACH_TIKTOK_URL", format!("{fake}/tiktok"))
        .env("YOUTUBE_API_KEY", "test-key")
        .env("TWITCH_CLIENT_ID", "test-client")
        .env("TWITCH_CLIENT_SECRET", "test-secret")
        .env("REDDIT_CLIENT_ID", "test-client")
        .env("REDDIT_CLIENT_SECRET", "test-secret")
        .env("REDDIT_USERNAME", "reach-tests");
    tokio::task::spawn_blocking(move || command.output().expect("run reach"))
        .await
        .unwrap()
}

pub(crate) fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "reach failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

async fn fakes() -> MockServer {
    let fake = MockServer::start().await;
    // Mastodon: found by lookup, then suspended when asked by id.
    on_get(
        &fake,
        "/api/v1/accounts/lookup",
        platform_json("mastodon/lookup.json"),
    )
    .await;
    let suspended = platform_fixture("mastodon/account_suspended.json").replace("\"14\"", "\"1\"");
    on_get(
        &fake,
        "/api/v1/accounts/1",
        ResponseTemplate::new(200).set_body_raw(suspended, "application/json"),
    )
    .await;
    on_get(
        &fake,
        "/api/v2/instance",
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "domain": "mastodon.social", "title": "Mastodon"
        })),
    )
    .await;
    // GitHub: by login first, then by id, renamed.
    on_get(&fake, "/users/octocat", platform_json("github/user.json")).await;
    on_get(
        &fake,
        "/user/583231",
        platform_json("github/user_by_id_renamed.json"),
    )
    .await;
    on_get(
        &fake,
        "/rate_limit",
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "rate": {"limit": 60, "used": 3, "remaining": 57, "reset": 1_900_000_000}
        })),
    )
    .await;
    // YouTube: the day's quota is spent.
    on_get(
        &fake,
        "/youtube/v3/channels",
        answer(403, "youtube/error_quota_exceeded_403.json"),
    )
    .await;
    // Twitch: the first token is refused once.
    twitch_refusing_the_first_token(&fake).await;
    // Reddit: a token, a user, and a client it blocks.
    Mock::given(method("POST"))
        .and(path("/api/v1/access_token"))
        .respond_with(platform_json("reddit/access_token_client_credentials.json"))
        .mount(&fake)
        .await;
    on_get(
        &fake,
        "/user/spez/about",
        platform_json("reddit/user_about.json"),
    )
    .await;
    on_get(
        &fake,
        "/user/walled/about",
        answer(403, "reddit/blocked_403.html"),
    )
    .await;
    // Bluesky: one handle it rejects in a batch.
    on_get(&fake, "/xrpc/app.bsky.actor.getProfiles", Profiles).await;
    Mock::given(method("GET"))
        .and(path("/xrpc/app.bsky.actor.getProfile"))
        .and(query_param("actor", "bsky.app"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                serde_json::from_str::<serde_json::Value>(&platform_fixture(
                    "bluesky/profiles_partial.json",
                ))
                .unwrap()["profiles"][0]
                    .clone(),
            ),
        )
        .mount(&fake)
        .await;
    // Hacker News: karma, and the newest item for the check.
    on_get(
        &fake,
        "/hn/v0/user/jl.json",
        platform_json("hackernews/user.json"),
    )
    .await;
    on_get(
        &fake,
        "/hn/v0/maxitem.json",
        ResponseTemplate::new(200).set_body_raw("46123456", "application/json"),
    )
    .await;
    // Stack Exchange: two users of one site in one request; the quota left
    // for the check.
    on_get(
        &fake,
        "/se/2.3/users/1;646735",
        platform_json("stackexchange/users_batch.json"),
    )
    .await;
    on_get(
        &fake,
        "/se/2.3/info",
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "items": [], "quota_max": 300, "quota_remaining": 280
        })),
    )
    .await;
    // Discord: a server's members and members online.
    on_get(
        &fake,
        "/discord/api/v10/invites/jvuBeT38",
        platform_json("discord/invite_with_counts.json"),
    )
    .await;
    on_get(
        &fake,
        "/discord/api/v10/invites/discord-developers",
        platform_json("discord/invite_vanity_2026.json"),
    )
    .await;
    // Lemmy, PeerTube and Misskey, each on its server's path.
    on_get(
        &fake,
        "/lemmy/lemmy.example/api/v3/community",
        platform_json("lemmy/community_v3.json"),
    )
    .await;
    on_get(
        &fake,
        "/peertube/kolektiva.media/api/v1/video-channels/documentary_channel",
        platform_json("peertube/video_channel.json"),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/misskey/misskey.backspace.fm/api/users/show"))
        .respond_with(platform_json("misskey/users_show.json"))
        .mount(&fake)
        .await;
    // What their checks ask: one well-known server each.
    on_get(
        &fake,
        "/lemmy/lemmy.ml/api/v3/community",
        platform_json("lemmy/community_v3.json"),
    )
    .await;
    on_get(
        &fake,
        "/peertube/framatube.org/api/v1/accounts/framasoft",
        platform_json("peertube/account.json"),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/misskey/misskey.io/api/users/show"))
        .respond_with(platform_json("misskey/users_show.json"))
        .mount(&fake)
        .await;
    fake
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_collects_every_platform_truthfully() {
    let fake = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let uri = fake.uri();
    for (platform, handle) in [
        ("mastodon", "Gargron@mastodon.social"),
        ("github", "octocat"),
        ("youtube", "@googledevelopers"),
        ("twitch", "twitchdev"),
        ("reddit", "spez"),
        ("reddit", "walled"),
        ("bluesky", "bsky.app"),
        ("bluesky", "stale.bsky.social"),
        ("x", "someone"),
        ("instagram", "someone"),
        ("tiktok", "someone"),
        ("hackernews", "jl"),
        ("stackexchange", "1@stackoverflow"),
        ("stackexchange", "646735@stackoverflow"),
        ("discord", "discord.gg/jvuBeT38"),
        ("lemmy", "!asklemmy@lemmy.example"),
        ("peertube", "c/documentary_channel@kolektiva.media"),
        ("misskey", "akeome@misskey.backspace.fm"),
    ] {
        succeeded(&reach(dir.path(), &uri, &["account", "add", platform, handle]).await);
    }
    let refused = reach(dir.path(), &uri, &["account", "add", "bluesky", "john.0"]).await;
    assert!(!refused.status.success(), "atproto's syntax is checked");

    let first = succeeded(&reach(dir.path(), &uri, &["collect"]).await);
    assert!(first.contains("12 ok"), "{first}");
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    succeeded(&reach(dir.path(), &uri, &["collect"]).await);

    let db = Database::connect(format!("sqlite://{}/reach.db", dir.path().display()))
        .await
        .unwrap();
    let accounts = account::Entity::find().all(&db).await.unwrap();
    let find = |platform: &str, handle: &str| {
        accounts
            .iter()
            .find(|a| a.platform.as_str() == platform && a.handle == handle)
            .unwrap_or_else(|| panic!("{platform} {handle} in {accounts:?}"))
            .clone()
    };
    let snapshots = |id: i64| {
        let db = &db;
        async move {
            snapshot::Entity::find()
                .filter(snapshot::Column::AccountId.eq(id))
                .count(db)
                .await
                .unwrap()
        }
    };

    let mastodon = find("mastodon", "Gargron@mastodon.social");
    assert_eq!(mastodon.last_outcome, Some(Outcome::Suspended));
    assert_eq!(mastodon.followers, Some(367_251), "no drop to zero");
    assert_eq!(snapshots(mastodon.id).await, 1);

    let github = find("github", "octo-renamed");
    assert_eq!(github.last_outcome, Some(Outcome::Ok));
    assert_eq!(snapshots(github.id).await, 2, "renamed, history kept");

    let youtube = find("youtube", "@googledevelopers");
    assert_eq!(youtube.last_outcome, Some(Outcome::RateLimited));
    assert_eq!(snapshots(youtube.id).await, 0);

    let twitch = find("twitch", "twitchdev");
    assert_eq!(
        twitch.last_outcome,
        Some(Outcome::Ok),
        "{:?}",
        twitch.last_error
    );
    assert!(twitch.followers.is_some());

    assert_eq!(find("reddit", "spez").last_outcome, Some(Outcome::Ok));
    let walled = find("reddit", "walled");
    assert_eq!(walled.last_outcome, Some(Outcome::Blocked));
    assert_eq!(snapshots(walled.id).await, 0);

    let bluesky = find("bluesky", "bsky.app");
    assert_eq!(bluesky.last_outcome, Some(Outcome::Ok));
    assert_eq!(bluesky.followers, Some(32_795_617));
    assert_eq!(
        find("bluesky", "stale.bsky.social").last_outcome,
        Some(Outcome::InvalidHandle)
    );

    for platform in ["x", "instagram", "tiktok"] {
        let real = find(platform, "someone");
        assert_eq!(
            real.last_outcome,
            Some(Outcome::NotConfigured),
            "{platform}"
        );
        assert!(!real.simulated, "{platform}");
        assert_eq!(real.followers, None, "{platform}");
        assert_eq!(
            snapshots(real.id).await,
            0,
            "{platform}: no invented counters"
        );
    }

    // Counters that are not followers keep their own metric.
    let hn = find("hackernews", "jl");
    assert_eq!((hn.score, hn.followers), (Some(2_937), None));
    assert_eq!(snapshots(hn.id).await, 2);
    assert_eq!(
        find("stackexchange", "646735@stackoverflow").score,
        Some(4_156)
    );
    assert_eq!(find("stackexchange", "1@stackoverflow").score, Some(9_001));
    let discord = find("discord", "jvuBeT38");
    assert_eq!((discord.followers, discord.online), (Some(100), Some(99)));
    assert_eq!(discord.platform_id.as_deref(), Some("1046920999469330512"));
    let lemmy = find("lemmy", "!asklemmy@lemmy.example");
    assert_eq!((lemmy.followers, lemmy.posts), (Some(48_213), Some(6_120)));
    assert_eq!(
        find("peertube", "c/documentary_channel@kolektiva.media").followers,
        Some(35)
    );
    let misskey = find("misskey", "akeome@misskey.backspace.fm");
    assert!(misskey.followers.is_some() && misskey.posts.is_some());
    assert_eq!(snapshots(misskey.id).await, 2);

    // `reach platforms`: one line per platform with its state and accounts,
    // and what a failing one last said.
    let report = succeeded(&reach(dir.path(), &uri, &["platforms"]).await);
    // Columns: platform (14), status (15), accounts (8), failing (8).
    let line = |label: &str| {
        let line = report
            .lines()
            .find(|l| l.starts_with(&format!("{label} ")))
            .unwrap_or_else(|| panic!("no {label} line in {report}"));
        [&line[15..30], &line[31..39], &line[40..48]].map(|cell| cell.trim().to_owned())
    };
    assert_eq!(line("GitHub"), ["live", "1", "0"], "{report}");
    // A state is not a failure; the latest of Reddit's two attempts worked.
    assert_eq!(line("Mastodon"), ["live", "1", "0"], "{report}");
    assert_eq!(line("Reddit"), ["live", "2", "1"], "{report}");
    assert_eq!(line("YouTube"), ["failing", "1", "1"], "{report}");
    assert_eq!(line("Hacker News"), ["live", "1", "0"], "{report}");
    assert_eq!(line("Stack Exchange"), ["live", "2", "0"], "{report}");
    assert_eq!(line("Discord"), ["live", "1", "0"], "{report}");
    assert_eq!(line("X"), ["not configured", "1", "0"], "{report}");
    assert!(report.contains("set X_BEARER_TOKEN"), "{report}");
    for label in ["Instagram", "TikTok"] {
        // Credentials Reach was not given.
        assert_eq!(line(label), ["not configured", "1", "0"], "{report}");
    }
    assert!(report.contains("set INSTAGRAM_ACCESS_TOKEN"), "{report}");
    assert!(
        !report.contains("check:"),
        "no --check, no requests: {report}"
    );

    // `reach platforms --check`: the table, and YouTube's spent quota is a
    // failed check (exit status 1); the others answer.
    let report = reach(dir.path(), &uri, &["platforms", "--check"]).await;
    let table = String::from_utf8_lossy(&report.stdout);
    assert!(!report.status.success(), "{table}");
    assert!(
        table.contains("check: ok: answers anonymously: 57 of 60"),
        "{table}"
    );
    assert!(table.contains("check: FAILED (rate limited)"), "{table}");
    assert!(
        table.contains("check: ok: answers: the newest item is 46123456"),
        "{table}"
    );
    assert!(
        table.contains("check: ok: answers without a key: 280 of 300"),
        "{table}"
    );
    assert!(
        table.contains("check: ok: answers: temet's cord ⚡ has about 123456 members"),
        "{table}"
    );
    for answer in [
        "check: ok: lemmy.ml answers",
        "check: ok: framatube.org answers",
        "check: ok: misskey.io answers",
    ] {
        assert!(table.contains(answer), "{answer}: {table}");
    }
    let said = String::from_utf8_lossy(&report.stderr);
    assert!(said.contains("1 platform check(s) failed"), "{said}");
}
