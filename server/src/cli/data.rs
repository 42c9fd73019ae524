//! Data in and out: `reach export`, `reach import`, `reach backup` and
//! `reach restore`.

use std::path::Path;

use anyhow::Context;
use sea_orm::DatabaseConnection;

use crate::config::{DatabaseConfig, ExportCommand, ImportCommand};
use crate::{backup, database, export, import};

/// `reach import accounts|snapshots`.
pub async fn import(db: &DatabaseConnection, command: ImportCommand) -> anyhow::Result<()> {
    let (what, file) = match &command {
        ImportCommand::Accounts { file } => ("accounts", file),
        ImportCommand::Snapshots { file } => ("snapshots", file),
    };
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let input = std::io::BufReader::new(input);
    let report = match command {
        ImportCommand::Accounts { .. } => import::accounts(db, input).await,
        ImportCommand::Snapshots { .. } => import::snapshots(db, input).await,
    }?;
    database::vacuum_and_analyze(db).await?;
    println!(
        "imported {} {what} from {}; {} already there, skipped",
        report.added,
        file.display(),
        report.skipped
    );
    Ok(())
}

/// `reach backup`: a consistent copy of the database.
pub async fn backup(
    db: &DatabaseConnection,
    database: &DatabaseConfig,
    path: &Path,
) -> anyhow::Result<()> {
    backup::backup(db, &database.url, path).await?;
    println!("backed up to {}", path.display());
    Ok(())
}

/// `reach restore`: replaces the database with a backup, before anything
/// opens it.
pub async fn restore(database: &DatabaseConfig, path: &Path) -> anyhow::Result<()> {
    backup::restore(database, path).await?;
    println!(
        "restored {} from {}",
        database::redact(&database.url),
        path.display()
    );
    Ok(())
}

/// `reach export`: the same stream as the API's, to a file or standard output.
pub async fn export(db: sea_orm::DatabaseConnection, command: ExportCommand) -> anyhow::Result<()> {
    use futures::TryStreamExt;
    use std::io::Write;

    let mut out: Box<dyn Write + Send> = match &command.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout())),
    };
    let chunks = export::export(db, command.dataset, command.format, command.options)
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
