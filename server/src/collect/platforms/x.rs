//! X (API v2) with an app-only bearer token (`X_BEARER_TOKEN`): `GET
//! {api}/2/users/by?usernames=` for accounts first seen and `GET
//! {api}/2/users?ids=` once their id is known (a renamed account answers
//! with its new username), 100 a request, `user.fields=public_metrics`.
//! Reading costs money since February 2026 (pay per use, per user read and
//! UTC day); the request budget is a setting (`REACH_RATE_LIMITS=x=…`), by
//! default 270 per 15 minutes, under the endpoints' 300.
//!
//! A 200 may hold `data` and `errors` together: a missing user is a `Not
//! Found Error`, a suspended one a `Forbidden` whose `type` still says
//! not-found, so the title decides. Since API v2.167 the post count may be
//! `post_count` instead of `tweet_count`; both are read. `like_count` is
//! the posts the account liked, not likes it received.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

/// Users one request may name.
const BATCH: usize = 100;
const FIELDS: &str = "public_metrics,protected,profile_image_url";

pub struct X {
    base_url: String,
    token: Option<SecretString>,
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Vec<User>,
    #[serde(default)]
    errors: Vec<Problem>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    username: String,
    name: Option<String>,
    profile_image_url: Option<String>,
    public_metrics: Option<PublicMetrics>,
}

#[derive(Deserialize)]
struct PublicMetrics {
    followers_count: Option<i64>,
    following_count: Option<i64>,
    tweet_count: Option<i64>,
    post_count: Option<i64>,
    listed_count: Option<i64>,
    like_count: Option<i64>,
}

#[derive(Deserialize)]
struct Problem {
    value: Option<String>,
    resource_id: Option<String>,
    title: Option<String>,
    detail: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// A refusal of the whole request (`client-not-enrolled`).
#[derive(Deserialize)]
struct Refusal {
    reason: Option<String>,
    detail: Option<String>,
}

impl Problem {
    fn names(&self, wanted: &str) -> bool {
        [&self.value, &self.resource_id]
            .into_iter()
            .flatten()
            .any(|v| v.eq_ignore_ascii_case(wanted))
    }

    fn error(&self) -> CollectError {
        let detail = self.detail.clone().unwrap_or_default();
        match self.title.as_deref() {
            Some("Forbidden") if detail.starts_with("User has been suspended") => {
                CollectError::Suspended(detail)
            }
            Some("Not Found Error") => CollectError::NotFound,
            _ if self
                .kind
                .as_deref()
                .is_some_and(|k| k.ends_with("/not-authorized-for-resource")) =>
            {
                CollectError::Private(detail)
            }
            _ => CollectError::Upstream {
                message: format!("X: {detail}"),
                retryable: false,
            },
        }
    }
}

impl X {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.x_url.clone(),
            token: settings.x_bearer_token.clone(),
        }
    }

    async fn users(
        &self,
        upstream: &Upstream,
        token: &str,
        path: &str,
        key: &str,
        values: &[&str],
    ) -> Result<Answer, CollectError> {
        let request = upstream
            .client()
            .get(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .bearer_auth(token)
            .query(&[(key, values.join(",")), ("user.fields", FIELDS.to_owned())]);
        upstream
            .get_json(Platform::X, request)
            .await
            .map_err(|error| match &error {
                CollectError::Rejected {
                    status: 403, body, ..
                } => match serde_json::from_str::<Refusal>(body) {
                    Ok(refusal) if refusal.reason.as_deref() == Some("client-not-enrolled") => {
                        CollectError::Unauthorized(format!(
                            "X refuses the app: {}",
                            refusal.detail.unwrap_or_default()
                        ))
                    }
                    _ => error,
                },
                _ => error,
            })
    }
}

fn observation(user: &User) -> Observation {
    let metrics = user.public_metrics.as_ref();
    let count = |f: fn(&PublicMetrics) -> Option<i64>| metrics.and_then(f);
    Observation {
        counters: Counters {
            followers: count(|m| m.followers_count),
            following: count(|m| m.following_count),
            posts: count(|m| m.post_count.or(m.tweet_count)),
            likes: count(|m| m.like_count),
            listed: count(|m| m.listed_count),
            ..Counters::default()
        },
        platform_id: Some(user.id.clone()),
        display_name: user.name.clone().filter(|n| !n.is_empty()),
        handle: Some(user.username.clone()),
        avatar_url: user.profile_image_url.clone(),
    }
}

/// The answer about `wanted` (an id or a username): its user, or its error.
fn answer_for(answer: &Answer, wanted: &str, by_id: bool) -> Result<Observation, CollectError> {
    let user = answer.data.iter().find(|u| {
        if by_id {
            u.id == wanted
        } else {
            u.username.eq_ignore_ascii_case(wanted)
        }
    });
    match user {
        Some(user) => Ok(observation(user)),
        None => Err(answer
            .errors
            .iter()
            .find(|p| p.names(wanted))
            .map_or(CollectError::NotFound, Problem::error)),
    }
}

#[async_trait]
impl Collector for X {
    fn batch_size(&self) -> usize {
        BATCH
    }

    fn missing_settings(&self) -> Option<&'static str> {
        self.token.is_none().then_some("X_BEARER_TOKEN")
    }

    /// One request for the batch's known ids and one for its new names.
    fn requests_for(&self, accounts: usize, without_id: usize) -> u64 {
        let with_id = accounts.saturating_sub(without_id);
        (with_id.div_ceil(BATCH) + without_id.div_ceil(BATCH)) as u64
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let token = self
            .token
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .ok_or(CollectError::NotConfigured("X_BEARER_TOKEN"))?;
        let ids: Vec<&str> = targets
            .iter()
            .filter_map(|t| t.platform_id.as_deref())
            .collect();
        let names: Vec<&str> = targets
            .iter()
            .filter(|t| t.platform_id.is_none())
            .map(|t| t.handle.trim_start_matches('@'))
            .collect();
        let by_id = match ids.is_empty() {
            true => None,
            false => Some(self.users(upstream, token, "/2/users", "ids", &ids).await),
        };
        let by_name = match names.is_empty() {
            true => None,
            false => Some(
                self.users(upstream, token, "/2/users/by", "usernames", &names)
                    .await,
            ),
        };
        // Nothing answered: the batch is tried again as a whole. Otherwise
        // what answered is kept, and the other request's accounts get its
        // failure.
        match (&by_id, &by_name) {
            (Some(Err(error)), None | Some(Err(_))) | (None, Some(Err(error))) => {
                return Err(error.clone());
            }
            _ => {}
        }
        Ok(targets
            .iter()
            .map(|target| match (&target.platform_id, &by_id, &by_name) {
                (Some(id), Some(answer), _) => answer
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|answer| answer_for(answer, id, true)),
                (None, _, Some(answer)) => {
                    answer.as_ref().map_err(Clone::clone).and_then(|answer| {
                        answer_for(answer, target.handle.trim_start_matches('@'), false)
                    })
                }
                _ => Err(CollectError::NotFound),
            })
            .collect())
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let token = self
            .token
            .as_ref()
            .map(ExposeSecret::expose_secret)
            .ok_or(CollectError::NotConfigured("X_BEARER_TOKEN"))?;
        let answer = self
            .users(
                upstream,
                token,
                "/2/users/by",
                "usernames",
                &["XDevelopers"],
            )
            .await?;
        let followers = answer
            .data
            .first()
            .and_then(|u| u.public_metrics.as_ref())
            .and_then(|m| m.followers_count);
        Ok(format!(
            "the bearer token is accepted (one user read, which X bills): @XDevelopers has {} followers",
            followers.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
        ))
    }
}
