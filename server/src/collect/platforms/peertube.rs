//! PeerTube, asked on each channel's or account's own server, anonymously:
//! `GET /api/v1/video-channels/{name}` for a channel (`c/name@host`) and
//! `GET /api/v1/accounts/{name}` for an account (`a/name@host`). The count
//! is `followersCount`, which PeerTube shows as subscribers; an account's
//! does not include its channels' subscribers. An unknown name answers 404
//! (problem+json); a rate limit, 429 with a plain-text body and
//! `Retry-After`. Names cannot change; the actor's URL is the stable id.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct PeerTube {
    base_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Actor {
    url: Option<String>,
    display_name: Option<String>,
    followers_count: Option<i64>,
    #[serde(default)]
    avatars: Vec<Picture>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Picture {
    width: Option<u32>,
    file_url: Option<String>,
}

impl PeerTube {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.peertube_url.clone(),
        }
    }

    async fn actor(
        &self,
        upstream: &Upstream,
        host: &str,
        path: &str,
    ) -> Result<Actor, CollectError> {
        let request = upstream
            .client()
            .get(format!(
                "{}{path}",
                super::server_base(self.base_url.as_deref(), host)
            ))
            .header("accept", "application/json");
        upstream.get_json(Platform::Peertube, request).await
    }

    async fn account(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let handle = super::stored_handle(Platform::Peertube, target)?;
        let (kind, rest) = handle.split_once('/').expect("a checked handle");
        let (name, host) = rest.split_once('@').expect("a checked handle");
        let collection = if kind == "c" {
            "video-channels"
        } else {
            "accounts"
        };
        let actor = self
            .actor(upstream, host, &format!("/api/v1/{collection}/{name}"))
            .await?;
        Ok(Observation {
            counters: Counters {
                followers: actor.followers_count,
                ..Counters::default()
            },
            // The largest of the sizes PeerTube keeps.
            avatar_url: actor
                .avatars
                .iter()
                .filter(|p| p.file_url.is_some())
                .max_by_key(|p| p.width.unwrap_or(0))
                .and_then(|p| p.file_url.clone()),
            platform_id: actor.url,
            display_name: actor.display_name.filter(|n| !n.is_empty()),
            handle: None,
        })
    }
}

#[async_trait]
impl Collector for PeerTube {
    /// Each server has its own limit.
    fn shared_budget(&self) -> bool {
        false
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        super::one_by_one(targets, |target| self.account(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let actor = self
            .actor(upstream, "framatube.org", "/api/v1/accounts/framasoft")
            .await?;
        Ok(format!(
            "framatube.org answers (no credentials needed; each account's own server is asked): framasoft has {} followers",
            actor
                .followers_count
                .map_or_else(|| "unknown".to_owned(), |n| n.to_string())
        ))
    }
}
