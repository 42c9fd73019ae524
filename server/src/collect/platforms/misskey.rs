//! Misskey, asked on each user's own server, anonymously: `POST
//! /api/users/show` with `{"username", "host": null}` (another server's
//! copy of a user may be far behind). Counts a user hides are sent as 0:
//! a count is known only when its visibility (`followersVisibility`,
//! `followingVisibility`, or before 2024 `ffVisibility`) is `public`. An
//! unknown user, a suspended one, and one the server shows to members only
//! all answer `NO_SUCH_USER` (404; 400 before 13.10). Usernames cannot
//! change; the user's id is kept.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct Misskey {
    base_url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct User {
    id: String,
    name: Option<String>,
    followers_count: Option<i64>,
    following_count: Option<i64>,
    notes_count: Option<i64>,
    followers_visibility: Option<String>,
    following_visibility: Option<String>,
    /// Before Misskey 2024: one setting for both lists.
    ff_visibility: Option<String>,
    #[serde(default)]
    is_suspended: bool,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct MisskeyError {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
}

/// A count shown to anyone: its visibility is `public` (or, on a server
/// that says nothing of it, not hidden).
fn public(count: Option<i64>, visibility: Option<&str>) -> Option<i64> {
    count.filter(|_| visibility.is_none_or(|v| v == "public"))
}

impl Misskey {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.misskey_url.clone(),
        }
    }

    async fn show(
        &self,
        upstream: &Upstream,
        host: &str,
        username: &str,
    ) -> Result<User, CollectError> {
        let request = upstream
            .client()
            .post(format!(
                "{}/api/users/show",
                super::server_base(self.base_url.as_deref(), host)
            ))
            .json(&serde_json::json!({ "username": username, "host": null }));
        upstream
            .get_json(Platform::Misskey, request)
            .await
            .map_err(|error| match &error {
                // Before 13.10 the answer was a 400.
                CollectError::Rejected { body, .. }
                    if serde_json::from_str::<MisskeyError>(body)
                        .is_ok_and(|e| e.error.code == "NO_SUCH_USER") =>
                {
                    CollectError::NotFound
                }
                _ => error,
            })
    }

    async fn account(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let handle = super::stored_handle(Platform::Misskey, target)?;
        let (username, host) = handle.split_once('@').expect("a checked handle");
        let user = self.show(upstream, host, username).await?;
        if user.is_suspended {
            return Err(CollectError::Suspended(format!("{handle} is suspended")));
        }
        let both = user.ff_visibility.as_deref();
        Ok(Observation {
            counters: Counters {
                followers: public(
                    user.followers_count,
                    user.followers_visibility.as_deref().or(both),
                ),
                following: public(
                    user.following_count,
                    user.following_visibility.as_deref().or(both),
                ),
                posts: user.notes_count,
                ..Counters::default()
            },
            avatar_url: user.avatar_url,
            platform_id: Some(user.id),
            display_name: user.name.filter(|n| !n.is_empty()),
            handle: None,
        })
    }
}

#[async_trait]
impl Collector for Misskey {
    /// Each server has its own limit.
    fn shared_budget(&self) -> bool {
        false
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        super::one_by_one(targets, |target| self.account(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let user = self.show(upstream, "misskey.io", "misskey").await?;
        Ok(format!(
            "misskey.io answers (no credentials needed; each user's own server is asked): @misskey has {} notes",
            user.notes_count
                .map_or_else(|| "unknown".to_owned(), |n| n.to_string())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::public;

    #[test]
    fn hidden_counts_are_unknown_not_zero() {
        assert_eq!(public(Some(0), Some("private")), None);
        assert_eq!(public(Some(0), Some("followers")), None);
        assert_eq!(public(Some(12), Some("public")), Some(12));
        assert_eq!(public(Some(12), None), Some(12));
    }
}
