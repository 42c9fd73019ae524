//! The health and metrics endpoints: `/healthz` (the process answers),
//! `/readyz` (what it depends on answers) and `/metrics` (Prometheus).

use app::model::CacheBackend;
use app::ssr::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Alive: the process answers. Costs nothing, so it is also the ceiling of
/// any load test.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    responses((status = 200, description = "The process answers: `ok`.", content_type = "text/plain", body = String)),
)]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Whether an instance can serve: `/readyz`'s answer.
#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct Readiness {
    /// `ready` or `unavailable`.
    status: &'static str,
    /// `ok` or `unreachable`.
    database: &'static str,
    /// The cache backend answering now.
    cache: CacheBackend,
}

/// Ready to serve: the database answers (migrations ran before the server
/// started listening), with the cache backend stated. 503 when the
/// database does not answer, without its error (logged instead).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    responses(
        (status = 200, description = "Ready: the database answers.", body = Readiness),
        (status = 503, description = "Not ready: the database does not answer.", body = Readiness),
    ),
)]
pub(crate) async fn readyz(State(state): State<AppState>) -> Response {
    let cache = state.cache.backend();
    match state.db.ping().await {
        Ok(()) => axum::Json(Readiness {
            status: "ready",
            database: "ok",
            cache,
        })
        .into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness: the database does not answer");
            let readiness = Readiness {
                status: "unavailable",
                database: "unreachable",
                cache,
            };
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(readiness)).into_response()
        }
    }
}

/// Every figure of `/api/performance` in Prometheus' text format, for this
/// instance: each instance is scraped on its own.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format 0.0.4.", content_type = "text/plain", body = String)),
)]
pub(crate) async fn prometheus_metrics(State(state): State<AppState>) -> Response {
    let text = state.metrics.prometheus_text(&state.db, &state.cache).await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        text,
    )
        .into_response()
}
