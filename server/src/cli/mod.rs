//! The command line: [`run`] carries out one `reach` command, one file per
//! command group. The command tree and every setting are in
//! [`crate::config`].

mod access;
mod accounts;
mod collect;
mod data;
mod digests;
mod serve;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use app::model::Platform;
use app::ssr::metrics::Metrics;

use crate::collect::engine::{Engine, EngineSettings};
use crate::collect::platforms::{Budget, Collectors, SharedBudgets, Upstream};
use crate::config::{CacheConfig, Cli, CollectConfig, Command};
use crate::{database, events, platforms};

/// Carries out one command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Before anything opens the database it replaces.
    if let Some(Command::Restore { path }) = &cli.command {
        return data::restore(&cli.database, path).await;
    }
    let db = database::connect(&cli.database).await?;
    let public_url = cli
        .serve
        .sharing
        .settings()
        .public_url
        .as_deref()
        .map(str::to_owned);
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(serve) => {
            serve::run(
                db,
                serve,
                &cli.cache,
                &cli.collect,
                &cli.database,
                &cli.digests,
            )
            .await
        }
        Command::Seed(seed) => collect::seed(&db, seed).await,
        Command::Collect => collect::run(db, &cli.collect, &cli.cache).await,
        Command::Compact => collect::compact(&db, &cli.collect).await,
        Command::Account(command) => accounts::account(&db, command).await,
        Command::Brand(command) => accounts::brand(&db, command).await,
        Command::Platforms { check } => {
            let engine = engine(
                db.clone(),
                &cli.collect,
                &cli.cache,
                cli.collect.instance_name(),
                Metrics::default(),
            )?;
            platforms::report(&db, &engine.status(), check).await
        }
        Command::Admin(command) => access::admin(&db, command).await,
        Command::Token(command) => access::token(&db, command).await,
        Command::Digest(command) => {
            let sender = crate::digests::Sender::new(
                db.clone(),
                crate::digests::SenderSetup {
                    config: &cli.digests,
                    user_agent: &cli.collect.user_agent,
                    timeout: cli.collect.http_timeout,
                    instance: cli.collect.instance_name(),
                    public_url: public_url.clone(),
                },
            )?;
            digests::digest(&db, command, sender).await
        }
        Command::Export(command) => data::export(db, command).await,
        Command::Import(command) => data::import(&db, command).await,
        Command::Backup { path } => data::backup(&db, &cli.database, &path).await,
        Command::Restore { .. } => unreachable!("restored before the database is opened"),
    }
}

/// The collection engine as configured.
pub fn engine(
    db: sea_orm::DatabaseConnection,
    config: &CollectConfig,
    cache: &CacheConfig,
    instance: String,
    metrics: Metrics,
) -> anyhow::Result<Engine> {
    let mut budgets: HashMap<Platform, Budget> = Platform::ALL
        .into_iter()
        .map(|p| {
            let authenticated = match p {
                Platform::Github => config.platforms.github_token.is_some(),
                Platform::Stackexchange => config.platforms.stackexchange_key.is_some(),
                _ => false,
            };
            (p, Budget::default_for(p, authenticated))
        })
        .collect();
    budgets.extend(config.rate_limits.0.iter().copied());
    let mut upstream = Upstream::new(config.http_timeout, &config.user_agent, budgets)
        .context("cannot build the HTTP client")?
        .with_max_wait(config.max_rate_limit_wait)
        .with_metrics(metrics.clone());
    // The Redis of the read cache also holds the budgets every instance shares.
    if let Some(url) = &cache.redis_url {
        let shared = SharedBudgets::connect(url, cache.redis_timeout.into())
            .context("cannot set up the shared budgets in Redis")?;
        upstream = upstream.with_shared_budgets(shared);
    }
    let webhooks = events::Webhooks::new(
        config.webhook_urls.clone(),
        config.http_timeout,
        &config.user_agent,
    )
    .context("cannot build the webhook client")?
    .map(|webhooks| webhooks.with_instance(&instance));
    let engine = Engine::new(
        db,
        Collectors::new(&config.platforms),
        Arc::new(upstream),
        EngineSettings {
            workers: config.workers as usize,
            heartbeat: config.run_heartbeat.into(),
            publish_every: config.publish_lag.into(),
            duty: config.duty,
            instance,
            ..EngineSettings::default()
        },
    )
    .with_events(events::EventSettings {
        failing_after: config.failing_after as usize,
        webhooks,
    })
    .with_retention(config.keep_raw)
    .with_metrics(metrics);
    // The same Redis tells every instance's live updates when a run writes.
    Ok(match &cache.redis_url {
        Some(url) => engine.with_announcer(
            crate::live::Announcer::connect(url, cache.redis_timeout.into())
                .context("cannot set up live updates' announcements in Redis")?,
        ),
        None => engine,
    })
}
