//! How answers may be cached by browsers and proxies: built assets are
//! immutable (their names are their content's hash), API answers are
//! revalidated with an `ETag`.

use app::ssr::cache::{Answer, AnswerKey};
use app::ssr::state::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::coding::{Coding, MIN_COMPRESSED};

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
/// a `200` is kept. When only a collection run changed the data since the
/// answer before (at most `stale_for` ago), that one is served and the new
/// one is computed in the background (`app::ssr::cache::answers`). Innermost of the layers:
/// access and arguments are checked before, and everything after (`ETag`,
/// compression, headers, metrics) is the same for a kept answer as for a
/// fresh one. Every other method may write: after its answer (unless it
/// was refused before any handler ran), this instance's next reads see
/// what it wrote.
pub(crate) async fn keep_answers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET {
        let response = next.run(request).await;
        // Whatever it wrote has committed: the requests after it read the
        // data's versions again (`db::generations::Freshness`), so a form's
        // change is on the next read. A request refused before any handler
        // could write (not signed in, not allowed, a method or a size
        // refused, over its rate) wrote nothing: a stream of them leaves
        // the reading standing.
        if !refused_unwritten(response.status()) {
            state.cache.local_writes().wrote();
        }
        return response;
    }
    let coding = Coding::preferred(request.headers());
    let mut key = match app::api::answers::answer_key(&state, request.uri()).await {
        Ok(Some(key)) => key,
        // The server function meets the same error and answers it.
        Ok(None) | Err(_) => return next.run(request).await,
    };
    if let Some(answer) = state.cache.answer(&key).await {
        return answered(&answer, coding);
    }
    let refresh = state.cache.refresh(&state.db, &mut key).await;
    match (refresh.predecessor, refresh.computing) {
        (Some(before), Some(computing)) => {
            let codings = codings_sent(&before, coding);
            // Nobody waits for it: the task lives on when this request is answered.
            tokio::spawn(async move {
                let turn = state.cache.background_turn().await;
                let began = std::time::Instant::now();
                match compute_and_keep(&state, key, request, next).await {
                    Computed::Kept(answer) => precompress(answer, codings).await,
                    // The answer before stays until `stale_for` ends; then
                    // a request computes it and gets this error itself.
                    Computed::Passed(response) => {
                        tracing::debug!(status = %response.status(), "an answer was not renewed");
                    }
                }
                drop(computing);
                // The turn rests as long as it worked: the answers a run's
                // publication made stale all at once are computed again at
                // half the pace, their predecessors served meanwhile,
                // instead of in one burst that took the cores (and the
                // database's) from the requests (bench/RESULTS.md,
                // 2026-12-05, later). A predecessor older than `stale_for`
                // is no longer served: its request computes the answer
                // itself, as before.
                tokio::time::sleep(began.elapsed()).await;
                drop(turn);
            });
            answered(&before, coding)
        }
        (Some(before), None) => answered(&before, coding),
        (None, computing) => {
            state.cache.waits(&key);
            // Held until the answer is kept.
            let _computing = computing;
            match compute_and_keep(&state, key, request, next).await {
                Computed::Kept(answer) => answered(&answer, coding),
                Computed::Passed(response) => response,
            }
        }
    }
}

/// Whether `status` refuses a request before anything it asked for could
/// be written: access (401, 403), the method (405), the body's size (413)
/// or the rate (429). Every other answer, a handler's own 4xx included,
/// counts as a write.
fn refused_unwritten(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::UNAUTHORIZED
            | StatusCode::FORBIDDEN
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::PAYLOAD_TOO_LARGE
            | StatusCode::TOO_MANY_REQUESTS
    )
}

/// What the server function answered.
enum Computed {
    /// A `200`, kept.
    Kept(std::sync::Arc<Answer>),
    /// Anything else, given back as it is.
    Passed(Response),
}

/// The server function's answer to `request`, kept under `key` when it is
/// a `200`.
async fn compute_and_keep(
    state: &AppState,
    key: AnswerKey,
    request: Request,
    next: Next,
) -> Computed {
    let response = next.run(request).await;
    if response.status() != StatusCode::OK {
        return Computed::Passed(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_TAGGED_BODY).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "cannot read an API answer");
            return Computed::Passed(StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
    };
    Computed::Kept(state.cache.keep_answer(key, parts.headers, bytes).await)
}

/// The codings a successor of `before` will be asked for: those `before`
/// went out in, and this request's.
fn codings_sent(before: &Answer, asked: Option<Coding>) -> Vec<Coding> {
    [Coding::Brotli, Coding::Gzip]
        .into_iter()
        .filter(|&coding| asked == Some(coding) || slot(before, coding).get().is_some())
        .collect()
}

/// Where `answer` keeps its body in `coding`.
fn slot(answer: &Answer, coding: Coding) -> &std::sync::OnceLock<Bytes> {
    match coding {
        Coding::Brotli => &answer.brotli,
        Coding::Gzip => &answer.gzip,
    }
}

