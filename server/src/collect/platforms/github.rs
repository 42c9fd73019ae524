//! GitHub: `GET {api}/users/{login}` for an account first seen, then
//! `GET {api}/user/{id}` once its stable id is known, so a renamed user is
//! followed (the answer's `login` is the new handle). 60 requests an hour
//! anonymously, 5,000 with `GITHUB_TOKEN`. Suspended and deleted users
//! answer 404, like unknown ones; the engine tells them apart by whether
//! the id answered before.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct Github {
    base_url: String,
    token: Option<SecretString>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    login: String,
    name: Option<String>,
    followers: Option<i64>,
    following: Option<i64>,
    public_repos: Option<i64>,
    avatar_url: Option<String>,
}

#[derive(Deserialize)]
struct RateLimit {
    rate: Rate,
}

#[derive(Deserialize)]
struct Rate {
    limit: i64,
    remaining: i64,
}

impl Github {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.github_url.clone(),
            token: settings.github_token.clone(),
        }
    }

    fn get(&self, upstream: &Upstream, path: &str) -> reqwest::RequestBuilder {
        let request = upstream
            .client()
            .get(format!("{}{path}", self.base_url.trim_end_matches('/')))
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28");
        match &self.token {
            Some(token) => request.bearer_auth(token.expose_secret()),
            None => request,
        }
    }

    async fn user(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let path = match target.platform_id.as_deref().filter(|id| is_id(id)) {
            Some(id) => format!("/user/{id}"),
            None => format!("/users/{}", login(&target.handle)?),
        };
        let user: User = upstream
            .get_json(Platform::Github, self.get(upstream, &path))
            .await?;
        Ok(Observation {
            counters: Counters {
                followers: user.followers,
                following: user.following,
                posts: user.public_repos,
                ..Counters::default()
            },
            platform_id: Some(user.id.to_string()),
            display_name: user.name.filter(|n| !n.is_empty()),
            handle: Some(user.login),
            avatar_url: user.avatar_url,
        })
    }
}

fn is_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

fn login(handle: &str) -> Result<&str, CollectError> {
    let login = handle.trim().trim_start_matches('@');
    let valid = (1..=39).contains(&login.len())
        && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !login.starts_with('-');
    if valid {
        Ok(login)
    } else {
        Err(CollectError::InvalidHandle(format!(
            "{handle}: a GitHub login has up to 39 letters, digits or hyphens"
        )))
    }
}

#[async_trait]
impl Collector for Github {
    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let mut results = Vec::with_capacity(targets.len());
        for target in targets {
            match self.user(upstream, target).await {
                // The batch (of one) is retried as a whole on these.
                Err(error) if error.is_about_the_request() => return Err(error),
                result => results.push(result),
            }
        }
        Ok(results)
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        // `/rate_limit` does not count against the limit.
        let limit: RateLimit = upstream
            .get_json(Platform::Github, self.get(upstream, "/rate_limit"))
            .await?;
        let who = if self.token.is_some() {
            "with GITHUB_TOKEN"
        } else {
            "anonymously"
        };
        Ok(format!(
            "answers {who}: {} of {} requests left this hour",
            limit.rate.remaining, limit.rate.limit
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::{is_id, login};

    #[test]
    fn github_logins() {
        assert_eq!(login("octocat").unwrap(), "octocat");
        assert!(login("-bad").is_err());
        assert!(login("has/slash").is_err());
        assert!(login(&"x".repeat(40)).is_err());
    }

    #[test]
    fn only_numbers_are_ids() {
        assert!(is_id("583231"));
        assert!(!is_id("../583231"));
        assert!(!is_id(""));
    }
}
