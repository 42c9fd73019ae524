//! Brands: one creator's or company's accounts across platforms.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::params::*;
use crate::error::ApiError;
use crate::model::{BrandDetail, BrandRow};
#[cfg(feature = "ssr")]
use crate::ssr::cache::Kind;

/// Brands (one creator's or company's accounts across platforms), biggest
/// combined audience first: accounts, platforms, summed followers and
/// 7- and 30-day growth, and rank among brands by audience and by growth.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/brands", tag = "brands", responses((status = 200, body = Vec<BrandRow>))))]
#[server(prefix = "/api", endpoint = "brands", input = GetUrl, output = Json)]
pub async fn list_brands() -> Result<Vec<BrandRow>, ApiError> {
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Brands, &"list", || db::brands::list(&db))
        .await
}

/// One brand with its accounts, biggest first.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/brand", tag = "brands", params(BrandId), responses((status = 200, body = BrandDetail), (status = 404, description = "No brand with this id."))))]
#[server(prefix = "/api", endpoint = "brand", input = GetUrl, output = Json)]
pub async fn get_brand(id: i64) -> Result<BrandDetail, ApiError> {
    let db = crate::ssr::state::db()?;
    crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Brands, &("detail", id), || {
            db::brands::detail(&db, id)
        })
        .await
}
