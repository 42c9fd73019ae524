//! YouTube Data API v3 (needs `YOUTUBE_API_KEY`):
//! `GET {api}/channels?part=snippet,statistics&id=…` for up to 50 known
//! channel ids per call; a handle without an id is resolved with
//! `forHandle=@name` first. Counters come as strings; a hidden subscriber
//! count is unknown, not zero.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{BatchResult, CollectError, Collector, Observation, Target, Upstream, parse_count};

const BATCH: usize = 50;

pub struct Youtube {
    base_url: String,
    api_key: Option<String>,
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
    statistics: Statistics,
}

#[derive(Deserialize)]
struct Snippet {
    title: Option<String>,
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

impl Youtube {
    pub fn new(base_url: String, api_key: Option<String>) -> Self {
        Self { base_url, api_key }
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
        let answer: Channels = upstream.get_json(Platform::Youtube, request).await?;
        Ok(answer.items)
    }
}

fn observe(channel: &Channel) -> Result<Observation, CollectError> {
    let stats = &channel.statistics;
    let followers = if stats.hidden_subscriber_count {
        None
    } else {
        parse_count(stats.subscriber_count.as_deref(), "subscriberCount")?
    };
    Ok(Observation {
        counters: Counters {
            followers,
            following: None,
            posts: parse_count(stats.video_count.as_deref(), "videoCount")?,
            views: parse_count(stats.view_count.as_deref(), "viewCount")?,
            likes: None,
        },
        platform_id: Some(channel.id.clone()),
        display_name: channel.snippet.as_ref().and_then(|s| s.title.clone()),
    })
}

#[async_trait]
impl Collector for Youtube {
    fn batch_size(&self) -> usize {
        BATCH
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let key = self
            .api_key
            .as_deref()
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
                    let found = self.channels(upstream, key, ("forHandle", handle)).await;
                    found.and_then(|channels| {
                        channels
                            .first()
                            .ok_or(CollectError::NotFound)
                            .and_then(observe)
                    })
                }
            };
            results.push(result);
        }
        Ok(results)
    }
}
