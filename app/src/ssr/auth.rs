//! Who a request acts for. Server side only.
//!
//! The server's authentication layer (`reach::auth`) reads the session
//! cookie or the bearer token of every request, looks it up in the access
//! store (`db::access`) and puts the [`Identity`] in the request's
//! extensions; server functions read it back with [`identity`] and guard
//! writes with [`require_admin`].

use db::access::Admin;

use crate::error::ApiError;
use crate::model::Me;

/// The cookie that carries a browser's session secret.
pub const SESSION_COOKIE: &str = "reach_session";

/// Who a request acts for. Put in the request's extensions by the server's
/// authentication layer; a request without one is anonymous.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    #[default]
    Anonymous,
    Admin(Admin),
}

impl Identity {
    pub fn admin(&self) -> Option<&Admin> {
        match self {
            Identity::Anonymous => None,
            Identity::Admin(admin) => Some(admin),
        }
    }

    pub fn me(&self) -> Option<Me> {
        self.admin().map(|admin| Me {
            username: admin.username.clone(),
            via: admin.via,
        })
    }
}

/// The identity of the request being handled (anonymous outside one).
pub fn identity() -> Identity {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Identity>().cloned())
        .unwrap_or_default()
}

/// The admin the current request acts for, or a 401 that says how to be one.
pub fn require_admin() -> Result<Admin, ApiError> {
    identity().admin().cloned().ok_or_else(|| {
        ApiError::unauthorized(
            "this needs an admin: sign in, or send an API token as `Authorization: Bearer`",
        )
    })
}

/// The headers of the request being handled (empty outside one).
pub fn request_headers() -> axum::http::HeaderMap {
    leptos::prelude::use_context::<axum::http::request::Parts>()
        .map(|parts| parts.headers)
        .unwrap_or_default()
}

/// The session secret of a `Cookie` header, if it carries one.
pub fn session_secret(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, secret)| secret.to_owned())
        .filter(|secret| !secret.is_empty())
}

/// The session secret of the request being handled.
pub fn request_session_secret() -> Option<String> {
    session_secret(&request_headers())
}

/// The `Set-Cookie` value of a session: `HttpOnly` (no script reads it),
/// `SameSite=Strict` (no other site's page sends it) and `Secure` when the
/// site is served over HTTPS. A zero `ttl` clears the cookie.
pub fn session_cookie(secret: &str, ttl: chrono::Duration, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={secret}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        ttl.num_seconds().max(0)
    )
}

/// Sets (or, with a zero `ttl`, clears) the session cookie on the answer of
/// the request being handled, `Secure` as the server's settings say.
pub fn set_session_cookie(secret: &str, ttl: chrono::Duration) -> Result<(), ApiError> {
    let secure = crate::ssr::state::access_settings()?
        .secure_cookies
        .applies(&request_headers());
    set_cookie(&session_cookie(secret, ttl, secure));
    Ok(())
}

/// Adds a `Set-Cookie` header to the answer of the request being handled.
fn set_cookie(cookie: &str) {
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        axum::http::HeaderValue::from_str(cookie),
    ) {
        response.append_header(axum::http::header::SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_among_others_and_set_strictly() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "theme=dark; reach_session=abc-_1; other=x".parse().unwrap(),
        );
        assert_eq!(session_secret(&headers).as_deref(), Some("abc-_1"));
        assert_eq!(session_secret(&axum::http::HeaderMap::new()), None);
        let cookie = session_cookie("abc", chrono::Duration::hours(1), true);
        assert_eq!(
            cookie,
            "reach_session=abc; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict; Secure"
        );
        headers.insert("x-forwarded-proto", "https".parse().unwrap());
        assert!(crate::ssr::state::CookieSecurity::Auto.applies(&headers));
        assert!(!crate::ssr::state::CookieSecurity::Auto.applies(&axum::http::HeaderMap::new()));
        assert!(!crate::ssr::state::CookieSecurity::Never.applies(&headers));
    }
}
