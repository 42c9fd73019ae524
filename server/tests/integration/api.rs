//! The API over HTTP: the real server on a random port.
//!
//! Over 500 lines: one test per endpoint behaviour over HTTP, sharing the
//! demo server; the writes and the errors are the parts to move out first.

use crate::common::{ACCOUNTS, Backend, DAYS, TestApp};
use crate::on_both_backends;
use app::model::{
    AUDIENCE_DAYS, AccountDetail, AccountRow, CollectAnswer, Comparison, Growth, HistoryPoint,
    Metric, Outcome, Overview, Page, Performance, Platform, RunDetail, RunStatus, RunSummary,
    STALE_AFTER_HOURS, TagCount,
};
use serde_json::Value;

on_both_backends!(
    overview_sums_the_seeded_accounts,
    accounts_are_paginated,
    accounts_sort_by_every_column,
    accounts_filter_by_text_and_platform,
    account_detail_and_history_ranges,
    bad_arguments_get_json_4xx_errors,
    collection_adds_one_snapshot_per_account_and_is_idempotent,
    pages_are_server_rendered_with_data,
    a_browser_opening_an_endpoint_gets_json,
    collect_now_starts_a_run_whose_detail_is_listed,
    answers_revalidate_with_etags,
    rows_carry_follower_changes_and_sparklines,
    accounts_filter_by_core_and_tag,
    overview_sums_changes_and_lists_growers_and_stale_accounts,
    performance_reports_latency_per_route_template_and_query,
    prometheus_scrapes_the_same_figures,
    comparison_draws_accounts_absolute_and_indexed,
    growth_uses_the_nearest_real_snapshots_and_says_which,
    health_and_readiness,
    every_answer_carries_a_request_id,
    admins_add_edit_and_delete_accounts,
);

async fn overview_sums_the_seeded_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let overview: Overview = app.get_json("/api/overview").await;
    assert_eq!(overview.accounts, u64::from(ACCOUNTS));
    assert_eq!(overview.core_accounts, 3);
    assert_eq!(overview.snapshots, u64::from(ACCOUNTS * DAYS));
    let per_platform: u64 = overview.by_platform.iter().map(|p| p.accounts).sum();
    assert_eq!(per_platform, u64::from(ACCOUNTS));
    let followers: i64 = overview.by_platform.iter().map(|p| p.followers).sum();
    assert_eq!(followers, overview.followers);
    assert!(overview.followers > 0);
    assert_eq!(overview.top_accounts.len(), 5);
    assert!(
        overview
            .top_accounts
            .windows(2)
            .all(|w| w[0].latest.followers >= w[1].latest.followers)
    );
    let run = overview.latest_run.expect("the seed records runs");
    assert_eq!(run.status, RunStatus::Finished);
    // The audience chart: each seeded day up to today; the seed's last day
    // sums to the totals, and the days since (no runs) are gaps.
    // The test app collects only on request: no next collection to announce.
    assert_eq!(overview.next_collection, None);
    let audience = &overview.audience;
    let today = chrono::Utc::now().date_naive();
    let window = today - chrono::Duration::days(AUDIENCE_DAYS - 1);
    let from =
        (app.seeded_at.date_naive() - chrono::Duration::days(i64::from(DAYS) - 1)).max(window);
    assert_eq!(audience.from, Some(from));
    let days = (today - from).num_days() as usize + 1;
    assert!(audience.series.iter().all(|s| s.followers.len() == days));
    let last_seeded = (app.seeded_at.date_naive() - from).num_days() as usize;
    let seeded: i64 = audience
        .series
        .iter()
        .map(|s| s.followers[last_seeded].expect("a seeded day"))
        .sum();
    assert_eq!(seeded, overview.followers);
    assert!(
        audience
            .series
            .iter()
            .all(|s| s.followers[last_seeded + 1..].iter().all(Option::is_none))
    );
}

async fn accounts_are_paginated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first: Page<AccountRow> = app.get_json("/api/accounts?per_page=12").await;
    assert_eq!(
        (first.total, first.items.len(), first.page),
        (u64::from(ACCOUNTS), 12, 1)
    );
    assert_eq!(first.page_count(), 3);
    let last: Page<AccountRow> = app.get_json("/api/accounts?per_page=12&page=3").await;
    assert_eq!(last.items.len(), (ACCOUNTS - 24) as usize);
    let beyond: Page<AccountRow> = app.get_json("/api/accounts?per_page=12&page=9").await;
    assert!(beyond.items.is_empty());

    let mut seen = std::collections::HashSet::new();
    for page in 1..=3 {
        let page: Page<AccountRow> = app
            .get_json(&format!("/api/accounts?per_page=12&page={page}"))
            .await;
        seen.extend(page.items.into_iter().map(|a| a.id));
    }
    assert_eq!(seen.len(), ACCOUNTS as usize, "pages overlap or miss rows");

    let with_tags = first.items.iter().filter(|a| !a.tags.is_empty()).count();
    assert_eq!(
        with_tags,
        first.items.len(),
        "tags are loaded with the page"
    );
}

