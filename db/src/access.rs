//! The access store: admins (argon2 password hashes), browser sessions and
//! API tokens. The server's authentication layer and the `reach admin` and
//! `reach token` commands come here; who a request acts for is the app's
//! (`app::auth`).
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
use types::{NewToken, SignedInVia, TokenRow, TokenScope};

use crate::StoreError;
use crate::entities::{admin, api_token, session};

/// What every API token starts with, so secret scanners can recognize one.
pub const TOKEN_PREFIX: &str = "reach_";

/// An admin, signed in by a session cookie or an API token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    pub id: i64,
    pub username: String,
    pub via: SignedInVia,
}

pub fn validate_username(username: &str) -> Result<(), StoreError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if (1..=64).contains(&username.len()) && username.chars().all(allowed) {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "a username is 1 to 64 letters, digits, `.`, `_` or `-`".to_owned(),
        ))
    }
}

fn validate_password(password: &str) -> Result<(), StoreError> {
    if (12..=1024).contains(&password.chars().count()) {
        Ok(())
    } else {
        Err(StoreError::Invalid(
            "a password is 12 to 1024 characters".to_owned(),
        ))
    }
}

/// An argon2id hash (the crate's default parameters) in PHC string form.
/// Slow on purpose: call it off the async threads.
pub fn hash_password(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::Internal(format!("password hashing failed: {error}")))
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
) -> Result<i64, StoreError> {
    validate_username(username)?;
    validate_password(password)?;
    if find_admin(db, username).await?.is_some() {
        return Err(StoreError::Conflict(format!(
            "an admin named `{username}` already exists"
        )));
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| StoreError::Internal(format!("password hashing failed: {error}")))??;
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
/// the secret for the cookie and when it expires; `None` if they do not
/// match an admin (which of the two was wrong is not said).
pub async fn sign_in(
    db: &impl ConnectionTrait,
    username: &str,
    password: &str,
    ttl: chrono::Duration,
) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
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
    .map_err(|error| StoreError::Internal(format!("password hashing failed: {error}")))?;
    let admin = match admin {
        Some(admin) if matches => admin,
        _ => return Ok(None),
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
    Ok(Some((secret, expires_at)))
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

/// The admin of an unrevoked `api` token (`reach_…`), sent as a bearer
/// token. Marks the token used, at most once a minute.
pub async fn token_admin(db: &impl ConnectionTrait, secret: &str) -> Result<Option<Admin>, DbErr> {
    let Some((token, Some(admin))) = find_token(db, secret).await? else {
        return Ok(None);
    };
    if token.scope != TokenScope::Api {
        return Ok(None);
    }
    mark_used(db, &token).await;
    Ok(Some(Admin {
        id: admin.id,
        username: admin.username,
        via: SignedInVia::Token,
    }))
}

/// What a token found in an address (`?token=`) opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AddressToken {
    /// An unrevoked `embed` token: badges and cards may be read.
    Embed,
    /// An unrevoked `api` token: it must never travel in an address, where
    /// logs, referrers and pages keep it; refused, and worth revoking.
    Api { id: i64 },
    /// No such token, or revoked.
    Unknown,
}

/// Checks a token given in a badge's or card's address. Marks an `embed`
/// token used, at most once a minute.
pub async fn address_token(db: &impl ConnectionTrait, secret: &str) -> Result<AddressToken, DbErr> {
    let Some((token, _)) = find_token(db, secret).await? else {
        return Ok(AddressToken::Unknown);
    };
    Ok(match token.scope {
        TokenScope::Embed => {
            mark_used(db, &token).await;
            AddressToken::Embed
        }
        TokenScope::Api => AddressToken::Api { id: token.id },
    })
}

/// An unrevoked token by its secret, with its admin.
async fn find_token(
    db: &impl ConnectionTrait,
    secret: &str,
) -> Result<Option<(api_token::Model, Option<admin::Model>)>, DbErr> {
    if !secret.starts_with(TOKEN_PREFIX) {
        return Ok(None);
    }
    api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(secret_hash(secret)))
        .filter(api_token::Column::RevokedAt.is_null())
        .find_also_related(admin::Entity)
        .one(db)
        .await
}

/// Records that a token was used, at most once a minute.
async fn mark_used(db: &impl ConnectionTrait, token: &api_token::Model) {
    let now = Utc::now();
    if token
        .last_used_at
        .is_some_and(|used| now - used <= chrono::Duration::minutes(1))
    {
        return;
    }
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

fn token_row(token: api_token::Model, admin: Option<String>) -> TokenRow {
    TokenRow {
        id: token.id,
        name: token.name,
        admin: admin.unwrap_or_default(),
        scope: token.scope,
        created_at: token.created_at,
        last_used_at: token.last_used_at,
        revoked_at: token.revoked_at,
    }
}

/// Creates a token made by the admin `admin_id`, named `admin_name`: one
/// that acts for them (`api`) or one that only opens badges and cards
/// (`embed`). The answer is the only place its secret ever appears.
pub async fn create_token(
    db: &impl ConnectionTrait,
    admin_id: i64,
    admin_name: &str,
    name: &str,
    scope: TokenScope,
) -> Result<NewToken, StoreError> {
    let name = name.trim();
    if !(1..=64).contains(&name.chars().count()) {
        return Err(StoreError::Invalid(
            "a token name is 1 to 64 characters".to_owned(),
        ));
    }
    let (secret, _) = new_secret();
    let token = format!("{TOKEN_PREFIX}{secret}");
    let row = api_token::ActiveModel {
        name: Set(name.to_owned()),
        token_hash: Set(secret_hash(&token)),
        admin_id: Set(admin_id),
        scope: Set(scope),
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
