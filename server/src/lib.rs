//! The Reach server as a library: `main` and the integration tests build the
//! application the same way, through [`startup`].

pub mod accounts;
pub mod backup;
pub mod collect;
pub mod config;
pub mod database;
pub mod events;
pub mod http;
pub mod import;
pub mod platforms;
pub mod retention;
pub mod schedule;
pub mod telemetry;

use anyhow::Context;
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait};

use std::collections::HashMap;
use std::sync::Arc;

use app::model::Platform;
use app::ssr::cache::Cache;
use app::ssr::metrics::Metrics;
use app::ssr::state::{AppState, CollectTrigger};

use crate::collect::engine::{Engine, EngineSettings};
use crate::collect::platforms::{Budget, Collectors, PlatformSettings, Upstream};
use crate::config::{
    AccountCommand, AdminCommand, BrandCommand, Cli, CollectConfig, Command, ExportCommand,
    ImportCommand, SeedConfig,
};

/// How long a starting server waits for Redis before it listens anyway
/// (on the in-process cache until Redis answers).
const REDIS_START_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a shutting-down server waits for its collection to stop.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// Carries out one command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Before anything opens the database it replaces.
    if let Some(Command::Restore { path }) = &cli.command {
        backup::restore(&cli.database, path).await?;
        println!(
            "restored {} from {}",
            database::redact(&cli.database.url),
            path.display()
        );
        return Ok(());
    }
    let db = database::connect(&cli.database).await?;
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(serve) => {
            if serve.demo {
                seed_if_empty(&db).await?;
            }
            let trigger = CollectTrigger::default();
            // One set of figures for the web side and the collector.
            let metrics = Metrics::default();
            let cache = Cache::new(&cli.cache.settings())?;
            let backend = cache.ready(REDIS_START_WAIT).await;
            tracing::info!(?backend, "read cache ready");
            // Before anything announces the server: a SIGTERM from then on
            // is a graceful stop.
            let shutdown = http::serve::shutdown_signal();
            let engine = Arc::new(engine(db.clone(), &cli.collect, metrics.clone())?);
            let app = http::Application::build(
                AppState {
                    leptos_options: http::leptos_options(&serve.leptos_config)?,
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
                database = %database::redact(&cli.database.url),
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
        Command::Seed(seed) => {
            let report = collect::demo::seed(&db, seed.accounts, seed.days, Utc::now()).await?;
            println!(
                "seeded {} accounts: {} new snapshots, {} new runs",
                report.accounts, report.snapshots, report.runs
            );
            Ok(())
        }
        Command::Collect => {
            let engine = engine(db, &cli.collect, Metrics::default())?;
            let bar = progress_bar(engine.progress());
            let run = engine.run(Utc::now()).await;
            // The bar stops when the engine, its progress's sender, is gone.
            drop(engine);
            bar.await.ok();
            let run = run?;
            println!(
                "run {}: {} ok, {} failed, {} not configured in {} ms",
                run.id,
                run.accounts_ok,
                run.accounts_failed,
                run.accounts_skipped,
                run.duration_ms.unwrap_or_default()
            );
            Ok(())
        }
        Command::Account(AccountCommand::Add(add)) => {
            let account = accounts::add(&db, &add).await?;
            println!(
                "added {} account {} (id {}){}",
                account.platform.label(),
                account.handle,
                account.id,
                if account.platform.has_public_api() {
                    ""
                } else {
                    ", not collected: Reach has no collector for this platform yet"
                }
            );
            Ok(())
        }
        Command::Account(AccountCommand::Remove { id }) => {
            accounts::remove(&db, id).await?;
            println!("removed account {id} and its history");
            Ok(())
        }
        Command::Export(command) => export_to_file(db, command).await,
        Command::Brand(BrandCommand::Assign { name, accounts }) => {
            let brand = db::brands::assign(&db, &name, &accounts).await?;
            println!(
                "brand {} (id {}): {} accounts assigned",
                brand.name,
                brand.id,
                accounts.len()
            );
            Ok(())
        }
        Command::Brand(BrandCommand::Unassign { accounts }) => {
            db::brands::unassign(&db, &accounts).await?;
            println!("{} accounts have no brand now", accounts.len());
            Ok(())
        }
        Command::Brand(BrandCommand::Remove { name }) => {
            db::brands::remove(&db, &name).await?;
            println!("removed the brand {name}; its accounts stay");
            Ok(())
        }
        Command::Platforms { check } => {
            let engine = engine(db.clone(), &cli.collect, Metrics::default())?;
            platforms::report(&db, &engine.status(), check).await
        }
        Command::Compact => {
            let keep_raw = chrono::Duration::from_std(cli.collect.keep_raw)
                .context("REACH_KEEP_RAW is too long")?;
            let done = retention::compact(&db, Utc::now() - keep_raw, None).await?;
            println!(
                "compacted {} account-days: {} raw snapshots removed, each day keeps its last",
                done.days, done.removed
            );
            Ok(())
        }
        Command::Import(command) => {
            let (what, file) = match &command {
                ImportCommand::Accounts { file } => ("accounts", file),
                ImportCommand::Snapshots { file } => ("snapshots", file),
            };
            let input = std::fs::File::open(file)
                .with_context(|| format!("cannot open {}", file.display()))?;
            let input = std::io::BufReader::new(input);
            let report = match command {
                ImportCommand::Accounts { .. } => import::accounts(&db, input).await,
                ImportCommand::Snapshots { .. } => import::snapshots(&db, input).await,
            }?;
            println!(
                "imported {} {what} from {}; {} already there, skipped",
                report.added,
                file.display(),
                report.skipped
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Add { username }) => {
            // Not a flag: a password on the command line shows in `ps` and
            // the shell's history.
            let password = match std::env::var("REACH_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => read_password()?,
            };
            db::access::create_admin(&db, &username, &password).await?;
            println!("added the admin {username}");
            Ok(())
        }
        Command::Admin(AdminCommand::Remove { username }) => {
            if !db::access::remove_admin(&db, &username).await? {
                anyhow::bail!("there is no admin named {username}");
            }
            println!("removed the admin {username}, their sessions and API tokens");
            Ok(())
        }
        Command::Token(command) => http::auth::token_command(&db, command).await,
        Command::Backup { path } => {
            backup::backup(&db, &cli.database.url, &path).await?;
            println!("backed up to {}", path.display());
            Ok(())
        }
        Command::Restore { .. } => unreachable!("restored before the database is opened"),
    }
}

/// The first line of standard input: how scripts hand `reach admin add` a
/// password without it showing in the process list or shell history.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("password (12 characters or more, shown as you type): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// `reach export`: the same stream as the API's, to a file or standard output.
async fn export_to_file(
    db: sea_orm::DatabaseConnection,
    command: ExportCommand,
) -> anyhow::Result<()> {
    use futures::TryStreamExt;
    use std::io::Write;

    let mut out: Box<dyn Write + Send> = match &command.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let chunks = http::export::export(db, command.dataset, command.format, command.options)
        .await
        .map_err(|error| anyhow::anyhow!("{}", error.message))?;
    let mut chunks = std::pin::pin!(chunks);
    while let Some(chunk) = chunks
        .try_next()
        .await
        .map_err(|error| anyhow::anyhow!("{}", error.message))?
    {
        out.write_all(&chunk).context("cannot write the export")?;
    }
    out.flush().context("cannot write the export")?;
    Ok(())
}

/// The collection engine as configured.
pub fn engine(
    db: sea_orm::DatabaseConnection,
    config: &CollectConfig,
    metrics: Metrics,
) -> anyhow::Result<Engine> {
    let settings = PlatformSettings {
        mastodon_url: config.mastodon_url.clone(),
        bluesky_url: config.bluesky_url.clone(),
        reddit_url: config.reddit_url.clone(),
        reddit_auth_url: config.reddit_auth_url.clone(),
        reddit_client_id: config.reddit_client_id.clone(),
        reddit_client_secret: config.reddit_client_secret.clone(),
        reddit_username: config.reddit_username.clone(),
        github_url: config.github_url.clone(),
        github_token: config.github_token.clone(),
        youtube_url: config.youtube_url.clone(),
        youtube_api_key: config.youtube_api_key.clone(),
        twitch_url: config.twitch_url.clone(),
        twitch_auth_url: config.twitch_auth_url.clone(),
        twitch_client_id: config.twitch_client_id.clone(),
        twitch_client_secret: config.twitch_client_secret.clone(),
    };
    let mut budgets: HashMap<Platform, Budget> = Platform::ALL
        .into_iter()
        .map(|p| {
            let authenticated = p == Platform::Github && config.github_token.is_some();
            (p, Budget::default_for(p, authenticated))
        })
        .collect();
    budgets.extend(config.rate_limits.0.iter().copied());
    let upstream = Upstream::new(config.http_timeout, &config.user_agent, budgets)
        .context("cannot build the HTTP client")?
        .with_max_wait(config.max_rate_limit_wait)
        .with_metrics(metrics.clone());
    let webhooks = events::Webhooks::new(
        config.webhook_urls.clone(),
        config.http_timeout,
        &config.user_agent,
    )
    .context("cannot build the webhook client")?;
    Ok(Engine::new(
        db,
        Collectors::new(&settings),
        Arc::new(upstream),
        EngineSettings {
            workers: config.workers as usize,
            heartbeat: config.run_heartbeat,
            ..EngineSettings::default()
        },
    )
    .with_events(events::EventSettings {
        failing_after: config.failing_after as usize,
        webhooks,
    })
    .with_retention(config.keep_raw)
    .with_metrics(metrics))
}

/// Draws a run's progress on the terminal (nothing when stderr is not one)
/// until the engine is dropped.
fn progress_bar(
    mut progress: tokio::sync::watch::Receiver<Option<collect::engine::RunProgress>>,
) -> tokio::task::JoinHandle<()> {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} collecting [{bar:40}] {pos}/{len} accounts, {per_sec}, {elapsed}",
        )
        .expect("a valid template")
        .progress_chars("=> "),
    );
    tokio::spawn(async move {
        while progress.changed().await.is_ok() {
            if let Some(now) = *progress.borrow_and_update() {
                bar.set_length(now.total);
                bar.set_position(now.done);
            }
        }
        bar.finish_and_clear();
    })
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
