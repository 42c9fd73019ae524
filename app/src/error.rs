//! The one error type of the API, shared by server and browser.
//!
//! A server function returns `Result<T, ApiError>`; the error travels as JSON
//! (`{"error":"bad_request","message":"…"}`) with the HTTP status of its kind.
//! Internal errors are logged on the server and reach clients only as a
//! generic message: a 500 never carries internals.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// What went wrong, as a stable machine-readable code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The request's arguments are invalid: the client must change them.
    BadRequest,
    /// The request needs an admin: sign in or send an API token.
    Unauthorized,
    /// The request is refused whoever sends it (a cross-site write).
    Forbidden,
    /// The thing asked for does not exist.
    NotFound,
    /// The path exists, but not for this method: `Allow` lists the right ones.
    MethodNotAllowed,
    /// The client took too long to send its request.
    RequestTimeout,
    /// The thing to create exists already (an account tracked twice).
    Conflict,
    /// The request's body is larger than any Reach takes.
    PayloadTooLarge,
    /// The request's address is longer than any Reach takes.
    UriTooLong,
    /// The request's headers are more or larger than Reach takes.
    HeadersTooLarge,
    /// The client sent too many requests: wait as `Retry-After` says.
    TooManyRequests,
    /// A dependency (the database) is down: retrying later may work.
    Unavailable,
    /// A bug or an unexpected failure on the server.
    Internal,
    /// The request never got an answer (client side only: offline, timeout).
    Network,
}

impl ErrorKind {
    /// Whether asking again may succeed (a dropped connection, a busy
    /// database), as opposed to a request that will fail the same way.
    pub fn may_pass(self) -> bool {
        matches!(
            self,
            ErrorKind::Network
                | ErrorKind::Unavailable
                | ErrorKind::RequestTimeout
                | ErrorKind::TooManyRequests
                | ErrorKind::Internal
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct ApiError {
    #[serde(rename = "error")]
    pub kind: ErrorKind,
    pub message: String,
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unauthorized, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, message)
    }

    pub fn too_many_requests() -> Self {
        Self::new(
            ErrorKind::TooManyRequests,
            "too many requests from this address; retry after the time in `Retry-After`",
        )
    }

    pub fn unavailable() -> Self {
        Self::new(
            ErrorKind::Unavailable,
            "the database is unavailable; try again shortly",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            ErrorKind::Internal,
            "the server failed to answer this request; the error was logged",
        )
    }

    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The HTTP status that goes with the error.
    #[cfg(feature = "ssr")]
    pub fn status(&self) -> axum::http::StatusCode {
        use axum::http::StatusCode;
        match self.kind {
            ErrorKind::BadRequest => StatusCode::BAD_REQUEST,
            ErrorKind::Unauthorized => StatusCode::UNAUTHORIZED,
            ErrorKind::Forbidden => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ErrorKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::UriTooLong => StatusCode::URI_TOO_LONG,
            ErrorKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorKind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::Unavailable | ErrorKind::Network => StatusCode::SERVICE_UNAVAILABLE,
            ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error answering `status`, for answers made below the API (the
    /// HTTP layers: body limit, routing, timeouts), with a message of its
    /// own. `None` for a status the API never answers with.
    #[cfg(feature = "ssr")]
    pub fn for_status(status: axum::http::StatusCode) -> Option<Self> {
        use axum::http::StatusCode;
        let (kind, message) = match status {
            StatusCode::BAD_REQUEST => (ErrorKind::BadRequest, "the request is malformed"),
            StatusCode::UNAUTHORIZED => (ErrorKind::Unauthorized, "this needs an admin"),
            StatusCode::FORBIDDEN => (ErrorKind::Forbidden, "this request is refused"),
            StatusCode::NOT_FOUND => (ErrorKind::NotFound, "no such endpoint"),
            StatusCode::METHOD_NOT_ALLOWED => (
                ErrorKind::MethodNotAllowed,
                "this endpoint does not take this method; `Allow` lists the ones it takes",
            ),
            StatusCode::REQUEST_TIMEOUT => (
                ErrorKind::RequestTimeout,
                "the request was not answered in time; send it again",
            ),
            StatusCode::CONFLICT => (ErrorKind::Conflict, "this exists already"),
            StatusCode::PAYLOAD_TOO_LARGE => (
                ErrorKind::PayloadTooLarge,
                "the request body is larger than any Reach takes",
            ),
            StatusCode::URI_TOO_LONG => (
                ErrorKind::UriTooLong,
                "the request's address is longer than any Reach takes",
            ),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => (
                ErrorKind::HeadersTooLarge,
                "the request's headers are more or larger than Reach takes",
            ),
            StatusCode::TOO_MANY_REQUESTS => return Some(Self::too_many_requests()),
            StatusCode::SERVICE_UNAVAILABLE => return Some(Self::unavailable()),
            StatusCode::INTERNAL_SERVER_ERROR => return Some(Self::internal()),
            _ => return None,
        };
        Some(Self {
            kind,
            message: message.to_owned(),
        })
    }

    /// Gives the answer being made the status of this error: where a server
    /// function's error is encoded ([`FromServerFnError::ser`]) and where a
    /// page renders one (`components::status::ErrorPanel`). The response
    /// options exist only while a request is being handled.
    #[cfg(feature = "ssr")]
    pub(crate) fn set_response_status(&self) {
        if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(self.status());
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    /// The error as the answer's body; the answer takes its status here,
    /// where it is made, whichever layer built the error. (Server only: the
    /// browser keeps the default, and its bundle stays as small.)
    #[cfg(feature = "ssr")]
    fn ser(&self) -> server_fn::Bytes {
        use server_fn::Encodes;
        self.set_response_status();
        // The configured encoding, as the default does; an `ApiError` (a
        // kind and a string) always encodes.
        Self::Encoder::encode(self).expect("an ApiError encodes as JSON")
    }

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // The query string did not decode into the function's arguments:
            // serde's message names the argument and what was expected.
            ServerFnErrorErr::Args(message) | ServerFnErrorErr::MissingArg(message) => {
                ApiError::bad_request(argument_error_message(&message))
            }
            // The browser's own words ("TypeError: Failed to fetch") tell
            // a reader nothing more than this.
            ServerFnErrorErr::Request(_) => Self {
                kind: ErrorKind::Network,
                message: "Reach did not answer".to_owned(),
            },
            ServerFnErrorErr::UnsupportedRequestMethod(message) => ApiError::bad_request(message),
            // On the server, a request body that does not decode (not UTF-8,
            // not a form) is the client's error, like bad arguments.
            #[cfg(feature = "ssr")]
            ServerFnErrorErr::Deserialization(message) => {
                ApiError::bad_request(format!("the request body does not decode: {message}"))
            }
            ServerFnErrorErr::Registration(message) => ApiError::not_found(message),
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                ApiError::internal()
            }
        }
    }
}

/// serde's message says what was wrong ("invalid digit found in string") but
/// not always where: quote the query string so the caller sees which argument.
fn argument_error_message(message: &str) -> String {
    const MAX_QUOTED: usize = 200;
    #[cfg(feature = "ssr")]
    let query = leptos::prelude::use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.uri.query().map(str::to_owned));
    #[cfg(not(feature = "ssr"))]
    let query: Option<String> = None;
    match query {
        Some(query) => {
            let quoted: String = query.chars().take(MAX_QUOTED).collect();
            format!("invalid arguments in `{quoted}`: {message}")
        }
        None => format!("invalid arguments: {message}"),
    }
}

/// For plain axum handlers (the streamed exports): the same JSON and status
/// as a server function's error.
#[cfg(feature = "ssr")]
impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        (self.status(), axum::Json(self)).into_response()
    }
}

