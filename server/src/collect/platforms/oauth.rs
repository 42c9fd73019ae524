//! App tokens by the OAuth2 client-credentials grant (Reddit, Twitch): one
//! token per collector, fetched when first needed, renewed a minute before
//! it expires, and dropped when the platform refuses it, so that a revoked
//! or expired token costs one new token and one retry, not a failed run.

use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::time::Duration;

use serde::Deserialize;
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::CollectError;

/// An OAuth app's client id and secret, both or neither, and the settings
/// that give them. Its `Debug` never shows the secret.
pub(super) struct ClientCredentials {
    pair: Option<(String, SecretString)>,
    settings: &'static str,
}

impl ClientCredentials {
    pub fn new(id: Option<String>, secret: Option<SecretString>, settings: &'static str) -> Self {
        Self {
            pair: id.zip(secret),
            settings,
        }
    }

    /// The id and secret, or what to set.
    pub fn get(&self) -> Result<(&str, &str), CollectError> {
        self.pair
            .as_ref()
            .map(|(id, secret)| (id.as_str(), secret.expose_secret()))
            .ok_or(CollectError::NotConfigured(self.settings))
    }

    /// What to set, when they are missing.
    pub fn missing(&self) -> Option<&'static str> {
        self.pair.is_none().then_some(self.settings)
    }
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = self.pair.as_ref().map(|(id, _)| id.as_str());
        f.debug_struct("ClientCredentials")
            .field("id", &id)
            .field("secret", &self.pair.as_ref().map(|_| "…"))
            .finish()
    }
}

/// A token endpoint's answer.
#[derive(Deserialize)]
pub(super) struct Grant {
    pub access_token: String,
    pub expires_in: u64,
}

#[derive(Default)]
pub(super) struct TokenCache {
    token: Mutex<Option<(String, Instant)>>,
}

impl TokenCache {
    /// The cached token, or one fetched by `fetch` when there is none or it
    /// is about to expire.
    pub async fn get<F, Fut>(&self, fetch: F) -> Result<String, CollectError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Grant, CollectError>>,
    {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && *expires > Instant::now()
        {
            return Ok(token.clone());
        }
        let grant = fetch().await?;
        let lifetime = Duration::from_secs(grant.expires_in.saturating_sub(60));
        *cached = Some((grant.access_token.clone(), Instant::now() + lifetime));
        Ok(grant.access_token)
    }

    /// Drops `token` if it is still the cached one (another request may
    /// have renewed it already).
    pub async fn forget(&self, token: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|(t, _)| t == token) {
            *cached = None;
        }
    }
}

/// Runs `call` with a token; when the platform refuses the token, drops it,
/// gets a new one and runs `call` once more.
pub(super) async fn with_token<T, G, GFut, C, CFut>(
    cache: &TokenCache,
    grant: G,
    call: C,
) -> Result<T, CollectError>
where
    G: Fn() -> GFut,
    GFut: Future<Output = Result<Grant, CollectError>>,
    C: Fn(String) -> CFut,
    CFut: Future<Output = Result<T, CollectError>>,
{
    let token = cache.get(&grant).await?;
    match call(token.clone()).await {
        Err(CollectError::Unauthorized(_)) => {
            cache.forget(&token).await;
            let token = cache.get(&grant).await?;
            call(token).await
        }
        answer => answer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_never_prints() {
        let credentials =
            ClientCredentials::new(Some("app".into()), Some("hunter2".into()), "APP_ID");
        let shown = format!("{credentials:?}");
        assert!(
            shown.contains("app") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert_eq!(credentials.missing(), None);
        let none = ClientCredentials::new(Some("app".into()), None, "APP_ID and APP_SECRET");
        assert_eq!(none.missing(), Some("APP_ID and APP_SECRET"));
        assert!(none.get().is_err());
    }
}
