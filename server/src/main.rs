//! The `reach` command. `reach --help` lists every command (`serve`, the
//! default, `seed`, `collect`, `account`, `brand`, `platforms`, `compact`,
//! `admin`, `token`, `export`, `import`, `backup`, `restore`) and every
//! setting; [`reach::cli`] carries them out.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = reach::config::Cli::parse();
    reach::telemetry::init(&cli.log, cli.log_format);
    reach::cli::run(cli).await
}