/// Storage's error becomes the API's here, and only here: what the client
/// may change is said, a failure is logged once and never shown (a lost
/// database is "unavailable", anything else internal).
#[cfg(feature = "ssr")]
impl From<db::StoreError> for ApiError {
    fn from(error: db::StoreError) -> Self {
        use db::StoreError;
        match error {
            StoreError::NotFound { .. } => ApiError::not_found(error.to_string()),
            StoreError::Invalid(message) => ApiError::bad_request(message),
            StoreError::Conflict(message) => ApiError::conflict(message),
            _ if error.is_unavailable() => {
                tracing::warn!(%error, "database unavailable");
                ApiError::unavailable()
            }
            StoreError::Internal(_) | StoreError::Db(_) => {
                tracing::error!(%error, "storage failed");
                ApiError::internal()
            }
        }
    }
}

/// For the few reads the app makes itself (the cache's generations).
#[cfg(feature = "ssr")]
impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        db::StoreError::from(error).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_a_flat_json_object() {
        let error = ApiError::not_found("no account with id 7");
        assert_eq!(
            serde_json::to_value(&error).unwrap(),
            serde_json::json!({"error": "not_found", "message": "no account with id 7"})
        );
    }

    #[test]
    fn argument_errors_are_bad_requests() {
        let error =
            ApiError::from_server_fn_error(ServerFnErrorErr::Args("page: invalid digit".into()));
        assert_eq!(error.kind, ErrorKind::BadRequest);
        assert!(error.message.contains("page"));
    }
}
