//! Share cards: a public page per account (`/card/{platform}/{handle}`) and
//! per brand (`/card/brand/{name}`) with its key figures, the Open Graph
//! tags link previews read, and a picture drawn on the server
//! (`….png`, 1200 × 630). [`draw`] makes the picture's SVG, [`crate::raster`]
//! rasterises it, [`page`] writes the page.
//!
//! A card repeats what the collectors stored, as the dashboard does: a
//! counter the platform hides, an account never collected or one the
//! platform suspended is said so, never given a number; demo data is
//! marked. Framing (`?embed=true` in an `<iframe>`) is refused unless the
//! operator names who may (`REACH_CARD_FRAME_ANCESTORS`). When reading is
//! not public, an embed token in the address opens a card
//! (`server::http::auth`), and its picture's address carries it along.

pub mod draw;
pub mod page;

use app::error::ApiError;
use app::model::{HistoryRange, Metric, Platform};
use app::ssr::state::AppState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use db::entities::account;
use serde::Deserialize;

use crate::raster::Rasteriser;
use draw::{Card, Chart, Headline};
use page::Addresses;

/// What the card routes need: the app's state, the rasteriser, and the
/// pages' policy (the same for every card: built once).
#[derive(Clone)]
pub struct Cards {
    state: AppState,
    rasteriser: Rasteriser,
    policy: HeaderValue,
}

impl Cards {
    pub fn new(state: AppState) -> Self {
        // No script at all; framed only where the operator allows
        // (`REACH_CARD_FRAME_ANCESTORS`, validated when read).
        let policy = format!(
            "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; \
             form-action 'none'; frame-ancestors {}",
            state
                .sharing
                .card_frame_ancestors
                .as_deref()
                .unwrap_or("'none'")
        );
        Self {
            rasteriser: Rasteriser::new(),
            policy: HeaderValue::from_str(&policy).unwrap_or_else(|_| {
                HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")
            }),
            state,
        }
    }
}

/// A card's options.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CardOptions {
    /// Only the picture and the figures, for an `<iframe>` (framing is
    /// allowed to the origins in `REACH_CARD_FRAME_ANCESTORS` only).
    #[serde(default)]
    embed: bool,
    /// When reading is not public: an embed token (`reach token create
    /// --embed`); the picture's address gets it too.
    #[param(min_length = 1)]
    token: Option<String>,
}

/// How long a picture may be kept (link previews fetch it once; counters
/// change once a run).
const IMAGE_CACHE: &str = "public, max-age=300";

/// An account's share card: the page, or with `.png` its picture.
#[utoipa::path(
    get,
    path = "/card/{platform}/{file}",
    tag = "accounts",
    params(
        ("platform" = Platform, Path, description = "The account's platform, as the API names it (`github`)."),
        ("file" = String, Path, description = "The account's handle for the page, the handle then `.png` for its picture (a handle with `/` has it percent-encoded)."),
        CardOptions,
    ),
    responses(
        (status = 200, description = "The card's page (`text/html`, with Open Graph tags) or its picture (`image/png`, 1200 × 630).", content((String = "text/html"), (Vec<u8> = "image/png"))),
        (status = 400, description = "A platform Reach does not know, or `embed` not `true` or `false` (`bad_request`).", body = ApiError),
        (status = 401, description = "Reading is not public and the address has no unrevoked embed token (`unauthorized`).", body = ApiError),
        (status = 404, description = "No such account is tracked (`not_found`).", body = ApiError),
    ),
)]
pub(crate) async fn account(
    State(cards): State<Cards>,
    Path((platform, file)): Path<(String, String)>,
    options: Result<Query<CardOptions>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Query(options)) = options else {
        return ApiError::bad_request("embed is true or false").into_response();
    };
    let Ok(platform) = platform.parse::<Platform>() else {
        return ApiError::bad_request(format!("{platform} is not a platform Reach knows"))
            .into_response();
    };
    let (handle, picture) = split(&file);
    let found = match db::accounts::by_handle(&cards.state.db, platform, handle).await {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let Some(account) = found else {
        return ApiError::not_found(format!(
            "no {} account {handle} is tracked",
            platform.label()
        ))
        .into_response();
    };
    let card = match account_card(&cards.state.db, &account, picture).await {
        Ok(card) => card,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let path = format!("/card/{}/{}", platform.as_str(), encode(handle));
    let dashboard = format!("/accounts/{}", account.id);
    answer(&cards, card, &path, &dashboard, picture, &options, &headers).await
}

/// A brand's share card: the page, or with `.png` its picture.
#[utoipa::path(
    get,
    path = "/card/brand/{file}",
    tag = "brands",
    params(
        ("file" = String, Path, description = "The brand's name for the page, the name then `.png` for its picture (percent-encoded)."),
        CardOptions,
    ),
    responses(
        (status = 200, description = "The card's page (`text/html`, with Open Graph tags) or its picture (`image/png`, 1200 × 630).", content((String = "text/html"), (Vec<u8> = "image/png"))),
        (status = 400, description = "`embed` is not `true` or `false` (`bad_request`).", body = ApiError),
        (status = 401, description = "Reading is not public and the address has no unrevoked embed token (`unauthorized`).", body = ApiError),
        (status = 404, description = "No brand of this name (`not_found`).", body = ApiError),
    ),
)]
pub(crate) async fn brand(
    State(cards): State<Cards>,
    Path(file): Path<String>,
    options: Result<Query<CardOptions>, QueryRejection>,
    headers: HeaderMap,
) -> Response {
    let Ok(Query(options)) = options else {
        return ApiError::bad_request("embed is true or false").into_response();
    };
    let (name, picture) = split(&file);
    let found = match db::brands::by_name(&cards.state.db, name).await {
        Ok(found) => found,
        Err(error) => return ApiError::from(error).into_response(),
    };
    let Some(detail) = found else {
        return ApiError::not_found(format!("no brand is called {name}")).into_response();
    };
    let card = brand_card(&detail);
    let path = format!("/card/brand/{}", encode(name));
    let dashboard = format!("/brands/{}", detail.brand.id);
    answer(&cards, card, &path, &dashboard, picture, &options, &headers).await
}

