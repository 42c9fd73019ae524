//! Typed configuration, read once at start-up from the command line and the
//! environment (every flag has an environment variable). A bad value stops
//! Reach before it serves anything, with the flag and variable named.
//!
//! Over 500 lines: the command tree and every setting are here. Issue 19's
//! stage 4 splits it into `cli/` (commands) and `config/` (one struct per
//! concern).

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args, Parser, Subcommand};

use crate::http::serve::HttpLimits;
use secrecy::SecretString;

use crate::collect::engine::EngineSettings;
use app::ssr::cache::CacheSettings;
use app::ssr::state::AccessSettings;

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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API (the default), collecting on a schedule.
    Serve(ServeConfig),
    /// Create demo accounts with a simulated history.
    Seed(SeedConfig),
    /// Run one collection now and exit.
    Collect,
    /// List each platform: live, failing (its last error), not configured
    /// (what to set) or without a collector; its accounts, budget and how
    /// long a full pass over them takes.
    Platforms {
        /// Also make one cheap request to each configured platform, to see
        /// whether it answers with the credentials given.
        #[arg(long)]
        check: bool,
    },
    /// Add or remove tracked accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Write accounts, snapshots or a leaderboard as CSV or JSON, e.g.
    /// `reach export snapshots --id 3 --from 2026-01-01 --output history.csv`.
    Export(ExportCommand),
    /// Group accounts into brands (one creator's or company's accounts
    /// across platforms).
    #[command(subcommand)]
    Brand(BrandCommand),
    /// Compact every day older than the retention period (`--keep-raw`) now;
    /// runs do it for the days that just passed it.
    Compact,
    /// Read accounts or historical snapshots from a CSV file; all or nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage the admins, who may change what Reach tracks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage API tokens, with which programs act for an admin.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy a live SQLite database to PATH, consistently, while Reach runs.
    Backup {
        /// Where the copy goes; it must not exist yet.
        path: PathBuf,
    },
    /// Replace the SQLite database with a backup (stop Reach first).
    Restore {
        /// A file made by `reach backup`.
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin; the password is read from standard input (one line)
    /// or `REACH_ADMIN_PASSWORD`, never from the command line.
    Add { username: String },
    /// Remove an admin, their sessions and their API tokens.
    Remove { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token acting for an admin; prints its secret, once.
    Create {
        /// The admin the token acts for.
        #[arg(long)]
        admin: String,
        /// What the token is for, e.g. `grafana`.
        name: String,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token at once.
    Revoke { id: i64 },
}

#[derive(Debug, Args)]
pub struct ExportCommand {
    pub dataset: crate::export::Dataset,
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::export::Format,
    /// The file to write; standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: crate::export::ExportOptions,
}

#[derive(Debug, Subcommand)]
pub enum BrandCommand {
    /// Put accounts in a brand, created if it does not exist, e.g.
    /// `reach brand assign "Cosmic Kitchen" 3 17 42`.
    Assign {
        name: String,
        #[arg(required = true)]
        accounts: Vec<i64>,
    },
    /// Take accounts out of their brand.
    Unassign {
        #[arg(required = true)]
        accounts: Vec<i64>,
    },
    /// Delete a brand; its accounts stay, without one.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Accounts to track: a CSV with the columns platform, handle and
    /// optionally display_name, core (true/false), tags (separated by `;`)
    /// and brand (created if needed).
    Accounts { file: PathBuf },
    /// History of tracked accounts: a CSV with the columns platform, handle,
    /// captured_at (RFC 3339 or a date) and any of followers, following,
    /// posts, views, likes (empty: unknown). Marked as imported.
    Snapshots { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Track an account, e.g. `reach account add mastodon Gargron@mastodon.social --core`.
    Add(AddAccount),
    /// Stop tracking an account and delete its history.
    Remove { id: i64 },
}

#[derive(Clone, Debug, Args)]
pub struct AddAccount {
    /// One of youtube, x, instagram, tiktok, mastodon, bluesky, reddit, github, twitch.
    pub platform: app::model::Platform,
    /// The handle in the platform's form: user@instance (Mastodon),
    /// name.bsky.social (Bluesky), login (GitHub), name (Reddit, Twitch),
    /// @handle or channel id (YouTube).
    pub handle: String,
    /// Collect this account before the others.
    #[arg(long)]
    pub core: bool,
    /// Tags, repeatable: `--tag tech --tag news`.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

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

    /// Largest number of pooled database connections.
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

/// How collection reaches the platforms.
#[derive(Clone, Debug, Args)]
pub struct CollectConfig {
    /// Requests to the platforms in flight at once.
    #[arg(long, env = "REACH_WORKERS", default_value_t = EngineSettings::default().workers as u32, value_parser = clap::value_parser!(u32).range(1..=256), global = true)]
    pub workers: u32,

    /// Longest wait for one platform request.
    #[arg(long, env = "REACH_HTTP_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration, global = true)]
    pub http_timeout: Duration,

    /// The User-Agent sent to the platforms (Reddit requires a descriptive one).
    #[arg(long, env = "REACH_USER_AGENT", default_value = concat!("reach/", env!("CARGO_PKG_VERSION"), " (self-hosted social metrics tracker)"), global = true)]
    pub user_agent: String,

    /// Per-platform request budgets overriding the documented defaults, e.g.
    /// `github=5000/1h,reddit=10/1m`.
    #[arg(long, env = "REACH_RATE_LIMITS", default_value = "", value_parser = parse_budgets, global = true)]
    pub rate_limits: Budgets,

    /// A request whose platform's next free slot is further away than this
    /// is recorded as rate limited (and tried again next cycle) instead of
    /// waiting.
    #[arg(long, env = "REACH_MAX_RATE_LIMIT_WAIT", default_value = "60s", value_parser = humantime::parse_duration, global = true)]
    pub max_rate_limit_wait: Duration,

    /// GitHub token: 5,000 requests an hour instead of 60.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true, value_parser = secret, global = true)]
    pub github_token: Option<SecretString>,
    /// YouTube Data API key; YouTube accounts are "not configured" without it.
    #[arg(long, env = "YOUTUBE_API_KEY", hide_env_values = true, value_parser = secret, global = true)]
    pub youtube_api_key: Option<SecretString>,
    /// Twitch application id; Twitch accounts need it and the secret.
    #[arg(long, env = "TWITCH_CLIENT_ID", global = true)]
    pub twitch_client_id: Option<String>,
    #[arg(
        long,
        env = "TWITCH_CLIENT_SECRET",
        hide_env_values = true,
        value_parser = secret,
        global = true
    )]
    pub twitch_client_secret: Option<SecretString>,

    /// Reddit OAuth app ("script" or "web app") id: Reddit answers no
    /// anonymous request since May 2026, so Reddit accounts need it and
    /// the secret.
    #[arg(long, env = "REDDIT_CLIENT_ID", global = true)]
    pub reddit_client_id: Option<String>,
    #[arg(
        long,
        env = "REDDIT_CLIENT_SECRET",
        hide_env_values = true,
        value_parser = secret,
        global = true
    )]
    pub reddit_client_secret: Option<SecretString>,
    /// The Reddit user who registered the app, named in the User-Agent as
    /// Reddit's rules ask.
    #[arg(long, env = "REDDIT_USERNAME", global = true)]
    pub reddit_username: Option<String>,

    /// Reach every Mastodon server at this URL instead of https://{host}; a
    /// `{host}` in it is replaced by the server's host.
    #[arg(long, env = "REACH_MASTODON_URL", global = true)]
    pub mastodon_url: Option<String>,
    #[arg(
        long,
        env = "REACH_BLUESKY_URL",
        default_value = "https://public.api.bsky.app",
        global = true
    )]
    pub bluesky_url: String,
    #[arg(
        long,
        env = "REACH_REDDIT_URL",
        default_value = "https://oauth.reddit.com",
        global = true
    )]
    pub reddit_url: String,
    #[arg(
        long,
        env = "REACH_REDDIT_AUTH_URL",
        default_value = "https://www.reddit.com/api/v1/access_token",
        global = true
    )]
    pub reddit_auth_url: String,
    #[arg(
        long,
        env = "REACH_GITHUB_URL",
        default_value = "https://api.github.com",
        global = true
    )]
    pub github_url: String,
    #[arg(
        long,
        env = "REACH_YOUTUBE_URL",
        default_value = "https://www.googleapis.com/youtube/v3",
        global = true
    )]
    pub youtube_url: String,
    #[arg(
        long,
        env = "REACH_TWITCH_URL",
        default_value = "https://api.twitch.tv/helix",
        global = true
    )]
    pub twitch_url: String,
    #[arg(
        long,
        env = "REACH_TWITCH_AUTH_URL",
        default_value = "https://id.twitch.tv/oauth2/token",
        global = true
    )]
    pub twitch_auth_url: String,

    /// URLs that receive every event (milestone, unusual change, failing) as
    /// a JSON POST; comma-separated in the environment.
    #[arg(
        long = "webhook-url",
        env = "REACH_WEBHOOK_URLS",
        // Webhook URLs often carry a token.
        hide_env_values = true,
        value_delimiter = ',',
        value_parser = parse_webhook_url,
        global = true
    )]
    pub webhook_urls: Vec<String>,

    /// How long raw snapshots are kept; after it, each day keeps its last
    /// snapshot and a rollup of its first, last, lowest and highest values.
    #[arg(
        long,
        env = "REACH_KEEP_RAW",
        default_value = "90days",
        value_parser = parse_keep_raw,
        global = true
    )]
    pub keep_raw: Duration,

    /// Failed collections in a row that make an account `failing` (an event).
    #[arg(
        long,
        env = "REACH_FAILING_AFTER",
        default_value_t = 3,
        value_parser = clap::value_parser!(u32).range(1..=100),
        global = true
    )]
    pub failing_after: u32,

    /// How often a running collection records that it is alive; one silent
    /// for four of these is taken for dead (its process was killed), marked
    /// interrupted and its accounts given back. The same on every instance.
    #[arg(
        long,
        env = "REACH_RUN_HEARTBEAT",
        default_value_t = EngineSettings::default().heartbeat.into(),
        value_parser = parse_heartbeat,
        global = true
    )]
    pub run_heartbeat: humantime::Duration,
}

