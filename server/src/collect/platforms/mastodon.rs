//! Mastodon (and servers speaking its API), no authentication. Handles are
//! `user@domain`. The domain's API host is found once by WebFinger
//! (`/.well-known/webfinger?resource=acct:user@domain`, the `self` link's
//! host), since a server may serve `alice@example.com` from
//! `social.example.com`. An account first seen is looked up by its bare
//! username (`/api/v1/accounts/lookup?acct=user`), then asked by its id
//! (`/api/v1/accounts/{id}`) on that host, so a changed username is
//! followed.
//!
//! A suspended account answers 200 with `suspended: true` (and counts that
//! mean nothing); a moved one names its new account in `moved`; glitch-soc
//! sends -1 for a hidden count and Pleroma/Akkoma 0 with
//! `pleroma.hide_followers_count` and `hide_followers`: both are unknown,
//! never values.
//!
//! Servers that speak the API their own way: Akkoma and Pleroma read like
//! Mastodon; Pixelfed shows accounts by id to signed-in users only (Reach
//! then asks by name) and answers an unknown name with a 400; GoToSocial
//! answers signed-in clients only (`blocked`, said so).

use std::collections::HashMap;

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;
use tokio::sync::Mutex;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct Mastodon {
    /// Replaces `https://{host}` when set (tests, proxies); a `{host}` in
    /// it is replaced by the host, so one fake or proxy can tell servers
    /// apart by path.
    base_url: Option<String>,
    /// The API host of each handle domain, found by WebFinger.
    hosts: Mutex<HashMap<String, String>>,
}

#[derive(Deserialize)]
struct Account {
    id: String,
    username: Option<String>,
    display_name: Option<String>,
    followers_count: Option<i64>,
    following_count: Option<i64>,
    statuses_count: Option<i64>,
    /// Not animated, where the server says.
    avatar_static: Option<String>,
    avatar: Option<String>,
    #[serde(default)]
    suspended: bool,
    moved: Option<Moved>,
    pleroma: Option<Pleroma>,
}

#[derive(Deserialize)]
struct Moved {
    acct: String,
}

/// Pleroma and Akkoma send 0 for a count only when both its count and its
/// list are hidden (`!hide_followers_count or !hide_followers` shows it).
#[derive(Deserialize, Default)]
struct Pleroma {
    #[serde(default)]
    hide_followers_count: bool,
    #[serde(default)]
    hide_followers: bool,
    #[serde(default)]
    hide_follows_count: bool,
    #[serde(default)]
    hide_follows: bool,
}

#[derive(Deserialize)]
struct Jrd {
    #[serde(default)]
    links: Vec<Link>,
}

#[derive(Deserialize)]
struct Link {
    rel: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    href: Option<String>,
}

#[derive(Deserialize)]
struct Instance {
    domain: Option<String>,
    title: Option<String>,
}

impl Mastodon {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.mastodon_url.clone(),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    fn base(&self, host: &str) -> String {
        super::server_base(self.base_url.as_deref(), host)
    }

    /// The host serving `domain`'s API: WebFinger's `self` link, or the
    /// domain itself when WebFinger says nothing useful.
    async fn api_host(
        &self,
        upstream: &Upstream,
        user: &str,
        domain: &str,
    ) -> Result<String, CollectError> {
        if let Some(host) = self.hosts.lock().await.get(domain) {
            return Ok(host.clone());
        }
        let request = upstream
            .client()
            .get(format!("{}/.well-known/webfinger", self.base(domain)))
            .header("accept", "application/jrd+json")
            .query(&[("resource", format!("acct:{user}@{domain}"))]);
        let host = match upstream.get_json::<Jrd>(Platform::Mastodon, request).await {
            Ok(jrd) => self_host(&jrd).unwrap_or_else(|| domain.to_owned()),
            Err(error) if error.is_about_the_request() => return Err(error),
            // No usable answer (an unknown user, a server without
            // WebFinger): the domain serves its own API, and the lookup
            // there says whether the account exists.
            Err(_) => domain.to_owned(),
        };
        self.hosts
            .lock()
            .await
            .insert(domain.to_owned(), host.clone());
        Ok(host)
    }

