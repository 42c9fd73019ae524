//! The `reach` command: `reach serve` (the default), `seed`, `collect`, `account`, `export`, `import`.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = reach::config::Cli::parse();
    reach::telemetry::init(&cli.log, cli.log_format);
    reach::run(cli).await
}
