//! Mastodon: `GET https://{instance}/api/v1/accounts/lookup?acct={user}`,
//! no authentication. Handles are `user@instance`.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{BatchResult, CollectError, Collector, Observation, Target, Upstream};

pub struct Mastodon {
    /// Replaces `https://{instance}` when set.
    base_url: Option<String>,
}

#[derive(Deserialize)]
struct Account {
    id: String,
    display_name: Option<String>,
    followers_count: i64,
    following_count: i64,
    statuses_count: i64,
}

impl Mastodon {
    pub fn new(base_url: Option<String>) -> Self {
        Self { base_url }
    }
}

/// `@user@instance` or `user@instance` → (user, instance).
fn split_handle(handle: &str) -> Result<(&str, &str), CollectError> {
    let trimmed = handle.trim().trim_start_matches('@');
    match trimmed.split_once('@') {
        Some((user, instance))
            if !user.is_empty() && instance.contains('.') && !instance.contains('/') =>
        {
            Ok((user, instance))
        }
        _ => Err(CollectError::InvalidHandle(format!(
            "{handle}: a Mastodon handle is user@instance"
        ))),
    }
}

#[async_trait]
impl Collector for Mastodon {
    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let mut results = Vec::with_capacity(targets.len());
        for target in targets {
            let (user, instance) = split_handle(&target.handle)?;
            let base = self
                .base_url
                .clone()
                .unwrap_or_else(|| format!("https://{instance}"));
            let request = upstream
                .client()
                .get(format!(
                    "{}/api/v1/accounts/lookup",
                    base.trim_end_matches('/')
                ))
                .query(&[("acct", user)]);
            let account: Account = upstream.get_json(Platform::Mastodon, request).await?;
            results.push(Ok(Observation {
                counters: Counters {
                    followers: Some(account.followers_count),
                    following: Some(account.following_count),
                    posts: Some(account.statuses_count),
                    views: None,
                    likes: None,
                },
                platform_id: Some(account.id),
                display_name: account.display_name.filter(|n| !n.is_empty()),
            }));
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::split_handle;

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
    }
}