/// A credential: held as a `SecretString`, so that no `Debug` of the
/// settings (a log line, a panic) ever shows it.
fn secret(text: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(text))
}

fn parse_heartbeat(text: &str) -> Result<humantime::Duration, String> {
    let beat = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if beat < Duration::from_millis(100) || beat > Duration::from_secs(600) {
        return Err("a heartbeat is between 100ms and 10m".into());
    }
    Ok(beat.into())
}

/// At least a day: a shorter retention would thin today's history.
fn parse_keep_raw(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| format!("`{text}`: {e}"))?;
    if duration < Duration::from_secs(86_400) {
        return Err(format!(
            "`{text}`: raw snapshots are kept for a day at least"
        ));
    }
    Ok(duration)
}

/// A webhook is an http(s) URL.
fn parse_webhook_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("`{text}`: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url.to_string()),
        other => Err(format!("`{text}`: a webhook is http or https, not {other}")),
    }
}

/// The read cache.
#[derive(Clone, Debug, Args)]
pub struct CacheConfig {
    /// Redis shared by every instance, e.g. `redis://127.0.0.1:6379/0`;
    /// without it the cache is in process. Reach runs on whether Redis is up
    /// or not.
    #[arg(long, env = "REDIS_URL", hide_env_values = true, global = true)]
    pub redis_url: Option<String>,

