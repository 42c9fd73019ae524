//! Digests: scheduled summaries sent by e-mail or to chat webhooks, made,
//! listed, previewed, sent now and removed by admins. The server sends them
//! (`server::digests`); these functions only read and queue, and wake this
//! instance's sender when they queue one.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::forms::*;
#[cfg(feature = "ssr")]
use super::params::*;
use crate::error::ApiError;
use crate::model::{DeliveryRow, DigestChannel, DigestPeriod, DigestReport, DigestRow};

/// Every digest, by name, with its newest delivery; never a token, and of a
/// webhook only its host. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/digests", tag = "digests", responses((status = 200, body = Vec<DigestRow>)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "digests", input = GetUrl, output = Json)]
pub async fn list_digests() -> Result<Vec<DigestRow>, ApiError> {
    crate::ssr::auth::require_admin()?;
    Ok(db::digests::list(&crate::ssr::state::db()?).await?)
}

/// Makes a digest. Its first scheduled delivery covers the first period
/// that ends after now. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/digests/create", tag = "digests", request_body(content = NewDigestForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = DigestRow), (status = 409, description = "A digest has this name already.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "digests/create")]
pub async fn create_digest(
    name: String,
    period: DigestPeriod,
    channel: DigestChannel,
    target: String,
    scope: Option<String>,
    secret: Option<String>,
) -> Result<DigestRow, ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    let scope = crate::model::DigestScope::parse(scope.as_deref().unwrap_or("all"))
        .map_err(ApiError::bad_request)?;
    if channel == DigestChannel::Email && !crate::ssr::state::state()?.digests.email {
        return Err(ApiError::bad_request(crate::model::EMAIL_NEEDS_SMTP));
    }
    let digest = db::digests::create(
        &crate::ssr::state::db()?,
        db::digests::NewDigest {
            name,
            period,
            scope,
            channel,
            target,
            secret,
        },
    )
    .await?;
    tracing::info!(admin = %admin.username, digest = digest.id, channel = channel.as_str(), "digest created");
    Ok(digest)
}

/// Removes a digest and its record of deliveries. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/digests/delete", tag = "digests", request_body(content = DigestIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, description = "Removed."), (status = 404, description = "No digest with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "digests/delete")]
pub async fn delete_digest(id: i64) -> Result<(), ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    db::digests::remove(&crate::ssr::state::db()?, id).await?;
    tracing::info!(admin = %admin.username, digest = id, "digest removed");
    Ok(())
}

/// Sends a digest now, of its last complete period (a preview: the
/// scheduled delivery is still sent). Queued and sent within seconds by an
/// instance's sender; the answer is the queued delivery. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/digests/send", tag = "digests", request_body(content = DigestIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = DeliveryRow), (status = 404, description = "No digest with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "digests/send")]
pub async fn send_digest(id: i64) -> Result<DeliveryRow, ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    let delivery = db::digests::queue_now(&crate::ssr::state::db()?, id).await?;
    crate::ssr::state::state()?.digests.wake();
    tracing::info!(admin = %admin.username, digest = id, delivery = delivery.id, "digest sent now");
    Ok(delivery)
}

/// What a digest says about its last complete period, as JSON (the JSON
/// channel sends exactly this). Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/digests/preview", tag = "digests", params(DigestId), responses((status = 200, body = DigestReport), (status = 404, description = "No digest with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "digests/preview", input = GetUrl, output = Json)]
pub async fn preview_digest(id: i64) -> Result<DigestReport, ApiError> {
    crate::ssr::auth::require_admin()?;
    let db = crate::ssr::state::db()?;
    let digest = db::digests::find(&db, id).await?;
    let (start, end) = digest.period.last_complete(chrono::Utc::now());
    Ok(db::digests::report(&db, &digest, start, end).await?)
}

/// A digest's last 20 deliveries, newest first. Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/digests/deliveries", tag = "digests", params(DigestId), responses((status = 200, body = Vec<DeliveryRow>)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "digests/deliveries", input = GetUrl, output = Json)]
pub async fn list_deliveries(id: i64) -> Result<Vec<DeliveryRow>, ApiError> {
    crate::ssr::auth::require_admin()?;
    Ok(db::digests::deliveries(&crate::ssr::state::db()?, id, 20).await?)
}
