//! Analytics over HTTP against hand-computed fixtures: small histories with
//! gaps, unknown values and ties, written through the same code as the
//! collector.
//!
//! Over 500 lines: growth, leaderboards, projections, brands, comparisons
//! and events over one hand-computed history each, sharing its fixtures.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;
use app::model::{Counters, Leaderboard, Metric, Platform, Projection};
use chrono::{DateTime, NaiveDate, Utc};
use reach::config::AddAccount;

on_both_backends!(
    leaderboards_rank_by_value_and_growth_at_a_past_date,
    projections_follow_a_known_trend_and_say_why_not,
    exports_stream_every_row_as_csv_and_json,
    imports_are_all_or_nothing_and_marked,
    an_export_imports_into_another_instance,
    brands_sum_their_accounts_and_rank_among_brands,
    daily_changes_hold_across_daylight_saving_and_jitter,
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
        db::snapshots::record(&app.db, account.id, march(day), counters)
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

/// Parses a CSV body into its header and records.
fn csv_records(body: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, records)
}

async fn exports_stream_every_row_as_csv_and_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let overview: app::model::Overview = app.get_json("/api/overview").await;

    let response = app.get("/api/export/snapshots.csv").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"reach-snapshots.csv\""
    );
    assert!(
        headers.get("etag").is_none(),
        "a stream is not buffered to be tagged"
    );
    let (header, records) = csv_records(&response.text().await.unwrap());
    assert_eq!(
        header,
        [
            "account_id",
            "platform",
            "handle",
            "captured_at",
            "followers",
            "following",
            "posts",
            "views",
            "likes",
            "score",
            "online",
            "listed",
            "imported"
        ]
    );
    assert_eq!(records.len() as u64, overview.snapshots);
    let keys: Vec<(i64, DateTime<Utc>)> = records
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[3].parse().unwrap()))
        .collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "in key order, once each"
    );

    // One account's history over a period, as JSON.
    let id = keys[0].0;
    let history: Vec<app::model::HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=all"))
        .await;
    let from = history[5].captured_at.date_naive();
    let to = history[9].captured_at.date_naive();
    let json: Vec<serde_json::Value> = app
        .get_json(&format!(
            "/api/export/snapshots.json?id={id}&from={from}&to={to}"
        ))
        .await;
    assert_eq!(json.len(), 5);
    assert_eq!(json[0]["followers"], history[5].counters.followers.unwrap());

    // Accounts, filtered as the table is; the leaderboard, whole.
    let github: app::model::Page<app::model::AccountRow> =
        app.get_json("/api/accounts?platform=github").await;
    let (_, accounts) = csv_records(
        &app.get("/api/export/accounts.csv?platform=github")
            .await
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(accounts.len() as u64, github.total);
    assert!(accounts.iter().all(|a| a[1] == "github"));
    let board: Leaderboard = app
        .get_json("/api/leaderboard?by=change&per_page=100")
        .await;
    let exported: Vec<serde_json::Value> =
        app.get_json("/api/export/leaderboard.json?by=change").await;
    let ids: Vec<i64> = exported
        .iter()
        .map(|e| e["account_id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        board.entries.items.iter().map(|e| e.id).collect::<Vec<_>>()
    );

    for (path, status) in [
        ("/api/export/snapshots.xml", 404),
        ("/api/export/everything.csv", 404),
        (
            "/api/export/snapshots.csv?from=2026-10-02&to=2026-10-01",
            400,
        ),
        ("/api/export/snapshots.csv?bogus=1", 400),
        ("/api/export/leaderboard.csv?days=12", 400),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert!(error["message"].is_string(), "{path}: {error}");
    }
}

async fn imports_are_all_or_nothing_and_marked(backend: Backend) {
    use reach::import::{ImportError, RowError};
    let app = TestApp::empty(backend).await;
    let bad_rows = |result: Result<reach::import::ImportReport, ImportError>| match result {
        Err(ImportError::BadRows(rows)) => rows,
        other => panic!("expected bad rows, got {other:?}"),
    };
    let row = |line, reason: &str| RowError {
        line,
        reason: reason.to_owned(),
    };

    let accounts = "platform,handle,display_name,core,tags\n\
        github,octocat,The Octocat,true,tech;mascots\n\
        myspace,tom,,,\n\
        mastodon,,,,\n\
        github,octocat,,,\n\
        reddit,rust,,perhaps,\n\
        twitch,short\n";
    let errors = bad_rows(reach::import::accounts(&app.db, accounts.as_bytes()).await);
    assert_eq!(errors.len(), 5);
    assert_eq!(errors[0].line, 3);
    assert!(errors[0].reason.contains("unknown platform `myspace`"));
    assert_eq!(
        errors[1],
        row(
            4,
            "a Mastodon handle is user@instance, e.g. Gargron@mastodon.social"
        )
    );
    assert_eq!(errors[2], row(5, "the same account as line 2"));
    assert_eq!(errors[3], row(6, "core is true or false, not `perhaps`"));
    assert_eq!(errors[4], row(7, "2 columns where the header has 5"));
    let page: app::model::Page<app::model::AccountRow> = app.get_json("/api/accounts").await;
    assert_eq!(page.total, 0, "nothing of a failed import is written");

    let accounts = "platform,handle,display_name,core,tags\n\
        github,octocat,The Octocat,true,tech;mascots\n\
        reddit,rust,,,\n";
    let report = reach::import::accounts(&app.db, accounts.as_bytes())
        .await
        .unwrap();
    assert_eq!((report.added, report.skipped), (2, 0));
    let again = reach::import::accounts(&app.db, accounts.as_bytes())
        .await
        .unwrap();
    assert_eq!((again.added, again.skipped), (0, 2));
    let octocat: app::model::Page<app::model::AccountRow> =
        app.get_json("/api/accounts?q=octocat").await;
    let octocat = &octocat.items[0];
    assert_eq!(
        (octocat.is_core, octocat.tags.clone()),
        (true, vec!["mascots".to_owned(), "tech".to_owned()])
    );

    let tomorrow = (Utc::now() + chrono::Duration::days(1)).date_naive();
    let snapshots = format!(
        "platform,handle,captured_at,followers,following,posts\n\
         github,octocat,2026-03-01,100,5,\n\
         github,nobody,2026-03-01,1,,\n\
         github,octocat,01/03/2026,1,,\n\
         github,octocat,2026-03-02T12:00:00Z,-4,,\n\
         github,octocat,{tomorrow},1,,\n\
         github,octocat,2026-03-01T00:00:00+00:00,1,,\n"
    );
    let errors = bad_rows(reach::import::snapshots(&app.db, snapshots.as_bytes()).await);
    let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 4, 5, 6, 7], "{errors:?}");
    assert!(
        errors[0]
            .reason
            .contains("no GitHub account `nobody` is tracked")
    );
    assert!(errors[3].reason.contains("in the future"));
    assert_eq!(errors[4], row(7, "the same snapshot as line 2"));
    let overview: app::model::Overview = app.get_json("/api/overview").await;
    assert_eq!(overview.snapshots, 0);

    let snapshots = "platform,handle,captured_at,followers,following,posts\n\
        github,octocat,2026-03-01,100,5,\n\
        github,octocat,2026-03-08T12:00:00Z,160,5,7\n\
        reddit,rust,2026-03-08,900,,\n";
    let report = reach::import::snapshots(&app.db, snapshots.as_bytes())
        .await
        .unwrap();
    assert_eq!((report.added, report.skipped), (3, 0));
    let again = reach::import::snapshots(&app.db, snapshots.as_bytes())
        .await
        .unwrap();
    assert_eq!((again.added, again.skipped), (0, 3));

    let history: Vec<app::model::HistoryPoint> = app
        .get_json(&format!("/api/history?id={}&range=all", octocat.id))
        .await;
    assert_eq!(history.len(), 2);
    assert!(history.iter().all(|p| p.imported));
    assert_eq!(history[1].counters.posts, Some(7));
    // The newest imported values become the account's latest, with changes.
    let octocat: app::model::AccountDetail = app
        .get_json(&format!("/api/account?id={}", octocat.id))
        .await;
    assert_eq!(octocat.account.latest.followers, Some(160));
    assert_eq!(octocat.account.change_7d, Some(60));
    let (_, exported) = csv_records(
        &app.get(&format!(
            "/api/export/snapshots.csv?id={}",
            octocat.account.id
        ))
        .await
        .text()
        .await
        .unwrap(),
    );
    assert!(exported.iter().all(|r| r[12] == "true"));
}

