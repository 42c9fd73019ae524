//! `reach collect` (one run now, with a progress bar), `reach seed` (the
//! demo data set) and `reach compact` (old raw history to one snapshot a
//! day).

use anyhow::Context;
use chrono::Utc;
use db::generations::Writer;
use sea_orm::DatabaseConnection;

use crate::config::{CacheConfig, CollectConfig, SeedConfig};
use crate::{collect, retention};
use app::ssr::metrics::Metrics;

/// `reach collect`: one run now.
pub async fn run(
    db: DatabaseConnection,
    config: &CollectConfig,
    cache: &CacheConfig,
) -> anyhow::Result<()> {
    let engine = super::engine(
        db,
        config,
        cache,
        config.instance_name(),
        Metrics::default(),
    )?;
    // The first requests count in the shared windows, if there are any.
    engine
        .upstream()
        .budgets_ready(std::time::Duration::from_secs(2))
        .await;
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

/// `reach seed`: the demo data set.
pub async fn seed(db: &DatabaseConnection, seed: SeedConfig) -> anyhow::Result<()> {
    let report = collect::demo::seed(db, seed.accounts, seed.days, Utc::now()).await?;
    crate::database::vacuum_and_analyze(db).await?;
    println!(
        "seeded {} accounts: {} new snapshots, {} new runs",
        report.accounts, report.snapshots, report.runs
    );
    Ok(())
}

/// `reach compact`: raw history older than `REACH_KEEP_RAW` to one
/// snapshot a day.
pub async fn compact(db: &DatabaseConnection, config: &CollectConfig) -> anyhow::Result<()> {
    let keep_raw =
        chrono::Duration::from_std(config.keep_raw).context("REACH_KEEP_RAW is too long")?;
    let done = retention::compact(db, Utc::now() - keep_raw, None, Writer::Other).await?;
    println!(
        "compacted {} account-days: {} raw snapshots removed, each day keeps its last",
        done.days, done.removed
    );
    Ok(())
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
