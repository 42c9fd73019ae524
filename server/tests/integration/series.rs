//! `/api/series`: the stored values as rows, for Grafana's JSON data
//! sources, between the moments Grafana's time picker sends.

use app::model::{HistoryPoint, SeriesRow};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(rows_repeat_the_stored_history_between_two_moments);

async fn rows_repeat_the_stored_history_between_two_moments(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The demo set's days: its history of a week, as the API answers it.
    let week: Vec<HistoryPoint> = app.get_json("/api/history?id=1&range=all").await;
    let from = week[week.len() - 7].captured_at;
    let to = week[week.len() - 2].captured_at;
    let expected: Vec<(chrono::DateTime<chrono::Utc>, Option<i64>)> = week
        .iter()
        .filter(|p| p.captured_at >= from && p.captured_at <= to)
        .map(|p| (p.captured_at, p.counters.followers))
        .collect();
    assert_eq!(expected.len(), 6);

    // Grafana's `${__from}` and `${__to}`: milliseconds since the epoch.
    let rows: Vec<SeriesRow> = app
        .get_json(&format!(
            "/api/series?ids=1,2&from={}&to={}",
            from.timestamp_millis(),
            to.timestamp_millis()
        ))
        .await;
    let first: Vec<(chrono::DateTime<chrono::Utc>, Option<i64>)> = rows
        .iter()
        .filter(|r| r.id == 1)
        .map(|r| (r.time, Some(r.value)))
        .collect();
    assert_eq!(first, expected);
    assert!(rows.iter().any(|r| r.id == 2), "both accounts");
    // In the order asked for, each account's oldest first.
    let order: Vec<i64> = rows.iter().map(|r| r.id).collect();
    assert!(order.windows(2).all(|w| w[0] <= w[1]), "{order:?}");
    assert!(rows[0].account.contains(" @"), "{}", rows[0].account);

    // RFC 3339 gives the same rows.
    let same: Vec<SeriesRow> = app
        .get_json(&format!(
            "/api/series?ids=1,2&from={}&to={}",
            urlencoding(&from.to_rfc3339()),
            urlencoding(&to.to_rfc3339())
        ))
        .await;
    assert_eq!(same, rows);

    for bad in [
        "/api/series",
        "/api/series?ids=x",
        "/api/series?ids=1&from=yesterday",
        "/api/series?ids=1&from=2026-12-02&to=2026-12-01",
    ] {
        assert_eq!(app.get(bad).await.status(), 400, "{bad}");
    }
    assert_eq!(app.get("/api/series?ids=999999").await.status(), 404);
}

fn urlencoding(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC).to_string()
}
