//! Bluesky: `GET {api}/xrpc/app.bsky.actor.getProfiles?actors=…`, up to 25
//! actors per call, no authentication. Actors are asked for by DID once
//! known (handles change, DIDs do not); the profile's handle is the
//! account's current one, so a changed handle is followed.
//!
//! `getProfiles` silently leaves out actors it cannot show (unknown, taken
//! down, deactivated); each one left out is asked alone with `getProfile`,
//! whose 400 says why (`AccountTakedown`, `AccountDeactivated`, "Profile not
//! found"). One actor that is not a valid handle or DID fails the whole
//! call with a 400: the engine then asks each account alone.

use app::model::{Counters, Platform, is_atproto_handle};
use async_trait::async_trait;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

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
    avatar: Option<String>,
}

/// An XRPC error body.
#[derive(Deserialize)]
struct XrpcError {
    error: Option<String>,
    message: Option<String>,
}

impl Bluesky {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.bluesky_url.clone(),
        }
    }

    fn url(&self, method: &str) -> String {
        format!("{}/xrpc/{method}", self.base_url.trim_end_matches('/'))
    }

    /// Why `actor` was left out of a `getProfiles` answer.
    async fn missing(&self, upstream: &Upstream, actor: &str) -> CollectError {
        let request = upstream
            .client()
            .get(self.url("app.bsky.actor.getProfile"))
            .query(&[("actor", actor)]);
        match upstream
            .get_json::<Profile>(Platform::Bluesky, request)
            .await
        {
            // Shown alone but not in the batch: try again next time.
            Ok(_) => CollectError::Upstream {
                message: format!("Bluesky left {actor} out of its answer"),
                retryable: false,
            },
            Err(CollectError::Rejected {
                status: 400,
                body,
                message,
            }) => {
                let error: Option<XrpcError> = serde_json::from_str(&body).ok();
                let text = error
                    .as_ref()
                    .and_then(|e| e.message.clone())
                    .unwrap_or(message);
                match error.and_then(|e| e.error).as_deref() {
                    Some("AccountTakedown") => CollectError::Suspended(format!("Bluesky: {text}")),
                    Some("AccountDeactivated") => CollectError::Gone(format!("Bluesky: {text}")),
                    _ => CollectError::NotFound,
                }
            }
            Err(error) => error,
        }
    }
}

fn actor(target: &Target) -> Result<String, CollectError> {
    if let Some(did) = target
        .platform_id
        .as_deref()
        .filter(|id| id.starts_with("did:"))
    {
        return Ok(did.to_owned());
    }
    let handle = target.handle.trim().trim_start_matches('@').to_lowercase();
    if is_atproto_handle(&handle) {
        Ok(handle)
    } else {
        Err(CollectError::InvalidHandle(format!(
            "{handle}: not an atproto handle (a domain name whose last part starts with a letter)"
        )))
    }
}

#[async_trait]
impl Collector for Bluesky {
    fn batch_size(&self) -> usize {
        BATCH
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let actors: Vec<Result<String, CollectError>> = targets.iter().map(actor).collect();
        let valid: Vec<(&str, &str)> = actors
            .iter()
            .filter_map(|a| a.as_deref().ok())
            .map(|a| ("actors", a))
            .collect();
        let answer = if valid.is_empty() {
            Profiles { profiles: vec![] }
        } else {
            let request = upstream
                .client()
                .get(self.url("app.bsky.actor.getProfiles"))
                .query(&valid);
            match upstream.get_json(Platform::Bluesky, request).await {
                // The one actor asked for is the one Bluesky refuses.
                Err(error) if error.is_bad_request() && valid.len() == 1 => {
                    let refused = CollectError::InvalidHandle(format!(
                        "Bluesky refuses {}: {error}",
                        valid[0].1
                    ));
                    return Ok(actors
                        .into_iter()
                        .map(|actor| actor.and(Err(refused.clone())))
                        .collect());
                }
                answer => answer?,
            }
        };
        let mut results = Vec::with_capacity(targets.len());
        for wanted in actors {
            let wanted = match wanted {
                Ok(wanted) => wanted,
                Err(error) => {
                    results.push(Err(error));
                    continue;
                }
            };
            let found = answer
                .profiles
                .iter()
                .find(|p| p.did == wanted || p.handle.eq_ignore_ascii_case(&wanted));
            results.push(match found {
                Some(p) => Ok(Observation {
                    counters: Counters {
                        followers: p.followers_count,
                        following: p.follows_count,
                        posts: p.posts_count,
                        ..Counters::default()
                    },
                    platform_id: Some(p.did.clone()),
                    display_name: p.display_name.clone().filter(|n| !n.is_empty()),
                    // `handle.invalid`: the handle no longer verifies; keep ours.
                    handle: Some(p.handle.to_lowercase()).filter(|h| is_atproto_handle(h)),
                    avatar_url: p.avatar.clone(),
                }),
                None => Err(self.missing(upstream, &wanted).await),
            });
        }
        Ok(results)
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let request = upstream
            .client()
            .get(self.url("app.bsky.actor.getProfile"))
            .query(&[("actor", "bsky.app")]);
        let profile: Profile = upstream.get_json(Platform::Bluesky, request).await?;
        Ok(format!(
            "the public AppView answers (no credentials needed): {} found",
            profile.handle
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_are_dids_or_valid_handles() {
        let target = |handle: &str, id: Option<&str>| Target {
            handle: handle.into(),
            platform_id: id.map(Into::into),
        };
        assert_eq!(
            actor(&target(
                "bsky.app",
                Some("did:plc:z72i7hdynmk6r22z27h6tvur")
            ))
            .unwrap(),
            "did:plc:z72i7hdynmk6r22z27h6tvur"
        );
        assert_eq!(
            actor(&target("@Jay.BSky.Social", None)).unwrap(),
            "jay.bsky.social"
        );
        // The last label may not start with a digit (atproto's rule).
        assert!(actor(&target("john.0", None)).is_err());
        assert!(actor(&target("laptop.local", None)).is_err());
        assert!(actor(&target("not_a_handle", None)).is_err());
    }
}