    /// The longest a request waits for Redis before going without it.
    #[arg(long, env = "REACH_REDIS_TIMEOUT", default_value_t = CacheSettings::DEFAULT.redis_timeout.into(), global = true)]
    pub redis_timeout: humantime::Duration,

    /// How long cached answers live, per kind, e.g. `history=30m,overview=1m`
    /// (defaults: 5 to 15 minutes). Writes invalidate at once regardless.
    #[arg(long, env = "REACH_CACHE_TTLS", default_value = "", value_parser = parse_ttls, global = true)]
    pub cache_ttls: Ttls,

    /// Most memory, in MiB, each instance gives to cached answers.
    #[arg(long, env = "REACH_CACHE_MEMORY_MIB", default_value_t = CacheSettings::DEFAULT.capacity_bytes >> 20, value_parser = clap::value_parser!(u64).range(1..=65_536), global = true)]
    pub cache_memory_mib: u64,

    /// Read everything from the database (to measure, or to rule the cache out).
    #[arg(long, env = "REACH_NO_CACHE", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new(), global = true)]
    pub no_cache: bool,
}

impl CacheConfig {
    pub fn settings(&self) -> app::ssr::cache::CacheSettings {
        app::ssr::cache::CacheSettings {
            redis_url: self.redis_url.clone(),
            redis_timeout: self.redis_timeout.into(),
            ttls: self.cache_ttls.0.clone(),
            capacity_bytes: self.cache_memory_mib << 20,
            disabled: self.no_cache,
        }
    }
}

/// Cache lifetimes per kind, as given in `REACH_CACHE_TTLS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Ttls(pub Vec<(app::ssr::cache::Kind, Duration)>);

