//! Analytics over HTTP against hand-computed fixtures: small histories with
//! gaps, unknown values and ties, written through the same code as the
//! collector.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;
use app::model::{Counters, Leaderboard, Metric, Platform, Projection};
use chrono::{DateTime, NaiveDate, Utc};
use reach::config::AddAccount;

on_both_backends!(
    leaderboards_rank_by_value_and_growth_at_a_past_date,
    projections_follow_a_known_trend_and_say_why_not,
);

/// Noon (UTC) of a day of March 2026, counted on past its end (33 is
/// April 2).
fn march(day: u32) -> DateTime<Utc> {
    let first = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    (first + chrono::Duration::days(i64::from(day) - 1))
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc()
}

/// Adds an account with its followers history: `(day of March, followers)`,
/// `None` for a snapshot that did not include them.
async fn account_with_history(
    app: &TestApp,
    platform: Platform,
    handle: &str,
    tags: &[&str],
    history: &[(u32, Option<i64>)],
) -> i64 {
    let account = reach::accounts::add(
        &app.db,
        &AddAccount {
            platform,
            handle: handle.to_owned(),
            core: false,
            tags: tags.iter().map(|t| t.to_string()).collect(),
        },
    )
    .await
    .unwrap();
    for &(day, followers) in history {
        let counters = Counters {
            followers,
            posts: Some(1),
            ..Counters::default()
        };
        reach::collect::record_snapshot(&app.db, account.id, march(day), counters)
            .await
            .unwrap();
    }
    account.id
}

/// `(handle, rank, previous rank)` of each entry, in order.
fn places(board: &Leaderboard) -> Vec<(&str, Option<u32>, Option<u32>)> {
    board
        .entries
        .items
        .iter()
        .map(|e| (e.handle.as_str(), e.rank, e.previous_rank))
        .collect()
}

async fn leaderboards_rank_by_value_and_growth_at_a_past_date(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let github = Platform::Github;
    // The board stands at the end of March 31 with 7-day periods: this
    // period runs from March 24 (end of day), the previous one from March 17.
    account_with_history(
        &app,
        github,
        "alpha",
        &["news"],
        // The April snapshot is after the board's date: ignored.
        &[
            (17, Some(100)),
            (24, Some(200)),
            (31, Some(600)),
            (33, Some(999)),
        ],
    )
    .await;
    account_with_history(
        &app,
        github,
        "bravo",
        &["news"],
        &[(17, Some(1000)), (24, Some(1050)), (31, Some(1150))],
    )
    .await;
    // Nothing seen since March 24: a value, but no change this period.
    account_with_history(
        &app,
        github,
        "charlie",
        &[],
        &[(17, Some(500)), (24, Some(500))],
    )
    .await;
    // Too young for any change.
    account_with_history(
        &app,
        Platform::Bluesky,
        "delta.bsky.social",
        &[],
        &[(30, Some(50))],
    )
    .await;
    // Followers unknown on March 31: the newest known value (March 27)
    // stands, and the change runs from the nearest real snapshot before the
    // period (March 17).
    account_with_history(
        &app,
        github,
        "echo",
        &[],
        &[(17, Some(80)), (27, Some(90)), (31, None)],
    )
    .await;
    // Ties with alpha on value; a known change of zero.
    account_with_history(
        &app,
        github,
        "foxtrot",
        &[],
        &[(24, Some(600)), (31, Some(600))],
    )
    .await;

    let board = |query: &'static str| {
        let app = &app;
        async move {
            app.get_json::<Leaderboard>(&format!("/api/leaderboard?date=2026-03-31&days=7&{query}"))
                .await
        }
    };

    let by_value = board("by=value").await;
    assert_eq!(by_value.as_of.to_rfc3339(), "2026-03-31T23:59:59+00:00");
    assert_eq!(
        by_value.previous_as_of.to_rfc3339(),
        "2026-03-24T23:59:59+00:00"
    );
    assert_eq!((by_value.ranked, by_value.entries.total), (6, 6));
    assert_eq!(
        places(&by_value),
        [
            ("bravo", Some(1), Some(1)),
            ("alpha", Some(2), Some(4)),
            ("foxtrot", Some(2), Some(2)),
            ("charlie", Some(4), Some(3)),
            ("echo", Some(5), Some(5)),
            ("delta.bsky.social", Some(6), None),
        ]
    );
    let alpha = &by_value.entries.items[1];
    assert_eq!((alpha.value, alpha.change), (Some(600), Some(400)));
    assert_eq!(alpha.percent, Some(200.0));
    assert_eq!(alpha.rank_change(), Some(2));
    let echo = &by_value.entries.items[4];
    assert_eq!((echo.value, echo.value_at), (Some(90), Some(march(27))));
    assert_eq!((echo.change, echo.percent), (Some(10), Some(12.5)));
    let charlie = &by_value.entries.items[3];
    assert_eq!((charlie.value, charlie.change), (Some(500), None));

    let by_change = board("by=change").await;
    assert_eq!(by_change.ranked, 4);
    assert_eq!(
        places(&by_change),
        [
            ("alpha", Some(1), Some(1)),
            ("bravo", Some(2), Some(2)),
            ("echo", Some(3), None),
            ("foxtrot", Some(4), None),
            // Unknown changes are listed last, unranked, by handle.
            ("charlie", None, Some(3)),
            ("delta.bsky.social", None, None),
        ]
    );

    let by_percent = board("by=percent").await;
    assert_eq!(
        places(&by_percent)[..4],
        [
            ("alpha", Some(1), Some(1)),
            ("echo", Some(2), None),
            ("bravo", Some(3), Some(2)),
            ("foxtrot", Some(4), None),
        ]
    );
    let bravo = &by_percent.entries.items[2];
    assert!((bravo.percent.unwrap() - 100.0 / 1050.0 * 100.0).abs() < 1e-9);

    // Who competes: per platform and per tag; and pages of the board.
    let github_only = board("platform=github").await;
    assert_eq!(github_only.entries.total, 5);
    assert_eq!(
        places(&board("tag=news").await),
        [("bravo", Some(1), Some(1)), ("alpha", Some(2), Some(2))]
    );
    let second_page = board("per_page=2&page=2").await;
    assert_eq!(
        places(&second_page),
        [("foxtrot", Some(2), Some(2)), ("charlie", Some(4), Some(3))]
    );

    // Now: every account's newest value, and no change in the last 30 days.
    let now: Leaderboard = app.get_json("/api/leaderboard").await;
    assert_eq!(now.entries.items[0].value, Some(1150));
    assert_eq!(now.entries.items[1].value, Some(999));
    let growth_now: Leaderboard = app.get_json("/api/leaderboard?by=change").await;
    assert_eq!(growth_now.ranked, 0);

    let tomorrow = Utc::now().date_naive() + chrono::Duration::days(1);
    for query in [
        "days=12".to_owned(),
        format!("date={tomorrow}"),
        "date=last-week".to_owned(),
        "by=fame".to_owned(),
        "metric=karma".to_owned(),
        "per_page=0".to_owned(),
    ] {
        assert_eq!(
            app.get(&format!("/api/leaderboard?{query}")).await.status(),
            400,
            "{query}"
        );
    }
}