async fn accounts_sort_by_every_column(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for metric in Metric::ALL {
        let key = metric.as_str();
        for dir in ["asc", "desc"] {
            let page: Page<AccountRow> = app
                .get_json(&format!("/api/accounts?sort={key}&dir={dir}&per_page=100"))
                .await;
            let values: Vec<Option<i64>> =
                page.items.iter().map(|a| a.latest.get(metric)).collect();
            let known: Vec<i64> = values.iter().flatten().copied().collect();
            // Unknown values come last whatever the direction.
            assert!(
                values[..known.len()].iter().all(Option::is_some),
                "{key} {dir}: unknown values are not last: {values:?}"
            );
            let ordered = known.windows(2).all(|w| match dir {
                "asc" => w[0] <= w[1],
                _ => w[0] >= w[1],
            });
            assert!(ordered, "{key} {dir}: {known:?}");
        }
    }
    let by_handle: Page<AccountRow> = app.get_json("/api/accounts?sort=handle&per_page=100").await;
    let handles: Vec<&str> = by_handle.items.iter().map(|a| a.handle.as_str()).collect();
    let mut sorted = handles.clone();
    sorted.sort_unstable();
    assert_eq!(handles, sorted);
    let default: Page<AccountRow> = app.get_json("/api/accounts?per_page=3").await;
    let followers: Page<AccountRow> = app
        .get_json("/api/accounts?per_page=3&sort=followers&dir=desc")
        .await;
    assert_eq!(default, followers, "the default is the biggest first");
}

async fn accounts_filter_by_text_and_platform(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let github: Page<AccountRow> = app.get_json("/api/accounts?platform=github").await;
    assert!(github.total > 0);
    assert!(github.items.iter().all(|a| a.platform == Platform::Github));

    // Case-insensitive, on handles and display names.
    let foxes: Page<AccountRow> = app.get_json("/api/accounts?q=FOX").await;
    assert!(foxes.total > 0);
    assert!(foxes.items.iter().all(|a| {
        a.handle.to_lowercase().contains("fox")
            || a.display_name
                .as_deref()
                .unwrap_or_default()
                .to_lowercase()
                .contains("fox")
    }));
    let both: Page<AccountRow> = app.get_json("/api/accounts?q=fox&platform=x").await;
    assert!(both.items.iter().all(|a| a.platform == Platform::X));
    assert!(both.total <= foxes.total);

    // LIKE wildcards in the text match literally.
    let wildcard: Page<AccountRow> = app.get_json("/api/accounts?q=%25").await;
    assert_eq!(wildcard.total, 0);
    let spaced: Page<AccountRow> = app.get_json("/api/accounts?q=quiet%20fox").await;
    assert_eq!(spaced.total, 1, "display names match with spaces");
}

async fn account_detail_and_history_ranges(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=1").await;
    let id = page.items[0].id;
    let detail: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    // Only lists carry sparklines.
    let mut listed = page.items[0].clone();
    listed.sparkline.clear();
    assert_eq!(detail.account, listed);
    assert_eq!(detail.snapshot_count, u64::from(DAYS));
    assert_eq!(detail.account.last_collected_at, detail_last_day(&app));

    let all: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=all"))
        .await;
    assert_eq!(all.len(), DAYS as usize);
    assert!(all.windows(2).all(|w| w[0].captured_at < w[1].captured_at));
    assert_eq!(all.last().unwrap().counters, detail.account.latest);
    // The seeded history ends on 2026-11-20, before "now": short ranges are
    // relative to now and may hold fewer points, never more.
    let week: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=7d"))
        .await;
    assert!(week.len() <= 8);
    let quarter: Vec<HistoryPoint> = app.get_json(&format!("/api/history?id={id}")).await;
    assert!(quarter.len() <= all.len() && quarter.len() >= week.len());
}

fn detail_last_day(app: &TestApp) -> Option<chrono::DateTime<chrono::Utc>> {
    Some(
        app.seeded_at
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc(),
    )
}

async fn bad_arguments_get_json_4xx_errors(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let cases = [
        ("/api/accounts?platform=myspace", 400, "platform"),
        ("/api/accounts?page=-1", 400, "page"),
        ("/api/accounts?page=0", 400, "page"),
        ("/api/accounts?per_page=101", 400, "per_page"),
        ("/api/accounts?per_page=0", 400, "per_page"),
        ("/api/accounts?sort=shoe_size", 400, "sort"),
        ("/api/accounts?dir=sideways", 400, "dir"),
        ("/api/account?id=999999", 404, "999999"),
        ("/api/account?id=abc", 400, "id"),
        ("/api/account", 400, "id"),
        ("/api/history?id=999999", 404, "999999"),
        ("/api/history?id=1&range=2w", 400, "range"),
        ("/api/runs?per_page=1000", 400, "per_page"),
    ];
    for (path, status, mentions) in cases {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            content_type.starts_with("application/json"),
            "{path}: {content_type}"
        );
        let body: Value = response.json().await.unwrap();
        let kind = if status == 404 {
            "not_found"
        } else {
            "bad_request"
        };
        assert_eq!(body["error"], kind, "{path}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(mentions), "{path}: {message}");
    }
}

