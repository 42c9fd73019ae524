//! The access layer in front of every route: who the request acts for (a
//! session cookie or an API token, looked up in `app::ssr::auth`), whether it may
//! come from where it comes from (cross-site writes are refused), whether
//! its client has requests left (per-address rate limits on sign-in and the
//! API), and, when reading is not public, whether it may read at all.
//! Server functions then decide what needs an admin (`app::ssr::auth::require_admin`).
//!
//! Also `reach token`, the command line of API tokens.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;

use app::error::ApiError;
use app::ssr::auth::{Identity, session_secret};
use app::ssr::state::AccessSettings;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use db::access::{AddressToken, session_admin, token_admin};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sea_orm::DatabaseConnection;

/// What the access layer needs: the database (sessions, tokens), the
/// settings and the rate limiters, shared by every request.
#[derive(Clone)]
pub struct Gate {
    db: DatabaseConnection,
    settings: AccessSettings,
    login: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
    api: Option<Arc<DefaultKeyedRateLimiter<IpAddr>>>,
}

impl Gate {
    pub fn new(db: DatabaseConnection, settings: AccessSettings) -> Self {
        let limiter = |quota: Option<Quota>| quota.map(|quota| Arc::new(RateLimiter::keyed(quota)));
        Self {
            db,
            settings,
            login: limiter(NonZeroU32::new(settings.login_per_minute).map(Quota::per_minute)),
            api: limiter(NonZeroU32::new(settings.api_per_second).map(|rate| {
                let burst = NonZeroU32::new(rate.get().saturating_mul(2)).unwrap_or(rate);
                Quota::per_second(rate).allow_burst(burst)
            })),
        }
    }

    /// Forgets the addresses whose limits are full again, so the limiters
    /// hold only recent clients (call it every minute or so).
    pub fn forget_idle_clients(&self) {
        for limiter in [&self.login, &self.api].into_iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The middleware: see the module's documentation.
pub async fn guard(State(gate): State<Gate>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let client = client_address(&request, gate.settings.trust_proxy);
    let limiter = if path == "/api/login" && request.method() == Method::POST {
        gate.login.as_ref()
    } else if path.starts_with("/api/") {
        gate.api.as_ref()
    } else {
        None
    };
    if let Some(limiter) = limiter
        && let Err(not_until) = limiter.check_key(&client)
    {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        tracing::info!(%client, %path, "rate limited");
        let mut answer = ApiError::too_many_requests().into_response();
        answer.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs_f64().ceil().max(1.0) as u64),
        );
        return answer;
    }

    let bearer = bearer_token(request.headers());
    // Assets and health checks are the same for everyone: they never wait
    // for (or fail with) the database.
    let identity = if is_static(&path) {
        Ok(Some(Identity::Anonymous))
    } else {
        identify(&gate.db, request.headers(), bearer.as_deref()).await
    };
    let identity = match identity {
        Ok(Some(identity)) => identity,
        Ok(None) => {
            return ApiError::unauthorized("the API token is unknown or revoked").into_response();
        }
        Err(error) => return ApiError::from(error).into_response(),
    };

    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if writes && bearer.is_none() && !from_this_site(request.headers()) {
        tracing::warn!(%client, %path, "cross-site write refused");
        return ApiError::forbidden(
            "a write from another site, or without an `Origin` while signed in, is refused",
        )
        .into_response();
    }

    if !gate.settings.public_read && identity == Identity::Anonymous && !open_to_all(&path) {
        if embeddable(&path) {
            let uri = request.uri().clone();
            match embed_token(&gate.db, &uri).await {
                Ok(()) => {
                    request.extensions_mut().insert(identity);
                    return next.run(request).await;
                }
                Err(answer) => return *answer,
            }
        }
        return if path.starts_with("/api/") || path == "/metrics" || path.starts_with("/metrics/") {
            ApiError::unauthorized("reading needs an admin here: sign in, or send an API token")
                .into_response()
        } else {
            Redirect::to("/login").into_response()
        };
    }

    request.extensions_mut().insert(identity);
    next.run(request).await
}

/// Badges and share cards: what an `embed` token in the address opens when
/// reading is not public.
fn embeddable(path: &str) -> bool {
    path.starts_with("/badge/") || path.starts_with("/card/")
}

/// The `token` of an address's query.
#[derive(serde::Deserialize)]
struct AddressQuery {
    token: Option<String>,
}

/// Whether the request's address carries an unrevoked `embed` token; the
/// answer to give when it does not. An `api` token there is refused (it
/// would act for an admin from a published page) and logged, so its admin
/// can revoke it.
async fn embed_token(db: &DatabaseConnection, uri: &axum::http::Uri) -> Result<(), Box<Response>> {
    let refuse = |message: &str| Err(Box::new(ApiError::unauthorized(message).into_response()));
    let token = axum::extract::Query::<AddressQuery>::try_from_uri(uri)
        .ok()
        .and_then(|query| query.0.token);
    let Some(token) = token else {
        return refuse(
            "reading needs an admin here: add an embed token to the address (`?token=`), \
             made with `reach token create --embed`",
        );
    };
    match db::access::address_token(db, &token).await {
        Ok(AddressToken::Embed) => Ok(()),
        Ok(AddressToken::Api { id }) => {
            tracing::warn!(
                token = id,
                "an API token was sent in an address; it is refused there, revoke it"
            );
            refuse(
                "an API token acts for an admin and is never accepted in an address: \
                 revoke it and make an embed token (`reach token create --embed`)",
            )
        }
        Ok(AddressToken::Unknown) => refuse("the token in the address is unknown or revoked"),
        Err(error) => Err(Box::new(ApiError::from(error).into_response())),
    }
}

