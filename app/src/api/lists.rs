//! The list endpoints: the accounts table and the leaderboard. Each of
//! their arguments is a query parameter of the public API, so there are
//! many: the one lint this file allows.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::params::*;
#[cfg(feature = "ssr")]
use super::validate;
use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::model::AccountFilter;
use crate::model::{
    AccountRow, AccountSort, Leaderboard, Metric, Page, Platform, RankBy, SortDirection,
};
#[cfg(feature = "ssr")]
use crate::ssr::cache::Kind;

/// One page of the accounts table.
///
/// `page` starts at 1; `per_page` is at most [`crate::model::MAX_PAGE_SIZE`];
/// `q` matches handles and display names; `platform` filters to one
/// platform, `core` to core accounts (`true`) or the others (`false`), `tag`
/// to the accounts carrying it. Rows carry a 30-day follower sparkline.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/accounts", tag = "accounts", params(Paging, AccountListing, AccountFilterParams), responses((status = 200, body = Page<AccountRow>))))]
#[server(prefix = "/api", endpoint = "accounts", input = GetUrl, output = Json)]
pub async fn list_accounts(
    page: Option<u32>,
    per_page: Option<u32>,
    sort: Option<AccountSort>,
    dir: Option<SortDirection>,
    q: Option<String>,
    platform: Option<Platform>,
    core: Option<bool>,
    tag: Option<String>,
) -> Result<Page<AccountRow>, ApiError> {
    let (page, per_page) = validate::pagination(page, per_page)?;
    let sort = sort.unwrap_or_default();
    let query = db::accounts::AccountQuery {
        page,
        per_page,
        sort,
        direction: dir.unwrap_or_else(|| sort.natural_direction()),
        filter: AccountFilter {
            search: validate::search(q)?,
            platform,
            core,
            tag: validate::tag(tag)?,
        },
    };
    let db = crate::ssr::state::db()?;
    let arguments = (page, per_page, sort, query.direction, &query.filter);
    crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Accounts, &arguments, || {
            db::accounts::list(&db, &query)
        })
        .await
}

/// Tracked accounts ranked by one metric (default: followers): by its
/// value (`by=value`), its growth over `days` (7, 30, 90 or 365;
/// default 30) in absolute figures (`by=change`) or in percent
/// (`by=percent`). `date` (`2026-10-01`) shows the board as it stood at
/// the end of that day (UTC); each entry also has its rank one period
/// earlier. Periods start at the end of a day: the live board's 30 days
/// run from the end of the day 30 days before today to now. `platform`,
/// `core` and `tag` narrow who competes.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/leaderboard", tag = "analytics", params(LeaderboardParams, AccountFilterParams, Paging), responses((status = 200, body = Leaderboard))))]
#[server(prefix = "/api", endpoint = "leaderboard", input = GetUrl, output = Json)]
pub async fn get_leaderboard(
    metric: Option<Metric>,
    by: Option<RankBy>,
    days: Option<u32>,
    date: Option<chrono::NaiveDate>,
    platform: Option<Platform>,
    core: Option<bool>,
    tag: Option<String>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<Leaderboard, ApiError> {
    let (page, per_page) = validate::pagination(page, per_page)?;
    let days = validate::leaderboard_days(days)?;
    let date = validate::board_date(date)?;
    let filter = AccountFilter {
        search: None,
        platform,
        core,
        tag: validate::tag(tag)?,
    };
    let (metric, by) = (metric.unwrap_or_default(), by.unwrap_or_default());
    // The live board's periods start at the end of a day: it is
    // another board tomorrow.
    let today = chrono::Utc::now().date_naive();
    let arguments = (metric, by, days, date, today, &filter, page, per_page);
    let query = db::leaderboard::LeaderboardQuery {
        metric,
        by,
        days,
        date,
        filter: filter.clone(),
        page,
        per_page,
    };
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Leaderboard, &arguments, || {
            db::leaderboard::leaderboard(&db, &query)
        })
        .await
}
