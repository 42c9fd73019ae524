//! Digests: scheduled summaries of a period, for everyone or a tag or a
//! brand, sent by e-mail or to a chat webhook; and what one says.
//!
//! Over 500 lines by a little, half of it tests: periods, channels, scopes
//! and the report are one vocabulary, read together.

use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
#[cfg(feature = "db")]
use sea_orm::prelude::StringLen;
use serde::{Deserialize, Serialize};

use crate::error::{ParseError, names_of};
use crate::event::EventRow;
use crate::metric::Metric;
use crate::platform::Platform;
use crate::run::AccountState;

/// How much time one digest covers. Periods are UTC calendar days, ISO
/// weeks (Monday to Monday) and months.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")
)]
#[serde(rename_all = "snake_case")]
pub enum DigestPeriod {
    #[cfg_attr(feature = "db", sea_orm(string_value = "daily"))]
    Daily,
    #[default]
    #[cfg_attr(feature = "db", sea_orm(string_value = "weekly"))]
    Weekly,
    #[cfg_attr(feature = "db", sea_orm(string_value = "monthly"))]
    Monthly,
}

impl DigestPeriod {
    pub const ALL: [DigestPeriod; 3] = [Self::Daily, Self::Weekly, Self::Monthly];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// The start of the period `at` falls in.
    pub fn start_of(self, at: DateTime<Utc>) -> DateTime<Utc> {
        let day = at.date_naive();
        let first = match self {
            Self::Daily => day,
            Self::Weekly => day - Duration::days(i64::from(day.weekday().num_days_from_monday())),
            Self::Monthly => day.with_day(1).unwrap_or(day),
        };
        midnight(first)
    }

    /// The start of the period after the one starting at `start`.
    pub fn next(self, start: DateTime<Utc>) -> DateTime<Utc> {
        let day = start.date_naive();
        let next = match self {
            Self::Daily => day + Duration::days(1),
            Self::Weekly => day + Duration::days(7),
            Self::Monthly => day
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(day + Duration::days(31)),
        };
        midnight(next)
    }

    /// The last period that had ended by `now`: `(start, end)`.
    pub fn last_complete(self, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let end = self.start_of(now);
        let start = self.start_of(end - Duration::seconds(1));
        (start, end)
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

impl FromStr for DigestPeriod {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| ParseError::new("digest period", s, names_of!(DigestPeriod)))
    }
}

/// Why an e-mail digest is refused on an instance without SMTP settings.
pub const EMAIL_NEEDS_SMTP: &str =
    "e-mail digests need an SMTP server: set REACH_SMTP_URL and REACH_SMTP_FROM";

/// Where a digest goes, each in its own service's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")
)]
#[serde(rename_all = "snake_case")]
pub enum DigestChannel {
    /// E-mail over the configured SMTP server (`REACH_SMTP_URL`) to one or
    /// more addresses: HTML with a plain-text part and a chart.
    #[cfg_attr(feature = "db", sea_orm(string_value = "email"))]
    Email,
    /// A Slack incoming webhook (`https://hooks.slack.com/services/…`).
    #[cfg_attr(feature = "db", sea_orm(string_value = "slack"))]
    Slack,
    /// A Discord webhook (`https://discord.com/api/webhooks/…`).
    #[cfg_attr(feature = "db", sea_orm(string_value = "discord"))]
    Discord,
    /// A Matrix room: `https://<homeserver>/<room id>`, with an access token.
    #[cfg_attr(feature = "db", sea_orm(string_value = "matrix"))]
    Matrix,
    /// An ntfy topic (`https://ntfy.sh/<topic>`), optionally with a token.
    #[cfg_attr(feature = "db", sea_orm(string_value = "ntfy"))]
    Ntfy,
    /// The digest as JSON ([`DigestReport`]), POSTed to any URL.
    #[cfg_attr(feature = "db", sea_orm(string_value = "json"))]
    Json,
}

impl DigestChannel {
    pub const ALL: [DigestChannel; 6] = [
        Self::Email,
        Self::Slack,
        Self::Discord,
        Self::Matrix,
        Self::Ntfy,
        Self::Json,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Slack => "slack",
            Self::Discord => "discord",
            Self::Matrix => "matrix",
            Self::Ntfy => "ntfy",
            Self::Json => "json",
        }
    }
}

