//! The server functions: the dashboard's data source and Reach's public JSON API.
//!
//! Each read function is a GET at a fixed path under `/api/` whose arguments
//! are URL query parameters, so `curl 'http://127.0.0.1:3000/api/accounts?sort=posts'`
//! gets exactly what the dashboard gets. Arguments are checked here, at the
//! edge; the queries behind them live in `crate::db` (server only). Every
//! read goes through the cache (`crate::cache`), keyed by its validated
//! arguments.
//!
//! Over 500 lines: every server function is here, with its OpenAPI
//! annotation and argument checks. Issue 19's stage 3 splits it into
//! `api/` by area (accounts, analytics, runs, access, ops), each with its
//! parameters beside it.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use crate::cache::Kind;
use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::model::AccountFilter;
use crate::model::{
    AccountDetail, AccountRow, AccountSort, BrandDetail, BrandRow, CacheStats, CollectAnswer,
    CompareMode, Comparison, DailyRollup, EventKind, EventRow, Growth, HistoryPoint, HistoryRange,
    Leaderboard, Me, Metric, NewToken, Outcome, Overview, Page, Performance, Platform,
    PlatformStatus, Projection, RankBy, RunDetail, RunSummary, SortDirection, TagCount, TokenRow,
};
#[cfg(feature = "ssr")]
use crate::openapi::forms::*;
#[cfg(feature = "ssr")]
use crate::openapi::params::*;

/// Totals, per-platform figures, the biggest accounts and the latest run.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/overview", tag = "dashboard", responses((status = 200, body = Overview))))]
#[server(prefix = "/api", endpoint = "overview", input = GetUrl, output = Json)]
pub async fn get_overview() -> Result<Overview, ApiError> {
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Overview, &(), || db::overview::overview(&db))
        .await
}

pub use many_parameters::{GetLeaderboard, ListAccounts, get_leaderboard, list_accounts};

/// The list endpoints, in a module of their own for one lint: each of their
/// arguments is a query parameter of the public API, so there are many.
pub(crate) mod many_parameters {
    #![allow(clippy::too_many_arguments)]

    use super::*;

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
        let db = crate::state::db();
        let arguments = (page, per_page, sort, query.direction, &query.filter);
        crate::state::cache()
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
        let db = crate::state::db();
        crate::state::cache()
            .get_or_load(&db, Kind::Leaderboard, &arguments, || {
                db::leaderboard::leaderboard(&db, &query)
            })
            .await
    }
}

/// The tags in use and how many accounts carry each, most used first.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tags", tag = "accounts", responses((status = 200, body = Vec<TagCount>))))]
#[server(prefix = "/api", endpoint = "tags", input = GetUrl, output = Json)]
pub async fn list_tags() -> Result<Vec<TagCount>, ApiError> {
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Tags, &(), || db::accounts::tags(&db))
        .await
}

/// One account with its latest counters and collection state.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/account", tag = "accounts", params(AccountId), responses((status = 200, body = AccountDetail), (status = 404, description = "No account with this id."))))]
#[server(prefix = "/api", endpoint = "account", input = GetUrl, output = Json)]
pub async fn get_account(id: i64) -> Result<AccountDetail, ApiError> {
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Account, &id, || db::accounts::detail(&db, id))
        .await
}

/// An account's snapshots over a range (default: 90 days), oldest first.
/// A chart never gets more than 1,000: beyond that, each day keeps its last
/// snapshot, and if that is still too many, LTTB keeps the points that
/// shape the line of `metric` (default: followers), its peaks included.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/history", tag = "accounts", params(AccountId, Range, MetricParam), responses((status = 200, body = Vec<HistoryPoint>), (status = 404, description = "No account with this id."))))]
#[server(prefix = "/api", endpoint = "history", input = GetUrl, output = Json)]
pub async fn get_history(
    id: i64,
    range: Option<HistoryRange>,
    metric: Option<Metric>,
) -> Result<Vec<HistoryPoint>, ApiError> {
    let range = range.unwrap_or_default();
    let metric = metric.unwrap_or_default();
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::History, &(id, range, metric), || {
            db::history::history(&db, id, range, metric)
        })
        .await
}

