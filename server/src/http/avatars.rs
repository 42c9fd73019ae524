//! `GET /avatars/{id}`: an account's picture, from Reach's own copy
//! (`collect::avatars` keeps it), so pages show pictures under their
//! content-security policy (`img-src 'self'`). Addresses carry the
//! picture's version (`?v=`): an address with the current version may be
//! kept forever, since a new picture gets a new address.

use app::error::ApiError;
use app::ssr::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

/// The picture's version, as lists give it in the address.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AvatarVersion {
    /// The version the address names; with the current one, the answer
    /// may be cached for good.
    #[param(min_length = 1, max_length = 64, example = "3f2a9c01b7e4")]
    v: Option<String>,
}

/// An account's picture: a small square JPEG. 404 when Reach keeps none
/// (the platform gave none, or it could not be read); pages then show the
/// account's initial.
#[utoipa::path(
    get,
    path = "/avatars/{id}",
    tag = "accounts",
    params(
        ("id" = i64, Path, description = "The account's id."),
        AvatarVersion,
    ),
    responses(
        (status = 200, description = "The picture.", content_type = "image/jpeg", body = Vec<u8>),
        (status = 304, description = "Not modified since the `ETag` sent."),
        (status = 400, description = "The id is not a number (`bad_request`).", body = ApiError),
        (status = 404, description = "No picture is kept for this account (`not_found`).", body = ApiError),
    ),
)]
pub async fn avatar(
    State(state): State<AppState>,
    id: Result<Path<i64>, axum::extract::rejection::PathRejection>,
    Query(version): Query<AvatarVersion>,
    headers: HeaderMap,
) -> Response {
    let Ok(Path(id)) = id else {
        return ApiError::bad_request("an account id is a number").into_response();
    };
    let picture = match db::avatars::get(&state.db, id).await {
        Ok(Some(picture)) => picture,
        Ok(None) => {
            return ApiError::not_found("no picture is kept for this account").into_response();
        }
        Err(error) => return ApiError::from(error).into_response(),
    };
    let etag = format!("\"{}\"", picture.version);
    let cache = if version.v.as_deref() == Some(picture.version.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut answer = if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag))
    {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        picture.image.into_response()
    };
    let answer_headers = answer.headers_mut();
    answer_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&picture.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("image/jpeg")),
    );
    answer_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        answer_headers.insert(header::ETAG, etag);
    }
    answer
}
