//! The `reach` command. `reach --help` lists every command (`serve`, the
//! default, `seed`, `collect`, `account`, `brand`, `platforms`, `compact`,
//! `admin`, `token`, `export`, `import`, `backup`, `restore`) and every
//! setting; [`reach::cli`] carries them out.

use clap::Parser;
use reach::config::Command;

/// mimalloc rather than glibc's allocator: under the benchmark's load while
/// runs write, glibc's malloc, free and their consolidation of free chunks
/// were a fifth of the server's CPU, spread over every request
/// (bench/RESULTS.md, 2026-12-03, afternoon).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = reach::config::Cli::parse();
    // `reach collect` is background work through and through: lowered here,
    // before the runtime starts its threads, every one of them inherits it.
    let lowered = matches!(cli.command, Some(Command::Collect))
        .then(|| reach::priority::lower_this_thread(cli.collect.nice));
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            reach::telemetry::init(&cli.log, cli.log_format);
            if let Some(Err(error)) = lowered {
                tracing::warn!(%error, "cannot lower the collection's CPU priority");
            }
            reach::cli::run(cli).await
        })
}