/// Collection runs, newest first.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/runs", tag = "collection", params(Paging), responses((status = 200, body = Page<RunSummary>))))]
#[server(prefix = "/api", endpoint = "runs", input = GetUrl, output = Json)]
pub async fn list_runs(
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<Page<RunSummary>, ApiError> {
    let (page, per_page) = validate::pagination(page, per_page)?;
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Runs, &(page, per_page), || {
            db::runs::runs(&db, page, per_page)
        })
        .await
}

/// One run with its per-platform figures and a page of per-account outcomes
/// (failures first); `outcome` keeps only accounts that ended so.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/run", tag = "collection", params(RunParams, Paging), responses((status = 200, body = RunDetail), (status = 404, description = "No run with this id."))))]
#[server(prefix = "/api", endpoint = "run", input = GetUrl, output = Json)]
pub async fn get_run(
    id: i64,
    outcome: Option<Outcome>,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<RunDetail, ApiError> {
    let (page, per_page) = validate::pagination(page, per_page)?;
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Run, &(id, outcome, page, per_page), || {
            db::runs::run_detail(&db, id, outcome, page, per_page)
        })
        .await
}

/// The read cache: its backend now (`redis`, `in_process` or `degraded`)
/// and, per kind of data, hits, misses, errors and fallbacks since start.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/cache", tag = "operations", responses((status = 200, body = CacheStats))))]
#[server(prefix = "/api", endpoint = "cache", input = GetUrl, output = Json)]
pub async fn get_cache_stats() -> Result<CacheStats, ApiError> {
    Ok(crate::state::cache().stats().await)
}

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
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Growth, &(id, period), || {
            db::analytics::growth(&db, id, period)
        })
        .await
}

/// An account's compacted days (older than the retention period) over a
/// range: each day's count of snapshots and the first, last, lowest and
/// highest value of `metric` (default: followers) before compaction.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/rollups", tag = "accounts", params(AccountId, MetricParam, Range), responses((status = 200, body = Vec<DailyRollup>), (status = 404, description = "No account with this id."))))]
#[server(prefix = "/api", endpoint = "rollups", input = GetUrl, output = Json)]
pub async fn get_rollups(
    id: i64,
    metric: Option<Metric>,
    range: Option<HistoryRange>,
) -> Result<Vec<DailyRollup>, ApiError> {
    let (metric, range) = (metric.unwrap_or_default(), range.unwrap_or_default());
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Rollups, &(id, metric, range), || {
            db::history::rollups(&db, id, metric, range)
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
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Projection, &(id, metric, basis), || {
            db::projection::projection(&db, id, metric, basis)
        })
        .await
}

/// Brands (one creator's or company's accounts across platforms), biggest
/// combined audience first: accounts, platforms, summed followers and
/// 7- and 30-day growth, and rank among brands by audience and by growth.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/brands", tag = "brands", responses((status = 200, body = Vec<BrandRow>))))]
#[server(prefix = "/api", endpoint = "brands", input = GetUrl, output = Json)]
pub async fn list_brands() -> Result<Vec<BrandRow>, ApiError> {
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Brands, &"list", || db::brands::list(&db))
        .await
}

