//! Reddit over OAuth2, application-only (needs `REDDIT_CLIENT_ID` and
//! `REDDIT_CLIENT_SECRET`): a token by client credentials from
//! `{auth}`, then `GET {api}/user/{name}/about` for users (followers are the
//! subscribers of the user's profile subreddit, score the total karma) and
//! `GET {api}/r/{name}/about` for subreddits (`r/name`: subscribers).
//!
//! Since late May 2026 Reddit answers every anonymous `.json` request with
//! `403 Blocked`: without credentials the outcome is `not_configured`.
//! Names cannot change on Reddit, so there are no renames to follow. A
//! suspended user answers 200 with `is_suspended` and no counts; a private,
//! quarantined or gated subreddit answers 403 with its `reason`; a banned
//! one 404 with `reason: banned`.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::oauth::{ClientCredentials, Grant, TokenCache, with_token};
use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct Reddit {
    api_url: String,
    auth_url: String,
    credentials: ClientCredentials,
    user_agent: String,
    token: TokenCache,
}

/// A `/user/{name}/about` or `/r/{name}/about` answer: `t2` a user, `t5` a
/// subreddit; anything else (a search page after a redirect) is no account.
#[derive(Deserialize)]
struct Thing {
    kind: String,
    data: Data,
}

#[derive(Deserialize)]
struct Data {
    id: Option<String>,
    #[serde(default)]
    is_suspended: bool,
    total_karma: Option<i64>,
    subreddit: Option<ProfileSubreddit>,
    // Subreddits.
    subscribers: Option<i64>,
    title: Option<String>,
    /// A user's picture, or a subreddit's old icon.
    icon_img: Option<String>,
    /// A subreddit's icon.
    community_icon: Option<String>,
}

#[derive(Deserialize)]
struct ProfileSubreddit {
    subscribers: Option<i64>,
    title: Option<String>,
}

#[derive(Deserialize)]
struct Refusal {
    reason: Option<String>,
}

/// A user (`spez`) or a subreddit (`r/rust`), as Reach stores them.
#[derive(Debug, PartialEq, Eq)]
enum Name<'a> {
    User(&'a str),
    Subreddit(&'a str),
}

fn name(handle: &str) -> Result<Name<'_>, CollectError> {
    let handle = handle.trim().trim_start_matches('/');
    let valid = |name: &str, max: usize| {
        (3..=max).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    };
    if let Some(subreddit) = handle.strip_prefix("r/") {
        return if valid(subreddit, 21) && !subreddit.contains('-') {
            Ok(Name::Subreddit(subreddit))
        } else {
            Err(CollectError::InvalidHandle(format!(
                "{handle}: a subreddit is r/ and 3 to 21 letters, digits or _"
            )))
        };
    }
    let user = handle.trim_start_matches("u/");
    if valid(user, 20) {
        Ok(Name::User(user))
    } else {
        Err(CollectError::InvalidHandle(format!(
            "{handle}: a Reddit name has 3 to 20 letters, digits, _ or -"
        )))
    }
}

impl Reddit {
    pub fn new(settings: &PlatformSettings) -> Self {
        // Reddit's rule: `<platform>:<app ID>:<version> (by /u/<name>)`.
        let by = settings
            .reddit_username
            .as_ref()
            .map(|name| format!(" (by /u/{})", name.trim_start_matches("u/")))
            .unwrap_or_default();
        Self {
            api_url: settings.reddit_url.clone(),
            auth_url: settings.reddit_auth_url.clone(),
            credentials: ClientCredentials::new(
                settings.reddit_client_id.clone(),
                settings.reddit_client_secret.clone(),
                "REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET (Reddit answers no anonymous request since May 2026)",
            ),
            user_agent: format!("server:reach:{}{by}", env!("CARGO_PKG_VERSION")),
            token: TokenCache::default(),
        }
    }

    async fn grant(&self, upstream: &Upstream) -> Result<Grant, CollectError> {
        let (id, secret) = self.credentials.get()?;
        let request = upstream
            .client()
            .post(&self.auth_url)
            .header("user-agent", &self.user_agent)
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        upstream.get_json(Platform::Reddit, request).await
    }

