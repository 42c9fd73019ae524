//! The overview and the operations figures: what the dashboard's front
//! page, the performance page and the cache panel read.

use leptos::prelude::*;
use leptos::server_fn::codec::{GetUrl, Json};

use crate::error::ApiError;
use crate::model::{CacheStats, Overview, Performance};
#[cfg(feature = "ssr")]
use crate::ssr::cache::Kind;

/// Totals, per-platform figures, the biggest accounts and the latest run.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/overview", tag = "dashboard", responses((status = 200, body = Overview))))]
#[server(prefix = "/api", endpoint = "overview", input = GetUrl, output = Json)]
pub async fn get_overview() -> Result<Overview, ApiError> {
    let db = crate::ssr::state::db()?;
    let mut overview = crate::ssr::state::cache()?
        .get_or_load(&db, Kind::Overview, &(), || db::overview::overview(&db))
        .await?;
    // Live, not cached: this instance's schedule.
    overview.next_collection = crate::ssr::state::collect_trigger()?.next_cycle();
    Ok(overview)
}

/// The read cache: its backend now (`redis`, `in_process` or `degraded`)
/// and, per kind of data, hits, misses, errors and fallbacks since start.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/cache", tag = "operations", responses((status = 200, body = CacheStats))))]
#[server(prefix = "/api", endpoint = "cache", input = GetUrl, output = Json)]
pub async fn get_cache_stats() -> Result<CacheStats, ApiError> {
    Ok(crate::ssr::state::cache()?.stats().await)
}

/// This instance's performance: latency percentiles per endpoint and per
/// kind of database query (recent window and since start), the pool, the
/// cache's counters and backend, the collectors' timings in the latest
/// finished run, and the process. Not cached: it is live.
#[cfg_attr(feature = "ssr", utoipa::path(get, path = "/api/performance", tag = "operations", responses((status = 200, body = Performance))))]
#[server(prefix = "/api", endpoint = "performance", input = GetUrl, output = Json)]
pub async fn get_performance() -> Result<Performance, ApiError> {
    use crate::ssr::metrics::{Metrics, resident_bytes};
    let db = crate::ssr::state::db()?;
    let metrics = crate::ssr::state::metrics()?;
    Ok(Performance {
        instance: metrics.instance().to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        uptime_seconds: metrics.uptime().as_secs(),
        rss_bytes: resident_bytes(),
        window_seconds: Metrics::window().as_secs(),
        endpoints: metrics.requests(),
        database: crate::ssr::metrics::database_stats(&db, metrics.queries()),
        cache: crate::ssr::state::cache()?.stats().await,
        collectors: db::runs::latest_collector_stats(&db).await?,
    })
}
