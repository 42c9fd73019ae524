//! Who a request acts for, and the stores that answer it: admins (argon2
//! password hashes), browser sessions and API tokens. Server side only.
//!
//! The server's authentication layer (`reach::auth`) reads the session
//! cookie or the bearer token of every request, looks it up here and puts
//! the [`Identity`] in the request's extensions; server functions read it
//! back with [`identity`] and guard writes with [`require_admin`].
//!
//! Session and token secrets are 32 random bytes from the operating system;
//! only their SHA-256 hashes are stored (they are not guessable, so a slow
//! hash adds nothing), and compared by lookup, never by a loop over rows.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use sha2::{Digest, Sha256};

use crate::db::entities::{admin, api_token, session};
use crate::error::ApiError;
use crate::model::{Me, NewToken, SignedInVia, TokenRow};

/// The cookie that carries a browser's session secret.
pub const SESSION_COOKIE: &str = "reach_session";
/// What every API token starts with, so secret scanners can recognize one.
pub const TOKEN_PREFIX: &str = "reach_";

/// Who a request acts for. Put in the request's extensions by the server's
/// authentication layer; a request without one is anonymous.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Identity {
    #[default]
    Anonymous,
    Admin(Admin),
}

/// An admin, signed in by a session cookie or an API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    pub id: i64,
    pub username: String,
    pub via: SignedInVia,
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
pub fn set_session_cookie(secret: &str, ttl: chrono::Duration) {
    let secure = crate::state::access_settings()
        .secure_cookies
        .applies(&request_headers());
    set_cookie(&session_cookie(secret, ttl, secure));
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

/// When the session cookie is marked `Secure` (`REACH_SECURE_COOKIES`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CookieSecurity {
    /// When the request came over HTTPS, as a proxy in front says with
    /// `X-Forwarded-Proto: https` (a forged header can only make the cookie
    /// stricter).
    #[default]
    Auto,
    Always,
    Never,
}

impl CookieSecurity {
    pub fn applies(self, headers: &axum::http::HeaderMap) -> bool {
        match self {
            CookieSecurity::Always => true,
            CookieSecurity::Never => false,
            CookieSecurity::Auto => headers
                .get("x-forwarded-proto")
                .and_then(|proto| proto.to_str().ok())
                .is_some_and(|proto| proto.eq_ignore_ascii_case("https")),
        }
    }
}

/// Why an admin cannot be created or signed in.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("a username is 1 to 64 letters, digits, `.`, `_` or `-`")]
    BadUsername,
    #[error("a password is 12 to 1024 characters")]
    BadPassword,
    #[error("an admin named `{0}` already exists")]
    Taken(String),
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("a token name is 1 to 64 characters")]
    BadTokenName,
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::BadUsername
            | AuthError::BadPassword
            | AuthError::Taken(_)
            | AuthError::BadTokenName => ApiError::bad_request(error.to_string()),
            AuthError::WrongCredentials => ApiError::unauthorized(error.to_string()),
            AuthError::Database(error) => error.into(),
            AuthError::Hashing(message) => {
                tracing::error!(%message, "password hashing failed");
                ApiError::internal()
            }
        }
    }
}

pub fn validate_username(username: &str) -> Result<(), AuthError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if (1..=64).contains(&username.len()) && username.chars().all(allowed) {
        Ok(())
    } else {
        Err(AuthError::BadUsername)
    }
}

fn validate_password(password: &str) -> Result<(), AuthError> {
    if (12..=1024).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(AuthError::BadPassword)
    }
}

/// An argon2id hash (the crate's default parameters) in PHC string form.
/// Slow on purpose: call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hashing(error.to_string()))
}

/// Whether `password` matches the PHC string `hash` (false if it is not one).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A fresh secret (base64url of 32 random bytes) and the hash stored for it.
fn new_secret() -> (String, String) {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = secret_hash(&secret);
    (secret, hash)
}

/// The stored form of a session or token secret: SHA-256, in hex.
pub fn secret_hash(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

/// Creates an admin (`reach admin add`).
pub async fn create_admin(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
) -> Result<i64, AuthError> {
    validate_username(username)?;
    validate_password(password)?;
    if find_admin(db, username).await?.is_some() {
        return Err(AuthError::Taken(username.to_owned()));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| AuthError::Hashing(error.to_string()))??;
    let admin = admin::ActiveModel {
        username: Set(username.to_owned()),
        password_hash: Set(hash),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(admin.id)
}

/// Removes an admin with their sessions and tokens (`reach admin remove`);
/// false if there was none of that name.
pub async fn remove_admin(db: &impl ConnectionTrait, username: &str) -> Result<bool, DbErr> {
    let removed = admin::Entity::delete_many()
        .filter(admin::Column::Username.eq(username))
        .exec(db)
        .await?;
    Ok(removed.rows_affected > 0)
}

/// The admin of that name, if there is one.
pub async fn find_admin(
    db: &impl ConnectionTrait,
    username: &str,
) -> Result<Option<admin::Model>, DbErr> {
    admin::Entity::find()
        .filter(admin::Column::Username.eq(username))
        .one(db)
        .await
}

/// A hash to check passwords against when the username is unknown, so that
/// a wrong username takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| {
        hash_password("not a password of anyone")
            .expect("argon2 hashes with its default parameters")
    })
}

