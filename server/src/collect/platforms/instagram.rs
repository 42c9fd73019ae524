//! Instagram through the Graph API's Business Discovery, with the
//! operator's own professional account: `GET {api}/{INSTAGRAM_USER_ID}?
//! fields=business_discovery.username(name){…}` and an access token of
//! "Instagram API with Facebook Login" (`INSTAGRAM_ACCESS_TOKEN`; tokens
//! of Instagram Login cannot ask it). Only business and creator accounts
//! answer: a personal account and an unknown name both answer error 110
//! (subcode 2207013), told as `private` with that said. One account a
//! request.
//!
//! Graph errors are JSON `{"error": {"code", …}}` whatever the status:
//! codes 4, 17, 32, 613 and 80002 are rate limits (paused for an hour: the
//! answer says no time), 190 a refused token, 10 and 200–299 a missing
//! permission. The budget (180 an hour) is a guess below Meta's per-user
//! rule of 200 calls an hour, which Meta states only for older APIs.

use std::time::Duration;

use app::model::{Counters, Platform};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tokio::time::Instant;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

const FIELDS: &str =
    "id,username,name,followers_count,follows_count,media_count,profile_picture_url";
/// How long a rate limit pauses Instagram: Meta's answer names no time.
const PAUSE: Duration = Duration::from_secs(3_600);

pub struct Instagram {
    base_url: String,
    token: Option<SecretString>,
    user_id: Option<String>,
}

#[derive(Deserialize)]
struct Answer {
    business_discovery: Option<Business>,
}

#[derive(Deserialize)]
struct Business {
    id: String,
    username: Option<String>,
    name: Option<String>,
    followers_count: Option<i64>,
    follows_count: Option<i64>,
    media_count: Option<i64>,
    profile_picture_url: Option<String>,
}

#[derive(Deserialize)]
struct GraphError {
    error: GraphErrorBody,
}

#[derive(Deserialize)]
struct GraphErrorBody {
    #[serde(default)]
    message: String,
    code: Option<i64>,
}

impl Instagram {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.instagram_url.clone(),
            token: settings.instagram_access_token.clone(),
            user_id: settings.instagram_user_id.clone(),
        }
    }

    fn credentials(&self) -> Result<(&str, &str), CollectError> {
        match (&self.token, &self.user_id) {
            (Some(token), Some(user)) => Ok((token.expose_secret(), user.as_str())),
            _ => Err(CollectError::NotConfigured(NEEDS)),
        }
    }

    async fn graph<T: serde::de::DeserializeOwned>(
        &self,
        upstream: &Upstream,
        fields: &str,
    ) -> Result<T, CollectError> {
        let (token, user) = self.credentials()?;
        let request = upstream
            .client()
            .get(format!("{}/{user}", self.base_url.trim_end_matches('/')))
            .query(&[("fields", fields), ("access_token", token)]);
        upstream
            .get_json(Platform::Instagram, request)
            .await
            .map_err(|error| understood(upstream, error))
    }

    async fn account(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let name = super::stored_handle(Platform::Instagram, target)?;
        let answer: Answer = self
            .graph(
                upstream,
                &format!("business_discovery.username({name}){{{FIELDS}}}"),
            )
            .await?;
        let business = answer
            .business_discovery
            .ok_or_else(|| CollectError::BadData("Instagram gave no business_discovery".into()))?;
        if let Some(known) = target.platform_id.as_deref()
            && known != business.id
        {
            return Err(CollectError::Gone(format!(
                "@{name} now names another Instagram account (id {})",
                business.id
            )));
        }
        Ok(Observation {
            counters: Counters {
                followers: business.followers_count,
                following: business.follows_count,
                posts: business.media_count,
                ..Counters::default()
            },
            platform_id: Some(business.id),
            display_name: business.name.filter(|n| !n.is_empty()),
            handle: business.username,
            avatar_url: business.profile_picture_url,
        })
    }
}

const NEEDS: &str =
    "INSTAGRAM_ACCESS_TOKEN and INSTAGRAM_USER_ID (your professional account, with Facebook Login)";

/// What a Graph error says, by its code.
fn understood(upstream: &Upstream, error: CollectError) -> CollectError {
    let body = match &error {
        CollectError::Rejected { body, .. } => body.as_str(),
        _ => return error,
    };
    let Ok(graph) = serde_json::from_str::<GraphError>(body) else {
        return error;
    };
    let message = graph.error.message;
    match graph.error.code {
        Some(110) => CollectError::Private(format!(
            "Instagram shows business and creator accounts only: this one is personal, or there is none by this name ({message})"
        )),
        Some(4 | 17 | 32 | 613 | 80002) => {
            upstream.pause_platform(Platform::Instagram, Instant::now() + PAUSE);
            CollectError::RateLimited {
                retry_after: Some(PAUSE),
            }
        }
        Some(190) => CollectError::Unauthorized(format!(
            "Instagram refuses INSTAGRAM_ACCESS_TOKEN (expired or revoked?): {message}"
        )),
        Some(10 | 200..=299) => CollectError::Unauthorized(format!(
            "the Instagram token lacks a permission Business Discovery needs: {message}"
        )),
        _ => error,
    }
}

#[async_trait]
impl Collector for Instagram {
    fn missing_settings(&self) -> Option<&'static str> {
        self.credentials().is_err().then_some(NEEDS)
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        self.credentials()?;
        super::one_by_one(targets, |target| self.account(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        #[derive(Deserialize)]
        struct Me {
            username: Option<String>,
        }
        let me: Me = self.graph(upstream, "username").await?;
        Ok(format!(
            "the token reads your professional account @{}",
            me.username.unwrap_or_default()
        ))
    }
}
