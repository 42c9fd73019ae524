//! Stack Exchange (API 2.3): `GET {api}/users/{id};{id};…?site={site}&
//! pagesize=100`, up to 100 users of one site a request, no key needed
//! (`STACKEXCHANGE_KEY`, an app key that is not a secret, raises the daily
//! quota from 300 to 10,000 requests per IP). A user is `id@site`; the id
//! never changes, the display name may. Reputation is the counter (a score).
//!
//! Every API error is HTTP 400 with `error_name`: a `throttle_violation`
//! (the quota spent, "more requests available in N seconds") pauses the
//! platform, an unknown site fails its accounts only. A `backoff` in an
//! answer must be honoured before the next request. Users missing from the
//! answer were deleted or never existed.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

/// Users one request may name.
const BATCH: usize = 100;

pub struct StackExchange {
    base_url: String,
    key: Option<String>,
}

#[derive(Deserialize)]
struct Wrapper {
    #[serde(default)]
    items: Vec<User>,
    /// Seconds to wait before the next request to this method.
    backoff: Option<u64>,
    quota_remaining: Option<i64>,
    quota_max: Option<i64>,
}

#[derive(Deserialize)]
struct User {
    user_id: i64,
    reputation: Option<i64>,
    /// HTML-escaped (`&amp;`, `&#39;`).
    display_name: Option<String>,
    profile_image: Option<String>,
}

#[derive(Deserialize)]
struct ApiError {
    error_name: String,
    #[serde(default)]
    error_message: String,
}

impl StackExchange {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.stackexchange_url.clone(),
            key: settings.stackexchange_key.clone(),
        }
    }

    async fn get(
        &self,
        upstream: &Upstream,
        path: &str,
        site: &str,
    ) -> Result<Wrapper, CollectError> {
        let mut query = vec![("site", site), ("pagesize", "100")];
        if let Some(key) = &self.key {
            query.push(("key", key));
        }
        let request = upstream
            .client()
            .get(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .query(&query);
        let answer = upstream
            .get_json::<Wrapper>(Platform::Stackexchange, request)
            .await
            .map_err(|error| understood(upstream, error))?;
        if let Some(seconds) = answer.backoff {
            upstream.pause_platform(
                Platform::Stackexchange,
                Instant::now() + Duration::from_secs(seconds + 1),
            );
        }
        Ok(answer)
    }

    /// The users of one site, in the order of `ids`.
    async fn site(
        &self,
        upstream: &Upstream,
        site: &str,
        ids: &[i64],
    ) -> Result<Vec<Result<Observation, CollectError>>, CollectError> {
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(";");
        let answer = match self.get(upstream, &format!("/users/{list}"), site).await {
            Ok(answer) => answer,
            Err(CollectError::InvalidHandle(why)) => {
                return Ok(ids
                    .iter()
                    .map(|_| Err(CollectError::InvalidHandle(why.clone())))
                    .collect());
            }
            Err(error) => return Err(error),
        };
        Ok(ids
            .iter()
            .map(|id| {
                // Users come back in reputation order, not the asked one.
                let user = answer
                    .items
                    .iter()
                    .find(|u| u.user_id == *id)
                    .ok_or(CollectError::NotFound)?;
                Ok(Observation {
                    counters: Counters {
                        score: user.reputation,
                        ..Counters::default()
                    },
                    platform_id: Some(user.user_id.to_string()),
                    display_name: user
                        .display_name
                        .as_deref()
                        .map(|n| html_escape::decode_html_entities(n).into_owned())
                        .filter(|n| !n.is_empty()),
                    handle: None,
                    avatar_url: user.profile_image.clone(),
                })
            })
            .collect())
    }
}

/// What a 400 of the API means: every error comes as one, told apart by
/// its `error_name`.
fn understood(upstream: &Upstream, error: CollectError) -> CollectError {
    let CollectError::Rejected {
        status: 400, body, ..
    } = &error
    else {
        return error;
    };
    let Ok(api) = serde_json::from_str::<ApiError>(body) else {
        return error;
    };
    match api.error_name.as_str() {
        "throttle_violation" => {
            // "… more requests available in 17524 seconds"; a violated
            // backoff says no time.
            let wait = api
                .error_message
                .split("available in ")
                .nth(1)
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .map_or(super::http::DEFAULT_PAUSE, Duration::from_secs);
            upstream.pause_platform(Platform::Stackexchange, Instant::now() + wait);
            CollectError::RateLimited {
                retry_after: Some(wait),
            }
        }
        "bad_parameter" if api.error_message.starts_with("No site found") => {
            CollectError::InvalidHandle(format!("Stack Exchange: {}", api.error_message))
        }
        _ => CollectError::Upstream {
            message: format!(
                "Stack Exchange refused the request: {} ({})",
                api.error_message, api.error_name
            ),
            retryable: false,
        },
    }
}

/// `id@site` as stored.
fn split(handle: &str) -> Result<(i64, String), CollectError> {
    let stored = Platform::Stackexchange
        .normalize_handle(handle)
        .map_err(|why| CollectError::InvalidHandle(format!("{handle}: {why}")))?;
    let (id, site) = stored.split_once('@').expect("a checked handle");
    Ok((id.parse().expect("a checked id"), site.to_owned()))
}

#[async_trait]
impl Collector for StackExchange {
    fn batch_size(&self) -> usize {
        BATCH
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let mut results: Vec<Option<Result<Observation, CollectError>>> =
            targets.iter().map(|_| None).collect();
        // One request per site, its users in one list.
        let mut sites: BTreeMap<String, Vec<(usize, i64)>> = BTreeMap::new();
        for (index, target) in targets.iter().enumerate() {
            match split(&target.handle) {
                Ok((id, site)) => sites.entry(site).or_default().push((index, id)),
                Err(error) => results[index] = Some(Err(error)),
            }
        }
        let mut answered = false;
        for (site, users) in sites {
            let ids: Vec<i64> = users.iter().map(|(_, id)| *id).collect();
            let answers = match self.site(upstream, &site, &ids).await {
                Ok(answers) => answers,
                // Nothing answered yet: the batch is tried again as a whole.
                Err(error) if !answered => return Err(error),
                // Sites already answered keep their answers; this one's
                // users get the failure (a backoff or a spent quota).
                Err(error) => ids.iter().map(|_| Err(error.clone())).collect(),
            };
            answered = true;
            for ((index, _), answer) in users.into_iter().zip(answers) {
                results[index] = Some(answer);
            }
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every target answered"))
            .collect())
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let answer = self.get(upstream, "/info", "stackoverflow").await?;
        let who = if self.key.is_some() {
            "with STACKEXCHANGE_KEY"
        } else {
            "without a key"
        };
        Ok(match (answer.quota_remaining, answer.quota_max) {
            (Some(left), Some(max)) => {
                format!("answers {who}: {left} of {max} requests left today")
            }
            _ => format!("answers {who}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_split_into_id_and_site() {
        assert_eq!(
            split("22656@stackoverflow").unwrap(),
            (22656, "stackoverflow".into())
        );
        assert_eq!(
            split("42@math.stackexchange.com").unwrap(),
            (42, "math".into())
        );
        assert!(split("jon@stackoverflow").is_err());
    }
}
