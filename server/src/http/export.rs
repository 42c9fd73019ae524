//! `GET /api/export/{dataset}.{format}`: an export streamed as it is read,
//! with the arguments the description states ([`crate::export`] makes it).

use app::error::ApiError;
use app::ssr::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;

use crate::export::*;

/// A dataset as a file: `accounts`, `snapshots` or `leaderboard`, as CSV
/// (with a header line) or one JSON array, sent as an attachment and
/// streamed, so that memory stays flat whatever its size. Each dataset
/// reads the options that apply to it; others are refused.
#[utoipa::path(
    get,
    path = "/api/export/{file}",
    tag = "exports",
    params(
        ("file" = String, Path, description = "`{dataset}.{format}`: `accounts`, `snapshots` or `leaderboard`, then `csv` or `json`.", example = "accounts.csv"),
        ExportOptions,
    ),
    responses(
        (status = 200, description = "The export, as an attachment.", content(
            ("text/csv"),
            (Vec<Object> = "application/json"),
        )),
        (status = 400, description = "Invalid options (`bad_request`).", body = ApiError),
        (status = 404, description = "No such dataset or format (`not_found`).", body = ApiError),
    ),
)]
pub async fn export_handler(
    State(state): State<AppState>,
    Path(file): Path<String>,
    options: Result<Query<ExportOptions>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Query(options) = match options {
        Ok(options) => options,
        Err(rejection) => return ApiError::bad_request(rejection.body_text()).into_response(),
    };
    let Some((name, extension)) = file.rsplit_once('.') else {
        return ApiError::not_found("an export is named like `snapshots.csv`").into_response();
    };
    let format = match extension {
        "csv" => Format::Csv,
        "json" => Format::Json,
        other => {
            return ApiError::not_found(format!("no export format `{other}` (csv or json)"))
                .into_response();
        }
    };
    let dataset = match name.parse::<Dataset>() {
        Ok(dataset) => dataset,
        Err(error) => return error.into_response(),
    };
    let chunks = match export(state.db.clone(), dataset, format, options).await {
        Ok(chunks) => chunks,
        Err(error) => return error.into_response(),
    };
    // An error after the first chunk cannot change the status any more: the
    // body ends early, and the client sees a broken transfer.
    let body = Body::from_stream(chunks.map_err(|error| std::io::Error::other(error.to_string())));
    let disposition = format!("attachment; filename=\"reach-{file}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(format.content_type()),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition)
                    .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
        ],
        body,
    )
        .into_response()
}