impl DigestChannel {
    /// Whether `target` is what this channel sends to: one to ten e-mail
    /// addresses (comma-separated), or an `http(s)` address, a Matrix
    /// room's as `https://<homeserver>/<room id>`. The server checks the
    /// rest when it sends.
    pub fn check_target(self, target: &str) -> Result<(), String> {
        let target = target.trim();
        if target.is_empty() || target.len() > 1024 || target.chars().any(char::is_control) {
            return Err("a digest's target is 1 to 1024 characters".to_owned());
        }
        match self {
            Self::Email => {
                let addresses: Vec<&str> = target.split(',').map(str::trim).collect();
                let valid = |a: &&str| {
                    a.split_once('@').is_some_and(|(local, domain)| {
                        !local.is_empty()
                            && domain.contains('.')
                            && !domain.starts_with('.')
                            && !domain.ends_with('.')
                    }) && !a
                        .chars()
                        .any(|c| c.is_whitespace() || "<>\"(),;".contains(c))
                };
                if addresses.len() > 10 || !addresses.iter().all(valid) {
                    return Err(format!(
                        "`{target}` is not one to ten e-mail addresses separated by commas"
                    ));
                }
                Ok(())
            }
            _ => {
                let rest = target
                    .strip_prefix("https://")
                    .or_else(|| target.strip_prefix("http://"))
                    .ok_or_else(|| format!("`{target}` is not an http(s) address"))?;
                let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
                if host.is_empty() || target.chars().any(char::is_whitespace) {
                    return Err(format!("`{target}` is not an http(s) address"));
                }
                if self == Self::Matrix && !path.starts_with('!') {
                    return Err(format!(
                        "a Matrix target is the homeserver then the room's id, as \
                         https://matrix.example.org/!room:example.org; `{target}` has no room id"
                    ));
                }
                Ok(())
            }
        }
    }

    /// What a list shows of `target`: e-mail addresses whole; of a web
    /// address only its scheme and host, since a webhook's path is its
    /// secret.
    pub fn shown_target(self, target: &str) -> String {
        match self {
            Self::Email => target.to_owned(),
            _ => match target.split_once("://") {
                Some((scheme, rest)) => {
                    let host = rest.split('/').next().unwrap_or_default();
                    format!("{scheme}://{host}/…")
                }
                None => "…".to_owned(),
            },
        }
    }
}

impl FromStr for DigestChannel {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ParseError::new("digest channel", s, names_of!(DigestChannel)))
    }
}

/// Which accounts a digest is about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum DigestScope {
    /// Every account.
    #[default]
    All,
    /// The accounts with this tag.
    Tag(String),
    /// The accounts of this brand.
    Brand(String),
}

impl DigestScope {
    /// `all`, `tag:<name>` or `brand:<name>`: how the command line and
    /// the forms write it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text == "all" {
            return Ok(Self::All);
        }
        let named = |name: &str| {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 64 {
                Err(format!("`{text}` needs a name of 1 to 64 characters"))
            } else {
                Ok(name.to_owned())
            }
        };
        match text.split_once(':') {
            Some(("tag", name)) => Ok(Self::Tag(named(name)?)),
            Some(("brand", name)) => Ok(Self::Brand(named(name)?)),
            _ => Err(format!(
                "unknown digest scope `{text}`; expected all, tag:<name> or brand:<name>"
            )),
        }
    }

    /// The inverse of [`DigestScope::parse`].
    pub fn as_text(&self) -> String {
        match self {
            Self::All => "all".to_owned(),
            Self::Tag(name) => format!("tag:{name}"),
            Self::Brand(name) => format!("brand:{name}"),
        }
    }

    /// In a sentence: "every account", "tag news", "brand Acme".
    pub fn label(&self) -> String {
        match self {
            Self::All => "every account".to_owned(),
            Self::Tag(name) => format!("tag {name}"),
            Self::Brand(name) => format!("brand {name}"),
        }
    }
}

/// A digest as listed: never its secret, and its target only as far as
/// it names no secret (a webhook's path is one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DigestRow {
    pub id: i64,
    pub name: String,
    pub period: DigestPeriod,
    pub scope: DigestScope,
    pub channel: DigestChannel,
    /// The addresses of an e-mail digest; a webhook's scheme and host.
    pub target: String,
    /// Whether it has a token (Matrix, ntfy).
    pub has_secret: bool,
    pub created_at: DateTime<Utc>,
    /// Its newest delivery, scheduled or asked for.
    pub last_delivery: Option<DeliveryRow>,
}

/// How one delivery of a digest went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "db", derive(sea_orm::EnumIter, sea_orm::DeriveActiveEnum))]
#[cfg_attr(
    feature = "db",
    sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting to be sent (asked for, or retried after a failure).
    #[cfg_attr(feature = "db", sea_orm(string_value = "pending"))]
    Pending,
    /// The receiver took it.
    #[cfg_attr(feature = "db", sea_orm(string_value = "sent"))]
    Sent,
    /// Every attempt failed; not tried again.
    #[cfg_attr(feature = "db", sea_orm(string_value = "failed"))]
    Failed,
}

impl DeliveryStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }
}

/// One delivery: the scheduled one of a period, or one asked for now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryRow {
    pub id: i64,
    pub digest_id: i64,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    /// Asked for ("send now"), not scheduled.
    pub manual: bool,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What a digest says about one period: built from stored snapshots and