    async fn account(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let (user, domain) = split_handle(&target.handle)?;
        let host = self.api_host(upstream, user, domain).await?;
        let base = self.base(&host);
        let lookup = || {
            upstream
                .client()
                .get(format!("{base}/api/v1/accounts/lookup"))
                .header("accept", "application/json")
                .query(&[("acct", user)])
        };
        let account = match target.platform_id.as_deref().filter(|id| is_id(id)) {
            Some(id) => {
                let by_id = upstream
                    .client()
                    .get(format!("{base}/api/v1/accounts/{id}"))
                    .header("accept", "application/json");
                match upstream
                    .get_json::<Account>(Platform::Mastodon, by_id)
                    .await
                {
                    // Pixelfed shows an account by id to signed-in users
                    // only (a refusal, or its login page): ask by name.
                    Err(CollectError::Unauthorized(_) | CollectError::BadData(_)) => {
                        upstream.get_json(Platform::Mastodon, lookup()).await
                    }
                    answer => answer,
                }
            }
            None => upstream.get_json(Platform::Mastodon, lookup()).await,
        }
        .map_err(|error| refusal(&host, error))?;
        if account.suspended {
            return Err(CollectError::Suspended(format!(
                "{host} suspended {user}@{domain}"
            )));
        }
        if let Some(moved) = account.moved {
            return Err(CollectError::Gone(format!(
                "{user}@{domain} moved to {}",
                moved.acct
            )));
        }
        let hidden = account.pleroma.unwrap_or_default();
        Ok(Observation {
            avatar_url: account.avatar_static.or(account.avatar),
            counters: Counters {
                followers: account
                    .followers_count
                    .filter(|_| !(hidden.hide_followers_count && hidden.hide_followers)),
                following: account
                    .following_count
                    .filter(|_| !(hidden.hide_follows_count && hidden.hide_follows)),
                posts: account.statuses_count,
                ..Counters::default()
            },
            platform_id: Some(account.id),
            display_name: account.display_name.filter(|n| !n.is_empty()),
            handle: account
                .username
                .filter(|name| !name.is_empty())
                .map(|name| format!("{name}@{domain}")),
        })
    }
}

/// The refusals of servers that speak Mastodon's API their own way.
fn refusal(host: &str, error: CollectError) -> CollectError {
    match error {
        // GoToSocial's API, and a Mastodon server in limited federation
        // mode, answer signed-in clients only; Reach sends no credentials.
        CollectError::Unauthorized(message) => CollectError::Blocked(format!(
            "{host} answers signed-in clients only (GoToSocial, or a server in limited federation mode); Reach reads anonymously: {message}"
        )),
        // Pixelfed answers an unknown name with a 400.
        CollectError::Rejected {
            status: 400, body, ..
        } if body.contains("\"Record not found\"") => CollectError::NotFound,
        error => error,
    }
}

/// The host of the JRD's ActivityPub `self` link.
fn self_host(jrd: &Jrd) -> Option<String> {
    jrd.links
        .iter()
        .find(|link| {
            link.rel == "self"
                && link
                    .kind
                    .as_deref()
                    .is_some_and(|t| t.contains("activity+json") || t.contains("activitystreams"))
        })
        .and_then(|link| reqwest::Url::parse(link.href.as_deref()?).ok())
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
}

fn is_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `@user@domain` or `user@domain` → (user, domain).
fn split_handle(handle: &str) -> Result<(&str, &str), CollectError> {
    let trimmed = handle.trim().trim_start_matches('@');
    match trimmed.split_once('@') {
        Some((user, domain))
            if !user.is_empty()
                && domain.contains('.')
                && !domain.contains('/')
                && user
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-') =>
        {
            Ok((user, domain))
        }
        _ => Err(CollectError::InvalidHandle(format!(
            "{handle}: a Mastodon handle is user@instance"
        ))),
    }
}

#[async_trait]
impl Collector for Mastodon {
    /// Each instance has its own limit: a run is not planned by one budget.
    fn shared_budget(&self) -> bool {
        false
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
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
        let host = "mastodon.social";
        let request = upstream
            .client()
            .get(format!("{}/api/v2/instance", self.base(host)));
        let instance: Instance = upstream.get_json(Platform::Mastodon, request).await?;
        Ok(format!(
            "{} answers (no credentials needed; each account's own server is asked)",
            instance
                .title
                .or(instance.domain)
                .unwrap_or_else(|| host.to_owned())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_need_an_instance() {
        assert_eq!(
            split_handle("@gargron@mastodon.social").unwrap(),
            ("gargron", "mastodon.social")
        );
        assert_eq!(
            split_handle("gargron@mastodon.social").unwrap(),
            ("gargron", "mastodon.social")
        );
        assert!(split_handle("gargron").is_err());
        assert!(split_handle("gargron@localhost").is_err());
        assert!(split_handle("@x@evil.example/path").is_err());
        assert!(split_handle("a?b@evil.example").is_err());
    }

    #[test]
    fn webfinger_names_the_api_host() {
        let split: Jrd = serde_json::from_str(include_str!(
            "../../../tests/fixtures/platforms/mastodon/webfinger_split_domain.json"
        ))
        .unwrap();
        assert_eq!(self_host(&split).as_deref(), Some("social.example.com"));
        let plain: Jrd = serde_json::from_str(r#"{"links":[]}"#).unwrap();
        assert_eq!(self_host(&plain), None);
    }
}