async fn an_export_imports_into_another_instance(backend: Backend) {
    let source = TestApp::spawn(backend).await;
    let target = TestApp::empty(backend).await;
    let body = |path: &'static str| {
        let source = &source;
        async move { source.get(path).await.text().await.unwrap() }
    };
    let accounts = body("/api/export/accounts.csv").await;
    let snapshots = body("/api/export/snapshots.csv").await;
    reach::import::accounts(&target.db, accounts.as_bytes())
        .await
        .unwrap();
    let report = reach::import::snapshots(&target.db, snapshots.as_bytes())
        .await
        .unwrap();

    let before: app::model::Overview = source.get_json("/api/overview").await;
    let after: app::model::Overview = target.get_json("/api/overview").await;
    assert_eq!(report.added, before.snapshots);
    assert_eq!(
        (after.accounts, after.snapshots, after.followers),
        (before.accounts, before.snapshots, before.followers)
    );
}

async fn brands_sum_their_accounts_and_rank_among_brands(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let now = Utc::now();
    let days_ago = |d: i64| now - chrono::Duration::days(d);
    let record = |id: i64, at: DateTime<Utc>, followers: i64| {
        let app = &app;
        async move {
            let counters = Counters {
                followers: Some(followers),
                ..Counters::default()
            };
            db::snapshots::record(&app.db, id, at, counters)
                .await
                .unwrap();
        }
    };
    let a = app.add_account(Platform::Github, "alpha-code").await;
    record(a, days_ago(31), 1_000).await;
    record(a, days_ago(8), 1_200).await;
    record(a, now, 1_500).await;
    let b = app.add_account(Platform::Youtube, "@AlphaVideo").await;
    record(b, days_ago(8), 200).await;
    record(b, now, 260).await;
    let c = app.add_account(Platform::Bluesky, "beta.bsky.social").await;
    record(c, now, 50).await;
    let d = app.add_account(Platform::Reddit, "unbranded").await;
    record(d, now, 10_000).await;

    db::brands::assign(&app.db, "Alpha", &[a, b]).await.unwrap();
    let beta = db::brands::assign(&app.db, "Beta", &[c]).await.unwrap();
    assert!(
        db::brands::assign(&app.db, "Gamma", &[999_999])
            .await
            .is_err()
    );

    let brands: Vec<app::model::BrandRow> = app.get_json("/api/brands").await;
    let summary: Vec<_> = brands
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                b.accounts,
                b.followers,
                b.change_7d,
                b.change_30d,
                b.rank,
                b.growth_rank,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            // 7 days: +300 and +60; 30 days: only alpha-code's history is
            // that long (+500 from 1,000).
            ("Alpha", 2, 1_760, Some(360), Some(500), 1, Some(1)),
            ("Beta", 1, 50, None, None, 2, None),
        ]
    );
    assert_eq!(brands[0].percent_30d, Some(50.0));
    assert_eq!(brands[0].platforms, [Platform::Youtube, Platform::Github]);

    let alpha: app::model::BrandDetail = app
        .get_json(&format!("/api/brand?id={}", brands[0].id))
        .await;
    let handles: Vec<&str> = alpha.accounts.iter().map(|a| a.handle.as_str()).collect();
    assert_eq!(handles, ["alpha-code", "@AlphaVideo"]);
    let detail: app::model::AccountDetail = app.get_json(&format!("/api/account?id={a}")).await;
    assert_eq!(detail.brand.map(|b| b.name), Some("Alpha".to_owned()));
    assert_eq!(app.get("/api/brand?id=999999").await.status(), 404);

    // Out of a brand, and a brand removed: the accounts stay.
    db::brands::unassign(&app.db, &[b]).await.unwrap();
    db::brands::remove(&app.db, &beta.name).await.unwrap();
    let brands: Vec<app::model::BrandRow> = app.get_json("/api/brands").await;
    assert_eq!(brands.len(), 1);
    assert_eq!((brands[0].accounts, brands[0].followers), (1, 1_500));
    let page: app::model::Page<app::model::AccountRow> = app.get_json("/api/accounts").await;
    assert_eq!(page.total, 4);

    // An import names brands, created as needed.
    let csv = "platform,handle,brand\ngithub,gamma-one,Gamma\nreddit,gamma_two,Gamma\n";
    reach::import::accounts(&app.db, csv.as_bytes())
        .await
        .unwrap();
    let brands: Vec<app::model::BrandRow> = app.get_json("/api/brands").await;
    let gamma = brands.iter().find(|b| b.name == "Gamma").unwrap();
    assert_eq!((gamma.accounts, gamma.followers, gamma.rank), (2, 0, 2));
}

