//! Bluesky: `GET {api}/xrpc/app.bsky.actor.getProfiles?actors=…`, up to 25
//! actors per call, no authentication. Actors are asked for by DID once
//! known (handles change, DIDs do not).

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{BatchResult, CollectError, Collector, Observation, Target, Upstream};

const BATCH: usize = 25;

pub struct Bluesky {
    base_url: String,
}

#[derive(Deserialize)]
struct Profiles {
    profiles: Vec<Profile>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Profile {
    did: String,
    handle: String,
    display_name: Option<String>,
    followers_count: Option<i64>,
    follows_count: Option<i64>,
    posts_count: Option<i64>,
}

impl Bluesky {
    pub fn new(base_url: String) -> Self {
        Self { base_url }
    }
}

fn actor(target: &Target) -> String {
    target
        .platform_id
        .clone()
        .unwrap_or_else(|| target.handle.trim().trim_start_matches('@').to_lowercase())
}

#[async_trait]
impl Collector for Bluesky {
    fn batch_size(&self) -> usize {
        BATCH
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let actors: Vec<(&str, String)> = targets.iter().map(|t| ("actors", actor(t))).collect();
        let request = upstream
            .client()
            .get(format!(
                "{}/xrpc/app.bsky.actor.getProfiles",
                self.base_url.trim_end_matches('/')
            ))
            .query(&actors);
        let answer: Profiles = upstream.get_json(Platform::Bluesky, request).await?;
        // Unknown actors are left out of the answer, not reported.
        Ok(actors
            .iter()
            .map(|(_, wanted)| {
                answer
                    .profiles
                    .iter()
                    .find(|p| p.did == *wanted || p.handle.eq_ignore_ascii_case(wanted))
                    .map(|p| Observation {
                        counters: Counters {
                            followers: p.followers_count,
                            following: p.follows_count,
                            posts: p.posts_count,
                            views: None,
                            likes: None,
                        },
                        platform_id: Some(p.did.clone()),
                        display_name: p.display_name.clone().filter(|n| !n.is_empty()),
                    })
                    .ok_or(CollectError::NotFound)
            })
            .collect())
    }
}
