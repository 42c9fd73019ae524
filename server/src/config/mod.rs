//! Typed configuration, read once at start-up from the command line and the
//! environment (every flag has an environment variable). A bad value stops
//! Reach before it serves anything, with the flag and variable named.
//!
//! One module per concern: [`commands`] (the command tree), [`database`],
//! [`collect`], [`cache`], [`digests`] and [`serve`]. Each default is written once, in
//! the settings struct it configures (`AccessSettings::DEFAULT`,
//! `CacheSettings::DEFAULT`, `EngineSettings::default()`, `HttpLimits::DEFAULT`,
//! `SeedConfig::DEFAULT`), and the flags take it from there.

mod cache;
mod collect;
mod commands;
mod database;
mod digests;
mod serve;

pub use cache::*;
pub use collect::*;
pub use commands::*;
pub use database::*;
pub use digests::*;
pub use serve::*;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "reach",
    version,
    about = "Reach: a self-hosted tracker of public social-media account metrics"
)]
pub struct Cli {
    #[command(flatten)]
    pub database: DatabaseConfig,

    #[command(flatten)]
    pub collect: CollectConfig,

    #[command(flatten)]
    pub cache: CacheConfig,

    #[command(flatten)]
    pub digests: DigestConfig,

    /// Log filter, e.g. `info` or `reach=debug,sqlx=warn`.
    #[arg(
        long,
        env = "RUST_LOG",
        default_value = "info,sqlx=warn,sea_orm=warn",
        global = true
    )]
    pub log: String,

    /// Log lines as `text` for people or `json` (one object per line) for
    /// log collectors.
    #[arg(
        long,
        env = "REACH_LOG_FORMAT",
        value_enum,
        default_value_t,
        global = true
    )]
    pub log_format: crate::telemetry::LogFormat,

    /// The settings of `serve` when no command is given (as under `cargo leptos watch`).
    #[command(flatten)]
    pub serve: ServeConfig,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// A comma-separated list of `name=value`, e.g. `github=6h, reddit=2h`.
