//! `reach serve` (the default command): the dashboard and the API, and
//! the scheduled collection beside them, until SIGTERM or Ctrl-C.

use std::sync::Arc;

use anyhow::Context;
use app::ssr::cache::Cache;
use app::ssr::metrics::Metrics;
use app::ssr::state::{AppState, CollectTrigger};
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::config::{CacheConfig, CollectConfig, SeedConfig, ServeConfig};
use crate::{collect, database, http, schedule};

/// How long a starting server waits for Redis before it listens anyway
/// (on the in-process cache until Redis answers).
const REDIS_START_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a shutting-down server waits for its collection to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves until stopped; then stops the collection at an account boundary.
pub async fn run(
    db: DatabaseConnection,
    serve: ServeConfig,
    cache_config: &CacheConfig,
    collect: &CollectConfig,
    database_url: &str,
) -> anyhow::Result<()> {
    if serve.demo {
        seed_if_empty(&db).await?;
    }
    let trigger = CollectTrigger::default();
    // One set of figures for the web side and the collector, named as
    // this instance's runs are.
    let instance = collect.instance_name();
    let metrics = Metrics::named(&instance);
    let cache = Cache::new(&cache_config.settings())?;
    let backend = cache.ready(REDIS_START_WAIT).await;
    tracing::info!(?backend, "read cache ready");
    // Before anything announces the server: a SIGTERM from then on
    // is a graceful stop.
    let shutdown = http::serve::shutdown_signal();
    let engine = Arc::new(super::engine(
        db.clone(),
        collect,
        cache_config,
        instance.clone(),
        metrics.clone(),
    )?);
    let shared = engine.upstream().budgets_ready(REDIS_START_WAIT).await;
    tracing::info!(instance, budgets_shared = shared, "this instance's name");
    let leptos_options = http::leptos_options(&serve.leptos_config)?;
    let app = http::Application::build(
        AppState {
            assets: app::ssr::state::Assets::find(&leptos_options),
            leptos_options,
            db: db.clone(),
            cache,
            collect: trigger.clone(),
            metrics: metrics.clone(),
            access: serve.access.settings(),
            collectors: app::ssr::state::CollectorsView(Arc::new(engine.status())),
        },
        serve.http.limits(),
    )
    .await?;
    tracing::info!(
        address = %app.local_addr(),
        database = %database::redact(database_url),
        "Reach is listening on http://{}",
        app.local_addr()
    );
    let schedule = (!serve.no_collect).then(|| schedule::Schedule {
        interval: serve.collect_interval,
        platforms: serve.platform_intervals.0.iter().copied().collect(),
    });
    let stop = engine.stop_handle();
    let collector = tokio::spawn(schedule::collect(engine, schedule, trigger));
    // In-flight requests finish; then a running collection stops at
    // an account boundary, stores what it has and is recorded as
    // interrupted, its unstarted accounts given back.
    app.run_until_stopped(shutdown).await?;
    stop.request();
    if tokio::time::timeout(SHUTDOWN_GRACE, collector)
        .await
        .is_err()
    {
        tracing::warn!("the collection did not stop in time; leaving it to its leases");
    }
    Ok(())
}

/// `reach serve --demo` on an empty database creates the demo data set.
async fn seed_if_empty(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let accounts = db::entities::account::Entity::find()
        .count(db)
        .await
        .context("cannot count the accounts")?;
    if accounts == 0 {
        let SeedConfig { accounts, days } = SeedConfig::DEFAULT;
        let report = collect::demo::seed(db, accounts, days, Utc::now()).await?;
        tracing::info!(
            accounts = report.accounts,
            snapshots = report.snapshots,
            "created the demo data set"
        );
    }
    Ok(())
}
