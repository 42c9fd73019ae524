//! `reach serve` (the default command): the dashboard and the API, and
//! the scheduled collection beside them, until SIGTERM or Ctrl-C.

use std::sync::Arc;

use anyhow::Context;
use app::ssr::cache::Cache;
use app::ssr::metrics::Metrics;
use app::ssr::state::{AppState, CollectTrigger};
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::collect::engine::Stop;
use crate::collect::status::CollectorStatus;
use crate::config::{
    CacheConfig, CollectConfig, DatabaseConfig, DigestConfig, SeedConfig, ServeConfig,
};
use crate::{collect, database, http, schedule};

/// How long a starting server waits for Redis before it listens anyway
/// (on the in-process cache until Redis answers).
const REDIS_START_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The connections the data's versions are read on (`Cache::reading_versions_on`):
/// one for the generations, one for the accounts' revisions.
const VERSIONS_CONNECTIONS: u32 = 2;

/// How long a shutting-down server waits for its collection to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Serves until stopped; then stops the collection at an account boundary.
pub async fn run(
    db: DatabaseConnection,
    serve: ServeConfig,
    cache_config: &CacheConfig,
    collect: &CollectConfig,
    database: &DatabaseConfig,
    digests: &DigestConfig,
) -> anyhow::Result<()> {
    if serve.demo {
        seed_if_empty(&db).await?;
    }
    let trigger = CollectTrigger::default();
    trigger.set_watch_every(serve.watch_every.into());
    // One set of figures for the web side and the collector, named as
    // this instance's runs are.
    let instance = collect.instance_name();
    let metrics = Metrics::named(&instance);
    // An in-memory database is one per pool: the collector and the
    // versions' readings share the requests' pool.
    let in_memory =
        database.url.starts_with("sqlite:") && database::sqlite_file(&database.url).is_none();
    // The versions every cached answer is keyed by are read on a pool of
    // their own, beside the requests'.
    let versions_db = if in_memory {
        db.clone()
    } else {
        database::open(&DatabaseConfig {
            max_connections: VERSIONS_CONNECTIONS,
            ..database.clone()
        })
        .await
        .context("cannot open the pool the data's versions are read on")?
    };
    let cache = Cache::new(&cache_config.settings())?.reading_versions_on(versions_db);
    let backend = cache.ready(REDIS_START_WAIT).await;
    tracing::info!(?backend, "read cache ready");
    // Before anything announces the server: a SIGTERM from then on
    // is a graceful stop.
    let shutdown = http::serve::shutdown_signal();
    let collector = Collector::start(CollectorSetup {
        database: database.clone(),
        shared_pool: in_memory.then(|| db.clone()),
        collect: collect.clone(),
        cache: cache_config.clone(),
        local_writes: cache.local_writes(),
        instance: instance.clone(),
        metrics: metrics.clone(),
    })
    .await?;
    tracing::info!(
        instance,
        budgets_shared = collector.budgets_shared,
        "this instance's name"
    );
    let sharing = serve.sharing.settings();
    let sender = crate::digests::Sender::new(
        db.clone(),
        crate::digests::SenderSetup {
            config: digests,
            user_agent: &collect.user_agent,
            timeout: collect.http_timeout,
            instance: instance.clone(),
            public_url: sharing.public_url.as_deref().map(str::to_owned),
        },
    )
    .context("cannot set up digests")?;
    let digests_handle = sender.handle();
    let live = app::ssr::live::Live::default();
    let watching = tokio::spawn(crate::live::watch(
        db.clone(),
        live.clone(),
        crate::live::CHECK_EVERY,
        cache_config.cache_fresh_for.into(),
    ));
    let listening = cache_config
        .redis_url
        .clone()
        .map(|url| tokio::spawn(crate::live::listen(url, live.clone())));
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
            sharing,
            digests: digests_handle.clone(),
            live: live.clone(),
            collectors: app::ssr::state::CollectorsView(Arc::new(collector.status.clone())),
        },
        serve.http.limits(),
    )
    .await?;
    tracing::info!(
        address = %app.local_addr(),
        database = %database::redact(&database.url),
        "Reach is listening on http://{}",
        app.local_addr()
    );
    let schedule = (!serve.no_collect).then(|| schedule::Schedule {
        interval: serve.collect_interval,
        platforms: serve.platform_intervals.0.iter().copied().collect(),
    });
    let stop = collector.stop.clone();
    let done = collector.run(schedule, trigger);
    // Every instance sends digests; the database's leases keep it to one
    // sender per delivery.
    let sending =
        tokio::spawn(sender.run(digests_handle, digests.digest_check, std::future::pending()));
    // In-flight requests finish; then a running collection stops at
    // an account boundary, stores what it has and is recorded as
    // interrupted, its unstarted accounts given back.
    let stopping = live.clone();
    app.run_until_stopped(async move {
        shutdown.await;
        // Open streams end, so that the graceful stop need not wait for them.
        stopping.close();
    })
    .await?;
    watching.abort();
    if let Some(listening) = listening {
        listening.abort();
    }
    // A delivery cut short keeps its lease until it runs out; then any
    // instance tries it again.
    sending.abort();
    stop.request();
    if tokio::time::timeout(SHUTDOWN_GRACE, done).await.is_err() {
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
        crate::database::vacuum_and_analyze(db).await?;
        tracing::info!(
            accounts = report.accounts,
            snapshots = report.snapshots,
            "created the demo data set"
        );
    }
    Ok(())
}

