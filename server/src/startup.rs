//! Building and running the HTTP application: the one place that assembles
//! the router, used by `main` and by the integration tests alike.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use app::model::CacheBackend;
use app::ssr::metrics::Metrics;
use app::ssr::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde::Serialize;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::openapi::ApiDescription;
use crate::serve::HttpLimits;

/// The largest request body accepted: every write is a small form.
const MAX_REQUEST_BODY: usize = 64 << 10;

/// A bound, not yet running, Reach server.
pub struct Application {
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
}

impl Application {
    /// Binds `state.leptos_options.site_addr` (port 0 picks a free port)
    /// and assembles the router.
    pub async fn build(mut state: AppState, limits: HttpLimits) -> anyhow::Result<Self> {
        let address = state.leptos_options.site_addr;
        // Every statement the web side sends is timed by kind.
        let metrics = state.metrics.clone();
        state.db.set_metric_callback(move |info| {
            metrics.record_query(&info.statement.sql, info.elapsed, info.failed)
        });
        tokio::spawn(prometheus_upkeep(state.metrics.clone()));
        let gate = crate::auth::Gate::new(state.db.clone(), state.access);
        tokio::spawn(forget_idle_clients(gate.clone()));
        let listener = TcpListener::bind(address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self {
            listener,
            router: router(state, gate, limits),
            limits,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        crate::serve::serve(self.listener, self.router, self.limits, shutdown).await;
        Ok(())
    }
}

/// The pages, the server functions (the API) and the static files, behind
/// the access layer (`gate`).
pub fn router(state: AppState, gate: crate::auth::Gate, limits: HttpLimits) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let description = ApiDescription::new(&options);
    let arguments = description.arguments();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(prometheus_metrics))
        .route(
            "/api/openapi.json",
            get(crate::openapi::openapi_json).with_state(description.clone()),
        )
        .route(
            "/api/docs",
            get(crate::openapi::api_docs).with_state(description),
        )
        // Streamed, so neither cached nor tagged (see `revalidate_api_answers`).
        .route("/api/export/{file}", get(crate::export::export_handler))
        // Server functions are registered here too, each at its `/api/…` path,
        // with `AppState` provided as context.
        .leptos_routes_with_context(
            &state,
            routes,
            crate::security_headers::page_policy,
            move || shell(options.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(crate::security_headers::page_policy, shell))
        .layer(axum::middleware::from_fn_with_state(
            arguments,
            crate::arguments::check_api_request,
        ))
        // Bodies beyond any form Reach takes are refused (413) unread.
        .layer(RequestBodyLimitLayer::new(MAX_REQUEST_BODY))
        // A request gets its answer's head in time, or a 408: a client
        // sending its body slowly holds nothing for long.
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        // Every refusal above, and the router's own 404 and 405, in the
        // API's JSON for API clients.
        .layer(axum::middleware::from_fn(crate::protocol::json_errors))
        // Every route sees who the request acts for.
        .layer(axum::middleware::from_fn_with_state(
            gate,
            crate::auth::guard,
        ))
        .layer(axum::middleware::from_fn(revalidate_api_answers))
        .layer(axum::middleware::from_fn(cache_built_assets))
        .layer(axum::middleware::map_request(api_answers_json))
        .layer(axum::middleware::from_fn(crate::protocol::head_as_get))
        .layer(axum::middleware::from_fn(crate::protocol::bounded_heads))
        // A handler that panics answers a logged 500, never a dropped
        // connection (the second line of defence behind input checks).
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(axum::middleware::from_fn(crate::security_headers::add))
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            measure,
        ))
        // Every request gets an id (or keeps the one it came with): in the
        // `x-request-id` response header and on every log line it causes.
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The answer to a request whose handler panicked: the API's JSON 500,
/// with the panic logged (in the request's span, so with its id).
fn panic_answer(panic: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    tracing::error!(panic = message, "a request handler panicked");
    axum::response::IntoResponse::into_response(app::error::ApiError::internal())
}

fn request_span(request: &Request) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|id| id.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    )
}

/// Times every request once, named by what it asks for rather than its
/// raw path: `/accounts/{id}` is one series whatever the id.
async fn measure(State(metrics): State<Metrics>, request: Request, next: Next) -> Response {
    let endpoint = endpoint_name(&request);
    let started = Instant::now();
    let response = next.run(request).await;
    metrics.record_request(
        &endpoint,
        started.elapsed(),
        response.status().is_server_error(),
    );
    response
}

fn endpoint_name(request: &Request) -> String {
    let method = request.method();
    let path = request.uri().path();
    // Server functions share one route; each has a fixed path of its own.
    if path.starts_with("/api/") {
        return format!("{method} {path}");
    }
    if let Some(route) = request.extensions().get::<MatchedPath>() {
        return format!("{method} {}", route.as_str());
    }
    let files = ["/pkg/", "/vendor/"]
        .into_iter()
        .find(|prefix| path.starts_with(prefix));
    match files {
        Some(prefix) => format!("{method} {prefix}*"),
        None => format!("{method} (other)"),
    }
}

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