async fn collection_adds_one_snapshot_per_account_and_is_idempotent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before: Overview = app.get_json("/api/overview").await;
    let run = app
        .engine("http://127.0.0.1:9")
        .run(chrono::Utc::now())
        .await
        .expect("a run");
    assert_eq!(run.accounts_ok, ACCOUNTS as i32);
    assert_eq!(run.accounts_failed, 0);
    assert_eq!(run.status, RunStatus::Finished);
    let after: Overview = app.get_json("/api/overview").await;
    assert_eq!(after.snapshots, before.snapshots + u64::from(ACCOUNTS));
    assert_eq!(after.latest_run.as_ref().map(|r| r.id), Some(run.id));
    // The run wrote today's audience: the sums of what it stored.
    let today: i64 = after
        .audience
        .series
        .iter()
        .map(|s| s.followers.last().copied().flatten().unwrap_or(0))
        .sum();
    assert_eq!(today, after.followers);
    assert!(after.audience.from.is_some());

    // Every account now carries an observation from this run.
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=100").await;
    let finished = run.finished_at.expect("a finished run");
    assert!(page.items.iter().all(|a| {
        a.last_collected_at
            .is_some_and(|at| at >= run.started_at && at <= finished)
    }));

    // The same observation written again changes nothing.
    let account = &page.items[0];
    db::snapshots::record(
        &app.db,
        account.id,
        account.last_collected_at.unwrap(),
        account.latest,
    )
    .await
    .expect("a repeated write succeeds");
    let again: Overview = app.get_json("/api/overview").await;
    assert_eq!(again.snapshots, after.snapshots);

    // Seeding again on the same day adds nothing either.
    let report = reach::collect::demo::seed(&app.db, ACCOUNTS, DAYS, app.seeded_at)
        .await
        .expect("a second seed");
    assert_eq!((report.snapshots, report.runs), (0, 0));

    let runs: Page<RunSummary> = app.get_json("/api/runs?per_page=5").await;
    assert_eq!(runs.items[0].id, run.id, "newest first");
    assert_eq!(runs.total, u64::from(DAYS) + 1);
    // A run that finds nothing due is not the overview's latest news.
    let empty = app
        .engine("http://127.0.0.1:9")
        .run(chrono::Utc::now() - chrono::Duration::days(3650))
        .await
        .expect("an empty run");
    assert_eq!(
        empty.accounts_ok + empty.accounts_failed + empty.accounts_skipped,
        0
    );
    let later: Overview = app.get_json("/api/overview").await;
    assert_eq!(later.latest_run.as_ref().map(|r| r.id), Some(run.id));
}

async fn pages_are_server_rendered_with_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let top: Page<AccountRow> = app.get_json("/api/accounts?per_page=3").await;

    let accounts = app.get("/accounts").await;
    assert_eq!(accounts.status(), 200);
    let html = accounts.text().await.unwrap();
    for account in &top.items {
        assert!(
            html.contains(&account.handle),
            "SSR lacks {}",
            account.handle
        );
    }
    assert!(
        html.contains("/pkg/reach.js"),
        "the page loads the WASM bundle"
    );

    let overview = app.get("/").await.text().await.unwrap();
    assert!(overview.contains(&top.items[0].handle));

    let detail = app.get(&format!("/accounts/{}", top.items[0].id)).await;
    assert_eq!(detail.status(), 200);
    let html = detail.text().await.unwrap();
    assert!(html.contains("data-chart=\"history\""));

    assert_eq!(app.get("/no/such/page").await.status(), 404);
}

async fn a_browser_opening_an_endpoint_gets_json(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .client
        .get(format!("{}/api/overview", app.address))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let overview: Overview = response.json().await.unwrap();
    assert_eq!(overview.accounts, u64::from(ACCOUNTS));
}