/// events only.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DigestReport {
    pub name: String,
    pub period: DigestPeriod,
    pub scope: DigestScope,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Accounts in the scope.
    pub accounts: u64,
    /// Each account's change over the period in its headline counter
    /// (followers, or the platform's first), largest gain first; at most
    /// [`DIGEST_LISTED`] of them.
    pub changes: Vec<DigestChange>,
    /// Accounts in the scope that `changes` leaves out.
    pub unlisted: u64,
    /// The largest gains and losses (at most [`DIGEST_TOP`] each).
    pub growers: Vec<DigestChange>,
    pub losers: Vec<DigestChange>,
    /// Milestones crossed in the period.
    pub milestones: Vec<EventRow>,
    /// Unusual changes in the period.
    pub unusual: Vec<EventRow>,
    /// Failures and changes of state (suspended, gone, private, restored,
    /// renamed) in the period.
    pub trouble: Vec<EventRow>,
    /// When the top growers are projected to reach their next milestones.
    pub projections: Vec<DigestProjection>,
}

/// Accounts a digest lists one by one.
pub const DIGEST_LISTED: usize = 100;
/// Growers, losers and projections a digest names.
pub const DIGEST_TOP: usize = 5;
/// Events of each kind a digest names.
pub const DIGEST_EVENTS: usize = 20;

/// One account's change over a digest's period.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DigestChange {
    pub account_id: i64,
    pub platform: Platform,
    pub handle: String,
    pub display_name: Option<String>,
    pub metric: Metric,
    /// The newest stored value at or before the period's start and end;
    /// absent when none was stored (then so is the change).
    pub from: Option<i64>,
    pub to: Option<i64>,
    pub change: Option<i64>,
    pub percent: Option<f64>,
    /// Simulated counters of a demo account.
    pub simulated: bool,
    /// Suspended, gone or private as last collected.
    pub state: Option<AccountState>,
}

/// A grower's next milestone, as the projection dates it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DigestProjection {
    pub account_id: i64,
    pub platform: Platform,
    pub handle: String,
    pub metric: Metric,
    pub milestone: i64,
    /// When the trend of the last 90 days reaches it.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn the_last_complete_period_ends_where_the_current_one_starts() {
        // 2026-12-04 is a Friday.
        let now = at("2026-12-04T05:00:00Z");
        assert_eq!(
            DigestPeriod::Daily.last_complete(now),
            (at("2026-12-03T00:00:00Z"), at("2026-12-04T00:00:00Z"))
        );
        assert_eq!(
            DigestPeriod::Weekly.last_complete(now),
            (at("2026-11-23T00:00:00Z"), at("2026-11-30T00:00:00Z"))
        );
        assert_eq!(
            DigestPeriod::Monthly.last_complete(now),
            (at("2026-11-01T00:00:00Z"), at("2026-12-01T00:00:00Z"))
        );
        // At the very start of a period, the one before it is complete.
        let midnight = at("2026-12-01T00:00:00Z");
        assert_eq!(
            DigestPeriod::Monthly.last_complete(midnight),
            (at("2026-11-01T00:00:00Z"), midnight)
        );
        assert_eq!(
            DigestPeriod::Monthly.next(at("2027-01-01T00:00:00Z")),
            at("2027-02-01T00:00:00Z")
        );
    }

    #[test]
    fn scopes_read_as_they_are_written() {
        for scope in [
            DigestScope::All,
            DigestScope::Tag("news".into()),
            DigestScope::Brand("Acme Inc".into()),
        ] {
            assert_eq!(DigestScope::parse(&scope.as_text()).unwrap(), scope);
        }
        assert_eq!(DigestScope::parse("").unwrap(), DigestScope::All);
        assert!(DigestScope::parse("tag:").is_err());
        assert!(DigestScope::parse("team:x").is_err());
        assert_eq!(
            serde_json::to_value(DigestScope::Tag("news".into())).unwrap(),
            serde_json::json!({"kind": "tag", "name": "news"})
        );
    }

    #[test]
    fn targets_are_checked_for_their_channel_and_webhook_paths_are_not_shown() {
        use DigestChannel::*;
        assert!(Email.check_target("a@example.org, b@example.com").is_ok());
        assert!(Email.check_target("not an address").is_err());
        assert!(Email.check_target("a@example").is_err());
        assert!(
            Slack
                .check_target("https://hooks.slack.com/services/T/B/X")
                .is_ok()
        );
        assert!(Slack.check_target("ftp://example.org").is_err());
        assert!(Slack.check_target("https://").is_err());
        assert!(
            Matrix
                .check_target("https://matrix.org/!abc:matrix.org")
                .is_ok()
        );
        assert!(Matrix.check_target("https://matrix.org/").is_err());
        assert_eq!(
            Discord.shown_target("https://discord.com/api/webhooks/1/secret"),
            "https://discord.com/…"
        );
        assert_eq!(Email.shown_target("a@example.org"), "a@example.org");
    }

    #[test]
    fn periods_and_channels_parse_their_names() {
        for period in DigestPeriod::ALL {
            assert_eq!(period.as_str().parse::<DigestPeriod>().unwrap(), period);
        }
        for channel in DigestChannel::ALL {
            assert_eq!(channel.as_str().parse::<DigestChannel>().unwrap(), channel);
        }
        assert!("hourly".parse::<DigestPeriod>().is_err());
    }
}
