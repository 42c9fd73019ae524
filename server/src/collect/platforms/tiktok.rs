//! TikTok through the Research API, for an approved research client only
//! (TikTok grants it to non-profit research projects): a token by client
//! credentials (`TIKTOK_CLIENT_KEY`, `TIKTOK_CLIENT_SECRET`) from `POST
//! {api}/v2/oauth/token/`, then `POST {api}/v2/research/user/info/` with
//! `{"username"}` for each account. 1,000 requests a day per client, reset
//! at midnight UTC: the default budget is 900 a day, so give TikTok a daily
//! interval (`REACH_PLATFORM_INTERVALS=tiktok=24h`).
//!
//! Errors are `{"error": {"code", "message"}}`: an unknown user, a private
//! one and one TikTok will not show (banned, under age, opted out) are all
//! `invalid_params`, told apart by the message. The answer carries no id,
//! so a renamed account cannot be followed: it becomes not found.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::oauth::{ClientCredentials, Grant, TokenCache, with_token};
use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

const FIELDS: &str =
    "display_name,avatar_url,follower_count,following_count,likes_count,video_count";

pub struct Tiktok {
    base_url: String,
    credentials: ClientCredentials,
    token: TokenCache,
}

#[derive(Deserialize)]
struct Answer {
    data: Option<User>,
}

#[derive(Deserialize)]
struct User {
    display_name: Option<String>,
    avatar_url: Option<String>,
    follower_count: Option<i64>,
    following_count: Option<i64>,
    likes_count: Option<i64>,
    video_count: Option<i64>,
}

#[derive(Deserialize)]
struct Refusal {
    error: RefusalBody,
}

#[derive(Deserialize)]
struct RefusalBody {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

impl Tiktok {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.tiktok_url.clone(),
            credentials: ClientCredentials::new(
                settings.tiktok_client_key.clone(),
                settings.tiktok_client_secret.clone(),
                "TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET (of an approved Research API client)",
            ),
            token: TokenCache::default(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    async fn grant(&self, upstream: &Upstream) -> Result<Grant, CollectError> {
        let (key, secret) = self.credentials.get()?;
        let request = upstream.client().post(self.url("/v2/oauth/token/")).form(&[
            ("client_key", key),
            ("client_secret", secret),
            ("grant_type", "client_credentials"),
        ]);
        upstream
            .get_json(Platform::Tiktok, request)
            .await
            .map_err(|error| match error {
                CollectError::Rejected { message, .. } => CollectError::Unauthorized(format!(
                    "TikTok refuses TIKTOK_CLIENT_KEY or TIKTOK_CLIENT_SECRET: {message}"
                )),
                error => error,
            })
    }

    async fn user(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let name = super::stored_handle(Platform::Tiktok, target)?;
        let url = self.url("/v2/research/user/info/");
        let answer: Answer = with_token(
            &self.token,
            || self.grant(upstream),
            |token| {
                let request = upstream
                    .client()
                    .post(&url)
                    .query(&[("fields", FIELDS)])
                    .bearer_auth(token)
                    .json(&serde_json::json!({ "username": name }));
                upstream.get_json(Platform::Tiktok, request)
            },
        )
        .await
        .map_err(|error| understood(&name, error))?;
        let user = answer
            .data
            .ok_or_else(|| CollectError::BadData("TikTok gave no data".into()))?;
        Ok(Observation {
            counters: Counters {
                followers: user.follower_count,
                following: user.following_count,
                posts: user.video_count,
                likes: user.likes_count,
                ..Counters::default()
            },
            platform_id: None,
            display_name: user.display_name.filter(|n| !n.is_empty()),
            handle: None,
            avatar_url: user.avatar_url,
        })
    }
}

/// What TikTok's refusal of one user says.
fn understood(name: &str, error: CollectError) -> CollectError {
    let CollectError::Rejected { body, .. } = &error else {
        return error;
    };
    let Ok(refusal) = serde_json::from_str::<Refusal>(body) else {
        return error;
    };
    let message = refusal.error.message;
    match refusal.error.code.as_str() {
        "invalid_params" if message.contains("cannot find the user") => CollectError::NotFound,
        "invalid_params" if message.contains("is private") => {
            CollectError::Private(format!("@{name} is private on TikTok"))
        }
        "invalid_params" if message.contains("cannot return this user") => CollectError::Private(
            format!("TikTok will not show @{name} (banned, under age, or opted out): {message}"),
        ),
        _ => error,
    }
}

#[async_trait]
impl Collector for Tiktok {
    fn missing_settings(&self) -> Option<&'static str> {
        self.credentials.missing()
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        self.credentials.get()?;
        super::one_by_one(targets, |target| self.user(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        // A token costs none of the day's quota.
        self.token.get(|| self.grant(upstream)).await?;
        Ok("the client key and secret give a token (no quota spent)".to_owned())
    }
}