pub(crate) fn parse_pairs<K, T>(
    value: &str,
    variable: &str,
    example: &str,
    parse_value: impl Fn(&str) -> Option<T>,
) -> Result<Vec<(K, T)>, String>
where
    K: std::str::FromStr,
    K::Err: std::fmt::Display,
{
    value
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let bad = || format!("{variable}: `{part}` is not in the form {example}");
            let (name, setting) = part.split_once('=').ok_or_else(bad)?;
            let name = name
                .trim()
                .parse()
                .map_err(|e| format!("{variable}: {e}"))?;
            let setting = parse_value(setting).ok_or_else(bad)?;
            Ok((name, setting))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn an_instance_is_named_once_and_plainly() {
        let named = Cli::try_parse_from(["reach", "--instance-name", "reach-1"]).unwrap();
        assert_eq!(named.collect.instance_name(), "reach-1");
        for bad in ["", "two words", "a#1", &"x".repeat(65)] {
            assert!(
                Cli::try_parse_from(["reach", "--instance-name", bad]).is_err(),
                "{bad:?}"
            );
        }
        // Unnamed: a new name per process start, unlike any other's.
        let unnamed = Cli::try_parse_from(["reach"]).unwrap();
        assert!(unnamed.collect.instance_name().starts_with("reach-"));
        assert_ne!(
            unnamed.collect.instance_name(),
            unnamed.collect.instance_name()
        );
    }

    #[test]
    fn the_settings_never_print_a_credential() {
        let cli = Cli::try_parse_from([
            "reach",
            "--github-token",
            "ghp_secret1",
            "--youtube-api-key",
            "yt_secret2",
            "--twitch-client-secret",
            "tw_secret3",
            "--reddit-client-secret",
            "rd_secret4",
            "--x-bearer-token",
            "x_secret5",
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        for secret in [
            "ghp_secret1",
            "yt_secret2",
            "tw_secret3",
            "rd_secret4",
            "x_secret5",
        ] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        use secrecy::ExposeSecret;
        let token = cli.collect.platforms.github_token.as_ref().unwrap();
        assert_eq!(token.expose_secret(), "ghp_secret1");
    }

    #[test]
    fn defaults_run_the_embedded_database() {
        let cli = Cli::try_parse_from(["reach"]).unwrap();
        assert!(cli.database.url.starts_with("sqlite:"));
        assert!(cli.command.is_none());
    }

    #[test]
    fn serve_settings_apply_without_the_subcommand() {
        let bare = Cli::try_parse_from(["reach", "--demo", "--collect-interval", "15m"]).unwrap();
        assert!(bare.serve.demo);
        assert_eq!(bare.serve.collect_interval, Duration::from_secs(900));
        let explicit = Cli::try_parse_from(["reach", "serve", "--no-collect"]).unwrap();
        assert!(matches!(explicit.command, Some(Command::Serve(s)) if s.no_collect));
        // Global settings go before or after the command.
        let before = Cli::try_parse_from([
            "reach",
            "--database-url",
            "sqlite://x.db",
            "--workers",
            "3",
            "collect",
        ])
        .unwrap();
        let after = Cli::try_parse_from([
            "reach",
            "collect",
            "--database-url",
            "sqlite://x.db",
            "--workers",
            "3",
        ])
        .unwrap();
        assert_eq!(
            (before.database.url, before.collect.workers),
            (after.database.url, after.collect.workers)
        );
    }

    #[test]
    fn bad_values_are_refused_with_their_name() {
        let error = Cli::try_parse_from(["reach", "--database-url", "mysql://x"]).unwrap_err();
        assert!(error.to_string().contains("DATABASE_URL"), "{error}");
        let error =
            Cli::try_parse_from(["reach", "serve", "--collect-interval", "1s"]).unwrap_err();
        assert!(
            error.to_string().contains("REACH_COLLECT_INTERVAL"),
            "{error}"
        );
        assert!(Cli::try_parse_from(["reach", "--db-max-connections", "0"]).is_err());
        let error = Cli::try_parse_from(["reach", "--rate-limits", "github=lots"]).unwrap_err();
        assert!(error.to_string().contains("REACH_RATE_LIMITS"), "{error}");
    }

    #[test]
    fn the_publishing_lag_is_none_to_a_minute() {
        let lag = |text: &str| {
            Cli::try_parse_from(["reach", "--publish-lag", text])
                .map(|cli| Duration::from(cli.collect.publish_lag))
        };
        assert_eq!(lag("0s").unwrap(), Duration::ZERO);
        assert_eq!(lag("1m").unwrap(), Duration::from_secs(60));
        let error = lag("61s").unwrap_err();
        assert!(error.to_string().contains("at most 1m"), "{error}");
        let default = Cli::try_parse_from(["reach"]).unwrap().collect.publish_lag;
        assert_eq!(Duration::from(default), Duration::from_secs(5));
    }

    #[test]
    fn rate_limits_parse() {
        let budgets = parse_budgets("github=5000/1h, reddit=10/1m").unwrap();
        assert_eq!(budgets.0.len(), 2);
        assert_eq!(budgets.0[0].0, app::model::Platform::Github);
        assert_eq!(budgets.0[1].1.period, Duration::from_secs(60));
        assert!(parse_budgets("myspace=1/1s").is_err());
        assert!(parse_budgets("").unwrap().0.is_empty());
    }

    #[test]
    fn cache_settings_parse() {
        let cli = Cli::try_parse_from([
            "reach",
            "--redis-url",
            "redis://127.0.0.1:6379/0",
            "--cache-ttls",
            "history=30m, overview=1m",
        ])
        .unwrap();
        let settings = cli.cache.settings();
        assert_eq!(
            settings.redis_url.as_deref(),
            Some("redis://127.0.0.1:6379/0")
        );
        assert_eq!(
            settings.ttls,
            vec![
                (app::ssr::cache::Kind::History, Duration::from_secs(1800)),
                (app::ssr::cache::Kind::Overview, Duration::from_secs(60)),
            ]
        );
        let error = parse_ttls("everything=1h").unwrap_err();
        assert!(error.contains("REACH_CACHE_TTLS"), "{error}");
    }

    #[test]
    fn platform_intervals_parse() {
        let intervals = parse_intervals("github=6h, bluesky=15m").unwrap();
        assert_eq!(
            intervals.0,
            vec![
                (app::model::Platform::Github, Duration::from_secs(6 * 3600)),
                (app::model::Platform::Bluesky, Duration::from_secs(900)),
            ]
        );
        let error = parse_intervals("github=1s").unwrap_err();
        assert!(error.contains("REACH_PLATFORM_INTERVALS"), "{error}");
        assert!(parse_intervals("github").is_err());
    }

    #[test]
    fn card_settings_take_only_what_a_header_may_hold() {
        assert_eq!(
            parse_frame_ancestors("https://blog.example, https://*.example.org 'self'").unwrap(),
            "https://blog.example https://*.example.org 'self'"
        );
        assert_eq!(parse_frame_ancestors("*").unwrap(), "*");
        for bad in [
            "",
            "blog.example",
            "https://a; script-src *",
            "'none' x",
            "javascript:1",
        ] {
            assert!(parse_frame_ancestors(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_public_url("https://reach.example/").unwrap(),
            "https://reach.example"
        );
        assert_eq!(
            parse_public_url("http://10.0.0.2:3000/reach").unwrap(),
            "http://10.0.0.2:3000/reach"
        );
        for bad in ["reach.example", "https://", "https://a b", "https://a\"><x"] {
            assert!(parse_public_url(bad).is_err(), "{bad:?}");
        }
    }
}
