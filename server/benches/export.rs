//! Export memory: snapshots exported as CSV and JSON through the same
//! stream as `GET /api/export/snapshots.csv`, into a sink, while the
//! process's resident memory is sampled after every chunk.
//!
//! An export of 1,000,000 snapshots must hold no more than an export of
//! 100,000: this reports the resident memory before each export and its
//! peak during it, with the rows per second.
//! Run: `cargo bench -p reach --bench export` (release build, SQLite in a
//! temporary directory; seeding the million snapshots takes a minute).

use std::time::Instant;

use app::ssr::metrics::resident_bytes;
use chrono::{NaiveDate, Utc};
use futures::TryStreamExt;
use reach::config::DatabaseConfig;
use reach::export::{Dataset, ExportOptions, Format, export};

/// 1,000 accounts × 1,000 days.
const ACCOUNTS: u32 = 1_000;
const DAYS: u32 = 1_000;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = reach::database::connect(&DatabaseConfig {
        url: format!("sqlite://{}/export.db", dir.path().display()),
        max_connections: 4,
        acquire_timeout: std::time::Duration::from_secs(30),
    })
    .await?;
    let seeding = Instant::now();
    let seeded = reach::collect::demo::seed(&db, ACCOUNTS, DAYS, Utc::now()).await?;
    eprintln!(
        "seeded {} snapshots in {:.0} s",
        seeded.snapshots,
        seeding.elapsed().as_secs_f64()
    );

    println!("| rows | format (size) | rows/s | resident memory before | peak during the export |");
    println!("|---:|---|---:|---:|---:|");
    let today = Utc::now().date_naive();
    for (days, format) in [
        (100, Format::Csv),
        (DAYS, Format::Csv),
        (100, Format::Json),
        (DAYS, Format::Json),
    ] {
        let from: NaiveDate = today - chrono::Duration::days(i64::from(days) - 1);
        let options = ExportOptions {
            from: Some(from),
            to: Some(today),
            ..ExportOptions::default()
        };
        let before = resident_bytes().unwrap_or_default();
        let mut peak = before;
        let mut bytes = 0_u64;
        let started = Instant::now();
        let mut chunks = std::pin::pin!(
            export(db.clone(), Dataset::Snapshots, format, options)
                .await
                .map_err(|e| anyhow::anyhow!("{}", e.message))?
        );
        while let Some(chunk) = chunks
            .try_next()
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?
        {
            bytes += chunk.len() as u64;
            peak = peak.max(resident_bytes().unwrap_or_default());
        }
        let elapsed = started.elapsed().as_secs_f64();
        let rows = u64::from(days) * u64::from(ACCOUNTS);
        let mib = |b: u64| b as f64 / f64::from(1 << 20);
        println!(
            "| {rows} | {format:?} ({:.0} MB) | {:.0} | {:.1} MiB | {:.1} MiB |",
            bytes as f64 / 1e6,
            rows as f64 / elapsed,
            mib(before),
            mib(peak),
        );
    }
    Ok(())
}
