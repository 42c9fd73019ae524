//! The HTTP application: the one place that assembles the router (pages,
//! server functions and the server's own routes, under every layer), used
//! by `reach serve` and by the integration tests alike. Each area is a
//! module: [`health`], [`account_metrics`], [`badges`], [`cards`], [`series`], [`docs`] (the API description and its page),
//! [`export`], [`caching`], [`security_headers`], [`arguments`] (the
//! description's rules on requests), [`protocol`] (HEAD, bounded heads,
//! JSON errors), [`auth`] (who a request acts for, rate limits) and
//! [`serve`] (the accept loop and its limits).

pub mod account_metrics;
pub mod arguments;
mod assets;
pub mod auth;
pub mod avatars;
pub mod badges;
pub mod caching;
pub mod cards;
mod coding;
pub mod docs;
pub mod export;
pub mod health;
pub mod live;
mod markdown;
pub mod protocol;
pub mod security_headers;
pub mod series;
pub mod serve;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use app::ssr::metrics::Metrics;
use app::ssr::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use leptos::prelude::LeptosOptions;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::http::docs::ApiDescription;
use crate::http::serve::HttpLimits;
use caching::{cache_built_assets, revalidate_api_answers};
use health::{healthz, prometheus_metrics, readyz};

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
        let gate = crate::http::auth::Gate::new(state.db.clone(), state.access);
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
        crate::http::serve::serve(self.listener, self.router, self.limits, shutdown).await;
        Ok(())
    }
}

/// The app's routes, generated once per process. Leptos generates them by
/// rendering the app with resource loading suppressed for the whole process
/// (a process-wide flag; leptos-rs/leptos#4773): a page whose data starts
/// loading meanwhile waits forever. Generated once, before anything renders,
/// and reused by every router the process builds (the integration tests
/// build dozens, and a page of one test hung while another built its own).
pub fn routes() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The pages, the server functions (the API) and the static files, behind
/// the access layer (`gate`).
pub fn router(state: AppState, gate: crate::http::auth::Gate, limits: HttpLimits) -> Router {
    let routes = routes();
    let options = state.leptos_options.clone();
    let description = ApiDescription::new(&options);
    let arguments = description.arguments();
    let cards = crate::http::cards::Cards::new(state.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(prometheus_metrics))
        .route(
            "/metrics/accounts",
            get(crate::http::account_metrics::account_metrics),
        )
        .route("/avatars/{id}", get(crate::http::avatars::avatar))
        .route("/api/series", get(crate::http::series::series))
        // Endless, so neither cached nor tagged (see `revalidate_api_answers`).
        .route("/api/live", get(crate::http::live::live))
        .route("/badge/{platform}/{file}", get(crate::http::badges::badge))
        .route(
            "/card/brand/{file}",
            get(crate::http::cards::brand).with_state(cards.clone()),
        )
        .route(
            "/card/{platform}/{file}",
            get(crate::http::cards::account).with_state(cards),
        )
        .route(
            "/api/openapi.json",
            get(crate::http::docs::openapi_json).with_state(description.clone()),
        )
        .route(
            "/api/docs",
            get(crate::http::docs::api_docs).with_state(description),
        )
        // Streamed, so neither cached nor tagged (see `revalidate_api_answers`).
        .route(
            "/api/export/{file}",
            get(crate::http::export::export_handler),
        )
        // Server functions are registered here too, each at its `/api/…` path,
        // with `AppState` provided as context.
        .leptos_routes_with_context(
            &state,
            routes,
            crate::http::security_headers::page_policy,
            move || shell(options.clone()),
        )
        .merge(crate::http::assets::routes(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(crate::http::security_headers::page_policy, shell))
        // Innermost: a repeated read is answered from memory only after
        // every check below has passed.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::http::caching::keep_answers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            arguments,
            crate::http::arguments::check_api_request,
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
        .layer(axum::middleware::from_fn(
            crate::http::protocol::json_errors,
        ))
        // Every route sees who the request acts for.
        .layer(axum::middleware::from_fn_with_state(
            gate,
            crate::http::auth::guard,
        ))
        .layer(axum::middleware::from_fn(revalidate_api_answers))
        .layer(axum::middleware::from_fn(cache_built_assets))
        .layer(axum::middleware::map_request(api_answers_json))
        .layer(axum::middleware::from_fn(
            crate::http::protocol::head_as_get,
        ))
        .layer(axum::middleware::from_fn(
            crate::http::protocol::bounded_heads,
        ))
        // A handler that panics answers a logged 500, never a dropped
        // connection (the second line of defence behind input checks).
        .layer(CatchPanicLayer::custom(panic_answer))
        .layer(axum::middleware::from_fn(
            crate::http::security_headers::add,
        ))
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
    // Before the matched route: the built files' is axum's nesting pattern.
    let files = ["/pkg/", "/vendor/"]
        .into_iter()
        .find(|prefix| path.starts_with(prefix));
    if let Some(prefix) = files {
        return format!("{method} {prefix}*");
    }
    match request.extensions().get::<MatchedPath>() {
        Some(route) => format!("{method} {}", route.as_str()),
        None => format!("{method} (other)"),
    }
}

/// Keeps the rate limiters' memory to the clients of the last minute.
async fn forget_idle_clients(gate: crate::http::auth::Gate) {
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
