//! `GET /api/series`: accounts' stored values of one counter between two
//! moments, as flat rows (`time`, `id`, `account`, `value`), for Grafana's
//! JSON data sources (the Infinity plugin reads such rows as a table and
//! charts one series per account) and anything else that prefers rows to
//! `/api/compare`'s nested series. `from` and `to` take Grafana's own
//! `${__from}` and `${__to}` (milliseconds since the epoch) as well as
//! RFC 3339 moments and dates, so a dashboard's time picker drives it.

use app::error::ApiError;
use app::model::{Metric, SeriesRow};
use app::ssr::state::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;

/// The most accounts one request names: a dashboard panel's worth.
pub const MAX_SERIES: usize = 20;

/// The window when `from` is left out: the 90 days before `to`.
const DEFAULT_DAYS: i64 = 90;

/// Which accounts, which counter, when.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Comma-separated account ids, 1 to 20 (`1,2,3`).
    #[param(example = "1,2", pattern = r"^[0-9]{1,18}(,[0-9]{1,18}){0,19}$")]
    ids: String,
    /// The counter (default `followers`).
    #[param(inline, example = "followers")]
    metric: Option<Metric>,
    /// The start: milliseconds since the epoch (Grafana's `${__from}`), an
    /// RFC 3339 moment or a date; default 90 days before `to`.
    #[param(
        example = "2026-09-01",
        pattern = r"^([0-9]{1,15}|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}))?)$"
    )]
    from: Option<String>,
    /// The end, in the same forms; default now.
    #[param(
        example = "1796342400000",
        pattern = r"^([0-9]{1,15}|[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2}))?)$"
    )]
    to: Option<String>,
}

/// Accounts' stored values of one counter, as rows.
#[utoipa::path(
    get,
    path = "/api/series",
    tag = "analytics",
    params(SeriesQuery),
    responses(
        (status = 200, description = "Rows, each account's oldest first, in the order of `ids`; at most 1,000 per account (thinned as charts are).", body = Vec<SeriesRow>),
        (status = 400, description = "Ids, counter or moments not understood, or `from` after `to` (`bad_request`).", body = ApiError),
        (status = 404, description = "No account with one of these ids (`not_found`).", body = ApiError),
    ),
)]
pub(crate) async fn series(
    State(state): State<AppState>,
    query: Result<Query<SeriesQuery>, QueryRejection>,
) -> Response {
    let Ok(Query(query)) = query else {
        return ApiError::bad_request("ids is required; metric takes the values the API lists")
            .into_response();
    };
    let ids = match app::api::validate::account_ids_up_to(&query.ids, MAX_SERIES) {
        Ok(ids) => ids,
        Err(error) => return error.into_response(),
    };
    let to = match query.to.as_deref().map(moment).transpose() {
        Ok(to) => to.unwrap_or_else(Utc::now),
        Err(error) => return error.into_response(),
    };
    let from = match query.from.as_deref().map(moment).transpose() {
        Ok(from) => from.unwrap_or(to - chrono::Duration::days(DEFAULT_DAYS)),
        Err(error) => return error.into_response(),
    };
    if from > to {
        return ApiError::bad_request("from is after to").into_response();
    }
    let metric = query.metric.unwrap_or_default();
    match db::analytics::series(&state.db, &ids, metric, from, to).await {
        Ok(rows) => Json(rows).into_response(),
        // Logged where the storage error becomes the API's.
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// Milliseconds since the epoch, an RFC 3339 moment, or a date (its start,
/// UTC).
fn moment(value: &str) -> Result<DateTime<Utc>, ApiError> {
    let value = value.trim();
    let parsed = if let Ok(ms) = value.parse::<i64>() {
        DateTime::from_timestamp_millis(ms)
    } else if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        Some(at.with_timezone(&Utc))
    } else {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
    };
    parsed.ok_or_else(|| {
        ApiError::bad_request(format!(
            "`{value}` is not a moment: milliseconds since the epoch, RFC 3339 or a date"
        ))
    })
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn moments_take_grafanas_milliseconds_rfc_3339_and_dates() {
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
        assert_eq!(moment("1796342400000").unwrap(), at);
        assert_eq!(moment("2026-12-04T01:00:00+01:00").unwrap(), at);
        assert_eq!(moment("2026-12-04").unwrap(), at);
        assert!(moment("yesterday").is_err());
        assert!(moment("2026-13-01").is_err());
    }
}