async fn collect_now_starts_a_run_whose_detail_is_listed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.post_as_admin("/api/collect").await;
    assert_eq!(response.status(), 200);
    let answer: CollectAnswer = response.json().await.expect("JSON");
    assert_eq!(answer, CollectAnswer::Started);

    // The run goes on in the background; wait (generously) for its end.
    let mut run = None;
    for _ in 0..300 {
        let runs: Page<RunSummary> = app.get_json("/api/runs?per_page=1").await;
        let newest = runs.items[0].clone();
        if runs.total == u64::from(DAYS) + 1 && newest.status == RunStatus::Finished {
            run = Some(newest);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let run = run.expect("the requested run finishes");
    assert_eq!(
        (run.accounts_total, run.accounts_done, run.accounts_ok),
        (ACCOUNTS as i32, ACCOUNTS as i32, ACCOUNTS as i32)
    );
    assert_eq!(run.mode, "simulated", "the demo accounts are simulated");

    let detail: RunDetail = app.get_json(&format!("/api/run?id={}", run.id)).await;
    assert_eq!(detail.run, run);
    let per_platform: u64 = detail.platforms.iter().map(|p| p.accounts).sum();
    assert_eq!(per_platform, u64::from(ACCOUNTS));
    assert!(
        detail
            .platforms
            .iter()
            .all(|p| p.ok == p.accounts && p.failed == 0)
    );
    assert_eq!(detail.results.total, u64::from(ACCOUNTS));
    assert!(
        detail
            .results
            .items
            .iter()
            .all(|r| r.outcome == Outcome::Ok)
    );

    let none: RunDetail = app
        .get_json(&format!("/api/run?id={}&outcome=rate_limited", run.id))
        .await;
    assert_eq!(none.results.total, 0);
    let missing = app.get("/api/run?id=999999").await;
    assert_eq!(missing.status(), 404);
}

async fn answers_revalidate_with_etags(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.get("/api/overview").await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["cache-control"], "private, no-cache");
    let etag = first.headers()["etag"].clone();
    assert!(!first.text().await.expect("a body").is_empty());

    let again = app
        .client
        .get(format!("{}/api/overview", app.address))
        .header("if-none-match", etag.clone())
        .send()
        .await
        .expect("an answer");
    assert_eq!(again.status(), 304);
    assert!(again.text().await.expect("a body").is_empty());

    // Another answer, another tag.
    let accounts = app.get("/api/accounts").await;
    assert_ne!(accounts.headers()["etag"], etag);
}

async fn rows_carry_follower_changes_and_sparklines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let all: Page<AccountRow> = app.get_json("/api/accounts?per_page=100").await;
    let sparkline_since = chrono::Utc::now() - chrono::Duration::days(30);
    for row in all.items.iter().take(6) {
        let history: Vec<HistoryPoint> = app
            .get_json(&format!("/api/history?id={}&range=all", row.id))
            .await;
        let followers: Vec<Option<i64>> = history.iter().map(|p| p.counters.followers).collect();
        let last = followers.len() - 1;
        // Daily snapshots: the change over N days is against N snapshots back.
        let change = |days: usize| Some(followers[last]? - followers[last - days]?);
        assert_eq!(row.change_7d, change(7), "{}", row.handle);
        assert_eq!(row.change_30d, change(30), "{}", row.handle);
        let recent: Vec<i64> = history
            .iter()
            .filter(|p| p.captured_at >= sparkline_since)
            .filter_map(|p| p.counters.followers)
            .collect();
        assert_eq!(row.sparkline, recent, "{}", row.handle);
    }

    // The changes sort like every numeric column: unknown last.
    for key in ["change_7d", "change_30d"] {
        let page: Page<AccountRow> = app
            .get_json(&format!("/api/accounts?sort={key}&dir=desc&per_page=100"))
            .await;
        let values: Vec<i64> = page
            .items
            .iter()
            .filter_map(|a| {
                if key == "change_7d" {
                    a.change_7d
                } else {
                    a.change_30d
                }
            })
            .collect();
        assert!(values.windows(2).all(|w| w[0] >= w[1]), "{key}: {values:?}");
    }

    // A new snapshot moves the change with it.
    let first = &all.items[0];
    let followers = first.latest.followers.expect("followers are known");
    let day_after = app.seeded_at + chrono::Duration::days(1);
    db::snapshots::record(
        &app.db,
        first.id,
        day_after,
        app::model::Counters {
            followers: Some(followers + 1_000),
            ..Default::default()
        },
    )
    .await
    .expect("record a snapshot");
    let after: AccountDetail = app.get_json(&format!("/api/account?id={}", first.id)).await;
    let history: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={}&range=all", first.id))
        .await;
    let week_before = history[history.len() - 8].counters.followers.unwrap();
    assert_eq!(
        after.account.change_7d,
        Some(followers + 1_000 - week_before)
    );
}

async fn accounts_filter_by_core_and_tag(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let core: Page<AccountRow> = app.get_json("/api/accounts?core=true").await;
    assert_eq!(core.total, 3);
    assert!(core.items.iter().all(|a| a.is_core));
    let others: Page<AccountRow> = app.get_json("/api/accounts?core=false&per_page=100").await;
    assert_eq!(others.total, u64::from(ACCOUNTS) - 3);
    assert!(others.items.iter().all(|a| !a.is_core));

    let tags: Vec<TagCount> = app.get_json("/api/tags").await;
    assert!(tags.len() > 1);
    assert!(tags.windows(2).all(|w| w[0].accounts >= w[1].accounts));
    for tag in &tags {
        let tagged: Page<AccountRow> = app
            .get_json(&format!("/api/accounts?tag={}&per_page=100", tag.tag))
            .await;
        assert_eq!(tagged.total, tag.accounts, "{}", tag.tag);
        assert!(tagged.items.iter().all(|a| a.tags.contains(&tag.tag)));
        // Group totals: the sums of the tagged accounts.
        let followers: i64 = tagged.items.iter().filter_map(|a| a.latest.followers).sum();
        assert_eq!(tag.followers, followers, "{}", tag.tag);
        let week: Vec<i64> = tagged.items.iter().filter_map(|a| a.change_7d).collect();
        let week = (!week.is_empty()).then(|| week.iter().sum::<i64>());
        assert_eq!(tag.change_7d, week, "{}", tag.tag);
    }
    let combined: Page<AccountRow> = app
        .get_json(&format!(
            "/api/accounts?tag={}&core=true&per_page=100",
            tags[0].tag
        ))
        .await;
    assert!(
        combined
            .items
            .iter()
            .all(|a| a.is_core && a.tags.contains(&tags[0].tag))
    );

    let long = "t".repeat(65);
    let response = app.get(&format!("/api/accounts?tag={long}")).await;
    assert_eq!(response.status(), 400);
}

