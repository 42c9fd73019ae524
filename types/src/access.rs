//! Who is signed in, and API tokens.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The admin a request acts for: `GET /api/me` answers it (or `null`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub username: String,
    /// How the request proved it: `session` (a browser's cookie) or `token`.
    pub via: SignedInVia,
}

/// How a request proved who it acts for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignedInVia {
    /// The session cookie set by `POST /api/login`.
    Session,
    /// An API token, sent as `Authorization: Bearer`.
    Token,
}

/// An API token as listed: never its secret, which is shown once, when it
/// is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    /// The admin who created it, whom it acts for.
    pub admin: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A token just created: the only answer that carries its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    #[serde(flatten)]
    pub row: TokenRow,
    /// Send it as `Authorization: Bearer <token>`; it cannot be shown again.
    pub token: String,
}