/// The name in `file`, and whether the picture (`.png`) is asked for.
fn split(file: &str) -> (&str, bool) {
    match file.strip_suffix(".png") {
        Some(name) if !name.is_empty() => (name, true),
        _ => (file, false),
    }
}

/// What stays as it is in an address: RFC 3986's unreserved characters.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, UNRESERVED).to_string()
}

async fn answer(
    cards: &Cards,
    card: Card,
    path: &str,
    dashboard: &str,
    picture: bool,
    options: &CardOptions,
    headers: &HeaderMap,
) -> Response {
    if picture {
        return match cards.rasteriser.png(draw::svg(&card)).await {
            Ok(png) => (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static("image/png")),
                    (header::CACHE_CONTROL, HeaderValue::from_static(IMAGE_CACHE)),
                ],
                png,
            )
                .into_response(),
            Err(error) => {
                tracing::error!(%error, "a share card could not be drawn");
                ApiError::internal().into_response()
            }
        };
    }
    let base = base_address(&cards.state, headers);
    let token = options
        .token
        .as_deref()
        .map(|t| format!("?token={}", encode(t)))
        .unwrap_or_default();
    let at = Addresses {
        page: format!("{base}{path}{token}"),
        image: format!("{base}{path}.png{token}"),
        dashboard: format!("{base}{dashboard}"),
    };
    (
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::CONTENT_SECURITY_POLICY, cards.policy.clone()),
        ],
        page::html(&card, &at, options.embed),
    )
        .into_response()
}

/// Where this server is, as link previews must be told: `REACH_PUBLIC_URL`,
/// or the address the request was sent to (`https` if a trusted proxy says
/// so). A `Host` that is not a plain host name is not repeated.
fn base_address(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(url) = &state.sharing.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    let https = state.access.trust_proxy
        && headers
            .get("x-forwarded-proto")
            .and_then(|p| p.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

/// An account's card; its chart of the last 90 days' stored counters only
/// for the picture.
async fn account_card(
    db: &sea_orm::DatabaseConnection,
    account: &account::Model,
    with_chart: bool,
) -> Result<Card, db::StoreError> {
    let platform = account.platform;
    let metric = Platform::headline_metric(platform);
    let label = platform.metric_name(metric).to_owned();
    let headline = match (account.state, account.counters().get(metric)) {
        (Some(state), _) => Headline::State(state.as_str().to_owned()),
        (None, Some(value)) => Headline::Count {
            value,
            label: label.clone(),
        },
        (None, None) if account.last_collected_at.is_some() => {
            Headline::State(format!("{label} hidden"))
        }
        (None, None) => Headline::State("not collected yet".to_owned()),
    };
    let change = match (&headline, metric) {
        (Headline::Count { .. }, Metric::Followers) => {
            account.followers_change_30d.map(|change| (change, 30))
        }
        _ => None,
    };
    let points = if with_chart {
        db::history::history(db, account.id, HistoryRange::Quarter, metric)
            .await?
            .into_iter()
            .filter_map(|p| Some((p.captured_at.timestamp(), p.counters.get(metric)?)))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Card {
        kind: platform.label().to_owned(),
        title: account
            .display_name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .unwrap_or_else(|| account.handle.clone()),
        subtitle: format!("@{}", account.handle),
        headline,
        change,
        chart: Chart::Line {
            points,
            label: format!("{label}, last 90 days"),
        },
        collected_at: account.last_collected_at,
        demo: account.simulated,
    })
}

/// A brand's card: its accounts' combined followers (only those known) and
/// a bar per account.
fn brand_card(detail: &app::model::BrandDetail) -> Card {
    let brand = &detail.brand;
    let known = detail.accounts.iter().any(|a| a.latest.followers.is_some());
    let headline = if known {
        Headline::Count {
            value: brand.followers,
            label: "followers".to_owned(),
        }
    } else {
        Headline::State("followers not known yet".to_owned())
    };
    let platforms: Vec<&str> = brand.platforms.iter().map(|p| p.label()).collect();
    let accounts = detail.accounts.len();
    Card {
        kind: "Brand".to_owned(),
        title: brand.name.clone(),
        subtitle: format!(
            "{accounts} account{} on {}",
            if accounts == 1 { "" } else { "s" },
            platforms.join(", ")
        ),
        change: brand.change_30d.filter(|_| known).map(|c| (c, 30)),
        headline,
        chart: Chart::Bars(
            detail
                .accounts
                .iter()
                .map(|a| {
                    (
                        format!("{} @{}", a.platform.label(), a.handle),
                        a.latest.followers,
                    )
                })
                .collect(),
        ),
        collected_at: detail
            .accounts
            .iter()
            .filter_map(|a| a.last_collected_at)
            .max(),
        demo: detail.accounts.iter().any(|a| a.simulated),
    }
}
