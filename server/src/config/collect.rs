//! How collection reaches the platforms: workers, timeouts, budgets,
//! credentials (held as secrets), webhooks, retention.

use std::time::Duration;

use clap::Args;

use crate::collect::engine::EngineSettings;
use crate::collect::platforms::PlatformSettings;

use super::*;

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

    /// The platforms' credentials and endpoints.
    #[command(flatten)]
    pub platforms: PlatformSettings,

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

    /// How late a running collection's batches may reach the cached lists,
    /// leaderboards, totals and the overview: at most this after they are
    /// stored, so that the popular answers are not recomputed after every
    /// batch. An account's own answers and a run's end never lag. `0s`
    /// makes every batch visible on the next read.
    #[arg(
        long = "publish-lag",
        env = "REACH_PUBLISH_LAG",
        default_value_t = EngineSettings::default().publish_every.into(),
        value_parser = parse_publish_lag,
        global = true
    )]
    pub publish_lag: humantime::Duration,

    /// This instance's name in runs, leases, `/api/instances` and
    /// `/metrics`; unique among the instances sharing a database. By
    /// default `reach-<pid>-<random>`, new at every start.
    #[arg(long = "instance-name", env = "REACH_INSTANCE", value_parser = parse_instance_name, global = true)]
    pub instance: Option<String>,

    /// The CPU priority of collection, as a `nice` value from 0 (the
    /// server's own) to 19 (the lowest): a run's work yields the processor
    /// to the dashboard's and the API's reads. Applies to `reach collect`
    /// and to the collector of `reach serve`.
    #[arg(
        long = "collect-nice",
        env = "REACH_COLLECT_NICE",
        default_value_t = crate::priority::DEFAULT_NICE,
        value_parser = clap::value_parser!(u8).range(0..=19),
        global = true
    )]
    pub nice: u8,

    /// The share of a run's time its database work (claiming accounts,
    /// storing results, the events and leaderboard marks it ends with) may
    /// take, in percent: after each chunk and batch it rests in
    /// proportion, so that at 50 its writing keeps at most half a core and
    /// the readers have the processor the rest of the time. 100
    /// never rests. Runs that wait on the platforms barely rest; runs the
    /// database keeps busy (thousands of demo accounts) take longer.
    #[arg(
        long = "collect-duty",
        env = "REACH_COLLECT_DUTY",
        default_value_t = EngineSettings::default().duty,
        value_parser = clap::value_parser!(u8).range(
            i64::from(*crate::collect::engine::DUTY_RANGE.start())
                ..=i64::from(*crate::collect::engine::DUTY_RANGE.end())
        ),
        global = true
    )]
    pub duty: u8,
}

impl CollectConfig {
    /// The configured name, or a new one.
    pub fn instance_name(&self) -> String {
        self.instance
            .clone()
            .unwrap_or_else(crate::collect::engine::instance_name)
    }
}

/// A name of 1 to 64 letters, digits, `-`, `_` or `.` (it goes in logs,
/// labels and lease owners).
pub(crate) fn parse_instance_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > 64 || !name.chars().all(allowed) {
        return Err(format!(
            "`{text}`: an instance name is 1 to 64 letters, digits, `-`, `_` or `.`"
        ));
    }
    Ok(name.to_owned())
}

pub(crate) fn parse_heartbeat(text: &str) -> Result<humantime::Duration, String> {
    let beat = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if beat < Duration::from_millis(100) || beat > Duration::from_secs(600) {
        return Err("a heartbeat is between 100ms and 10m".into());
    }
    Ok(beat.into())
}

/// From none (each batch) to a minute: longer would leave the dashboard
/// behind a long run for no further gain.
pub(crate) fn parse_publish_lag(text: &str) -> Result<humantime::Duration, String> {
    let lag = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if lag > Duration::from_secs(60) {
        return Err("a publishing lag is at most 1m".into());
    }
    Ok(lag.into())
}

/// At least a day: a shorter retention would thin today's history.
pub(crate) fn parse_keep_raw(text: &str) -> Result<Duration, String> {
    let duration = humantime::parse_duration(text).map_err(|e| format!("`{text}`: {e}"))?;
    if duration < Duration::from_secs(86_400) {
        return Err(format!(
            "`{text}`: raw snapshots are kept for a day at least"
        ));
    }
    Ok(duration)
}

/// A webhook is an http(s) URL.
pub(crate) fn parse_webhook_url(text: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(text.trim()).map_err(|e| format!("`{text}`: {e}"))?;
    match url.scheme() {
        "http" | "https" => Ok(url.to_string()),
        other => Err(format!("`{text}`: a webhook is http or https, not {other}")),
    }
}

/// Request budgets per platform, as given in `REACH_RATE_LIMITS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Budgets(pub Vec<(app::model::Platform, crate::collect::platforms::Budget)>);

pub(crate) fn parse_budgets(value: &str) -> Result<Budgets, String> {
    parse_pairs(value, "REACH_RATE_LIMITS", "github=5000/1h", |budget| {
        let (requests, period) = budget.split_once('/')?;
        let requests: u32 = requests.trim().parse().ok()?;
        let period = humantime::parse_duration(period.trim()).ok()?;
        crate::collect::platforms::Budget::new(requests, period)
    })
    .map(Budgets)
}
