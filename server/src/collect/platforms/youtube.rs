//! YouTube Data API v3 (needs `YOUTUBE_API_KEY`):
//! `GET {api}/channels?part=snippet,statistics&id=…` for up to 50 known
//! channel ids per call; a handle without an id is resolved with
//! `forHandle=@name` first. Counters come as strings; a hidden subscriber
//! count is unknown, not zero; an item without `statistics` fails alone.
//! The channel's `customUrl` is its current handle, so a changed handle is
//! followed.
//!
//! A spent quota (`quotaExceeded`, `dailyLimitExceeded`) pauses YouTube
//! until the quota resets at midnight Pacific time: the run's remaining
//! YouTube accounts are recorded rate limited without a request, and later
//! runs leave them for after the reset. A key YouTube refuses is `blocked`.

use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

use app::model::{Counters, Platform};
use async_trait::async_trait;
use chrono::{DateTime, Days, NaiveTime, Utc};
use chrono_tz::America::Los_Angeles;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
    parse_count,
};

const BATCH: usize = 50;

pub struct Youtube {
    base_url: String,
    api_key: Option<SecretString>,
}

#[derive(Deserialize)]
struct Channels {
    #[serde(default)]
    items: Vec<Channel>,
}

#[derive(Deserialize)]
struct Channel {
    id: String,
    snippet: Option<Snippet>,
    statistics: Option<Statistics>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Snippet {
    title: Option<String>,
    custom_url: Option<String>,
    thumbnails: Option<Thumbnails>,
}

#[derive(Deserialize)]
struct Thumbnails {
    /// 88 pixels square: more than an avatar needs.
    default: Option<Thumbnail>,
}

#[derive(Deserialize)]
struct Thumbnail {
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Statistics {
    view_count: Option<String>,
    subscriber_count: Option<String>,
    #[serde(default)]
    hidden_subscriber_count: bool,
    video_count: Option<String>,
}

/// Google's error body: `{"error": {"errors": [{"reason": …}], "details": …}}`.
#[derive(Deserialize)]
struct GoogleError {
    error: GoogleErrorBody,
}

#[derive(Deserialize)]
struct GoogleErrorBody {
    message: Option<String>,
    #[serde(default)]
    errors: Vec<Reason>,
    #[serde(default)]
    details: Vec<Reason>,
}

#[derive(Deserialize)]
struct Reason {
    reason: Option<String>,
}

impl Youtube {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.youtube_url.clone(),
            api_key: settings.youtube_api_key.clone(),
        }
    }

    async fn channels(
        &self,
        upstream: &Upstream,
        key: &str,
        selector: (&str, String),
    ) -> Result<Vec<Channel>, CollectError> {
        let request = upstream
            .client()
            .get(format!("{}/channels", self.base_url.trim_end_matches('/')))
            .query(&[("part", "snippet,statistics"), ("key", key)])
            .query(&[selector]);
        match upstream
            .get_json::<Channels>(Platform::Youtube, request)
            .await
        {
            Ok(answer) => Ok(answer.items),
            Err(CollectError::Rejected { body, message, .. }) => {
                Err(understood(upstream, &body, message))
            }
            Err(error) => Err(error),
        }
    }
}