/// Keeps the rate limiters' memory to the clients of the last minute.
async fn forget_idle_clients(gate: crate::auth::Gate) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        ticks.tick().await;
        gate.forget_idle_clients();
    }
}

/// Folds the Prometheus histograms' samples every few seconds, so that
/// memory stays bounded whether or not anything scrapes `/metrics`.
async fn prometheus_upkeep(metrics: Metrics) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(5));
    loop {
        ticks.tick().await;
        metrics.run_upkeep();
    }
}

/// Leptos treats a server-function request that accepts HTML as a form
/// submission and redirects it back to the referring page. Reach's `/api/`
/// GETs are never form targets: a browser opening one gets the JSON.
async fn api_answers_json(mut request: Request) -> Request {
    let accepts_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if request.method() == Method::GET && accepts_html && request.uri().path().starts_with("/api/")
    {
        request
            .headers_mut()
            .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    }
    request
}

/// Long-lived caching of the built assets. The names under `/pkg/` carry
/// their content hash (cargo-leptos `hash-files`): a new build has new
/// names, so browsers may keep the old ones forever. ECharts under
/// `/vendor/` is pinned by package-lock.json but keeps its name across
/// versions: a day.
async fn cache_built_assets(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let policy = if path.starts_with("/pkg/") {
        Some("public, max-age=31536000, immutable")
    } else if path.starts_with("/vendor/") {
        Some("public, max-age=86400")
    } else {
        None
    };
    let mut response = next.run(request).await;
    if let Some(policy) = policy
        && response.status() == StatusCode::OK
    {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The largest API answer the revalidation reads whole; larger ones (there
/// are none: every list is paginated) pass without an `ETag`.
const MAX_TAGGED_BODY: usize = 8 << 20;

/// `GET /api/…` answers carry a weak `ETag` (a hash of the body) and
/// `Cache-Control: private, no-cache` (an answer may be a signed-in
/// admin's: shared caches keep none): clients may keep them, and ask again with
/// `If-None-Match`; an unchanged answer is then a bodiless 304.
async fn revalidate_api_answers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let tagged = request.method() == Method::GET
        && path.starts_with("/api/")
        && !path.starts_with("/api/export/");
    let if_none_match = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    if !tagged || response.status() != StatusCode::OK {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "cannot read an API answer");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = format!("W/\"{:016x}\"", xxhash_rust::xxh3::xxh3_64(&bytes));
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    parts.headers.insert(
        header::ETAG,
        HeaderValue::from_str(&etag).expect("hex digits are a valid header value"),
    );
    let matches = if_none_match.is_some_and(|tags| {
        tags.to_str().is_ok_and(|tags| {
            tags.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
    });
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// The Leptos runtime settings: the file, then `LEPTOS_*` variables on top.
pub fn leptos_options(path: &Path) -> anyhow::Result<LeptosOptions> {
    let path_text = path
        .to_str()
        .context("REACH_LEPTOS_CONFIG is not valid UTF-8")?;
    let conf = leptos::prelude::get_configuration(Some(path_text)).with_context(|| {
        format!(
            "cannot read the Leptos settings from {} (set REACH_LEPTOS_CONFIG to the Leptos.toml of your installation)",
            path.display()
        )
    })?;
    Ok(conf.leptos_options)
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is
/// called, not when the future is first polled: a signal that arrives
/// while the server is still starting is not lost (nor fatal).
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let interrupt = signal(SignalKind::interrupt());
    let terminate = signal(SignalKind::terminate());
    async move {
        let wait = |signal: std::io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
            match signal {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(error) => {
                    tracing::error!(%error, "cannot listen for {name}");
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::select! {
            () = wait(interrupt, "Ctrl-C") => {},
            () = wait(terminate, "SIGTERM") => {},
        }
        tracing::info!("shutting down");
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_answers_the_json_500() {
        let answer = super::panic_answer(Box::new("boom"));
        assert_eq!(
            answer.status(),
            axum::http::StatusCode::INTERNAL_SERVER_ERROR
        );
        assert_eq!(
            answer.headers()[axum::http::header::CONTENT_TYPE],
            "application/json"
        );
    }

    /// cargo-leptos reads its settings from Cargo.toml and the server reads
    /// Leptos.toml: the values both use must agree.
    #[test]
    fn leptos_toml_matches_the_cargo_leptos_settings() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let read = |name: &str| -> toml::Table {
            std::fs::read_to_string(format!("{root}/{name}"))
                .unwrap()
                .parse()
                .unwrap()
        };
        let cargo = read("Cargo.toml");
        let build = &cargo["workspace"]["metadata"]["leptos"][0];
        let leptos = read("Leptos.toml");
        let runtime = &leptos["package"]["metadata"]["leptos"];
        for key in [
            "output-name",
            "site-root",
            "site-pkg-dir",
            "site-addr",
            "reload-port",
            "hash-files",
        ] {
            assert_eq!(build.get(key), runtime.get(key), "{key} differs");
        }
    }
}
