//! Twitch Helix (needs `TWITCH_CLIENT_ID` and `TWITCH_CLIENT_SECRET`): an
//! app token by client credentials, `GET {api}/users?login=…` for up to 100
//! users, then `GET {api}/channels/followers?broadcaster_id=…&first=1` for
//! each user's follower total.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{BatchResult, CollectError, Collector, Observation, Target, Upstream};

const BATCH: usize = 100;

pub struct Twitch {
    base_url: String,
    auth_url: String,
    credentials: Option<(String, String)>,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct Token {
    access_token: String,
    expires_in: u64,
}

#[derive(Deserialize)]
struct Users {
    data: Vec<User>,
}

#[derive(Deserialize)]
struct User {
    id: String,
    login: String,
    display_name: Option<String>,
}

#[derive(Deserialize)]
struct Followers {
    total: i64,
}

impl Twitch {
    pub fn new(
        base_url: String,
        auth_url: String,
        client_id: Option<String>,
        client_secret: Option<String>,
    ) -> Self {
        Self {
            base_url,
            auth_url,
            credentials: client_id.zip(client_secret),
            token: Mutex::new(None),
        }
    }

    /// The app token, fetched once and renewed shortly before it expires.
    async fn token(
        &self,
        upstream: &Upstream,
        id: &str,
        secret: &str,
    ) -> Result<String, CollectError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && *expires > Instant::now()
        {
            return Ok(token.clone());
        }
        let request = upstream.client().post(&self.auth_url).query(&[
            ("client_id", id),
            ("client_secret", secret),
            ("grant_type", "client_credentials"),
        ]);
        let token: Token = upstream.get_json(Platform::Twitch, request).await?;
        let lifetime = std::time::Duration::from_secs(token.expires_in.saturating_sub(60));
        *cached = Some((token.access_token.clone(), Instant::now() + lifetime));
        Ok(token.access_token)
    }
}

#[async_trait]
impl Collector for Twitch {
    fn batch_size(&self) -> usize {
        BATCH
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let (id, secret) = self
            .credentials
            .as_ref()
            .ok_or(CollectError::NotConfigured(
                "TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET",
            ))?;
        let token = self.token(upstream, id, secret).await?;
        let base = self.base_url.trim_end_matches('/');
        let authorized = |request: reqwest::RequestBuilder| {
            request.header("client-id", id.as_str()).bearer_auth(&token)
        };

        let logins: Vec<(&str, String)> = targets
            .iter()
            .map(|t| {
                (
                    "login",
                    t.handle.trim().trim_start_matches('@').to_lowercase(),
                )
            })
            .collect();
        let request = authorized(
            upstream
                .client()
                .get(format!("{base}/users"))
                .query(&logins),
        );
        let users: Users = upstream.get_json(Platform::Twitch, request).await?;

        let mut results = Vec::with_capacity(targets.len());
        for (_, login) in &logins {
            let Some(user) = users
                .data
                .iter()
                .find(|u| u.login.eq_ignore_ascii_case(login))
            else {
                results.push(Err(CollectError::NotFound));
                continue;
            };
            let request = authorized(
                upstream
                    .client()
                    .get(format!("{base}/channels/followers"))
                    .query(&[("broadcaster_id", user.id.as_str()), ("first", "1")]),
            );
            let followers = upstream
                .get_json::<Followers>(Platform::Twitch, request)
                .await
                .map(|f| Observation {
                    counters: Counters {
                        followers: Some(f.total),
                        ..Counters::default()
                    },
                    platform_id: Some(user.id.clone()),
                    display_name: user.display_name.clone(),
                });
            results.push(followers);
        }
        Ok(results)
    }
}
