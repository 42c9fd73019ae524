//! Analytics: growth over periods, projections, events and comparisons.
//! The leaderboard's listing is in [`super::lists`].

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::params::*;
#[cfg(feature = "ssr")]
use super::validate;
use crate::error::ApiError;
use crate::model::{
    CompareMode, Comparison, EventKind, EventRow, Growth, HistoryRange, Metric, Page, Projection,
};
#[cfg(feature = "ssr")]
use crate::ssr::cache::Kind;

/// An account's growth: every metric's change over 1, 7, 30, 90 and 365
/// days up to its latest snapshot, each between the real snapshots nearest
/// to the window's ends (named in the answer). With `from` and `to` (dates,
/// `2026-10-01`), also the change over that period and over the period of
/// equal length before it.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/growth", tag = "analytics", params(AccountId, PeriodParams), responses((status = 200, body = Growth), (status = 404, description = "No account with this id."))))]
#[server(prefix = "/api", endpoint = "growth", input = GetUrl, output = Json)]
pub async fn get_growth(
    id: i64,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<Growth, ApiError> {
    let period = validate::period(from, to)?;
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load_for(&db, Kind::Growth, &[id], &(id, period), || {
            db::analytics::growth(&db, id, period)
        })
        .await
}

/// Where an account's metric (default: followers) is heading: a robust
/// trend through the daily values of the last `basis` days (30 or 90;
/// default 90), the predicted values at +30, +90 and +365 days with a band,
/// and the dates of the next milestones (1k, 10k, 100k…). With too little
/// data there is no trend, and `reason` says why.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/projection", tag = "analytics", params(AccountId, MetricParam, ProjectionParams), responses((status = 200, body = Projection), (status = 404, description = "No account with this id."))))]
#[server(prefix = "/api", endpoint = "projection", input = GetUrl, output = Json)]
pub async fn get_projection(
    id: i64,
    metric: Option<Metric>,
    basis: Option<u32>,
) -> Result<Projection, ApiError> {
    let metric = metric.unwrap_or_default();
    let basis = validate::projection_basis(basis)?;
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load_for(&db, Kind::Projection, &[id], &(id, metric, basis), || {
            db::projection::projection(&db, id, metric, basis)
        })
        .await
}

/// Events, newest first: milestones crossed, unusual daily changes and
/// accounts failing run after run; `account_id` and `kind` (`milestone`,
/// `unusual_change`, `failing`) narrow the list.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/events", tag = "analytics", params(EventParams, Paging), responses((status = 200, body = Page<EventRow>))))]
#[server(prefix = "/api", endpoint = "events", input = GetUrl, output = Json)]
pub async fn list_events(
    account_id: Option<i64>,
    kind: Option<EventKind>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<Page<EventRow>, ApiError> {
    let (page, per_page) = validate::pagination(page, per_page)?;
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load(
            &db,
            Kind::Events,
            &(account_id, kind, page, per_page),
            || db::events::list(&db, account_id, kind, page, per_page),
        )
        .await
}

/// Up to six accounts' history of one metric on one chart. `ids` is a
/// comma-separated list (`ids=3,7,12`); `mode=indexed` shows each series as
/// a percentage of its first value in the range (= 100 at the start).
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/compare", tag = "analytics", params(CompareParams, MetricParam, Range), responses((status = 200, body = Comparison), (status = 404, description = "No account with one of these ids."))))]
#[server(prefix = "/api", endpoint = "compare", input = GetUrl, output = Json)]
pub async fn compare_accounts(
    ids: String,
    metric: Option<Metric>,
    range: Option<HistoryRange>,
    mode: Option<CompareMode>,
) -> Result<Comparison, ApiError> {
    let ids = validate::account_ids(&ids)?;
    let (metric, range, mode) = (
        metric.unwrap_or_default(),
        range.unwrap_or_default(),
        mode.unwrap_or_default(),
    );
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load_for(
            &db,
            Kind::Compare,
            &ids,
            &(&ids, metric, range, mode),
            || db::analytics::compare(&db, &ids, metric, range, mode),
        )
        .await
}
