//! `/badge/{platform}/{handle}.svg`: the stored counter, its change, what
//! a badge says of an account it cannot count, and its errors.

use app::format::{compact, signed};
use app::model::{AccountRow, Page, Platform};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_badge_shows_the_stored_counter_and_its_change,
    a_badge_never_invents_a_number,
);

async fn largest(app: &TestApp) -> AccountRow {
    let rows: Page<AccountRow> = app.get_json("/api/accounts?per_page=1").await;
    rows.items.into_iter().next().expect("an account")
}

fn badge_path(row: &AccountRow) -> String {
    let handle =
        percent_encoding::utf8_percent_encode(&row.handle, percent_encoding::NON_ALPHANUMERIC);
    format!("/badge/{}/{handle}.svg", row.platform.as_str())
}

async fn a_badge_shows_the_stored_counter_and_its_change(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let row = largest(&app).await;
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

    for bad in [
        "?metric=karma",
        "?change=1y",
        "?style=round",
        "?change=7d&metric=posts",
    ] {
        let answer = app.get(&format!("{}{bad}", badge_path(&row))).await;
        assert_eq!(answer.status(), 400, "{bad}");
    }
    // Hacker News reports no followers: asking a badge for them is an error.
    assert_eq!(app.get("/badge/hackernews/someone.svg").await.status(), 400);
    assert_eq!(app.get("/badge/myspace/tom.svg").await.status(), 400);
}

async fn a_badge_never_invents_a_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // Not tracked: an image that says so, with the 404.
    let missing = app.get("/badge/github/nobody-tracks-this.svg").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("not tracked"));
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
    let row = largest(&app).await;
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
