//! Telegram public channels through the Bot API with a bot's token
//! (`TELEGRAM_BOT_TOKEN`): `getChat?chat_id=@name` says it is a channel and
//! gives its id and title, `getChatMemberCount` its subscribers. A bot need
//! not be a member of a public channel; a private one answers 403. The
//! token is part of every URL (`/bot{token}/…`), so no URL is ever put in
//! a message. A channel name can pass to another chat: an answer with
//! another id than before is not recorded as the same channel. The Bot API
//! documents no limit for reading; Reach sends at most 20 requests a second.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct Telegram {
    base_url: String,
    token: Option<SecretString>,
}

#[derive(Deserialize)]
struct Reply<T> {
    result: Option<T>,
}

#[derive(Deserialize)]
struct Refusal {
    description: Option<String>,
}

#[derive(Deserialize)]
struct Chat {
    id: i64,
    #[serde(rename = "type")]
    kind: String,
    title: Option<String>,
    username: Option<String>,
}

impl Telegram {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.telegram_url.clone(),
            token: settings.telegram_bot_token.clone(),
        }
    }

    async fn call<T: DeserializeOwned>(
        &self,
        upstream: &Upstream,
        method: &str,
        chat: &str,
    ) -> Result<T, CollectError> {
        let token = self
            .token
            .as_ref()
            .ok_or(CollectError::NotConfigured("TELEGRAM_BOT_TOKEN"))?;
        let request = upstream
            .client()
            .get(format!(
                "{}/bot{}/{method}",
                self.base_url.trim_end_matches('/'),
                token.expose_secret()
            ))
            .query(&[("chat_id", format!("@{chat}"))]);
        let reply: Reply<T> = upstream
            .get_json(Platform::Telegram, request)
            .await
            .map_err(refusal)?;
        reply
            .result
            .ok_or_else(|| CollectError::BadData(format!("Telegram's {method} gave no result")))
    }

    async fn channel(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let name = super::stored_handle(Platform::Telegram, target)?;
        let chat: Chat = self.call(upstream, "getChat", &name).await?;
        if chat.kind != "channel" {
            return Err(CollectError::InvalidHandle(format!(
                "@{name} is a Telegram {}, not a channel",
                chat.kind
            )));
        }
        let id = chat.id.to_string();
        if let Some(known) = target.platform_id.as_deref()
            && known != id
        {
            return Err(CollectError::Gone(format!(
                "@{name} now names another chat (id {id}); add it as a new account if wanted"
            )));
        }
        let subscribers: i64 = self.call(upstream, "getChatMemberCount", &name).await?;
        Ok(Observation {
            counters: Counters {
                followers: Some(subscribers),
                ..Counters::default()
            },
            platform_id: Some(id),
            display_name: chat.title.filter(|t| !t.is_empty()),
            handle: chat.username,
            // The photo's file URL carries the bot's token: not fetched.
            avatar_url: None,
        })
    }
}

/// What the Bot API's refusal says (`{"ok": false, "description": …}`).
fn refusal(error: CollectError) -> CollectError {
    let CollectError::Rejected { status, body, .. } = &error else {
        return error;
    };
    let description = serde_json::from_str::<Refusal>(body)
        .ok()
        .and_then(|r| r.description)
        .unwrap_or_default();
    match status {
        400 if description.contains("chat not found") => CollectError::NotFound,
        403 => CollectError::Private(format!(
            "Telegram: {description} (a private channel answers only to a bot that is a member)"
        )),
        _ => error,
    }
}

#[async_trait]
impl Collector for Telegram {
    fn missing_settings(&self) -> Option<&'static str> {
        self.token.is_none().then_some("TELEGRAM_BOT_TOKEN")
    }

    /// `getChat` and `getChatMemberCount` for each channel.
    fn requests_for(&self, accounts: usize, _without_id: usize) -> u64 {
        2 * accounts as u64
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        super::one_by_one(targets, |target| self.channel(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let subscribers: i64 = self
            .call(upstream, "getChatMemberCount", "telegram")
            .await?;
        Ok(format!(
            "the bot token is accepted: @telegram has {subscribers} subscribers"
        ))
    }
}