/// Who the request acts for; `None` for a bearer token that is not one.
async fn identify(
    db: &DatabaseConnection,
    headers: &HeaderMap,
    bearer: Option<&str>,
) -> Result<Option<Identity>, sea_orm::DbErr> {
    if let Some(token) = bearer {
        return Ok(token_admin(db, token).await?.map(Identity::Admin));
    }
    if let Some(secret) = session_secret(headers) {
        // A stale cookie is simply no session: the request is anonymous.
        return Ok(Some(
            session_admin(db, &secret)
                .await?
                .map_or(Identity::Anonymous, Identity::Admin),
        ));
    }
    Ok(Some(Identity::Anonymous))
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// Whether a write comes from this site's own pages. A browser sends
/// `Origin` with every cross-site and same-site `POST`; without one (nor a
/// `Referer`), only a request carrying no session cookie, such as `curl`,
/// passes, and it is anonymous.
fn from_this_site(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|value| value.to_str().ok());
    match (source, host) {
        (Some(source), Some(host)) => {
            authority(source).is_some_and(|a| a.eq_ignore_ascii_case(host))
        }
        (Some(_), None) => false,
        (None, _) => session_secret(headers).is_none(),
    }
}

/// `host:port` of an absolute http(s) URL.
fn authority(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    rest.split(['/', '?', '#']).next().filter(|a| !a.is_empty())
}

/// What anyone may fetch even when reading needs an admin: the sign-in
/// page and call, health checks, and the assets the sign-in page loads.
fn open_to_all(path: &str) -> bool {
    matches!(path, "/login" | "/api/login" | "/api/logout" | "/api/me") || is_static(path)
}

/// Built assets and health checks.
fn is_static(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz" | "/favicon.svg")
        || path.starts_with("/pkg/")
        || path.starts_with("/vendor/")
}

/// The address rate limits count against: the peer, or behind a trusted
/// proxy the address that proxy saw (the last of `X-Forwarded-For`, the one
/// a client cannot forge).
fn client_address(request: &Request, trust_proxy: bool) -> IpAddr {
    let forwarded = trust_proxy
        .then(|| request.headers().get("x-forwarded-for"))
        .flatten()
        .and_then(|value| value.to_str().ok())
        .and_then(|list| list.rsplit(',').next())
        .and_then(|last| last.trim().parse().ok());
    forwarded
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| {
                (
                    header::HeaderName::from_static(name),
                    value.parse().unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn writes_must_come_from_this_site() {
        let host = ("host", "reach.example:3000");
        assert!(from_this_site(&headers(&[
            host,
            ("origin", "http://reach.example:3000")
        ])));
        assert!(from_this_site(&headers(&[
            host,
            ("origin", "https://REACH.example:3000")
        ])));
        assert!(from_this_site(&headers(&[
            host,
            ("referer", "http://reach.example:3000/runs")
        ])));
        assert!(!from_this_site(&headers(&[
            host,
            ("origin", "http://evil.example")
        ])));
        assert!(!from_this_site(&headers(&[host, ("origin", "null")])));
        assert!(!from_this_site(&headers(&[
            host,
            ("origin", "http://reach.example:3000.evil")
        ])));
        // No origin: fine for a cookie-less client, refused with a session.
        assert!(from_this_site(&headers(&[host])));
        assert!(!from_this_site(&headers(&[
            host,
            ("cookie", "reach_session=abc")
        ])));
    }

    #[test]
    fn bearer_tokens_are_read_from_authorization() {
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Bearer reach_abc")])).as_deref(),
            Some("reach_abc")
        );
        assert_eq!(
            bearer_token(&headers(&[("authorization", "Basic abc")])),
            None
        );
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }

    #[test]
    fn the_client_is_the_peer_unless_a_proxy_is_trusted() {
        let request = |forwarded: &str| {
            let mut request = Request::builder()
                .header("x-forwarded-for", forwarded)
                .body(axum::body::Body::empty())
                .unwrap();
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 5000))));
            request
        };
        let forged = request("6.6.6.6, 203.0.113.9");
        assert_eq!(client_address(&forged, false), IpAddr::from([10, 0, 0, 1]));
        assert_eq!(
            client_address(&forged, true),
            IpAddr::from([203, 0, 113, 9])
        );
        assert_eq!(
            client_address(&request("garbage"), true),
            IpAddr::from([10, 0, 0, 1])
        );
    }
}
