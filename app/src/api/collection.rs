//! Collection: runs and their results, each platform's status, and
//! starting a run.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::forms::AccountIdForm;
#[cfg(feature = "ssr")]
use super::params::*;
#[cfg(feature = "ssr")]
use super::validate;
use crate::error::ApiError;
#[cfg(feature = "ssr")]
use crate::model::Platform;
use crate::model::{
    CollectAnswer, InstanceRow, Outcome, Page, PlatformStatus, RunDetail, RunSummary, WatchAnswer,
};
#[cfg(feature = "ssr")]
use crate::ssr::cache::Kind;

/// The instances sharing the database that beat recently (within four
/// heartbeats), the longest running first, with how long ago each last
/// beat on the database's clock.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/instances", tag = "collection", responses((status = 200, body = Vec<InstanceRow>))))]
#[server(prefix = "/api", endpoint = "instances", input = GetUrl, output = Json)]
pub async fn list_instances() -> Result<Vec<InstanceRow>, ApiError> {
    let db = crate::ssr::state::db()?;
    let within = crate::ssr::state::collect_trigger()?.liveness();
    Ok(db::instances::live(&db, within).await?)
}

/// Collection runs, newest first.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/runs", tag = "collection", params(Paging), responses((status = 200, body = Page<RunSummary>))))]
#[server(prefix = "/api", endpoint = "runs", input = GetUrl, output = Json)]
pub async fn list_runs(
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<Page<RunSummary>, ApiError> {
    let (page, per_page) = validate::pagination(page, per_page)?;
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
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
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Run, &(id, outcome, page, per_page), || {
            db::runs::run_detail(&db, id, outcome, page, per_page)
        })
        .await
}

/// Each platform on this instance: live, failing (with the most recent
/// error), not configured (with what to set) or without a collector; its
/// accounts; its request budget, what of it is spent, when the next request
/// may go, and what a full pass over its accounts costs. Not cached: the
/// budget is live.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/platforms", tag = "collection", responses((status = 200, body = Vec<PlatformStatus>))))]
#[server(prefix = "/api", endpoint = "platforms", input = GetUrl, output = Json)]
pub async fn get_platforms() -> Result<Vec<PlatformStatus>, ApiError> {
    let db = crate::ssr::state::db()?;
    let collectors = crate::ssr::state::collectors()?;
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
    setup: crate::ssr::state::CollectorSetup,
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
        counters: platform.counters(),
    }
}

/// Starts a collection run now, unless one is under way on any instance:
/// every instance sharing the database takes part, each collecting its
/// share of what was not attempted since the request. Progress shows in
/// `/api/runs` (`accounts_done` of `accounts_total`).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/collect", tag = "collection", responses((status = 200, body = CollectAnswer)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "collect", output = Json)]
pub async fn collect_now() -> Result<CollectAnswer, ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    let trigger = crate::ssr::state::collect_trigger()?;
    let answer = if trigger.is_busy() {
        CollectAnswer::AlreadyRunning
    } else {
        let db = crate::ssr::state::db()?;
        let by = crate::ssr::state::metrics()?.instance().to_owned();
        match db::instances::request_collection(&db, &by, trigger.liveness()).await? {
            Some((id, at)) => {
                // This instance starts at once; the others within a heartbeat.
                trigger.request_since(id, at);
                CollectAnswer::Started
            }
            None => CollectAnswer::AlreadyRunning,
        }
    };
    tracing::info!(?answer, admin = %admin.username, "collection requested");
    Ok(answer)
}

/// Watches an account's live count: asks this instance's collector to
/// collect it now unless it was attempted within `REACH_WATCH_EVERY`
/// (then `asked` is `false`). Call it again every `every_secs` while
/// watching; each collection is a run of that one account, within its
/// platform's budget, and its counters show in `/api/account` and on the
/// live stream once stored. Admins only: every collection spends the
/// platform's budget.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/watch", tag = "collection", request_body(content = AccountIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = WatchAnswer), (status = 404, description = "No account with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "watch", output = Json)]
pub async fn watch_account(id: i64) -> Result<WatchAnswer, ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    let db = crate::ssr::state::db()?;
    let trigger = crate::ssr::state::collect_trigger()?;
    let account = db::accounts::find(&db, id).await?;
    let every = trigger.watch_every();
    let now = db::clock::now(&db).await?;
    let recent = account.last_attempt_at.is_some_and(|at| {
        now.signed_duration_since(at)
            .to_std()
            .is_ok_and(|since| since < every)
    });
    if !recent {
        trigger.watch(id);
        tracing::debug!(admin = %admin.username, account = id, "watched account asked for");
    }
    Ok(WatchAnswer {
        id,
        asked: !recent,
        every_secs: every.as_secs(),
        last_attempt_at: account.last_attempt_at,
    })
}