/// What the collector of `reach serve` is made of.
struct CollectorSetup {
    database: DatabaseConfig,
    /// The server's pool, when the collector cannot open its own.
    shared_pool: Option<DatabaseConnection>,
    collect: CollectConfig,
    cache: CacheConfig,
    /// Where the server's cache counts this process's writes: each of
    /// the runs' publications is on the server's next read.
    local_writes: db::generations::LocalWrites,
    instance: String,
    metrics: Metrics,
}

/// The collector of `reach serve`: on a thread of its own at the
/// collection's CPU priority ([`crate::priority`]), with a runtime and a
/// database pool of its own, so that every thread its work runs on (the
/// runtime's, the HTTP clients', SQLite's connection threads) starts at
/// that priority and the dashboard's reads come first.
struct Collector {
    status: CollectorStatus,
    stop: Stop,
    budgets_shared: bool,
    /// Starts the schedule, once the server listens.
    go: tokio::sync::oneshot::Sender<(Option<schedule::Schedule>, CollectTrigger)>,
    /// Closed when the collector has stopped.
    done: tokio::sync::oneshot::Receiver<()>,
}

impl Collector {
    /// Starts the thread, opens the pool and builds the engine; the
    /// schedule waits for [`Collector::run`].
    async fn start(setup: CollectorSetup) -> anyhow::Result<Self> {
        use tokio::sync::oneshot;
        let (ready, is_ready) = oneshot::channel::<anyhow::Result<(CollectorStatus, Stop, bool)>>();
        let (go, wait_for_go) = oneshot::channel();
        let (finished, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("collector".to_owned())
            .spawn(move || {
                let lowered = crate::priority::lower_this_thread(setup.collect.nice);
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .thread_name("collector")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = ready.send(Err(error.into()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    if let Err(error) = lowered {
                        tracing::warn!(%error, "cannot lower the collection's CPU priority");
                    }
                    let engine = async {
                        let db = match setup.shared_pool {
                            Some(db) => db,
                            // The server migrated it before starting the collector.
                            None => database::open(&setup.database).await?,
                        };
                        let engine = Arc::new(
                            super::engine(
                                db,
                                &setup.collect,
                                &setup.cache,
                                setup.instance,
                                setup.metrics,
                            )?
                            .with_local_writes(setup.local_writes),
                        );
                        let shared = engine.upstream().budgets_ready(REDIS_START_WAIT).await;
                        anyhow::Ok((engine, shared))
                    }
                    .await;
                    let engine = match engine {
                        Ok((engine, shared)) => {
                            let started = (engine.status(), engine.stop_handle(), shared);
                            if ready.send(Ok(started)).is_err() {
                                return;
                            }
                            engine
                        }
                        Err(error) => {
                            let _ = ready.send(Err(error));
                            return;
                        }
                    };
                    // Dropped unstarted when the server fails to start.
                    if let Ok((schedule, trigger)) = wait_for_go.await {
                        schedule::collect(engine, schedule, trigger).await;
                    }
                    drop(finished);
                });
            })
            .context("cannot start the collector's thread")?;
        let (status, stop, budgets_shared) = is_ready
            .await
            .context("the collector's thread ended before it started")??;
        Ok(Self {
            status,
            stop,
            budgets_shared,
            go,
            done,
        })
    }

    /// Runs the collections (on `schedule`, if any, and on request) until
    /// the stop is requested; the future ends when the collector has
    /// stopped.
    fn run(
        self,
        schedule: Option<schedule::Schedule>,
        trigger: CollectTrigger,
    ) -> impl std::future::Future<Output = ()> {
        let _ = self.go.send((schedule, trigger));
        let done = self.done;
        async move {
            let _ = done.await;
        }
    }
}
