//! Hacker News: `GET {api}/user/{id}.json` of the official Firebase API
//! (github.com/HackerNews/API), no key. The id is the name, case-sensitive,
//! and never changes; karma is its only counter (a score). An unknown name
//! answers 200 with `null`, not 404. The API documents no rate limit;
//! Reach asks at most once a second by default.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct HackerNews {
    base_url: String,
}

#[derive(Deserialize)]
struct User {
    id: String,
    karma: Option<i64>,
}

impl HackerNews {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.hackernews_url.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base_url.trim_end_matches('/'))
    }

    async fn user(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let name = Platform::Hackernews
            .normalize_handle(&target.handle)
            .map_err(|why| CollectError::InvalidHandle(format!("{}: {why}", target.handle)))?;
        let request = upstream
            .client()
            .get(self.url(&format!("user/{name}.json")));
        let user: Option<User> = upstream.get_json(Platform::Hackernews, request).await?;
        // `null`: no such user, or another case of the name (`PG` for `pg`).
        let user = user.ok_or(CollectError::NotFound)?;
        Ok(Observation {
            counters: Counters {
                score: user.karma,
                ..Counters::default()
            },
            platform_id: Some(user.id.clone()),
            display_name: None,
            handle: Some(user.id),
            // Hacker News has no pictures.
            avatar_url: None,
        })
    }
}

#[async_trait]
impl Collector for HackerNews {
    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        super::one_by_one(targets, |target| self.user(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        // The newest item's id: a few bytes.
        let request = upstream.client().get(self.url("maxitem.json"));
        let newest: i64 = upstream.get_json(Platform::Hackernews, request).await?;
        Ok(format!("answers: the newest item is {newest}"))
    }
}
