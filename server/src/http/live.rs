//! `GET /api/live`: live updates as server-sent events. The stream says
//! that stored data changed and which kinds ([`LiveChange`]), never the
//! data: the page asks its usual reads again, under the usual access
//! rules (the stream itself needs what reading needs: with
//! `REACH_PUBLIC_READ=false`, a session or token). Where the changes come
//! from: [`crate::live`].

use std::convert::Infallible;
use std::time::Duration;

use app::error::{ApiError, ErrorKind};
use app::model::{LIVE_EVENT, LiveChange};
use app::ssr::live::{Live, MAX_STREAMS, Subscription};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::broadcast::error::RecvError;

/// A comment line this often keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// How long a browser waits before it reconnects a lost stream.
const RECONNECT: Duration = Duration::from_secs(5);

/// The event that opens every stream, so a client knows it is live.
const READY_EVENT: &str = "ready";

/// Server-sent events: `ready` once, then `change` each time the stored
/// data changes.
#[utoipa::path(
    get,
    path = "/api/live",
    tag = "operations",
    responses(
        (status = 200, description = "An endless `text/event-stream`: one `ready` event, then a `change` event (data: a `LiveChange` as JSON) each time stored data changes, and a comment every 15 s.", content_type = "text/event-stream", body = LiveChange),
        (status = 503, description = "This instance has as many streams open as it allows (`unavailable`); retry after `Retry-After`.", body = ApiError),
    ),
)]
pub async fn live(State(live): State<Live>) -> Response {
    let Some(subscription) = live.subscribe() else {
        let mut answer = ApiError {
            kind: ErrorKind::Unavailable,
            message: format!(
                "this instance serves {MAX_STREAMS} live streams at most, or is stopping; retry later"
            ),
        }
        .into_response();
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        return answer;
    };
    let ready = Event::default()
        .event(READY_EVENT)
        .retry(RECONNECT)
        .data("{}");
    let changes = futures::stream::unfold(subscription, next_change);
    let events = futures::stream::StreamExt::chain(
        futures::stream::once(async move { Ok::<_, Infallible>(ready) }),
        changes,
    );
    let mut answer = Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // A proxy that buffers (nginx) would hold the events back.
    answer
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    answer
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    answer
}

/// The stream's next event, or its end when the server stops.
async fn next_change(
    mut subscription: Subscription,
) -> Option<(Result<Event, Infallible>, Subscription)> {
    let change = tokio::select! {
        received = subscription.changes.recv() => match received {
            Ok(change) => change,
            // Behind: whatever it missed, everything may have changed.
            Err(RecvError::Lagged(_)) => LiveChange {
                domains: db::generations::Domain::ALL
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect(),
            },
            Err(RecvError::Closed) => return None,
        },
        _ = subscription.closed.wait_for(|closed| *closed) => return None,
    };
    let event = Event::default()
        .event(LIVE_EVENT)
        .json_data(&change)
        .unwrap_or_else(|_| Event::default().event(LIVE_EVENT).data("{}"));
    Some((Ok(event), subscription))
}