/// One brand with its accounts, biggest first.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/brand", tag = "brands", params(BrandId), responses((status = 200, body = BrandDetail), (status = 404, description = "No brand with this id."))))]
#[server(prefix = "/api", endpoint = "brand", input = GetUrl, output = Json)]
pub async fn get_brand(id: i64) -> Result<BrandDetail, ApiError> {
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Brands, &("detail", id), || {
            db::brands::detail(&db, id)
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
    let db = crate::state::db();
    crate::state::cache()
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
    let db = crate::state::db();
    crate::state::cache()
        .get_or_load(&db, Kind::Compare, &(&ids, metric, range, mode), || {
            db::analytics::compare(&db, &ids, metric, range, mode)
        })
        .await
}

/// This instance's performance: latency percentiles per endpoint and per
/// kind of database query (recent window and since start), the pool, the
/// cache's counters and backend, the collectors' timings in the latest
/// finished run, and the process. Not cached: it is live.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/performance", tag = "operations", responses((status = 200, body = Performance))))]
#[server(prefix = "/api", endpoint = "performance", input = GetUrl, output = Json)]
pub async fn get_performance() -> Result<Performance, ApiError> {
    use crate::metrics::{Metrics, resident_bytes};
    let db = crate::state::db();
    let metrics = crate::state::metrics();
    Ok(Performance {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: metrics.uptime().as_secs(),
        rss_bytes: resident_bytes(),
        window_seconds: Metrics::window().as_secs(),
        endpoints: metrics.requests(),
        database: crate::metrics::database_stats(&db, metrics.queries()),
        cache: crate::state::cache().stats().await,
        collectors: db::runs::latest_collector_stats(&db).await?,
    })
}

/// Each platform on this instance: live, failing (with the most recent
/// error), not configured (with what to set) or without a collector; its
/// accounts; its request budget, what of it is spent, when the next request
/// may go, and what a full pass over its accounts costs. Not cached: the
/// budget is live.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/platforms", tag = "collection", responses((status = 200, body = Vec<PlatformStatus>))))]
#[server(prefix = "/api", endpoint = "platforms", input = GetUrl, output = Json)]
pub async fn get_platforms() -> Result<Vec<PlatformStatus>, ApiError> {
    let db = crate::state::db();
    let collectors = crate::state::collectors();
    let accounts = db::platforms::by_platform(&db).await?;
    Ok(accounts
        .into_iter()
        .map(|(platform, accounts)| {
            platform_status(
                platform,
                collectors.describe(platform, accounts.accounts),
                accounts,
            )
        })
        .collect())
}

/// A platform's status: its collector's setup, failing when its most
/// recent attempt on a real account failed.
#[cfg(feature = "ssr")]
pub fn platform_status(
    platform: Platform,
    setup: crate::state::CollectorSetup,
    accounts: db::platforms::PlatformAccounts,
) -> PlatformStatus {
    use crate::model::PlatformHealth;
    let health = match setup.health {
        PlatformHealth::Live if accounts.last_error.is_some() => PlatformHealth::Failing,
        health => health,
    };
    PlatformStatus {
        platform,
        health,
        needs: setup.needs,
        accounts: accounts.accounts,
        failing: accounts.failing,
        last_error: accounts.last_error,
        budget: setup.budget,
    }
}

/// Starts a collection run on this instance now, unless one is under way.
/// Progress shows in `/api/runs` (`accounts_done` of `accounts_total`).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/collect", tag = "collection", responses((status = 200, body = CollectAnswer)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "collect", output = Json)]
pub async fn collect_now() -> Result<CollectAnswer, ApiError> {
    let admin = crate::auth::require_admin()?;
    let answer = crate::state::collect_trigger().request();
    tracing::info!(?answer, admin = %admin.username, "collection requested");
    Ok(answer)
}

/// Tracks a new account: `platform`, `handle` in the platform's form
/// (`user@instance` on Mastodon, a domain on Bluesky…), `core` (`true` to
/// collect it first) and `tags` (comma-separated). Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/accounts/add", tag = "accounts", request_body(content = AddAccountForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = AccountDetail), (status = 409, description = "The account is tracked already.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "accounts/add")]
pub async fn add_account(
    platform: Platform,
    handle: String,
    core: Option<bool>,
    tags: Option<String>,
) -> Result<AccountDetail, ApiError> {
    let admin = crate::auth::require_admin()?;
    let db = crate::state::db();
    let new = db::accounts::NewAccount {
        platform,
        handle,
        core: core.unwrap_or(false),
        tags: split_tags(tags.as_deref()),
    };
    let added = db::accounts::add(&db, &new).await?;
    tracing::info!(admin = %admin.username, account = added.id, "account added");
    Ok(db::accounts::detail(&db, added.id).await?)
}

/// Sets an account's core flag (`core`, absent meaning `false`, as an
/// unticked box) and replaces its tags (comma-separated). Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/accounts/update", tag = "accounts", request_body(content = UpdateAccountForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = AccountDetail), (status = 404, description = "No account with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "accounts/update")]
pub async fn update_account(
    id: i64,
    core: Option<bool>,
    tags: Option<String>,
) -> Result<AccountDetail, ApiError> {
    let admin = crate::auth::require_admin()?;
    let db = crate::state::db();
    let tags = split_tags(tags.as_deref());
    db::accounts::update(&db, id, core.unwrap_or(false), &tags).await?;
    tracing::info!(admin = %admin.username, account = id, "account updated");
    Ok(db::accounts::detail(&db, id).await?)
}

/// Stops tracking an account and deletes its whole history. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/accounts/delete", tag = "accounts", request_body(content = AccountIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "Deleted, with its history."), (status = 404, description = "No account with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "accounts/delete")]
pub async fn delete_account(id: i64) -> Result<(), ApiError> {
    let admin = crate::auth::require_admin()?;
    db::accounts::remove(&crate::state::db(), id).await?;
    tracing::info!(admin = %admin.username, account = id, "account deleted");
    Ok(())
}

/// `tech, news` → `["tech", "news"]`.
#[cfg(feature = "ssr")]
fn split_tags(tags: Option<&str>) -> Vec<String> {
    tags.unwrap_or_default()
        .split(',')
        .map(str::to_owned)
        .collect()
}

/// Signs an admin in: checks the password and sets the session cookie
/// (`HttpOnly`, `SameSite=Strict`, `Secure` over HTTPS, expiring after
/// `REACH_SESSION_TTL`). Wrong credentials are a 401 that does not say
/// which was wrong. Limited per client address (`REACH_LOGIN_RATE_LIMIT`).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/login", tag = "access", request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = Me))))]
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<Me, ApiError> {
    let settings = crate::state::access_settings();
    let signed_in = db::access::sign_in(
        &crate::state::db(),
        username.trim(),
        &password,
        settings.session_ttl,
    )
    .await?;
    let Some((secret, _)) = signed_in else {
        // Only what could be a username: a password typed in the wrong
        // field must not reach the log.
        match db::access::validate_username(username.trim()) {
            Ok(()) => tracing::info!(username = %username.trim(), "sign-in refused"),
            Err(_) => tracing::info!("sign-in refused (not a valid username)"),
        }
        return Err(ApiError::unauthorized("wrong username or password"));
    };
    crate::auth::set_session_cookie(&secret, settings.session_ttl);
    tracing::info!(username = %username.trim(), "signed in");
    Ok(Me {
        username: username.trim().to_owned(),
        via: crate::model::SignedInVia::Session,
    })
}

/// Signs out: ends the session of the request's cookie and clears it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/logout", tag = "access", responses((status = 200, description = "Signed out (or was not signed in)."))))]
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    if let Some(secret) = crate::auth::request_session_secret() {
        db::access::sign_out(&crate::state::db(), &secret).await?;
    }
    crate::auth::set_session_cookie("", chrono::Duration::zero());
    Ok(())
}

