//! HTTP conventions every route follows, whatever answers it: `HEAD` for
//! every `GET`, bounded request heads, and the API's JSON error for every
//! refusal made below the API (routing, the body limit, timeouts), so that
//! a client never has to parse hyper's or axum's plain-text answers.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::error::ApiError;

/// The longest request target (path and query) Reach reads: far above any
/// real query (the longest is a few hundred bytes).
pub const MAX_URI: usize = 8 << 10;
/// The most header lines a request may carry.
pub const MAX_HEADERS: usize = 64;
/// The most bytes a request's header names and values may add up to.
pub const MAX_HEADER_BYTES: usize = 16 << 10;

/// A `HEAD` request is answered as its `GET` would be, status and headers
/// alike; hyper, which read `HEAD` on the wire, sends no body. Server
/// functions check their method themselves and would refuse it.
pub async fn head_as_get(mut request: Request, next: Next) -> Response {
    if request.method() == Method::HEAD {
        *request.method_mut() = Method::GET;
    }
    next.run(request).await
}

/// Refuses request heads larger than Reach reads: the target (414) and the
/// headers (431), with the JSON error. Hyper refuses even larger ones
/// (a target over 64 KiB, over 256 header lines) itself, with no body.
pub async fn bounded_heads(request: Request, next: Next) -> Response {
    let target = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if target > MAX_URI {
        return refusal(
            StatusCode::URI_TOO_LONG,
            format!("the request's address is {target} bytes; Reach reads at most {MAX_URI}"),
        );
    }
    let headers = request.headers();
    let bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || bytes > MAX_HEADER_BYTES {
        return refusal(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request has {} headers of {bytes} bytes; Reach reads at most {MAX_HEADERS} headers of {MAX_HEADER_BYTES} bytes",
                headers.len()
            ),
        );
    }
    next.run(request).await
}

/// The API's error of `status`, with a message that says more.
fn refusal(status: StatusCode, message: String) -> Response {
    let mut error = ApiError::for_status(status).expect("the API has an error for this status");
    error.message = message;
    error.into_response()
}

/// Error answers made without a body, or with a plain-text one, become the
/// API's JSON error of the same status (headers such as `Allow` and
/// `Retry-After` kept) for requests under `/api/` and for clients that
/// take JSON rather than HTML. Pages keep their HTML error pages.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let wants_json =
        request.uri().path().starts_with("/api/") || takes_json_not_html(request.headers());
    let response = next.run(request).await;
    let status = response.status();
    if !wants_json
        || !(status.is_client_error() || status.is_server_error())
        || is_json(response.headers())
    {
        return response;
    }
    let Some(error) = ApiError::for_status(status) else {
        return response;
    };
    let (mut parts, _) = response.into_parts();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::CONTENT_ENCODING);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let body = serde_json::to_vec(&error).expect("an ApiError serializes");
    Response::from_parts(parts, Body::from(body))
}

fn takes_json_not_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json") && !accept.contains("text/html"))
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/json"))
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    fn app() -> Router {
        Router::new()
            .route(
                "/api/plain",
                get(|| async { (StatusCode::CONFLICT, "plain") }),
            )
            .route("/page", get(|| async { (StatusCode::NOT_FOUND, "<html>") }))
            .layer(axum::middleware::from_fn(json_errors))
            .layer(axum::middleware::from_fn(bounded_heads))
    }

    async fn send(request: Request) -> (StatusCode, HeaderMap, serde_json::Value) {
        let response = app().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        let json = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        (parts.status, parts.headers, json)
    }

    #[tokio::test]
    async fn refusals_below_the_api_are_its_json_error() {
        let (status, headers, body) =
            send(Request::get("/api/plain").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        assert_eq!(body["error"], "conflict");
        // axum's own 405 keeps its `Allow`.
        let (status, headers, body) =
            send(Request::post("/api/plain").body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert!(headers.contains_key(header::ALLOW));
        assert_eq!(body["error"], "method_not_allowed");
        // A page keeps its HTML; a JSON client gets JSON.
        let (_, headers, _) = send(Request::get("/page").body(Body::empty()).unwrap()).await;
        assert_ne!(headers[header::CONTENT_TYPE], "application/json");
        let (_, _, body) = send(
            Request::get("/page")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(body["error"], "not_found");
    }

    #[tokio::test]
    async fn oversized_heads_are_refused() {
        let long = format!("/api/plain?q={}", "a".repeat(MAX_URI));
        let (status, _, body) = send(Request::get(long).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::URI_TOO_LONG);
        assert_eq!(body["error"], "uri_too_long");
        let mut request = Request::get("/api/plain");
        for i in 0..=MAX_HEADERS {
            request = request.header(format!("x-{i}"), "1");
        }
        let (status, _, body) = send(request.body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
        assert_eq!(body["error"], "headers_too_large");
        let request = Request::get("/api/plain")
            .header("x-big", "b".repeat(MAX_HEADER_BYTES))
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(request).await.0,
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
    }
}