async fn daily_changes_hold_across_daylight_saving_and_jitter(backend: Backend) {
    let app = TestApp::empty(backend).await;
    // Collected every day at 09:00 in Paris, a few seconds late or early:
    // 08:00 UTC until summer time begins on 29 March 2026, 07:00 UTC after.
    let mut history = Vec::new();
    for day in 0..14_u32 {
        let date =
            NaiveDate::from_ymd_opt(2026, 3, 20).unwrap() + chrono::Duration::days(i64::from(day));
        let hour = if date < NaiveDate::from_ymd_opt(2026, 3, 29).unwrap() {
            8
        } else {
            7
        };
        let jitter = [0, 4, -3, 7, -5][day as usize % 5];
        let at =
            date.and_hms_opt(hour, 0, 0).unwrap().and_utc() + chrono::Duration::seconds(jitter);
        history.push((at, 1_000 + 10 * i64::from(day)));
    }
    let account = reach::accounts::add(
        &app.db,
        &AddAccount {
            platform: Platform::Github,
            handle: "paris".to_owned(),
            core: false,
            tags: vec![],
        },
    )
    .await
    .unwrap();
    for &(at, followers) in &history {
        let counters = Counters {
            followers: Some(followers),
            ..Counters::default()
        };
        db::snapshots::record(&app.db, account.id, at, counters)
            .await
            .unwrap();
    }

    // One day is yesterday's snapshot, 23 hours and some seconds earlier.
    let growth: app::model::Growth = app
        .get_json(&format!("/api/growth?id={}", account.id))
        .await;
    let followers = |window: usize| {
        let period = &growth.windows[window].period;
        let change = period
            .metrics
            .iter()
            .find(|m| m.metric == Metric::Followers)
            .unwrap();
        (period.from_at, change.change)
    };
    assert_eq!(followers(0), (Some(history[12].0), Some(10)));
    assert_eq!(followers(1), (Some(history[6].0), Some(70)));

    // The account row's kept changes agree.
    let row: app::model::AccountDetail = app
        .get_json(&format!("/api/account?id={}", account.id))
        .await;
    assert_eq!(row.account.change_7d, Some(70));

    // The board at the end of the day of the change (UTC) sees seven days.
    let board: Leaderboard = app
        .get_json("/api/leaderboard?date=2026-03-29&days=7&by=change")
        .await;
    assert_eq!(board.entries.items[0].change, Some(70));
}
