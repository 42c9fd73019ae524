//! `GET /badge/{platform}/{handle}.svg`: an account's latest counter as a
//! shields.io-style badge, for a README or a web page. Drawn by the
//! `shields` crate (the same widths and layout as shields.io).
//!
//! The badge says what Reach stored and nothing else: a counter the
//! platform hides reads `hidden`, an account the platform suspended or
//! removed says so, and a demo account's badge says `demo`. An address
//! that names no tracked account still answers an image (a grey `not
//! tracked`, status 404), so a page embedding it shows why.

use app::error::ApiError;
use app::format::{compact, signed};
use app::model::{Metric, Platform};
use app::ssr::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use db::entities::account;
use serde::Deserialize;
use shields::{BadgeParamsOwned, BadgeStyle};

/// How long a badge may be kept by browsers and proxies (image proxies
/// such as GitHub's camo follow it): counters change once a run.
const CACHE_CONTROL: &str = "public, max-age=300";

/// Colours: shields.io's green, red and grey.
const UP: &str = "#4c1";
const DOWN: &str = "#e05d44";
const NEUTRAL: &str = "#9f9f9f";
const COUNT: &str = "#007ec6";

/// The styles shields.io names, as the `style` option takes them.
const STYLES: [&str; 5] = ["flat", "flat-square", "plastic", "for-the-badge", "social"];

/// What a badge shows, besides the account.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BadgeOptions {
    /// The counter (default `followers`). One the platform does not report
    /// answers a grey `not reported` badge with 404.
    #[param(inline, example = "followers")]
    metric: Option<Metric>,
    /// Adds the followers' change over 7 or 30 days. Kept for followers
    /// only: with another counter the badge is a grey 404 saying so.
    #[param(inline, example = "30d")]
    change: Option<Change>,
    /// The left-hand text (default: the platform's name for the counter).
    #[param(min_length = 1, max_length = 40, example = "followers")]
    label: Option<String>,
    /// shields.io's style (default `flat`).
    #[param(schema_with = style_schema, example = "flat")]
    style: Option<BadgeStyle>,
}

/// The period of the change a badge may add.
#[derive(Clone, Copy, Deserialize, utoipa::ToSchema)]
pub enum Change {
    #[serde(rename = "7d")]
    #[schema(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    #[schema(rename = "30d")]
    Month,
}

impl Change {
    fn days(self) -> u32 {
        match self {
            Self::Week => 7,
            Self::Month => 30,
        }
    }
}

fn style_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::Type::String)
        .enum_values(Some(STYLES))
        .build()
}

/// An account's counter as an SVG badge.
#[utoipa::path(
    get,
    path = "/badge/{platform}/{file}",
    tag = "accounts",
    params(
        ("platform" = Platform, Path, description = "The account's platform, as the API names it (`github`)."),
        ("file" = String, Path, pattern = r"^.+\.svg$", description = "The account's handle, then `.svg` (`rust-lang.svg`); a handle with `/` has it percent-encoded."),
        BadgeOptions,
        ("token" = Option<String>, Query, min_length = 1, description = "When reading is not public (`REACH_PUBLIC_READ=false`): an embed token (`reach token create --embed`), which opens badges and share cards and nothing else. An API token is refused here."),
    ),
    responses(
        (status = 200, description = "The badge.", content_type = "image/svg+xml", body = String),
        (status = 400, description = "A platform, counter, change or style Reach does not know (`bad_request`).", body = ApiError),
        (status = 401, description = "Reading is not public and the address has no unrevoked embed token (`unauthorized`).", body = ApiError),
        (status = 404, description = "A grey badge saying why none can be drawn: no such account is tracked (`not tracked`), the platform does not report the counter (`not reported`), a change was asked for another counter than followers, or the address does not end in `.svg`.", content_type = "image/svg+xml", body = String),
    ),
)]
pub(crate) async fn badge(
    State(state): State<AppState>,
    Path((platform, file)): Path<(String, String)>,
    options: Result<Query<BadgeOptions>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(options)) = options else {
        return ApiError::bad_request(
            "metric, change and style take the values the API description lists",
        )
        .into_response();
    };
    let Ok(platform) = platform.parse::<Platform>() else {
        return ApiError::bad_request(format!("{platform} is not a platform Reach knows"))
            .into_response();
    };
    let Some(handle) = file.strip_suffix(".svg").filter(|h| !h.is_empty()) else {
        // Still an image: an embedding page shows what is wrong.
        let svg = draw(BadgeStyle::Flat, "badge", "address ends in .svg", NEUTRAL);
        return svg_answer(StatusCode::NOT_FOUND, svg);
    };
    let metric = options.metric.unwrap_or_default();
    let change_days = options.change.map(Change::days);
    let style = options.style.unwrap_or_default();
    let label = options
        .label
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.chars().take(40).collect::<String>())
        .unwrap_or_else(|| platform.metric_name(metric).to_owned());
    // Each option is valid alone; these combinations name a badge that
    // cannot exist, which an embedding page should show rather than a
    // broken image.
    if !platform.metrics().contains(&metric) {
        let svg = draw(style, &label, "not reported", NEUTRAL);
        return svg_answer(StatusCode::NOT_FOUND, svg);
    }
    if change_days.is_some() && metric != Metric::Followers {
        let svg = draw(style, &label, "change: followers only", NEUTRAL);
        return svg_answer(StatusCode::NOT_FOUND, svg);
    }

    let found = match db::accounts::by_handle(&state.db, platform, handle).await {
        Ok(found) => found,
        // Logged where the storage error becomes the API's.
        Err(error) => return ApiError::from(error).into_response(),
    };
    let Some(account) = found else {
        let svg = draw(style, &label, "not tracked", NEUTRAL);
        return svg_answer(StatusCode::NOT_FOUND, svg);
    };
    let (message, colour) = message(&account, metric, change_days);
    svg_answer(StatusCode::OK, draw(style, &label, &message, colour))
}

/// The right-hand text and its colour.
fn message(
    account: &account::Model,
    metric: Metric,
    change_days: Option<u32>,
) -> (String, &'static str) {
    if let Some(state) = account.state {
        return (state.as_str().to_owned(), DOWN);
    }
    let Some(value) = account.counters().get(metric) else {
        let text = if account.last_collected_at.is_some() {
            "hidden"
        } else {
            "not collected yet"
        };
        return (text.to_owned(), NEUTRAL);
    };
    let mut text = compact(Some(value));
    let mut colour = COUNT;
    if let Some(days) = change_days {
        let change = match days {
            7 => account.followers_change_7d,
            _ => account.followers_change_30d,
        };
        if let Some(change) = change {
            text.push_str(&format!(" {} ({days}d)", signed(Some(change))));
            colour = match change {
                c if c > 0 => UP,
                c if c < 0 => DOWN,
                _ => NEUTRAL,
            };
        }
    }
    if account.simulated {
        text.push_str(" · demo");
    }
    (text, colour)
}

fn draw(style: BadgeStyle, label: &str, message: &str, colour: &str) -> String {
    BadgeParamsOwned {
        style,
        label: Some(label.to_owned()),
        message: Some(message.to_owned()),
        message_color: Some(colour.to_owned()),
        ..BadgeParamsOwned::default()
    }
    .render()
}

fn svg_answer(status: StatusCode, svg: String) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static(CACHE_CONTROL),
            ),
        ],
        svg,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_svg_with_its_text_escaped() {
        let svg = draw(BadgeStyle::Flat, "a<b", "1.2K & more", COUNT);
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("a&lt;b"));
        assert!(svg.contains("1.2K &amp; more"));
        assert!(!svg.contains("a<b"));
    }
}
