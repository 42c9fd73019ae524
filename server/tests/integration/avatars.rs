//! Accounts' pictures: fetched from where the platform says after a run,
//! kept small, served from Reach's own origin with a versioned address,
//! fetched again only when the platform names another picture, and never
//! from plain HTTP outside tests.

use std::io::Cursor;

use app::model::{AccountDetail, Platform};
use chrono::Utc;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::collection::platform_fixture;
use crate::common::{Backend, TestApp, engine};
use crate::on_both_backends;

on_both_backends!(
    pictures_are_kept_small_served_by_reach_and_refreshed,
    only_real_pictures_over_https_are_kept,
);

fn png(shade: u8) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(460, 460, |x, y| {
        image::Rgb([shade, (x % 256) as u8, (y % 256) as u8])
    });
    let mut bytes = Vec::new();
    picture
        .write_to(&mut Cursor::new(&mut bytes), image::ImageFormat::Png)
        .unwrap();
    bytes
}

/// GitHub's answer for octocat, its picture at `picture` on the fake.
fn octocat(fake: &MockServer, picture: &str) -> ResponseTemplate {
    let mut user: serde_json::Value =
        serde_json::from_str(&platform_fixture("github/user.json")).unwrap();
    user["avatar_url"] = format!("{}{picture}", fake.uri()).into();
    ResponseTemplate::new(200).set_body_json(user)
}

async fn detail(app: &TestApp, id: i64) -> AccountDetail {
    app.get_json(&format!("/api/account?id={id}")).await
}

fn picture_requests(requests: &[wiremock::Request], wanted: &str) -> usize {
    requests.iter().filter(|r| r.url.path() == wanted).count()
}

async fn pictures_are_kept_small_served_by_reach_and_refreshed(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    // Asked by login, then by id: the first picture twice, then another.
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(octocat(&fake, "/pictures/first.png"))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/user/583231"))
        .respond_with(octocat(&fake, "/pictures/first.png"))
        .up_to_n_times(1)
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/pictures/first.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png(10), "image/png"))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/pictures/second.png"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(png(200), "image/png"))
        .mount(&fake)
        .await;
    let id = app.add_account(Platform::Github, "octocat").await;
    assert_eq!(
        detail(&app, id).await.account.avatar,
        None,
        "none before a run"
    );

    let engine = engine(app.db.clone(), &fake.uri(), |_| {});
    engine.run(Utc::now()).await.expect("a run");
    let first = detail(&app, id).await.account.avatar.expect("a picture");
    assert!(first.starts_with(&format!("/avatars/{id}?v=")), "{first}");

    // Served by Reach: a small JPEG, cached for good at its versioned
    // address, revalidated without it.
    let answer = app.get(&first).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "image/jpeg");
    assert!(
        answer.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = answer.headers()["etag"].clone();
    let bytes = answer.bytes().await.unwrap();
    let picture = image::load_from_memory(&bytes).unwrap();
    assert_eq!((picture.width(), picture.height()), (96, 96));
    assert!(bytes.len() < 10_000, "{} bytes", bytes.len());
    let unversioned = app.get(&format!("/avatars/{id}")).await;
    assert_eq!(unversioned.headers()["cache-control"], "no-cache");
    let again = reqwest::Client::new()
        .get(format!("{}/avatars/{id}", app.address))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);

    // The same address next time: not fetched again.
    engine
        .run(Utc::now() + chrono::Duration::hours(2))
        .await
        .expect("a later run");
    let requests = fake.received_requests().await.unwrap();
    assert_eq!(picture_requests(&requests, "/pictures/first.png"), 1);
    assert_eq!(
        detail(&app, id).await.account.avatar.as_deref(),
        Some(first.as_str())
    );

    // A new picture: fetched, and a new address.
    Mock::given(method("GET"))
        .and(path("/user/583231"))
        .respond_with(octocat(&fake, "/pictures/second.png"))
        .mount(&fake)
        .await;
    engine
        .run(Utc::now() + chrono::Duration::hours(4))
        .await
        .expect("a third run");
    let second = detail(&app, id).await.account.avatar.expect("a picture");
    assert_ne!(second, first);

    // No picture kept: 404, and the page shows the initial instead.
    let other = app.add_account(Platform::Github, "nobody-here").await;
    assert_eq!(app.get(&format!("/avatars/{other}")).await.status(), 404);
}

async fn only_real_pictures_over_https_are_kept(backend: Backend) {
    // Not a picture: nothing kept.
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(octocat(&fake, "/pictures/page.html"))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/pictures/page.html"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>no</html>", "text/html"))
        .mount(&fake)
        .await;
    let id = app.add_account(Platform::Github, "octocat").await;
    engine(app.db.clone(), &fake.uri(), |_| {})
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(detail(&app, id).await.account.avatar, None);

    // Outside tests only `https` addresses are asked: a platform's answer
    // (any federated server writes one) makes Reach fetch nothing else.
    let app = TestApp::empty(backend).await;
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(octocat(&fake, "/pictures/first.png"))
        .mount(&fake)
        .await;
    let id = app.add_account(Platform::Github, "octocat").await;
    engine(app.db.clone(), &fake.uri(), |config| {
        config.settings.avatars.allow_http = false;
    })
    .run(Utc::now())
    .await
    .expect("a run");
    assert_eq!(detail(&app, id).await.account.avatar, None);
    let requests = fake.received_requests().await.unwrap();
    assert_eq!(picture_requests(&requests, "/pictures/first.png"), 0);
}
