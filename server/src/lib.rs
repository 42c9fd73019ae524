//! The Reach server as a library: `main` and the integration tests build the
//! application the same way, through [`startup`].

pub mod collect;
pub mod config;
pub mod database;
pub mod schedule;
pub mod startup;
pub mod telemetry;

use anyhow::Context;
use chrono::Utc;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::config::{Cli, Command, SeedConfig};

/// Carries out one command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let db = database::connect(&cli.database).await?;
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(serve) => {
            if serve.demo {
                seed_if_empty(&db).await?;
            }
            let options = startup::leptos_options(&serve.leptos_config)?;
            let app = startup::Application::build(db.clone(), options).await?;
            tracing::info!(
                address = %app.local_addr(),
                database = %database::redact(&cli.database.url),
                "Reach is listening on http://{}",
                app.local_addr()
            );
            let scheduler = (!serve.no_collect)
                .then(|| tokio::spawn(schedule::collect_periodically(db, serve.collect_interval)));
            app.run_until_stopped(startup::shutdown_signal()).await?;
            if let Some(scheduler) = scheduler {
                scheduler.abort();
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
            let run = collect::run_once(&db).await?;
            println!(
                "run {}: {} ok, {} failed in {} ms",
                run.id,
                run.accounts_ok,
                run.accounts_failed,
                run.duration_ms.unwrap_or_default()
            );
            Ok(())
        }
    }
}

/// `reach serve --demo` on an empty database creates the demo data set.
async fn seed_if_empty(db: &sea_orm::DatabaseConnection) -> anyhow::Result<()> {
    let accounts = app::db::entities::account::Entity::find()
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