async fn overview_sums_changes_and_lists_growers_and_stale_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let overview: Overview = app.get_json("/api/overview").await;
    let all: Page<AccountRow> = app.get_json("/api/accounts?per_page=100").await;

    let days: Vec<u32> = overview.changes.iter().map(|c| c.days).collect();
    assert_eq!(days, [1, 7, 30]);
    let week = &overview.changes[1];
    assert_eq!(
        week.followers,
        all.items.iter().filter_map(|a| a.change_7d).sum::<i64>()
    );
    assert_eq!(
        week.accounts,
        all.items.iter().filter(|a| a.change_7d.is_some()).count() as u64
    );
    let month = &overview.changes[2];
    assert_eq!(
        month.followers,
        all.items.iter().filter_map(|a| a.change_30d).sum::<i64>()
    );

    assert!(!overview.top_growers.is_empty());
    let growth: Vec<i64> = overview
        .top_growers
        .iter()
        .map(|a| a.change_7d.unwrap())
        .collect();
    assert!(growth.windows(2).all(|w| w[0] >= w[1]) && growth.iter().all(|g| *g > 0));
    let best = all.items.iter().filter_map(|a| a.change_7d).max().unwrap();
    assert_eq!(growth[0], best);

    // The seeded history ends on a fixed day: by now it is stale, or not.
    let stale_before = chrono::Utc::now() - chrono::Duration::hours(STALE_AFTER_HOURS);
    let stale = all
        .items
        .iter()
        .filter(|a| a.last_collected_at.is_none_or(|at| at < stale_before))
        .count() as u64;
    assert_eq!(overview.needs_attention_total, stale);

    // A failed collection needs attention whatever the data's age.
    use db::entities::account;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
    let failed = &all.items[0];
    account::Entity::update_many()
        .col_expr(account::Column::LastOutcome, Expr::value("upstream_error"))
        .col_expr(account::Column::LastError, Expr::value("HTTP 502"))
        .col_expr(
            account::Column::LastCollectedAt,
            Expr::value(chrono::Utc::now()),
        )
        .filter(account::Column::Id.eq(failed.id))
        .exec(&app.db)
        .await
        .unwrap();
    db::generations::bump(&app.db, &[db::generations::Domain::Accounts])
        .await
        .unwrap();
    let was_stale = failed.last_collected_at.is_none_or(|at| at < stale_before);
    let overview: Overview = app.get_json("/api/overview").await;
    assert_eq!(
        overview.needs_attention_total,
        stale - u64::from(was_stale) + 1
    );
    if overview.needs_attention_total <= overview.needs_attention.len() as u64 {
        assert!(overview.needs_attention.iter().any(|a| a.id == failed.id));
    }
}

async fn performance_reports_latency_per_route_template_and_query(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..3 {
        let _: Overview = app.get_json("/api/overview").await;
    }
    for id in [1, 2] {
        assert_eq!(app.get(&format!("/accounts/{id}")).await.status(), 200);
    }
    assert_eq!(app.get("/api/account?id=999999").await.status(), 404);

    let performance: Performance = app.get_json("/api/performance").await;
    let endpoint = |name: &str| {
        performance
            .endpoints
            .iter()
            .find(|e| e.name == name)
            .unwrap_or_else(|| panic!("no series {name} in {:?}", performance.endpoints))
    };
    let overview = endpoint("GET /api/overview");
    assert_eq!((overview.count, overview.errors), (3, 0));
    assert!(overview.recent.p50_ms > 0.0 && overview.recent.p50_ms <= overview.recent.p99_ms);
    assert!(overview.overall.p99_ms <= overview.overall.max_ms);
    // One series per route, whatever the id; a 404 is not a server error.
    assert_eq!(endpoint("GET /accounts/{id}").count, 2);
    assert!(
        performance
            .endpoints
            .iter()
            .all(|e| e.name != "GET /accounts/1")
    );
    assert_eq!(endpoint("GET /api/account").errors, 0);

    let expected_backend = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(performance.database.backend, expected_backend);
    assert!(performance.database.pool_size >= 1);
    let selects = performance
        .database
        .queries
        .iter()
        .find(|q| q.name == "SELECT accounts")
        .expect("account reads are measured");
    assert!(selects.count > 0);
    assert!(
        performance
            .cache
            .kinds
            .iter()
            .any(|k| k.kind == "overview" && k.misses >= 1)
    );
    assert!(performance.rss_bytes.is_some_and(|b| b > 1_000_000));
    assert_eq!(performance.window_seconds, 300);

    // The seed's history runs have no timings; an engine run has.
    assert_eq!(performance.collectors, None);
    let run = app
        .engine("http://127.0.0.1:9")
        .run(chrono::Utc::now())
        .await
        .expect("a run");
    let performance: Performance = app.get_json("/api/performance").await;
    let collectors = performance.collectors.as_ref().expect("timings of the run");
    assert_eq!(collectors.run.id, run.id);
    let timed: u64 = collectors.platforms.iter().map(|p| p.accounts).sum();
    assert_eq!(timed, u64::from(ACCOUNTS));
}