fn parse_ttls(value: &str) -> Result<Ttls, String> {
    parse_pairs(value, "REACH_CACHE_TTLS", "history=30m", |ttl| {
        humantime::parse_duration(ttl.trim()).ok()
    })
    .map(Ttls)
}

/// Request budgets per platform, as given in `REACH_RATE_LIMITS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets(pub Vec<(app::model::Platform, crate::collect::platforms::Budget)>);

fn parse_budgets(value: &str) -> Result<Budgets, String> {
    parse_pairs(value, "REACH_RATE_LIMITS", "github=5000/1h", |budget| {
        let (requests, period) = budget.split_once('/')?;
        let requests: u32 = requests.trim().parse().ok()?;
        let period = humantime::parse_duration(period.trim()).ok()?;
        crate::collect::platforms::Budget::new(requests, period)
    })
    .map(Budgets)
}

/// Collection intervals per platform, as given in `REACH_PLATFORM_INTERVALS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Intervals(pub Vec<(app::model::Platform, Duration)>);

fn parse_intervals(value: &str) -> Result<Intervals, String> {
    parse_pairs(value, "REACH_PLATFORM_INTERVALS", "github=6h", |interval| {
        humantime::parse_duration(interval.trim())
            .ok()
            .filter(|interval| *interval >= MIN_INTERVAL)
    })
    .map(Intervals)
}

/// A comma-separated list of `name=value`, e.g. `github=6h, reddit=2h`.
fn parse_pairs<K, T>(
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

#[derive(Clone, Debug, Args)]
pub struct ServeConfig {
    /// Time between scheduled collections, e.g. `1h` or `15m`.
    #[arg(
        long,
        env = "REACH_COLLECT_INTERVAL",
        default_value = "1h",
        value_parser = parse_interval
    )]
    pub collect_interval: Duration,

    /// Platforms collected at an interval of their own, e.g.
    /// `github=6h,bluesky=15m` (each at least 10s).
    #[arg(long, env = "REACH_PLATFORM_INTERVALS", default_value = "", value_parser = parse_intervals)]
    pub platform_intervals: Intervals,

    /// Serve without collecting on a schedule (runs asked for from the
    /// dashboard or the API still happen).
    #[arg(long, env = "REACH_NO_COLLECT", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub no_collect: bool,

    /// When the database has no accounts, create the demo data set first.
    #[arg(long, env = "REACH_DEMO", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub demo: bool,

    /// The Leptos runtime settings (site root, address…); `LEPTOS_*`
    /// variables override what it says.
    #[arg(long, env = "REACH_LEPTOS_CONFIG", default_value = "Leptos.toml")]
    pub leptos_config: PathBuf,

    #[command(flatten)]
    pub access: AccessConfig,

    #[command(flatten)]
    pub http: HttpConfig,
}

/// How long clients may take to send a request (see SECURITY.md).
#[derive(Clone, Debug, Args)]
pub struct HttpConfig {
    /// The time a client has to send a request's line and headers; a
    /// connection still sending them then is closed. Also how long an idle
    /// kept-alive connection stays open.
    #[arg(long, env = "REACH_HEADER_TIMEOUT", default_value_t = HttpLimits::DEFAULT.header_read_timeout.into(), value_parser = parse_client_timeout)]
    pub header_timeout: humantime::Duration,

    /// The time a request has from its headers to its answer, its body's
    /// upload included; a late one is answered 408.
    #[arg(long, env = "REACH_REQUEST_TIMEOUT", default_value_t = HttpLimits::DEFAULT.request_timeout.into(), value_parser = parse_client_timeout)]
    pub request_timeout: humantime::Duration,
}

impl HttpConfig {
    pub fn limits(&self) -> HttpLimits {
        HttpLimits {
            header_read_timeout: self.header_timeout.into(),
            request_timeout: self.request_timeout.into(),
        }
    }
}

fn parse_client_timeout(text: &str) -> Result<humantime::Duration, String> {
    let timeout = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if timeout < Duration::from_secs(1) || timeout > Duration::from_secs(3600) {
        return Err("a client timeout is between 1s and 1h".into());
    }
    Ok(timeout.into())
}

/// Who may do what, and how often (see SECURITY.md).
#[derive(Clone, Debug, Args)]
pub struct AccessConfig {
    /// Whether anyone may read the dashboard and the API (`false`: only
    /// signed-in admins and API tokens). Writes always need an admin.
    #[arg(long, env = "REACH_PUBLIC_READ", default_value_t = AccessSettings::DEFAULT.public_read, action = ArgAction::Set, value_parser = BoolishValueParser::new())]
    pub public_read: bool,

