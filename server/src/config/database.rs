//! Where the data lives, and the pool that reaches it.

use std::time::Duration;

use clap::Args;

#[derive(Clone, Debug, Args)]
pub struct DatabaseConfig {
    /// Where the data lives: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://user@host/database`.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        // It may hold a password: `--help` shows no value from the environment.
        hide_env_values = true,
        default_value = "sqlite://data/reach.db",
        value_parser = parse_database_url,
        global = true
    )]
    pub url: String,

    /// Largest number of pooled database connections (under `reach serve`,
    /// the requests' pool and the collector's each; the data's versions are
    /// read on two more, `cli::serve::VERSIONS_CONNECTIONS`).
    #[arg(
        long = "db-max-connections",
        env = "REACH_DB_MAX_CONNECTIONS",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=1000),
        global = true
    )]
    pub max_connections: u32,

    /// How long a request waits for a free connection (or a new one) before failing.
    #[arg(
        long = "db-acquire-timeout",
        env = "REACH_DB_ACQUIRE_TIMEOUT",
        default_value = "5s",
        value_parser = humantime::parse_duration,
        global = true
    )]
    pub acquire_timeout: Duration,
}

pub(crate) fn parse_database_url(value: &str) -> Result<String, String> {
    if value.starts_with("sqlite:")
        || value.starts_with("postgres://")
        || value.starts_with("postgresql://")
    {
        Ok(value.to_owned())
    } else {
        Err("DATABASE_URL must start with sqlite: or postgres://".to_owned())
    }
}
