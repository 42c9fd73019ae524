//! Accounts: one account, its history and rollups, the tags in use, and the
//! admin writes (add, edit, delete). The accounts table's listing is in
//! [`super::lists`].

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::forms::*;
#[cfg(feature = "ssr")]
use super::params::*;
use crate::error::ApiError;
use crate::model::{
    AccountDetail, DailyRollup, HistoryPoint, HistoryRange, Metric, Platform, TagCount,
};
#[cfg(feature = "ssr")]
use crate::ssr::cache::Kind;

/// The tags in use and how many accounts carry each, most used first.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tags", tag = "accounts", responses((status = 200, body = Vec<TagCount>))))]
#[server(prefix = "/api", endpoint = "tags", input = GetUrl, output = Json)]
pub async fn list_tags() -> Result<Vec<TagCount>, ApiError> {
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Tags, &(), || db::accounts::tags(&db))
        .await
}

/// One account with its latest counters and collection state.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/account", tag = "accounts", params(AccountId), responses((status = 200, body = AccountDetail), (status = 404, description = "No account with this id."))))]
#[server(prefix = "/api", endpoint = "account", input = GetUrl, output = Json)]
pub async fn get_account(id: i64) -> Result<AccountDetail, ApiError> {
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load_for(&db, Kind::Account, &[id], &id, || {
            db::accounts::detail(&db, id)
        })
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
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load_for(&db, Kind::History, &[id], &(id, range, metric), || {
            db::history::history(&db, id, range, metric)
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
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load_for(&db, Kind::Rollups, &[id], &(id, metric, range), || {
            db::history::rollups(&db, id, metric, range)
        })
        .await
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
    let admin = crate::ssr::auth::require_admin()?;
    let db = crate::ssr::state::db()?;
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
    let admin = crate::ssr::auth::require_admin()?;
    let db = crate::ssr::state::db()?;
    let tags = split_tags(tags.as_deref());
    db::accounts::update(&db, id, core.unwrap_or(false), &tags).await?;
    tracing::info!(admin = %admin.username, account = id, "account updated");
    Ok(db::accounts::detail(&db, id).await?)
}

/// Stops tracking an account and deletes its whole history. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/accounts/delete", tag = "accounts", request_body(content = AccountIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "Deleted, with its history."), (status = 404, description = "No account with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "accounts/delete")]
pub async fn delete_account(id: i64) -> Result<(), ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    db::accounts::remove(&crate::ssr::state::db()?, id).await?;
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