    async fn about(&self, upstream: &Upstream, path: &str) -> Result<Thing, CollectError> {
        with_token(
            &self.token,
            || self.grant(upstream),
            |token| {
                let request = upstream
                    .client()
                    .get(format!("{}{path}", self.api_url.trim_end_matches('/')))
                    .header("user-agent", &self.user_agent)
                    .bearer_auth(token)
                    .query(&[("raw_json", "1")]);
                upstream.get_json(Platform::Reddit, request)
            },
        )
        .await
    }

    async fn account(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let name = name(&target.handle)?;
        let (path, label) = match name {
            Name::User(user) => (format!("/user/{user}/about"), format!("u/{user}")),
            Name::Subreddit(sub) => (format!("/r/{sub}/about"), format!("r/{sub}")),
        };
        let thing = self
            .about(upstream, &path)
            .await
            .map_err(|error| match error {
                CollectError::Rejected {
                    status: 403,
                    ref body,
                    ..
                } => {
                    match serde_json::from_str::<Refusal>(body)
                        .ok()
                        .and_then(|r| r.reason)
                    {
                        Some(reason) => {
                            CollectError::Private(format!("Reddit keeps {label} {reason} (403)"))
                        }
                        None => error,
                    }
                }
                error => error,
            })?;
        let data = thing.data;
        match (name, thing.kind.as_str()) {
            (Name::User(_), "t2") if data.is_suspended => {
                Err(CollectError::Suspended(format!("Reddit suspended {label}")))
            }
            (Name::User(_), "t2") => {
                let subreddit = data.subreddit;
                Ok(Observation {
                    avatar_url: data.icon_img.filter(|u| !u.is_empty()),
                    counters: Counters {
                        followers: subreddit.as_ref().and_then(|s| s.subscribers),
                        score: data.total_karma,
                        ..Counters::default()
                    },
                    platform_id: data.id,
                    display_name: subreddit.and_then(|s| s.title).filter(|t| !t.is_empty()),
                    handle: None,
                })
            }
            (Name::Subreddit(_), "t5") => Ok(Observation {
                avatar_url: data
                    .community_icon
                    .filter(|u| !u.is_empty())
                    .or(data.icon_img.filter(|u| !u.is_empty())),
                counters: Counters {
                    followers: data.subscribers,
                    ..Counters::default()
                },
                platform_id: data.id,
                display_name: data.title.filter(|t| !t.is_empty()),
                handle: None,
            }),
            // A missing subreddit redirects to a search page.
            _ => Err(CollectError::NotFound),
        }
    }
}

#[async_trait]
impl Collector for Reddit {
    fn missing_settings(&self) -> Option<&'static str> {
        self.credentials.missing()
    }

    fn requests_for(&self, accounts: usize, _without_id: usize) -> u64 {
        accounts as u64
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        self.credentials.get()?;
        let mut results = Vec::with_capacity(targets.len());
        for target in targets {
            match self.account(upstream, target).await {
                Err(error) if error.is_about_the_request() => return Err(error),
                result => results.push(result),
            }
        }
        Ok(results)
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        self.credentials.get()?;
        self.token.get(|| self.grant(upstream)).await?;
        Ok("the client id and secret give an app token".into())
    }
}

#[cfg(test)]
mod tests {
    use super::{Name, name};

    #[test]
    fn users_and_subreddits() {
        assert_eq!(name("u/spez").unwrap(), Name::User("spez"));
        assert_eq!(name("/u/spez").unwrap(), Name::User("spez"));
        assert_eq!(name("spez").unwrap(), Name::User("spez"));
        assert_eq!(name("r/rust").unwrap(), Name::Subreddit("rust"));
        assert_eq!(name("/r/rust").unwrap(), Name::Subreddit("rust"));
        assert!(name("r/no-dash").is_err());
        assert!(name("a b").is_err());
        assert!(name("../etc").is_err());
    }
}
