//! `/metrics/accounts`: each tracked account's latest counters in
//! Prometheus' text format, for the Prometheus (and the Grafana in front of
//! it) an operator already runs; `deploy/grafana/reach-accounts.json` charts
//! them. Apart from `/metrics`, which is the answering instance's own
//! figures: the accounts are the same whichever instance answers.
//!
//! It repeats what the collectors stored, nothing else:
//! - a counter the platform hides or never reported has no sample (never a
//!   zero that would read as a fall);
//! - demo accounts say `simulated="true"`;
//! - samples carry no timestamp: Prometheus refuses samples older than its
//!   newest block, and a counter collected yesterday is still the latest
//!   known one; `reach_account_collected_timestamp_seconds` says when it
//!   was collected.
//!
//! The number of accounts is bounded (`REACH_ACCOUNT_METRICS_LIMIT`, core
//! accounts first), and what the bound left out is itself a sample.

use std::fmt::Write as _;

use app::error::ApiError;
use app::model::{Metric, Outcome};
use app::ssr::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use db::accounts::{Exported, ExportedAccount};

/// The exposition format's content type (Prometheus 3 refuses a scrape
/// without a known one).
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Each account's latest counters, for Prometheus.
#[utoipa::path(
    get,
    path = "/metrics/accounts",
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition format 0.0.4: `reach_account_followers` and the other counters per account (labels `platform`, `handle`, `brand`, `tags`, `core`, `simulated`), at most `REACH_ACCOUNT_METRICS_LIMIT` accounts.", content_type = "text/plain", body = String),
        (status = 404, description = "Turned off (`REACH_ACCOUNT_METRICS_LIMIT=0`).", body = ApiError),
    ),
)]
pub(crate) async fn account_metrics(State(state): State<AppState>) -> Response {
    let limit = state.sharing.account_metrics_limit;
    if limit == 0 {
        return ApiError::not_found("the account metrics are turned off here").into_response();
    }
    match db::accounts::exported(&state.db, u64::from(limit)).await {
        Ok(exported) => (
            [(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE))],
            render(&exported),
        )
            .into_response(),
        // Logged where the storage error becomes the API's.
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The series of one account counter: its name and help line.
fn family(metric: Metric) -> (&'static str, &'static str) {
    match metric {
        Metric::Followers => (
            "reach_account_followers",
            "Followers (subscribers, members) of the account, as last collected.",
        ),
        Metric::Following => (
            "reach_account_following",
            "Accounts the account follows, as last collected.",
        ),
        Metric::Posts => (
            "reach_account_posts",
            "Posts (videos, repositories, statuses) of the account, as last collected.",
        ),
        Metric::Views => (
            "reach_account_views",
            "Views of the account's content, as last collected.",
        ),
        Metric::Likes => (
            "reach_account_likes",
            "Likes (stars, hearts) the account received, as last collected.",
        ),
        Metric::Score => (
            "reach_account_score",
            "The standing the platform computes (karma, reputation), as last collected.",
        ),
        Metric::Online => (
            "reach_account_online",
            "Members present when last collected (a gauge that moves within a day).",
        ),
        Metric::Listed => (
            "reach_account_listed",
            "Public lists that include the account, as last collected.",
        ),
    }
}

/// Every series name this endpoint may answer (the Grafana dashboard's
/// test checks its queries against these).
pub fn series_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Metric::ALL.iter().map(|m| family(*m).0).collect();
    names.extend([
        "reach_account_collected_timestamp_seconds",
        "reach_account_collection_ok",
        "reach_account_metrics_accounts",
        "reach_account_metrics_omitted_accounts",
    ]);
    names
}

/// The whole exposition: one group per family, its HELP and TYPE first.
fn render(exported: &Exported) -> String {
    let mut out = String::with_capacity(256 * (exported.accounts.len() + 1));
    let counters: Vec<_> = exported
        .accounts
        .iter()
        .map(|a| a.account.counters())
        .collect();
    for metric in Metric::ALL {
        let (name, help) = family(metric);
        gauge_header(&mut out, name, help);
        for (account, counters) in exported.accounts.iter().zip(&counters) {
            if let Some(value) = counters.get(metric) {
                sample(&mut out, name, account, value as f64);
            }
        }
    }
    gauge_header(
        &mut out,
        "reach_account_collected_timestamp_seconds",
        "When the account's counters were last collected, in Unix seconds.",
    );
    for account in &exported.accounts {
        if let Some(at) = account.account.last_collected_at {
            sample(
                &mut out,
                "reach_account_collected_timestamp_seconds",
                account,
                at.timestamp() as f64,
            );
        }
    }
    gauge_header(
        &mut out,
        "reach_account_collection_ok",
        "1 when the account's last collection stored a snapshot, 0 when it failed or found the account suspended, gone or private.",
    );
    for account in &exported.accounts {
        if let Some(outcome) = account.account.last_outcome {
            let ok = if outcome == Outcome::Ok { 1.0 } else { 0.0 };
            sample(&mut out, "reach_account_collection_ok", account, ok);
        }
    }
    gauge_header(
        &mut out,
        "reach_account_metrics_accounts",
        "Accounts in this answer.",
    );
    let _ = writeln!(
        out,
        "reach_account_metrics_accounts {}",
        exported.accounts.len()
    );
    gauge_header(
        &mut out,
        "reach_account_metrics_omitted_accounts",
        "Accounts left out by REACH_ACCOUNT_METRICS_LIMIT.",
    );
    let _ = writeln!(
        out,
        "reach_account_metrics_omitted_accounts {}",
        exported.omitted
    );
    out
}