/// What a Google error answer means for collection.
fn understood(upstream: &Upstream, body: &str, message: String) -> CollectError {
    let Ok(error) = serde_json::from_str::<GoogleError>(body) else {
        return CollectError::Upstream {
            message,
            retryable: false,
        };
    };
    let reasons: Vec<&str> = error
        .error
        .errors
        .iter()
        .chain(&error.error.details)
        .filter_map(|r| r.reason.as_deref())
        .collect();
    let text = error.error.message.unwrap_or_else(|| message.clone());
    let has = |reason: &str| reasons.contains(&reason);
    if has("quotaExceeded") || has("dailyLimitExceeded") {
        let wait = until_quota_reset(Utc::now());
        upstream.pause_platform(Platform::Youtube, tokio::time::Instant::now() + wait);
        return CollectError::RateLimited {
            retry_after: Some(wait),
        };
    }
    if has("keyInvalid")
        || has("API_KEY_INVALID")
        || has("accessNotConfigured")
        || has("SERVICE_DISABLED")
        || has("keyExpired")
    {
        return CollectError::Unauthorized(format!(
            "YouTube refuses YOUTUBE_API_KEY: {}",
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    CollectError::Upstream {
        message,
        retryable: false,
    }
}

/// YouTube's daily quota resets at midnight Pacific time.
fn until_quota_reset(now: DateTime<Utc>) -> Duration {
    let pacific = now.with_timezone(&Los_Angeles).date_naive();
    let next = pacific
        .checked_add_days(Days::new(1))
        .and_then(|day| {
            day.and_time(NaiveTime::MIN)
                .and_local_timezone(Los_Angeles)
                .earliest()
        })
        .map(|midnight| midnight.with_timezone(&Utc));
    next.and_then(|at| (at - now).to_std().ok())
        .unwrap_or(Duration::from_secs(24 * 3600))
}

fn observe(channel: &Channel) -> Result<Observation, CollectError> {
    let stats = channel.statistics.as_ref().ok_or_else(|| {
        CollectError::BadData(format!("channel {} came without statistics", channel.id))
    })?;
    let followers = if stats.hidden_subscriber_count {
        None
    } else {
        parse_count(stats.subscriber_count.as_deref(), "subscriberCount")?
    };
    Ok(Observation {
        avatar_url: channel
            .snippet
            .as_ref()
            .and_then(|s| s.thumbnails.as_ref())
            .and_then(|t| t.default.as_ref())
            .and_then(|t| t.url.clone()),
        counters: Counters {
            followers,
            following: None,
            posts: parse_count(stats.video_count.as_deref(), "videoCount")?,
            views: parse_count(stats.view_count.as_deref(), "viewCount")?,
            ..Counters::default()
        },
        platform_id: Some(channel.id.clone()),
        display_name: channel.snippet.as_ref().and_then(|s| s.title.clone()),
        handle: channel
            .snippet
            .as_ref()
            .and_then(|s| s.custom_url.clone())
            .filter(|url| url.starts_with('@')),
    })
}

#[async_trait]
impl Collector for Youtube {
    fn batch_size(&self) -> usize {
        BATCH
    }

    fn missing_settings(&self) -> Option<&'static str> {
        self.api_key.is_none().then_some("YOUTUBE_API_KEY")
    }

    /// One `id=` request per 50 known channels, and one `forHandle`
    /// request for each handle not resolved yet.
    fn requests_for(&self, accounts: usize, without_id: usize) -> u64 {
        let with_id = accounts.saturating_sub(without_id);
        (with_id.div_ceil(BATCH) + without_id) as u64
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let key = self
            .api_key
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .ok_or(CollectError::NotConfigured("YOUTUBE_API_KEY"))?;
        let ids: Vec<&str> = targets
            .iter()
            .filter_map(|t| t.platform_id.as_deref())
            .collect();
        let by_id = if ids.is_empty() {
            Vec::new()
        } else {
            self.channels(upstream, key, ("id", ids.join(","))).await?
        };
        let mut results = Vec::with_capacity(targets.len());
        for target in targets {
            let result = match &target.platform_id {
                Some(id) => by_id
                    .iter()
                    .find(|c| &c.id == id)
                    .ok_or(CollectError::NotFound)
                    .and_then(observe),
                None => {
                    let handle = format!("@{}", target.handle.trim().trim_start_matches('@'));
                    match self.channels(upstream, key, ("forHandle", handle)).await {
                        Err(error) if error.is_retryable() => return Err(error),
                        found => found.and_then(|channels| {
                            channels
                                .first()
                                .ok_or(CollectError::NotFound)
                                .and_then(observe)
                        }),
                    }
                }
            };
            // Handles stay in the form the user gave; ids are asked as ids.
            results.push(result.map(|mut observation| {
                if !target.handle.starts_with('@') {
                    observation.handle = None;
                }
                observation
            }));
        }
        Ok(results)
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let key = self
            .api_key
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .ok_or(CollectError::NotConfigured("YOUTUBE_API_KEY"))?;
        let channels = self
            .channels(upstream, key, ("forHandle", "@YouTube".to_owned()))
            .await?;
        Ok(format!(
            "YOUTUBE_API_KEY works ({} channel found; one quota unit spent)",
            channels.len()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_quota_resets_at_midnight_pacific() {
        // 20:00 UTC in November is 12:00 PST (UTC-8): 12 hours to go.
        let winter = Utc.with_ymd_and_hms(2026, 11, 30, 20, 0, 0).unwrap();
        assert_eq!(until_quota_reset(winter), Duration::from_secs(12 * 3600));
        // In July, PDT (UTC-7): midnight is 07:00 UTC.
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 6, 0, 0).unwrap();
        assert_eq!(until_quota_reset(summer), Duration::from_secs(3600));
    }

    #[test]
    fn an_item_without_statistics_fails_alone() {
        let answer: Channels = serde_json::from_str(include_str!(
            "../../../tests/fixtures/platforms/youtube/channels_without_statistics.json"
        ))
        .unwrap();
        let results: Vec<_> = answer.items.iter().map(observe).collect();
        assert!(results.iter().any(Result::is_ok));
        assert!(
            results
                .iter()
                .any(|r| matches!(r, Err(CollectError::BadData(_))))
        );
    }
}
