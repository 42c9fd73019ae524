//! Discord servers through a public invite: `GET {api}/invites/{code}?
//! with_counts=true`, no token (Discord's OpenAPI description marks the
//! route's authentication optional). The answer gives the server's
//! approximate members and members online; its `guild.id` is the stable
//! id. An invite that expired or was revoked answers 404 `Unknown Invite`.
//! A vanity code can pass to another server: an answer naming another
//! server than before is not recorded as this one.
//!
//! Discord bans clients that look up many invites (Cloudflare's `error
//! code: 1015`, hours long, reported after a few hundred lookups in ten
//! minutes, discord/discord-api-docs#7145), far below its documented
//! limits: the default budget is 6 requests a minute.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

/// Discord asks clients for `DiscordBot ($url, $version)` and may refuse
/// other agents; Reach has no address of its own to give.
const USER_AGENT: &str = concat!(
    "DiscordBot (self-hosted reach, ",
    env!("CARGO_PKG_VERSION"),
    ")"
);

/// The invite that `check` reads: Discord's own developer server.
const CHECK_INVITE: &str = "discord-developers";

pub struct Discord {
    base_url: String,
}

#[derive(Deserialize)]
struct Invite {
    /// 0 for a server; 1 (group DM) and 2 (friend) invites are not servers.
    #[serde(rename = "type", default)]
    kind: i64,
    guild: Option<Guild>,
    approximate_member_count: Option<i64>,
    approximate_presence_count: Option<i64>,
}

#[derive(Deserialize)]
struct Guild {
    id: String,
    name: Option<String>,
    /// The icon's hash: the picture is on Discord's CDN.
    icon: Option<String>,
}

impl Discord {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.discord_url.clone(),
        }
    }

    async fn invite(&self, upstream: &Upstream, code: &str) -> Result<Invite, CollectError> {
        let request = upstream
            .client()
            .get(format!(
                "{}/invites/{code}",
                self.base_url.trim_end_matches('/')
            ))
            .query(&[("with_counts", "true")])
            .header("user-agent", USER_AGENT);
        upstream.get_json(Platform::Discord, request).await
    }

    async fn server(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let code = Platform::Discord
            .normalize_handle(&target.handle)
            .map_err(|why| CollectError::InvalidHandle(format!("{}: {why}", target.handle)))?;
        let invite = self.invite(upstream, &code).await?;
        let guild = match invite.guild {
            Some(guild) if invite.kind == 0 => guild,
            _ => {
                return Err(CollectError::InvalidHandle(format!(
                    "{code} is not a server's invite (a group or friend invite)"
                )));
            }
        };
        if let Some(known) = target.platform_id.as_deref()
            && known != guild.id
        {
            return Err(CollectError::Gone(format!(
                "the invite {code} now leads to another server ({}, id {}); add that one as a new account if wanted",
                guild.name.as_deref().unwrap_or("unnamed"),
                guild.id
            )));
        }
        Ok(Observation {
            counters: Counters {
                followers: invite.approximate_member_count,
                online: invite.approximate_presence_count,
                ..Counters::default()
            },
            avatar_url: guild
                .icon
                .as_ref()
                .map(|icon| format!("https://cdn.discordapp.com/icons/{}/{icon}.png", guild.id)),
            platform_id: Some(guild.id),
            display_name: guild.name.filter(|n| !n.is_empty()),
            handle: None,
        })
    }
}

#[async_trait]
impl Collector for Discord {
    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        super::one_by_one(targets, |target| self.server(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let invite = self.invite(upstream, CHECK_INVITE).await?;
        let name = invite
            .guild
            .and_then(|g| g.name)
            .unwrap_or_else(|| CHECK_INVITE.to_owned());
        Ok(match invite.approximate_member_count {
            Some(members) => format!("answers: {name} has about {members} members"),
            None => format!("answers: {name}, without counts"),
        })
    }
}