fn gauge_header(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} gauge");
}

fn sample(out: &mut String, name: &str, exported: &ExportedAccount, value: f64) {
    let account = &exported.account;
    let _ = writeln!(
        out,
        "{name}{{platform=\"{}\",handle=\"{}\",brand=\"{}\",tags=\"{}\",core=\"{}\",simulated=\"{}\"}} {value}",
        account.platform.as_str(),
        escape_label(&account.handle),
        escape_label(exported.brand.as_deref().unwrap_or("")),
        escape_label(&exported.tags.join(",")),
        account.is_core,
        account.simulated,
    );
}

/// A label value as the format wants it: backslash, double quote and line
/// feed escaped; anything else (any UTF-8) as it is.
fn escape_label(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '"' => escaped.push_str("\\\""),
            '\n' => escaped.push_str("\\n"),
            c => escaped.push(c),
        }
    }
    escaped
}

/// HELP text escapes only backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::Platform;
    use chrono::{TimeZone, Utc};

    fn account(handle: &str, followers: Option<i64>) -> ExportedAccount {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap();
        ExportedAccount {
            account: db::entities::account::Model {
                id: 1,
                platform: Platform::Github,
                handle: handle.to_owned(),
                platform_id: None,
                display_name: None,
                is_core: true,
                created_at: at,
                updated_at: at,
                last_collected_at: Some(at),
                last_error: None,
                followers,
                following: None,
                posts: Some(7),
                views: None,
                likes: None,
                simulated: false,
                last_outcome: Some(Outcome::Ok),
                last_attempt_at: Some(at),
                lease_until: None,
                lease_owner: None,
                followers_change_1d: None,
                followers_change_7d: None,
                followers_change_30d: None,
                brand_id: None,
                state: None,
                state_since: None,
                followers_at: followers.map(|_| at),
                following_at: None,
                posts_at: Some(at),
                views_at: None,
                likes_at: None,
                score: None,
                score_at: None,
                online: None,
                online_at: None,
                listed: None,
                listed_at: None,
                avatar_version: None,
                revision: 1,
            },
            tags: vec!["a\"b".to_owned(), "rust".to_owned()],
            brand: Some("Back\\slash\nline".to_owned()),
        }
    }

    #[test]
    fn label_values_are_escaped_as_the_format_says() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("two\nlines"), "two\\nlines");
        assert_eq!(escape_label("ünïcode ✓"), "ünïcode ✓");
        assert_eq!(escape_help("a\\b\nc\"d"), "a\\\\b\\nc\"d");
    }

    #[test]
    fn a_hidden_counter_has_no_sample_and_every_family_one_header() {
        let text = render(&Exported {
            accounts: vec![account("octo", None), account("cat", Some(42))],
            omitted: 3,
        });
        let brand = r#"brand="Back\\slash\nline""#;
        assert!(text.contains(&format!(
            r#"reach_account_followers{{platform="github",handle="cat",{brand},tags="a\"b,rust",core="true",simulated="false"}} 42"#
        )));
        assert!(!text.contains(r#"reach_account_followers{platform="github",handle="octo""#));
        assert_eq!(text.matches("reach_account_posts{").count(), 2);
        assert!(text.contains("reach_account_collection_ok{"));
        assert!(text.contains(
            "\nreach_account_collected_timestamp_seconds{platform=\"github\",handle=\"octo\""
        ));
        assert!(text.contains("\nreach_account_metrics_accounts 2\n"));
        assert!(text.ends_with("reach_account_metrics_omitted_accounts 3\n"));
        for name in series_names() {
            assert_eq!(
                text.matches(&format!("# TYPE {name} gauge\n")).count(),
                1,
                "{name}"
            );
        }
    }
}