/// The value of the sample `series` (name and labels, exactly as written)
/// in a Prometheus text answer.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {series} in\n{text}"))
        .parse()
        .expect("a number")
}

async fn prometheus_scrapes_the_same_figures(backend: Backend) {
    use app::ssr::cache::Cache;
    use app::ssr::metrics::Metrics;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let app = TestApp::spawn(backend).await;
    let metrics = Metrics::default();
    let address =
        crate::common::serve_with_metrics(app.db.clone(), Cache::in_process(), metrics.clone())
            .await;
    let get = |path: &str| app.client.get(format!("{address}{path}")).send();
    for _ in 0..3 {
        assert_eq!(get("/api/overview").await.unwrap().status(), 200);
    }
    assert_eq!(get("/accounts/1").await.unwrap().status(), 200);
    assert_eq!(get("/api/account?id=999999").await.unwrap().status(), 404);

    // A run against a fake GitHub: one account found, one missing.
    let fake = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/users/octocat"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            crate::collection::fixture("github_user.json"),
            "application/json",
        ))
        .mount(&fake)
        .await;
    Mock::given(method("GET"))
        .and(path("/users/missing"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&fake)
        .await;
    app.add_account(Platform::Github, "octocat").await;
    app.add_account(Platform::Github, "missing").await;
    let engine = crate::common::engine(app.db.clone(), &fake.uri(), |config| {
        config.metrics = metrics.clone();
    });
    engine.run(chrono::Utc::now()).await.expect("a run");

    let response = get("/metrics").await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let overview = r#"{endpoint="GET /api/overview"}"#;
    assert_eq!(
        sample(
            &text,
            &format!("reach_http_request_duration_seconds_count{overview}")
        ),
        3.0
    );
    assert!(
        sample(
            &text,
            &format!("reach_http_request_duration_seconds_sum{overview}")
        ) > 0.0
    );
    assert_eq!(
        sample(
            &text,
            r#"reach_http_request_duration_seconds_count{endpoint="GET /accounts/{id}"}"#
        ),
        1.0
    );
    assert!(
        sample(
            &text,
            r#"reach_db_query_duration_seconds_count{kind="SELECT accounts"}"#
        ) > 0.0
    );
    assert!(
        sample(
            &text,
            r#"reach_cache_requests_total{kind="overview",result="miss"}"#
        ) >= 1.0
    );
    assert_eq!(
        sample(&text, r#"reach_cache_backend{backend="in_process"}"#),
        1.0
    );
    for outcome in ["ok", "not_found"] {
        let series =
            format!(r#"reach_collector_requests_total{{platform="github",outcome="{outcome}"}}"#);
        assert_eq!(sample(&text, &series), 1.0, "{series}");
    }
    assert_eq!(
        sample(
            &text,
            r#"reach_collector_request_duration_seconds_count{platform="github"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(&text, r#"reach_collection_runs_total{status="finished"}"#),
        1.0
    );
    assert!(sample(&text, r#"reach_collection_accounts_total{outcome="ok"}"#) >= 1.0);
    // The run's database work rested at the default duty (REACH_COLLECT_DUTY).
    assert_eq!(
        sample(&text, "reach_collection_run_rest_seconds_count"),
        1.0
    );
    assert!(sample(&text, "reach_collection_run_rest_seconds_sum") > 0.0);
    assert_eq!(
        sample(
            &text,
            r#"reach_collection_accounts_total{outcome="failed"}"#
        ),
        1.0
    );
    let backend_label = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let idle = format!(r#"reach_db_pool_connections{{backend="{backend_label}",state="idle"}}"#);
    assert!(sample(&text, &idle) >= 0.0);
    assert!(sample(&text, "process_resident_memory_bytes") > 1e6);
    assert!(sample(&text, "reach_uptime_seconds") >= 0.0);
    // The example Grafana dashboard (deploy/) queries only real families.
    let families = crate::deploy::dashboard_metric_families();
    assert!(families.len() >= 10, "{families:?}");
    for family in families {
        assert!(
            text.contains(&format!("# TYPE {family} ")),
            "the dashboard queries {family}, which /metrics does not have"
        );
    }
}

async fn comparison_draws_accounts_absolute_and_indexed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let top: Page<AccountRow> = app.get_json("/api/accounts?per_page=3").await;
    let ids: Vec<i64> = top.items.iter().map(|a| a.id).collect();
    let list = format!("{},{},{}", ids[2], ids[0], ids[1]);

    let absolute: Comparison = app
        .get_json(&format!("/api/compare?ids={list}&range=all"))
        .await;
    let order: Vec<i64> = absolute.series.iter().map(|s| s.id).collect();
    assert_eq!(order, [ids[2], ids[0], ids[1]], "in the order asked for");
    for series in &absolute.series {
        let history: Vec<HistoryPoint> = app
            .get_json(&format!("/api/history?id={}&range=all", series.id))
            .await;
        let expected: Vec<f64> = history
            .iter()
            .filter_map(|p| p.counters.followers)
            .map(|v| v as f64)
            .collect();
        let values: Vec<f64> = series.points.iter().map(|(_, v)| *v).collect();
        assert_eq!(values, expected, "{}", series.handle);
    }

    let indexed: Comparison = app
        .get_json(&format!("/api/compare?ids={list}&range=all&mode=indexed"))
        .await;
    for (index, raw) in indexed.series.iter().zip(&absolute.series) {
        assert_eq!(index.points.first().map(|(_, v)| *v), Some(100.0));
        let (last, first) = (raw.points.last().unwrap().1, raw.points[0].1);
        let expected = last * 100.0 / first;
        assert!((index.points.last().unwrap().1 - expected).abs() < 1e-9);
    }

    // A metric the platform does not publish gives an empty line, not zeros.
    let views: Comparison = app
        .get_json(&format!("/api/compare?ids={list}&metric=views&range=30d"))
        .await;
    assert_eq!(views.series.len(), 3);
    for series in &views.series {
        if !series.platform.metrics().contains(&Metric::Views) {
            assert!(series.points.is_empty(), "{}", series.handle);
        }
    }

    for (query, status) in [
        ("ids=", 400),
        ("ids=1,2,3,4,5,6,7", 400),
        ("ids=abc", 400),
        ("ids=999999", 404),
    ] {
        let response = app.get(&format!("/api/compare?{query}")).await;
        assert_eq!(response.status(), status, "{query}");
    }
}

async fn growth_uses_the_nearest_real_snapshots_and_says_which(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let top: Page<AccountRow> = app.get_json("/api/accounts?per_page=1").await;
    let id = top.items[0].id;
    let history: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=all"))
        .await;
    let followers = |i: usize| history[i].counters.followers.unwrap();
    let last = history.len() - 1;

    let growth: Growth = app.get_json(&format!("/api/growth?id={id}")).await;
    let days: Vec<u32> = growth.windows.iter().map(|w| w.days).collect();
    assert_eq!(days, [1, 7, 30, 90, 365]);
    let followers_change = |window: usize| {
        let period = &growth.windows[window].period;
        let change = period
            .metrics
            .iter()
            .find(|m| m.metric == Metric::Followers)
            .unwrap();
        (period.from_at, change.change)
    };
    assert_eq!(
        followers_change(0),
        (
            Some(history[last - 1].captured_at),
            Some(followers(last) - followers(last - 1))
        )
    );
    assert_eq!(
        followers_change(1),
        (
            Some(history[last - 7].captured_at),
            Some(followers(last) - followers(last - 7))
        )
    );
    assert_eq!(
        followers_change(2).1,
        Some(followers(last) - followers(last - 30))
    );
    // 40 days of history: nothing 90 days old, so unknown, not zero.
    assert_eq!(followers_change(3), (None, None));

    // With days missing, the change runs from the nearest older snapshot,
    // and the answer says which one that was.
    use db::entities::snapshot;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    snapshot::Entity::delete_many()
        .filter(snapshot::Column::AccountId.eq(id))
        .filter(snapshot::Column::CapturedAt.gt(history[last - 10].captured_at))
        .filter(snapshot::Column::CapturedAt.lt(history[last - 2].captured_at))
        .exec(&app.db)
        .await
        .unwrap();
    db::generations::bump(&app.db, &[db::generations::Domain::Snapshots])
        .await
        .unwrap();
    let growth: Growth = app.get_json(&format!("/api/growth?id={id}")).await;
    let week = &growth.windows[1].period;
    assert_eq!(week.from_at, Some(history[last - 10].captured_at));
    let change = week
        .metrics
        .iter()
        .find(|m| m.metric == Metric::Followers)
        .unwrap();
    assert_eq!(change.change, Some(followers(last) - followers(last - 10)));

    // A custom period, and the period of equal length before it.
    let to = history[last - 3].captured_at.date_naive();
    let from = history[last - 12].captured_at.date_naive();
    let growth: Growth = app
        .get_json(&format!("/api/growth?id={id}&from={from}&to={to}"))
        .await;
    let custom = growth.custom.expect("the custom period");
    assert_eq!(
        custom.to_at,
        Some(history[last - 10].captured_at),
        "days after are missing"
    );
    assert_eq!(custom.from_at, Some(history[last - 12].captured_at));
    let previous = growth.previous.expect("the period before");
    assert_eq!(previous.to_at, Some(history[last - 12].captured_at));
    assert!(
        previous
            .from_at
            .is_some_and(|at| at < history[last - 12].captured_at)
    );

    for (query, status) in [
        (format!("id={id}&from={to}&to={from}"), 400),
        (format!("id={id}&from={from}"), 400),
        (format!("id={id}&from=yesterday&to={to}"), 400),
        ("id=999999".to_owned(), 404),
    ] {
        assert_eq!(
            app.get(&format!("/api/growth?{query}")).await.status(),
            status,
            "{query}"
        );
    }
}

async fn health_and_readiness(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alive = app.get("/healthz").await;
    assert_eq!(alive.status(), 200);
    assert_eq!(alive.text().await.unwrap(), "ok");
    let ready: Value = app.get_json("/readyz").await;
    assert_eq!(
        ready,
        serde_json::json!({"status": "ready", "database": "ok", "cache": "in_process"})
    );

    // With the database gone, not ready (and no error text leaks), but alive.
    app.db.clone().close().await.expect("close the pool");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["database"], "unreachable");
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn every_answer_carries_a_request_id(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = |response: &reqwest::Response| {
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let first = id(&app.get("/api/overview").await).expect("an id");
    let second = id(&app.get("/accounts").await).expect("an id");
    assert_eq!(first.len(), 36, "a UUID: {first}");
    assert_ne!(first, second);
    // An id the client sends is kept, so logs can be followed across services.
    let response = app
        .client
        .get(format!("{}/healthz", app.address))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id(&response).as_deref(), Some("trace-me-42"));
}

async fn admins_add_edit_and_delete_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token().await;
    let post = |path: &str, form: Vec<(&'static str, String)>, admin: bool| {
        let mut request = app
            .client
            .post(format!("{}{path}", app.address))
            .header("accept", "application/json")
            .form(&form);
        if admin {
            request = request.bearer_auth(&token);
        }
        request.send()
    };
    let new = || {
        vec![
            ("platform", "mastodon".to_owned()),
            ("handle", "@Ada@Example.Social".to_owned()),
            ("core", "true".to_owned()),
            ("tags", "Science, maths, science".to_owned()),
        ]
    };
    let anonymous = post("/api/accounts/add", new(), false).await.unwrap();
    assert_eq!(anonymous.status(), 401);

    let added = post("/api/accounts/add", new(), true).await.unwrap();
    assert_eq!(added.status(), 200);
    let added: AccountDetail = added.json().await.unwrap();
    assert_eq!(added.account.handle, "Ada@example.social");
    assert!(added.account.is_core);
    assert_eq!(added.account.tags, ["maths", "science"]);
    let id = added.account.id;
    // The next read sees it: writes move the cache's generations.
    let page: Page<AccountRow> = app.get_json("/api/accounts?q=Ada@example").await;
    assert_eq!(page.items.iter().map(|a| a.id).collect::<Vec<_>>(), [id]);

    let twice = post("/api/accounts/add", new(), true).await.unwrap();
    // Tracked already: a conflict with what exists, not a malformed request.
    assert_eq!(twice.status(), 409);
    let twice: serde_json::Value = twice.json().await.unwrap();
    assert_eq!(twice["error"], "conflict");
    assert!(
        twice["message"]
            .as_str()
            .unwrap()
            .contains("already tracked")
    );
    let mut bad = new();
    bad[1].1 = "not a mastodon handle".to_owned();
    let bad = post("/api/accounts/add", bad, true).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("user@instance"));

    let edited = post(
        "/api/accounts/update",
        vec![("id", id.to_string()), ("tags", "art".to_owned())],
        true,
    )
    .await
    .unwrap();
    assert_eq!(edited.status(), 200);
    let detail: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    assert!(!detail.account.is_core, "an absent core is an unticked box");
    assert_eq!(detail.account.tags, ["art"]);

    // A YouTube channel id is kept as the platform's id: collected by id.
    let channel = post(
        "/api/accounts/add",
        vec![
            ("platform", "youtube".to_owned()),
            ("handle", "UCBJycsmduvYEL83R_U4JriQ".to_owned()),
        ],
        true,
    )
    .await
    .unwrap();
    assert_eq!(channel.status(), 200);
    let channel: AccountDetail = channel.json().await.unwrap();
    assert_eq!(
        channel.platform_id.as_deref(),
        Some("UCBJycsmduvYEL83R_U4JriQ")
    );

    let deleted = post("/api/accounts/delete", vec![("id", id.to_string())], true)
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(
        app.get(&format!("/api/account?id={id}")).await.status(),
        404
    );
    let again = post("/api/accounts/delete", vec![("id", id.to_string())], true)
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
}
