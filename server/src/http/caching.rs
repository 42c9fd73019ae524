//! How answers may be cached by browsers and proxies: built assets are
//! immutable (their names are their content's hash), API answers are
//! revalidated with an `ETag`.

use app::ssr::cache::Answer;
use app::ssr::state::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Long-lived caching of the built assets. The names under `/pkg/` carry
/// their content hash (cargo-leptos `hash-files`, and the WASM chunks'
/// own), as does ECharts under `/vendor/` (`scripts/setup.sh`): a new
/// build has new names, so browsers may keep the old ones forever.
pub(crate) async fn cache_built_assets(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let policy = (path.starts_with("/pkg/") || path.starts_with("/vendor/"))
        .then_some("public, max-age=31536000, immutable");
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

/// A cached read's answer, served from memory as it went out when the data
/// it was computed from has not changed since (see
/// `app::api::answers`); otherwise the server function answers and
/// a `200` is kept. Innermost of the layers: access and arguments are
/// checked before, and everything after (`ETag`, compression, headers,
/// metrics) is the same for a kept answer as for a fresh one.
pub(crate) async fn keep_answers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        return next.run(request).await;
    }
    let key = match app::api::answers::answer_key(&state, request.uri()).await {
        Ok(Some(key)) => key,
        // The server function meets the same error and answers it.
        Ok(None) | Err(_) => return next.run(request).await,
    };
    if let Some(answer) = state.cache.answer(&key).await {
        return answered(&answer);
    }
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "cannot read an API answer");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let answer = state
        .cache
        .keep_answer(key, parts.headers.clone(), bytes)
        .await;
    answered(&answer)
}

/// A kept answer as a response, its `ETag` on it.
fn answered(answer: &Answer) -> Response {
    let mut response = Response::new(Body::from(answer.body.clone()));
    *response.headers_mut() = answer.headers.clone();
    if let Ok(etag) = HeaderValue::from_str(&answer.etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// `GET /api/…` answers carry a weak `ETag` (a hash of the body) and
/// `Cache-Control: private, no-cache` (an answer may be a signed-in
/// admin's: shared caches keep none): clients may keep them, and ask again with
/// `If-None-Match`; an unchanged answer is then a bodiless 304.
pub(crate) async fn revalidate_api_answers(request: Request, next: Next) -> Response {
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
    // A kept answer's tag was computed once, when it was kept.
    let (etag, body) = match parts.headers.get(header::ETAG).cloned() {
        Some(etag) => (etag, body),
        None => {
            let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
                Ok(bytes) => bytes,
                Err(error) => {
                    tracing::error!(%error, "cannot read an API answer");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            };
            let etag = HeaderValue::from_str(&Answer::etag_of(&bytes))
                .expect("hex digits are a valid header value");
            (etag, Body::from(bytes))
        }
    };
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    parts.headers.insert(header::ETAG, etag.clone());
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
    Response::from_parts(parts, body)
}
