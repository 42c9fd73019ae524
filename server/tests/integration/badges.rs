//! `/badge/{platform}/{handle}.svg`: the stored counter, its change, what
//! a badge says of an account it cannot count, and its errors.

use app::format::{compact, signed};
use app::model::{AccountRow, Platform, TokenScope};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_badge_shows_the_stored_counter_and_its_change,
    a_badge_never_invents_a_number,
    an_embed_token_opens_badges_and_nothing_else,
);

fn badge_path(row: &AccountRow) -> String {
    let handle =
        percent_encoding::utf8_percent_encode(&row.handle, percent_encoding::NON_ALPHANUMERIC);
    format!("/badge/{}/{handle}.svg", row.platform.as_str())
}

async fn a_badge_shows_the_stored_counter_and_its_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let row = app.largest_account().await;
    let answer = app.get(&badge_path(&row)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    assert_eq!(answer.headers()["cache-control"], "public, max-age=300");
    let svg = answer.text().await.unwrap();
    let count = compact(row.latest.followers);
    let label = row.platform.metric_name(app::model::Metric::Followers);
    // The demo's accounts are simulated: the badge says so.
    assert!(
        svg.contains(&format!("aria-label=\"{label}: {count} · demo\"")),
        "{svg}"
    );

    let with_change = app
        .get(&format!(
            "{}?change=30d&label=fans&style=flat-square",
            badge_path(&row)
        ))
        .await
        .text()
        .await
        .unwrap();
    let change = signed(row.change_30d);
    assert!(
        with_change.contains(&format!(
            "aria-label=\"fans: {count} {change} (30d) · demo\""
        )),
        "{with_change}"
    );

    for bad in ["?metric=karma", "?change=1y", "?style=round"] {
        let answer = app.get(&format!("{}{bad}", badge_path(&row))).await;
        assert_eq!(answer.status(), 400, "{bad}");
    }
    assert_eq!(app.get("/badge/myspace/tom.svg").await.status(), 400);
    // Options valid alone that name no badge: an image saying why, with 404
    // (the API description lists them apart, so a fuzzer's valid request
    // is never refused as malformed).
    let followers_only = app
        .get(&format!("{}?change=7d&metric=posts", badge_path(&row)))
        .await;
    assert_eq!(followers_only.status(), 404);
    assert!(
        followers_only
            .text()
            .await
            .unwrap()
            .contains("change: followers only")
    );
    // Hacker News reports no followers.
    let not_reported = app.get("/badge/hackernews/someone.svg").await;
    assert_eq!(not_reported.status(), 404);
    assert!(not_reported.text().await.unwrap().contains("not reported"));
}

async fn a_badge_never_invents_a_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Not tracked: an image that says so, with the 404.
    let missing = app.get("/badge/github/nobody-tracks-this.svg").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("not tracked"));
    // No `.svg`: still an image (the API description says a 404 is one).
    let unsuffixed = app.get("/badge/github/nobody-tracks-this").await;
    assert_eq!(unsuffixed.status(), 404);
    assert_eq!(
        unsuffixed.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    // Tracked but never collected: no number.
    app.add_account(Platform::Github, "fresh-account").await;
    let fresh = app.get("/badge/github/fresh-account.svg").await;
    assert_eq!(fresh.status(), 200);
    let svg = fresh.text().await.unwrap();
    assert!(
        svg.contains("aria-label=\"followers: not collected yet\""),
        "{svg}"
    );
    // Suspended by the platform: the badge says that, not the last count.
    let row = app.largest_account().await;
    let stored = db::accounts::find(&app.db, row.id).await.unwrap();
    let mut suspended: db::entities::account::ActiveModel = stored.into();
    suspended.state = sea_orm::Set(Some(app::model::AccountState::Suspended));
    sea_orm::ActiveModelTrait::update(suspended, &app.db)
        .await
        .unwrap();
    let svg = app.get(&badge_path(&row)).await.text().await.unwrap();
    assert!(svg.contains(": suspended\""), "{svg}");
    assert!(!svg.contains(&compact(row.latest.followers)), "{svg}");
}

/// With `REACH_PUBLIC_READ=false` a badge needs an embed token in its
/// address; that token reads nothing else, and an API token is never
/// accepted there.
async fn an_embed_token_opens_badges_and_nothing_else(backend: Backend) {
    let app = TestApp::private(backend).await;
    app.add_account(Platform::Github, "embedded").await;
    let badge = "/badge/github/embedded.svg";
    assert_eq!(app.get(badge).await.status(), 401);

    let embed = app.token(TokenScope::Embed).await;
    let opened = app.get(&format!("{badge}?token={embed}&style=flat")).await;
    assert_eq!(opened.status(), 200);
    assert!(opened.text().await.unwrap().contains("not collected yet"));
    // The badge's own options are unchanged by the token.
    let with_options = app
        .get(&format!("{badge}?metric=posts&token={embed}"))
        .await;
    assert_eq!(with_options.status(), 200);

    // Nothing else: not the API, not the account metrics, not as a bearer.
    for path in ["/api/accounts", "/metrics/accounts"] {
        let answer = app.get(&format!("{path}?token={embed}")).await;
        assert_eq!(answer.status(), 401, "{path}");
    }
    let page = app.get(&format!("/accounts?token={embed}")).await;
    assert_eq!(page.url().path(), "/login", "a page redirects to sign in");
    let as_bearer = app
        .client
        .get(format!("{}/api/accounts", app.address))
        .bearer_auth(&embed)
        .send()
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), 401);

    // An API token in an address is refused, though it reads as a bearer.
    let api = app.admin_token().await;
    assert_eq!(app.get(&format!("{badge}?token={api}")).await.status(), 401);
    // Revoked: closed at once. The listing says which token is which.
    let listed: Vec<app::model::TokenRow> = app
        .client
        .get(format!("{}/api/tokens", app.address))
        .bearer_auth(&api)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let embed_row = listed
        .iter()
        .find(|t| t.scope == TokenScope::Embed)
        .expect("the embed token is listed");
    assert!(listed.iter().any(|t| t.scope == TokenScope::Api));
    db::access::revoke_token(&app.db, embed_row.id)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("{badge}?token={embed}")).await.status(),
        401
    );
    assert_eq!(
        app.get("/badge/github/embedded.svg?token=reach_nonsense")
            .await
            .status(),
        401
    );
}
