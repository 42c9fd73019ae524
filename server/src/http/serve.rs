//! Accepting connections and reading requests, with the limits that must
//! hold when Reach faces the internet without a proxy: a client has
//! [`HttpLimits::header_read_timeout`] to send a request's head, and a
//! request [`HttpLimits::request_timeout`] to be answered (see
//! `startup::router`). A connection that sends half a header is closed when
//! its time is up, so slow clients cannot hold the server's sockets.
//!
//! axum's own `serve` takes no such settings, so this is its loop, on
//! hyper's HTTP/1 connection builder (Reach is served over plain HTTP/1.1;
//! HTTP/2 and TLS belong to a proxy in front).

use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// How long clients may take, and how large a request's head may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// From a connection's first byte of a request to the end of its
    /// headers (also the most an idle kept-alive connection waits).
    pub header_read_timeout: Duration,
    /// From a request's head to its answer's head: the body's upload and
    /// the handler's work. A streamed export's body is not bounded by it.
    pub request_timeout: Duration,
}

impl HttpLimits {
    /// The defaults of `REACH_HEADER_TIMEOUT` and `REACH_REQUEST_TIMEOUT`.
    pub const DEFAULT: Self = Self {
        header_read_timeout: Duration::from_secs(10),
        request_timeout: Duration::from_secs(30),
    };
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// The most header lines hyper parses. Above Reach's own limit (see
/// `limits::MAX_HEADERS`), so that the refusal of too many headers is
/// Reach's JSON answer rather than hyper's bodiless one.
const HYPER_MAX_HEADERS: usize = 256;

/// How long in-flight requests get to finish once a stop is asked for.
const DRAIN: Duration = Duration::from_secs(30);

/// Serves `router` on `listener` until `shutdown` completes, then lets the
/// requests in flight finish (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_headers(HYPER_MAX_HEADERS);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, mostly: wait rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // The peer's address reaches the access layer (rate limits), as
        // axum's `into_make_service_with_connect_info` would put it.
        let service = router
            .clone()
            .map_request(move |mut request: axum::extract::Request| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            let request = request.map(axum::body::Body::new);
            service.clone().oneshot(request)
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                // Timeouts and resets land here: the client's doing.
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still in flight after {DRAIN:?}; stopping anyway");
    }
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