/// The admin this request acts for, or `null` when it is anonymous.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/me", tag = "access", responses((status = 200, body = Option<Me>))))]
#[server(prefix = "/api", endpoint = "me", input = GetUrl, output = Json)]
pub async fn get_me() -> Result<Option<Me>, ApiError> {
    Ok(crate::auth::identity().me())
}

/// Every API token, newest first, revoked ones included; never a secret.
/// Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tokens", tag = "access", responses((status = 200, body = Vec<TokenRow>)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "tokens", input = GetUrl, output = Json)]
pub async fn list_tokens() -> Result<Vec<TokenRow>, ApiError> {
    crate::auth::require_admin()?;
    Ok(db::access::list_tokens(&crate::state::db()).await?)
}

/// Creates an API token acting for the admin who asks. The answer is the
/// only time its secret is shown. Admins signed in with a session only: a
/// token cannot make more tokens, so revoking a leaked one ends it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tokens/create", tag = "access", request_body(content = TokenNameForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = NewToken)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(name: String) -> Result<NewToken, ApiError> {
    let admin = crate::auth::require_admin()?;
    if admin.via != crate::model::SignedInVia::Session {
        return Err(ApiError::forbidden(
            "API tokens are created by a signed-in admin, not by another token",
        ));
    }
    let token =
        db::access::create_token(&crate::state::db(), admin.id, &admin.username, &name).await?;
    tracing::info!(admin = %admin.username, token_id = token.row.id, "API token created");
    Ok(token)
}