async fn projections_follow_a_known_trend_and_say_why_not(backend: Backend) {
    let app = TestApp::empty(backend).await;
    // +100 a day for 20 days from 9,000, with one bot purge (-500) that a
    // least-squares line would follow and a robust one does not.
    let history: Vec<(u32, Option<i64>)> = (1..=20)
        .map(|day| {
            let purge = if day == 12 { -500 } else { 0 };
            (day, Some(9_000 + 100 * i64::from(day - 1) + purge))
        })
        .collect();
    let growing = account_with_history(&app, Platform::Github, "grower", &[], &history).await;
    let young = account_with_history(
        &app,
        Platform::Github,
        "newcomer",
        &[],
        &[(1, Some(10)), (2, Some(12)), (3, Some(15))],
    )
    .await;

    let projection: Projection = app.get_json(&format!("/api/projection?id={growing}")).await;
    assert_eq!(
        (projection.metric, projection.basis_days),
        (Metric::Followers, 90)
    );
    assert!(
        projection.method.contains("Theil–Sen"),
        "{}",
        projection.method
    );
    let trend = projection.trend.expect("20 days are enough");
    assert_eq!(trend.per_day, 100.0);
    assert_eq!((trend.current, trend.days_used), (10_900, 20));
    assert_eq!((trend.fitted_from, trend.fitted_to), (march(1), march(20)));
    let in_30_days = &trend.horizons[0];
    assert_eq!(in_30_days.at, march(50));
    assert_eq!(in_30_days.value, 13_900);
    // Every other day lies on the line: the band has no width.
    assert_eq!((in_30_days.low, in_30_days.high), (13_900, 13_900));
    // 100k at +100/day from 10,900: 891 days on.
    let next: Vec<_> = trend
        .milestones
        .iter()
        .map(|m| (m.milestone, m.at))
        .collect();
    assert_eq!(
        next,
        [
            (100_000, Some(march(20) + chrono::Duration::days(891))),
            (1_000_000, None),
            (10_000_000, None),
        ]
    );

    let too_young: Projection = app.get_json(&format!("/api/projection?id={young}")).await;
    assert_eq!(too_young.trend, None);
    assert!(
        too_young.reason.as_deref().unwrap().contains("there are 3"),
        "{:?}",
        too_young.reason
    );
    // GitHub publishes no views.
    let unpublished: Projection = app
        .get_json(&format!("/api/projection?id={growing}&metric=views"))
        .await;
    assert_eq!(
        unpublished.reason.as_deref(),
        Some("GitHub does not publish views.")
    );

    for (query, status) in [
        (format!("id={growing}&basis=45"), 400),
        (format!("id={growing}&metric=karma"), 400),
        ("id=999999".to_owned(), 404),
    ] {
        assert_eq!(
            app.get(&format!("/api/projection?{query}")).await.status(),
            status,
            "{query}"
        );
    }
}
