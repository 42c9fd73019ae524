//! `reach serve`: the schedule, the site, who may do what and how long
//! clients may take.

use std::path::PathBuf;
use std::time::Duration;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};

use crate::http::serve::HttpLimits;

use app::ssr::state::{AccessSettings, SharingSettings};

use super::*;

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

    /// The shortest time between two collections of an account while an
    /// admin watches its live count (the account page's "Live count"), at
    /// least 10s. Each is a request within the platform's budget.
    #[arg(
        long,
        env = "REACH_WATCH_EVERY",
        default_value_t = app::ssr::state::CollectTrigger::DEFAULT_WATCH_EVERY.into(),
        value_parser = parse_watch_every
    )]
    pub watch_every: humantime::Duration,

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

    #[command(flatten)]
    pub sharing: SharingConfig,
}

/// The shortest collection interval: collecting more often only spends
/// rate limits.
pub(crate) const MIN_INTERVAL: Duration = Duration::from_secs(10);

pub(crate) fn parse_interval(value: &str) -> Result<Duration, String> {
    let interval = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if interval < MIN_INTERVAL {
        return Err("REACH_COLLECT_INTERVAL must be at least 10s".to_owned());
    }
    Ok(interval)
}

pub(crate) fn parse_watch_every(value: &str) -> Result<humantime::Duration, String> {
    let every = humantime::parse_duration(value).map_err(|e| e.to_string())?;
    if every < MIN_INTERVAL {
        return Err("REACH_WATCH_EVERY must be at least 10s".to_owned());
    }
    Ok(every.into())
}

/// Collection intervals per platform, as given in `REACH_PLATFORM_INTERVALS`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Intervals(pub Vec<(app::model::Platform, Duration)>);

pub(crate) fn parse_intervals(value: &str) -> Result<Intervals, String> {
    parse_pairs(value, "REACH_PLATFORM_INTERVALS", "github=6h", |interval| {
        humantime::parse_duration(interval.trim())
            .ok()
            .filter(|interval| *interval >= MIN_INTERVAL)
    })
    .map(Intervals)
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

pub(crate) fn parse_client_timeout(text: &str) -> Result<humantime::Duration, String> {
    let timeout = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if timeout < Duration::from_secs(1) || timeout > Duration::from_secs(3600) {
        return Err("a client timeout is between 1s and 1h".into());
    }
    Ok(timeout.into())
}

/// What Reach gives to other programs beside its API.
#[derive(Clone, Debug, Args)]
pub struct SharingConfig {
    /// The most accounts `/metrics/accounts` exports for Prometheus, core
    /// accounts first (0: the endpoint is off). Each is a handful of series
    /// in the scraper's database.
    #[arg(long, env = "REACH_ACCOUNT_METRICS_LIMIT", default_value_t = SharingSettings::DEFAULT.account_metrics_limit)]
    pub account_metrics_limit: u32,

    /// Where people reach this server, e.g. `https://reach.example`: share
    /// cards give link previews absolute addresses from it (unset: the
    /// address each request was sent to).
    #[arg(long, env = "REACH_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Who may show share cards in a frame: origins such as
    /// `https://blog.example`, `https://*.example.org`, or `*` (unset: no
    /// one), separated by spaces or commas.
    #[arg(long, env = "REACH_CARD_FRAME_ANCESTORS", value_parser = parse_frame_ancestors)]
    pub card_frame_ancestors: Option<String>,
}

impl SharingConfig {
    pub fn settings(&self) -> SharingSettings {
        SharingSettings {
            account_metrics_limit: self.account_metrics_limit,
            public_url: self.public_url.as_deref().map(Into::into),
            card_frame_ancestors: self.card_frame_ancestors.as_deref().map(Into::into),
        }
    }
}

/// An `http(s)://host[:port][/path]` address, without its trailing `/`.
pub(crate) fn parse_public_url(value: &str) -> Result<String, String> {
    let value = value.trim().trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or("REACH_PUBLIC_URL starts with https:// or http://")?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "-._~:/[]%".contains(c);
    if rest.is_empty() || rest.starts_with('/') || !rest.chars().all(allowed) {
        return Err("REACH_PUBLIC_URL is an address such as https://reach.example".to_owned());
    }
    Ok(value.to_owned())
}

/// CSP `frame-ancestors` sources, space-separated: each `*`, `'self'`, or
/// an origin (`https://host[:port]`, the host possibly `*.`-prefixed).
/// Nothing else gets into the header.
pub(crate) fn parse_frame_ancestors(value: &str) -> Result<String, String> {
    let sources: Vec<&str> = value.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    if sources.is_empty() {
        return Err("REACH_CARD_FRAME_ANCESTORS names at least one origin".to_owned());
    }
    for source in &sources {
        let origin = |s: &str| {
            let rest = s
                .strip_prefix("https://")
                .or_else(|| s.strip_prefix("http://"));
            rest.is_some_and(|rest| {
                let host = rest.strip_prefix("*.").unwrap_or(rest);
                !host.is_empty()
                    && host
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
            })
        };
        if !(*source == "*" || *source == "'self'" || origin(source)) {
            return Err(format!(
                "REACH_CARD_FRAME_ANCESTORS: {source} is not *, 'self' or an origin such as https://blog.example"
            ));
        }
    }
    Ok(sources.join(" "))
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

pub(crate) fn parse_cookie_security(text: &str) -> Result<app::ssr::state::CookieSecurity, String> {
    use app::ssr::state::CookieSecurity;
    match text {
        "auto" => Ok(CookieSecurity::Auto),
        "always" => Ok(CookieSecurity::Always),
        "never" => Ok(CookieSecurity::Never),
        _ => Err("auto, always or never".into()),
    }
}

pub(crate) fn parse_session_ttl(text: &str) -> Result<humantime::Duration, String> {
    let ttl = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if ttl < Duration::from_secs(60) || ttl > Duration::from_secs(366 * 86_400) {
        return Err("a session lasts between 1m and 366d".into());
    }
    Ok(ttl.into())
}

pub(crate) fn default_session_ttl() -> humantime::Duration {
    AccessSettings::DEFAULT
        .session_ttl
        .to_std()
        .expect("a positive default")
        .into()
}