/// Revokes an API token at once (revoking it again changes nothing).
/// Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tokens/revoke", tag = "access", request_body(content = TokenIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = TokenRow), (status = 404, description = "No API token with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<TokenRow, ApiError> {
    let admin = crate::auth::require_admin()?;
    let token = db::access::revoke_token(&crate::state::db(), id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API token with id {id}")))?;
    tracing::info!(admin = %admin.username, token_id = id, "API token revoked");
    Ok(token)
}

/// Checks of arguments that their types alone cannot express.
#[cfg(feature = "ssr")]
pub mod validate {
    use crate::error::ApiError;
    use crate::model::{
        DEFAULT_LEADERBOARD_DAYS, DEFAULT_PAGE_SIZE, DEFAULT_PROJECTION_BASIS, LEADERBOARD_PERIODS,
        MAX_COMPARED, MAX_PAGE_SIZE, PROJECTION_BASES,
    };

    /// The longest search text accepted; longer text is surely not a handle.
    const MAX_SEARCH_LEN: usize = 100;
    /// The longest tag the schema stores.
    const MAX_TAG_LEN: usize = 64;

    pub fn pagination(page: Option<u32>, per_page: Option<u32>) -> Result<(u32, u32), ApiError> {
        let page = page.unwrap_or(1);
        if page == 0 {
            return Err(ApiError::bad_request("page starts at 1"));
        }
        let per_page = per_page.unwrap_or(DEFAULT_PAGE_SIZE);
        if !(1..=MAX_PAGE_SIZE).contains(&per_page) {
            return Err(ApiError::bad_request(format!(
                "per_page must be between 1 and {MAX_PAGE_SIZE}, not {per_page}"
            )));
        }
        Ok((page, per_page))
    }

    /// Trimmed search text, `None` when empty.
    pub fn search(q: Option<String>) -> Result<Option<String>, ApiError> {
        let q = q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        match q {
            Some(q) if q.chars().count() > MAX_SEARCH_LEN => Err(ApiError::bad_request(format!(
                "q is longer than {MAX_SEARCH_LEN} characters"
            ))),
            q => Ok(q),
        }
    }

