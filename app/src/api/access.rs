//! Access: signing in and out, who is signed in, and API tokens.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::forms::*;
use crate::error::ApiError;
use crate::model::{Me, NewToken, TokenRow};

/// Signs an admin in: checks the password and sets the session cookie
/// (`HttpOnly`, `SameSite=Strict`, `Secure` over HTTPS, expiring after
/// `REACH_SESSION_TTL`). Wrong credentials are a 401 that does not say
/// which was wrong. Limited per client address (`REACH_LOGIN_RATE_LIMIT`).
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/login", tag = "access", request_body(content = LoginForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = Me))))]
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<Me, ApiError> {
    let settings = crate::ssr::state::access_settings()?;
    let signed_in = db::access::sign_in(
        &crate::ssr::state::db()?,
        username.trim(),
        &password,
        settings.session_ttl,
    )
    .await?;
    let Some((secret, _)) = signed_in else {
        // Only what could be a username: a password typed in the wrong
        // field must not reach the log.
        match db::access::validate_username(username.trim()) {
            Ok(()) => tracing::info!(username = %username.trim(), "sign-in refused"),
            Err(_) => tracing::info!("sign-in refused (not a valid username)"),
        }
        return Err(ApiError::unauthorized("wrong username or password"));
    };
    crate::ssr::auth::set_session_cookie(&secret, settings.session_ttl)?;
    tracing::info!(username = %username.trim(), "signed in");
    Ok(Me {
        username: username.trim().to_owned(),
        via: crate::model::SignedInVia::Session,
    })
}

/// Signs out: ends the session of the request's cookie and clears it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/logout", tag = "access", responses((status = 200, description = "Signed out (or was not signed in)."))))]
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    if let Some(secret) = crate::ssr::auth::request_session_secret() {
        db::access::sign_out(&crate::ssr::state::db()?, &secret).await?;
    }
    crate::ssr::auth::set_session_cookie("", chrono::Duration::zero())?;
    Ok(())
}

/// The admin this request acts for, or `null` when it is anonymous.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/me", tag = "access", responses((status = 200, body = Option<Me>))))]
#[server(prefix = "/api", endpoint = "me", input = GetUrl, output = Json)]
pub async fn get_me() -> Result<Option<Me>, ApiError> {
    Ok(crate::ssr::auth::identity().me())
}

/// Every API token, newest first, revoked ones included; never a secret.
/// Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/tokens", tag = "access", responses((status = 200, body = Vec<TokenRow>)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "tokens", input = GetUrl, output = Json)]
pub async fn list_tokens() -> Result<Vec<TokenRow>, ApiError> {
    crate::ssr::auth::require_admin()?;
    Ok(db::access::list_tokens(&crate::ssr::state::db()?).await?)
}

/// Creates a token: by default (`scope=api`) one acting for the admin who
/// asks; `scope=embed` makes one that only opens badges and share cards, in
/// their address, when reading is not public. The answer is the only time
/// its secret is shown. Admins signed in with a session only: a token
/// cannot make more tokens, so revoking a leaked one ends it.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tokens/create", tag = "access", request_body(content = TokenNameForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = NewToken)), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "tokens/create")]
pub async fn create_token(
    name: String,
    scope: Option<crate::model::TokenScope>,
) -> Result<NewToken, ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    if admin.via != crate::model::SignedInVia::Session {
        return Err(ApiError::forbidden(
            "API tokens are created by a signed-in admin, not by another token",
        ));
    }
    let scope = scope.unwrap_or_default();
    let token = db::access::create_token(
        &crate::ssr::state::db()?,
        admin.id,
        &admin.username,
        &name,
        scope,
    )
    .await?;
    tracing::info!(admin = %admin.username, token_id = token.row.id, scope = scope.as_str(), "API token created");
    Ok(token)
}

/// Revokes an API token at once (revoking it again changes nothing).
/// Admins only.
#[cfg_attr(feature = "ssr", utoipa::path(post, path = "/api/tokens/revoke", tag = "access", request_body(content = TokenIdForm, content_type = "application/x-www-form-urlencoded"), responses((status = 200, body = TokenRow), (status = 404, description = "No API token with this id.")), security(("session" = []), ("bearer" = []))))]
#[server(prefix = "/api", endpoint = "tokens/revoke")]
pub async fn revoke_token(id: i64) -> Result<TokenRow, ApiError> {
    let admin = crate::ssr::auth::require_admin()?;
    let token = db::access::revoke_token(&crate::ssr::state::db()?, id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no API token with id {id}")))?;
    tracing::info!(admin = %admin.username, token_id = id, "API token revoked");
    Ok(token)
}