    /// How long a sign-in lasts, e.g. `7d` or `12h`.
    #[arg(long, env = "REACH_SESSION_TTL", default_value_t = default_session_ttl(), value_parser = parse_session_ttl)]
    pub session_ttl: humantime::Duration,

    /// When the session cookie is `Secure`: `auto` (when a proxy says the
    /// request came over HTTPS, `X-Forwarded-Proto: https`), `always` or `never`.
    #[arg(long, env = "REACH_SECURE_COOKIES", default_value = "auto", value_parser = parse_cookie_security)]
    pub secure_cookies: app::ssr::state::CookieSecurity,

    /// Take the client's address from `X-Forwarded-For` (set only behind
    /// a proxy that sets it), for rate limits and logs.
    #[arg(long, env = "REACH_TRUST_PROXY", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub trust_proxy: bool,

    /// Sign-in attempts allowed per client address and minute (0: no limit).
    #[arg(long, env = "REACH_LOGIN_RATE_LIMIT", default_value_t = AccessSettings::DEFAULT.login_per_minute)]
    pub login_rate_limit: u32,

    /// API requests allowed per client address and second, with bursts of
    /// twice as many (0: no limit).
    #[arg(long, env = "REACH_API_RATE_LIMIT", default_value_t = AccessSettings::DEFAULT.api_per_second)]
    pub api_rate_limit: u32,
}

fn parse_cookie_security(text: &str) -> Result<app::ssr::state::CookieSecurity, String> {
    use app::ssr::state::CookieSecurity;
    match text {
        "auto" => Ok(CookieSecurity::Auto),
        "always" => Ok(CookieSecurity::Always),
        "never" => Ok(CookieSecurity::Never),
        _ => Err("auto, always or never".into()),
    }
}

impl AccessConfig {
    pub fn settings(&self) -> app::ssr::state::AccessSettings {
        app::ssr::state::AccessSettings {
            public_read: self.public_read,
            session_ttl: chrono::Duration::from_std(self.session_ttl.into())
                .expect("parse_session_ttl bounds it"),
            secure_cookies: self.secure_cookies,
            trust_proxy: self.trust_proxy,
            login_per_minute: self.login_rate_limit,
            api_per_second: self.api_rate_limit,
        }
    }
}

fn parse_session_ttl(text: &str) -> Result<humantime::Duration, String> {
    let ttl = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if ttl < Duration::from_secs(60) || ttl > Duration::from_secs(366 * 86_400) {
        return Err("a session lasts between 1m and 366d".into());
    }
    Ok(ttl.into())
}

fn default_session_ttl() -> humantime::Duration {
    AccessSettings::DEFAULT
        .session_ttl
        .to_std()
        .expect("a positive default")
        .into()
}

#[derive(Clone, Debug, Args)]
pub struct SeedConfig {
    /// How many demo accounts to create.
    #[arg(long, env = "REACH_SEED_ACCOUNTS", default_value_t = SeedConfig::DEFAULT.accounts, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub accounts: u32,

    /// Days of daily history for each demo account.
    #[arg(long, env = "REACH_SEED_DAYS", default_value_t = SeedConfig::DEFAULT.days, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
}

impl SeedConfig {
    /// The demo data set: 60 accounts with a year of history.
    pub const DEFAULT: SeedConfig = SeedConfig {
        accounts: 60,
        days: 365,
    };
}

fn parse_database_url(value: &str) -> Result<String, String> {
    if value.starts_with("sqlite:")
        || value.starts_with("postgres://")
        || value.starts_with("postgresql://")
    {
        Ok(value.to_owned())
    } else {
        Err("DATABASE_URL must start with sqlite: or postgres://".to_owned())
    }
}

/// The shortest collection interval: collecting more often only spends
/// rate limits.
const MIN_INTERVAL: Duration = Duration::from_secs(10);

fn parse_interval(value: &str) -> Result<Duration, String> {
    let interval = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if interval < MIN_INTERVAL {
        return Err("REACH_COLLECT_INTERVAL must be at least 10s".to_owned());
    }
    Ok(interval)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
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
        ])
        .unwrap();
        let shown = format!("{cli:?}");
        for secret in ["ghp_secret1", "yt_secret2", "tw_secret3", "rd_secret4"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        use secrecy::ExposeSecret;
        let token = cli.collect.github_token.as_ref().unwrap();
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
}