    /// Distinct account ids from `3,7,12`: one to [`MAX_COMPARED`].
    pub fn account_ids(ids: &str) -> Result<Vec<i64>, ApiError> {
        let mut parsed: Vec<i64> = Vec::new();
        for part in ids.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let id = part
                .parse()
                .map_err(|_| ApiError::bad_request(format!("`{part}` is not an account id")))?;
            if !parsed.contains(&id) {
                parsed.push(id);
            }
        }
        if parsed.is_empty() || parsed.len() > MAX_COMPARED {
            return Err(ApiError::bad_request(format!(
                "ids names 1 to {MAX_COMPARED} accounts, not {}",
                parsed.len()
            )));
        }
        Ok(parsed)
    }

    /// The longest custom period: ten years.
    const MAX_PERIOD_DAYS: i64 = 3_650;

    /// The dates any argument may name: those of RFC 3339 (`format: date`
    /// in the API description), years 0000 to 9999. Outside them the
    /// arithmetic of periods and boards would leave chrono's range.
    pub const EARLIEST_DATE: &str = "0000-01-01";
    pub const LATEST_DATE: &str = "9999-12-31";

    /// `date` (named `name` in the message) within the accepted range.
    pub fn date(date: chrono::NaiveDate, name: &str) -> Result<chrono::NaiveDate, ApiError> {
        let bound = |text: &str| text.parse::<chrono::NaiveDate>().expect("a valid bound");
        if date < bound(EARLIEST_DATE) || date > bound(LATEST_DATE) {
            return Err(ApiError::bad_request(format!(
                "{name} must be a date from {EARLIEST_DATE} to {LATEST_DATE}, not {date}"
            )));
        }
        Ok(date)
    }

    /// A period's start and end.
    pub type Period = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

    /// A custom period from two dates, from the start of `from` to the end
    /// of `to` (UTC); both or neither, in order, at most ten years.
    pub fn period(
        from: Option<chrono::NaiveDate>,
        to: Option<chrono::NaiveDate>,
    ) -> Result<Option<Period>, ApiError> {
        match (from, to) {
            (None, None) => Ok(None),
            (Some(from), Some(to)) if from <= to => {
                let (from, to) = (date(from, "from")?, date(to, "to")?);
                if (to - from).num_days() > MAX_PERIOD_DAYS {
                    return Err(ApiError::bad_request("a period is at most ten years"));
                }
                let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
                let end = (to + chrono::Duration::days(1))
                    .and_time(chrono::NaiveTime::MIN)
                    .and_utc()
                    - chrono::Duration::seconds(1);
                Ok(Some((start, end)))
            }
            (Some(_), Some(_)) => Err(ApiError::bad_request("from must not be after to")),
            _ => Err(ApiError::bad_request("a period needs both from and to")),
        }
    }

    /// A leaderboard's period: one of [`LEADERBOARD_PERIODS`].
    pub fn leaderboard_days(days: Option<u32>) -> Result<u32, ApiError> {
        let days = days.unwrap_or(DEFAULT_LEADERBOARD_DAYS);
        if LEADERBOARD_PERIODS.contains(&days) {
            Ok(days)
        } else {
            Err(ApiError::bad_request(format!(
                "days is one of {LEADERBOARD_PERIODS:?}, not {days}"
            )))
        }
    }

    /// The history a projection is fitted on: one of [`PROJECTION_BASES`].
    pub fn projection_basis(basis: Option<u32>) -> Result<u32, ApiError> {
        let basis = basis.unwrap_or(DEFAULT_PROJECTION_BASIS);
        if PROJECTION_BASES.contains(&basis) {
            Ok(basis)
        } else {
            Err(ApiError::bad_request(format!(
                "basis is one of {PROJECTION_BASES:?} days, not {basis}"
            )))
        }
    }

    /// A leaderboard's day, which must not be in the future; `None` for
    /// the live board. (The board stands at the end of it:
    /// [`db::leaderboard::day_end`].)
    pub fn board_date(
        date: Option<chrono::NaiveDate>,
    ) -> Result<Option<chrono::NaiveDate>, ApiError> {
        match date {
            Some(date) if date > chrono::Utc::now().date_naive() => {
                Err(ApiError::bad_request(format!("{date} is in the future")))
            }
            Some(day) => self::date(day, "date").map(Some),
            None => Ok(None),
        }
    }

    /// Trimmed tag, `None` when empty.
    pub fn tag(tag: Option<String>) -> Result<Option<String>, ApiError> {
        let tag = tag.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        match tag {
            Some(t) if t.chars().count() > MAX_TAG_LEN => Err(ApiError::bad_request(format!(
                "tag is longer than {MAX_TAG_LEN} characters"
            ))),
            t => Ok(t),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn account_ids_are_distinct_and_bounded() {
            assert_eq!(account_ids("3, 7,3,,12").unwrap(), [3, 7, 12]);
            assert!(account_ids("").is_err());
            assert!(account_ids("1,x").is_err());
            assert!(account_ids("1,2,3,4,5,6,7").is_err());
        }

        #[test]
        fn dates_at_the_edge_of_the_calendar_are_refused() {
            let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
            let far = day("+262142-12-31");
            let early = day("-262143-01-01");
            assert!(period(Some(far), Some(far)).is_err());
            assert!(period(Some(early), Some(early)).is_err());
            assert!(board_date(Some(early)).is_err());
            assert!(period(Some(day("0000-01-01")), Some(day("0000-01-31"))).is_ok());
            assert!(board_date(Some(day("0000-01-01"))).is_ok());
            assert!(date(day("-0001-12-31"), "from").is_err());
            assert!(date(day("+10000-01-01"), "to").is_err());
        }

        #[test]
        fn periods_are_whole_days_in_order() {
            let day = |d: &str| Some(d.parse::<chrono::NaiveDate>().unwrap());
            let (start, end) = period(day("2026-10-01"), day("2026-10-31"))
                .unwrap()
                .unwrap();
            assert_eq!(start.to_rfc3339(), "2026-10-01T00:00:00+00:00");
            assert_eq!(end.to_rfc3339(), "2026-10-31T23:59:59+00:00");
            assert_eq!(period(None, None).unwrap(), None);
            assert!(period(day("2026-10-31"), day("2026-10-01")).is_err());
            assert!(period(day("2026-10-01"), None).is_err());
            assert!(period(day("2000-01-01"), day("2026-01-01")).is_err());
        }

        #[test]
        fn leaderboards_stand_at_the_end_of_a_past_day() {
            assert_eq!(leaderboard_days(None).unwrap(), DEFAULT_LEADERBOARD_DAYS);
            assert_eq!(leaderboard_days(Some(365)).unwrap(), 365);
            assert!(leaderboard_days(Some(12)).is_err());
            let day = "2026-03-29".parse::<chrono::NaiveDate>().unwrap();
            assert_eq!(board_date(Some(day)).unwrap(), Some(day));
            assert_eq!(
                db::leaderboard::day_end(day).to_rfc3339(),
                "2026-03-29T23:59:59+00:00"
            );
            assert_eq!(board_date(None).unwrap(), None);
            let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
            assert!(board_date(Some(tomorrow)).is_err());
        }

        #[test]
        fn tag_is_trimmed_and_bounded() {
            assert_eq!(tag(Some(" tech ".into())).unwrap(), Some("tech".into()));
            assert_eq!(tag(Some("".into())).unwrap(), None);
            assert!(tag(Some("t".repeat(MAX_TAG_LEN + 1))).is_err());
        }

        #[test]
        fn pagination_has_defaults_and_bounds() {
            assert_eq!(pagination(None, None).unwrap(), (1, DEFAULT_PAGE_SIZE));
            assert_eq!(
                pagination(Some(3), Some(MAX_PAGE_SIZE)).unwrap(),
                (3, MAX_PAGE_SIZE)
            );
            assert!(pagination(Some(0), None).is_err());
            assert!(pagination(None, Some(0)).is_err());
            assert!(pagination(None, Some(MAX_PAGE_SIZE + 1)).is_err());
        }

        #[test]
        fn search_is_trimmed_and_bounded() {
            assert_eq!(search(Some("  fox ".into())).unwrap(), Some("fox".into()));
            assert_eq!(search(Some("   ".into())).unwrap(), None);
            assert!(search(Some("x".repeat(MAX_SEARCH_LEN + 1))).is_err());
        }
    }
}
