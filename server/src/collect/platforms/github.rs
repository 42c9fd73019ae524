//! GitHub: `GET {api}/users/{login}`; 60 requests an hour anonymously,
//! 5,000 with `GITHUB_TOKEN`.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{BatchResult, CollectError, Collector, Observation, Target, Upstream};

pub struct Github {
    base_url: String,
    token: Option<String>,
}

#[derive(Deserialize)]
struct User {
    id: i64,
    name: Option<String>,
    followers: i64,
    following: i64,
    public_repos: i64,
}

impl Github {
    pub fn new(base_url: String, token: Option<String>) -> Self {
        Self { base_url, token }
    }
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
            let login = login(&target.handle)?;
            let mut request = upstream
                .client()
                .get(format!(
                    "{}/users/{login}",
                    self.base_url.trim_end_matches('/')
                ))
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28");
            if let Some(token) = &self.token {
                request = request.bearer_auth(token);
            }
            let user: User = upstream.get_json(Platform::Github, request).await?;
            results.push(Ok(Observation {
                counters: Counters {
                    followers: Some(user.followers),
                    following: Some(user.following),
                    posts: Some(user.public_repos),
                    views: None,
                    likes: None,
                },
                platform_id: Some(user.id.to_string()),
                display_name: user.name.filter(|n| !n.is_empty()),
            }));
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::login;

    #[test]
    fn github_logins() {
        assert_eq!(login("octocat").unwrap(), "octocat");
        assert!(login("-bad").is_err());
        assert!(login("has/slash").is_err());
        assert!(login(&"x".repeat(40)).is_err());
    }
}
