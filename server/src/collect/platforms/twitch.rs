//! Twitch Helix (needs `TWITCH_CLIENT_ID` and `TWITCH_CLIENT_SECRET`): an
//! app token by client credentials (the secret in the form body, never in
//! the URL), `GET {api}/users?id=…&login=…` for up to 100 users (by id once
//! known, so a renamed user is followed: the answer's `login` is the new
//! handle), then `GET {api}/channels/followers?broadcaster_id=…&first=1`
//! for each user's follower total.
//!
//! A `401 Invalid OAuth token` drops the cached token; one new token is
//! fetched and the request tried once more. Users Twitch suspended or
//! deleted are left out of the `users` answer.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::oauth::{ClientCredentials, Grant, TokenCache, with_token};
use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

const BATCH: usize = 100;

pub struct Twitch {
    base_url: String,
    auth_url: String,
    credentials: ClientCredentials,
    token: TokenCache,
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
    profile_image_url: Option<String>,
}

#[derive(Deserialize)]
struct Followers {
    total: i64,
}

impl Twitch {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.twitch_url.clone(),
            auth_url: settings.twitch_auth_url.clone(),
            credentials: ClientCredentials::new(
                settings.twitch_client_id.clone(),
                settings.twitch_client_secret.clone(),
                "TWITCH_CLIENT_ID and TWITCH_CLIENT_SECRET",
            ),
            token: TokenCache::default(),
        }
    }

    async fn grant(&self, upstream: &Upstream) -> Result<Grant, CollectError> {
        let (id, secret) = self.credentials.get()?;
        let request = upstream.client().post(&self.auth_url).form(&[
            ("client_id", id),
            ("client_secret", secret),
            ("grant_type", "client_credentials"),
        ]);
        upstream
            .get_json(Platform::Twitch, request)
            .await
            .map_err(|error| match error {
                // 400 "invalid client", 403 "invalid client secret".
                CollectError::Rejected { message, .. } => CollectError::Unauthorized(format!(
                    "Twitch refuses TWITCH_CLIENT_ID or TWITCH_CLIENT_SECRET: {message}"
                )),
                error => error,
            })
    }

    /// A Helix GET with the app token, renewed once if Twitch refuses it.
    async fn helix<T: serde::de::DeserializeOwned>(
        &self,
        upstream: &Upstream,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, CollectError> {
        let (id, _) = self.credentials.get()?;
        let url = format!("{}{path}", self.base_url.trim_end_matches('/'));
        with_token(
            &self.token,
            || self.grant(upstream),
            |token| {
                let request = upstream
                    .client()
                    .get(&url)
                    .query(query)
                    .header("client-id", id)
                    .bearer_auth(token);
                upstream.get_json(Platform::Twitch, request)
            },
        )
        .await
    }
}

fn login(target: &Target) -> String {
    target.handle.trim().trim_start_matches('@').to_lowercase()
}

#[async_trait]
impl Collector for Twitch {
    fn batch_size(&self) -> usize {
        BATCH
    }

    /// One `users` request, then one `followers` request per account.
    fn requests_for(&self, accounts: usize, _without_id: usize) -> u64 {
        (accounts.div_ceil(BATCH) + accounts) as u64
    }

    fn missing_settings(&self) -> Option<&'static str> {
        self.credentials.missing()
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        self.credentials.get()?;
        let logins: Vec<String> = targets.iter().map(login).collect();
        let mut query: Vec<(&str, &str)> = Vec::with_capacity(targets.len());
        for (target, login) in targets.iter().zip(&logins) {
            match target.platform_id.as_deref() {
                Some(id) => query.push(("id", id)),
                None => query.push(("login", login)),
            }
        }
        let users: Users = match self.helix(upstream, "/users", &query).await {
            // One login Twitch refuses fails the whole call; alone, it is
            // that account's handle (the engine asks a batch's accounts
            // alone after a 400).
            Err(error) if error.is_bad_request() && targets.len() == 1 => {
                return Ok(vec![Err(CollectError::InvalidHandle(format!(
                    "Twitch refuses {}: {error}",
                    logins[0]
                )))]);
            }
            users => users?,
        };

        let mut results = Vec::with_capacity(targets.len());
        for (target, login) in targets.iter().zip(&logins) {
            let found = users.data.iter().find(|u| match &target.platform_id {
                Some(id) => &u.id == id,
                None => u.login.eq_ignore_ascii_case(login),
            });
            let Some(user) = found else {
                results.push(Err(CollectError::NotFound));
                continue;
            };
            let followers = self
                .helix::<Followers>(
                    upstream,
                    "/channels/followers",
                    &[("broadcaster_id", user.id.as_str()), ("first", "1")],
                )
                .await;
            // A failure here is this account's alone: the batch is not
            // asked again for it.
            results.push(followers.map(|f| Observation {
                counters: Counters {
                    followers: Some(f.total),
                    ..Counters::default()
                },
                platform_id: Some(user.id.clone()),
                display_name: user.display_name.clone(),
                handle: Some(user.login.to_lowercase()),
                avatar_url: user.profile_image_url.clone().filter(|u| !u.is_empty()),
            }));
        }
        Ok(results)
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let users: Users = self
            .helix(upstream, "/users", &[("login", "twitchdev")])
            .await?;
        Ok(format!(
            "the client id and secret give an app token ({} user found)",
            users.data.len()
        ))
    }
}