/// Compresses an answer computed in the background in `codings` before a
/// request asks for it, on a blocking thread: otherwise the first request
/// for each new version paid for it (Brotli of a year's history takes
/// milliseconds), and while runs write that was one request in about
/// thirty (bench/RESULTS.md, 2026-12-03, afternoon).
async fn precompress(answer: std::sync::Arc<Answer>, codings: Vec<Coding>) {
    if codings.is_empty() || answer.body.len() < MIN_COMPRESSED {
        return;
    }
    let made = tokio::task::spawn_blocking(move || {
        for coding in codings {
            compressed(&answer, coding);
        }
    })
    .await;
    if let Err(error) = made {
        tracing::error!(%error, "cannot compress an answer ahead");
    }
}

/// A kept answer as a response, its `ETag` on it, in `coding` when the
/// body is worth compressing (compressed the first time, then kept).
fn answered(answer: &Answer, coding: Option<Coding>) -> Response {
    let compressed = coding
        .filter(|_| answer.body.len() >= MIN_COMPRESSED)
        .and_then(|coding| Some((coding, compressed(answer, coding)?)));
    let body = compressed
        .as_ref()
        .map_or_else(|| answer.body.clone(), |(_, body)| body.clone());
    let mut response = Response::new(Body::from(body));
    let headers = response.headers_mut();
    *headers = answer.headers.clone();
    headers.remove(header::CONTENT_LENGTH);
    if let Ok(etag) = HeaderValue::from_str(&answer.etag) {
        headers.insert(header::ETAG, etag);
    }
    // Whichever coding this one went in, the next request may ask for another.
    vary_on_encoding(headers);
    if let Some((coding, _)) = compressed {
        headers.insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static(coding.name()),
        );
    }
    response
}

/// The answer's body in `coding`, made once; `None` (sent as it is) if
/// compressing failed, which writing to memory does not.
fn compressed(answer: &Answer, coding: Coding) -> Option<Bytes> {
    let slot = slot(answer, coding);
    if let Some(body) = slot.get() {
        return Some(body.clone());
    }
    match coding.compress(&answer.body) {
        Ok(body) => Some(slot.get_or_init(|| body).clone()),
        Err(error) => {
            tracing::error!(%error, coding = coding.name(), "cannot compress an answer");
            None
        }
    }
}

fn vary_on_encoding(headers: &mut HeaderMap) {
    let varies = headers.get_all(header::VARY).iter().any(|value| {
        value.to_str().is_ok_and(|value| {
            value
                .split(',')
                .any(|name| name.trim().eq_ignore_ascii_case("accept-encoding"))
        })
    });
    if !varies {
        headers.append(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// `GET /api/…` answers carry a weak `ETag` (a hash of the body) and
/// `Cache-Control: private, no-cache` (an answer may be a signed-in
/// admin's: shared caches keep none): clients may keep them, and ask again with
/// `If-None-Match`; an unchanged answer is then a bodiless 304.
pub(crate) async fn revalidate_api_answers(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let tagged = request.method() == Method::GET
        && path.starts_with("/api/")
        && !path.starts_with("/api/export/")
        && path != "/api/live";
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
        parts.headers.remove(header::CONTENT_ENCODING);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_successor_is_compressed_ahead_in_the_codings_its_predecessor_went_out_in() {
        let body = Bytes::from(br#"{"items":[],"total":0,"page":1,"per_page":25}"#.repeat(8));
        let before = Answer::new(HeaderMap::new(), body.clone());
        // Nothing asked yet, and identity asked: nothing to make ahead.
        assert!(codings_sent(&before, None).is_empty());
        compressed(&before, Coding::Gzip).unwrap();
        // Sent in gzip before, asked in Brotli now: both.
        assert_eq!(
            codings_sent(&before, Some(Coding::Brotli)),
            [Coding::Brotli, Coding::Gzip]
        );
        let successor = std::sync::Arc::new(Answer::new(HeaderMap::new(), body));
        precompress(successor.clone(), codings_sent(&before, None)).await;
        assert!(successor.gzip.get().is_some());
        assert!(successor.brotli.get().is_none());
        // The first request for it gets the bytes made ahead.
        let made = successor.gzip.get().unwrap().as_ptr();
        assert_eq!(compressed(&successor, Coding::Gzip).unwrap().as_ptr(), made);
    }

    #[test]
    fn a_kept_answer_is_compressed_once_per_coding() {
        let body = Bytes::from(br#"{"items":[],"total":0,"page":1,"per_page":25}"#.repeat(8));
        let answer = Answer::new(HeaderMap::new(), body);
        let first = compressed(&answer, Coding::Brotli).unwrap();
        let again = compressed(&answer, Coding::Brotli).unwrap();
        // The same bytes, not a second compression of the body.
        assert_eq!(first.as_ptr(), again.as_ptr());
        assert!(answer.gzip.get().is_none());
        let response = answered(&answer, Some(Coding::Gzip));
        assert_eq!(response.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(response.headers()[header::VARY], "accept-encoding");
        assert!(answer.gzip.get().is_some());
        // Too short to gain from it: sent as it is.
        let short = Answer::new(HeaderMap::new(), Bytes::from_static(b"{}"));
        let response = answered(&short, Some(Coding::Brotli));
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
    }
}
