//! Who is signed in, and API tokens.

use chrono::{DateTime, Utc};
#[cfg(feature = "db")]
use sea_orm::prelude::StringLen;
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

/// What a token may do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")
)]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// Acts for the admin who made it, sent as `Authorization: Bearer`;
    /// never accepted in an address.
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "api"))]
    Api,
    /// Opens badges and share cards when reading is not public, in their
    /// address (`?token=`): made to be published, so it reads nothing else
    /// and acts for no one.
    #[cfg_attr(feature = "db", sea_orm(string_value = "embed"))]
    Embed,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Embed => "embed",
        }
    }
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
    pub scope: TokenScope,
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
    /// An `api` token goes in `Authorization: Bearer <token>`, an `embed`
    /// one in a badge's or card's address (`?token=`); it cannot be shown
    /// again.
    pub token: String,
}
