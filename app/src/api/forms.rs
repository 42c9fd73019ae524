//! The form bodies of the `POST` functions that take arguments
//! (`application/x-www-form-urlencoded`).

use utoipa::ToSchema;

/// An admin's credentials.
#[derive(ToSchema)]
pub struct LoginForm {
    pub username: String,
    #[schema(format = Password)]
    pub password: String,
}

/// A new token: what it is for, e.g. `grafana` (1 to 64 characters), and
/// what it may do (`api`, the default, or `embed`).
#[derive(ToSchema)]
pub struct TokenNameForm {
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    /// `api` (default): acts for the admin, sent as a bearer token;
    /// `embed`: opens badges and share cards in their address only.
    #[schema(nullable = false)]
    pub scope: Option<crate::model::TokenScope>,
}

/// An account to track.
#[derive(ToSchema)]
pub struct AddAccountForm {
    pub platform: crate::model::Platform,
    /// In the platform's form: `user@instance` (Mastodon), a domain
    /// (Bluesky), `@handle` or a channel id (YouTube), a name elsewhere.
    pub handle: String,
    /// `true` to collect it before the others (default `false`).
    #[schema(nullable = false)]
    pub core: Option<bool>,
    /// Comma-separated, e.g. `tech, news`: at most 20 tags of 1 to 64
    /// characters.
    #[schema(nullable = false)]
    pub tags: Option<String>,
}

/// An account's new core flag and tags (replacing the old ones).
#[derive(ToSchema)]
pub struct UpdateAccountForm {
    pub id: i64,
    /// Absent means `false`, as an unticked box.
    #[schema(nullable = false)]
    pub core: Option<bool>,
    /// Comma-separated; absent or empty removes every tag.
    #[schema(nullable = false)]
    pub tags: Option<String>,
}

/// The account to delete.
#[derive(ToSchema)]
pub struct AccountIdForm {
    pub id: i64,
}

/// The token to revoke.
#[derive(ToSchema)]
pub struct TokenIdForm {
    pub id: i64,
}

/// A digest to make.
#[derive(ToSchema)]
pub struct NewDigestForm {
    /// Unique, 1 to 64 characters.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub name: String,
    pub period: crate::model::DigestPeriod,
    pub channel: crate::model::DigestChannel,
    /// E-mail addresses separated by commas (`email`); the webhook's
    /// address; a Matrix room as `https://<homeserver>/<room id>`.
    #[schema(min_length = 1, max_length = 1024)]
    pub target: String,
    /// `all` (default), `tag:<name>` or `brand:<name>`.
    #[schema(nullable = false, max_length = 70, pattern = r"^(all|(tag|brand):.+)$")]
    pub scope: Option<String>,
    /// The Matrix access token (required there) or an ntfy token.
    #[schema(nullable = false, format = Password, max_length = 512)]
    pub secret: Option<String>,
}

/// The digest meant.
#[derive(ToSchema)]
pub struct DigestIdForm {
    pub id: i64,
}