/// Checks a username and password and opens a session that lasts `ttl`:
/// the secret for the cookie and when it expires.
pub async fn sign_in(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
    ttl: chrono::Duration,
) -> Result<(String, DateTime<Utc>), AuthError> {
    let admin = if validate_username(username).is_ok() && password.chars().count() <= 1024 {
        find_admin(db, username).await?
    } else {
        None
    };
    let hash = admin.as_ref().map(|a| a.password_hash.clone());
    let password = password.to_owned();
    // The decoy too is hashed (once) off the async threads.
    let matches = tokio::task::spawn_blocking(move || {
        verify_password(&password, hash.as_deref().unwrap_or_else(|| decoy_hash()))
    })
    .await
    .map_err(|error| AuthError::Hashing(error.to_string()))?;
    let admin = match admin {
        Some(admin) if matches => admin,
        _ => return Err(AuthError::WrongCredentials),
    };
    let now = Utc::now();
    // Expired sessions go as new ones come: the table stays as small as the
    // number of signed-in browsers.
    session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    let (secret, token_hash) = new_secret();
    let expires_at = now + ttl;
    session::ActiveModel {
        token_hash: Set(token_hash),
        admin_id: Set(admin.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?;
    Ok((secret, expires_at))
}

/// Ends the session of `secret`, if it is one.
pub async fn sign_out(db: &impl ConnectionTrait, secret: &str) -> Result<(), DbErr> {
    session::Entity::delete_by_id(secret_hash(secret))
        .exec(db)
        .await?;
    Ok(())
}

/// The admin of an unexpired session.
pub async fn session_admin(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<Admin>, DbErr> {
    let found = session::Entity::find_by_id(secret_hash(secret))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .find_also_related(admin::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(_, admin)| admin).map(|admin| Admin {
        id: admin.id,
        username: admin.username,
        via: SignedInVia::Session,
    }))
}

/// The admin of an unrevoked API token (`reach_…`). Marks the token used,
/// at most once a minute.
pub async fn token_admin(db: &impl ConnectionTrait, secret: &str) -> Result<Option<Admin>, DbErr> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    let found = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secret_hash(secret)))
        .filter(api_token::Column::RevokedAt.is_null())
        .find_also_related(admin::Entity)
        .one(db)
        .await?;
    let Some((token, Some(admin))) = found else {
        return Ok(None);
    };
    let now = Utc::now();
    if token
        .last_used_at
        .is_none_or(|used| now - used > chrono::Duration::minutes(1))
    {
        // Bookkeeping: a request is never refused because it failed.
        let marked = api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, now.into())
            .filter(api_token::Column::Id.eq(token.id))
            .exec(db)
            .await;
        if let Err(error) = marked {
            tracing::warn!(token = token.id, %error, "cannot mark the API token used");
        }
    }
    Ok(Some(Admin {
        id: admin.id,
        username: admin.username,
        via: SignedInVia::Token,
    }))
}

fn token_row(token: api_token::Model, admin: Option<String>) -> TokenRow {
    TokenRow {
        id: token.id,
        name: token.name,
        admin: admin.unwrap_or_default(),
        created_at: token.created_at,
        last_used_at: token.last_used_at,
        revoked_at: token.revoked_at,
    }
}

/// Creates an API token that acts for the admin `admin_id`, named
/// `admin_name`; the answer is the only place its secret ever appears.
pub async fn create_token(
    db: &impl ConnectionTrait,
    admin_id: i64,
    admin_name: &str,
    name: &str,
) -> Result<NewToken, AuthError> {
    let name = name.trim();
    if !(1..=64).contains(&name.chars().count()) {
        return Err(AuthError::BadTokenName);
    }
    let (secret, _) = new_secret();
    let token = format!("{TOKEN_PREFIX}{secret}");
    let row = api_token::ActiveModel {
        name: Set(name.to_owned()),
        token_hash: Set(secret_hash(&token)),
        admin_id: Set(admin_id),
        created_at: Set(Utc::now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(NewToken {
        row: token_row(row, Some(admin_name.to_owned())),
        token,
    })
}

/// Every token, newest first, revoked ones included.
pub async fn list_tokens(db: &impl ConnectionTrait) -> Result<Vec<TokenRow>, DbErr> {
    let tokens = api_token::Entity::find()
        .find_also_related(admin::Entity)
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?;
    Ok(tokens
        .into_iter()
        .map(|(token, admin)| token_row(token, admin.map(|a| a.username)))
        .collect())
}

/// Revokes a token (again is harmless); `None` if there is no such token.
pub async fn revoke_token(db: &impl ConnectionTrait, id: i64) -> Result<Option<TokenRow>, DbErr> {
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Utc::now().into())
        .filter(api_token::Column::Id.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    let found = api_token::Entity::find_by_id(id)
        .find_also_related(admin::Entity)
        .one(db)
        .await?;
    Ok(found.map(|(token, admin)| token_row(token, admin.map(|a| a.username))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let (a, a_hash) = new_secret();
        let (b, _) = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(a_hash, secret_hash(&a));
        assert_eq!(a_hash.len(), 64);
        assert!(!a_hash.contains(&a));
    }

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
        assert!(CookieSecurity::Auto.applies(&headers));
        assert!(!CookieSecurity::Auto.applies(&axum::http::HeaderMap::new()));
        assert!(!CookieSecurity::Never.applies(&headers));
    }

    #[test]
    fn usernames_and_passwords_are_bounded() {
        assert!(validate_username("ada.lovelace-1_x").is_ok());
        for bad in ["", "a b", "ada@home", &"a".repeat(65), "é"] {
            assert!(validate_username(bad).is_err(), "{bad:?}");
        }
        assert!(validate_password("twelve chars").is_ok());
        assert!(validate_password("short").is_err());
        assert!(validate_password(&"x".repeat(1025)).is_err());
    }
}
