//! Reddit: `GET {api}/user/{name}/about.json`. Followers are the subscribers
//! of the user's profile subreddit; likes are the total karma.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;

use super::{BatchResult, CollectError, Collector, Observation, Target, Upstream};

pub struct Reddit {
    base_url: String,
}

#[derive(Deserialize)]
struct About {
    data: User,
}

#[derive(Deserialize)]
struct User {
    id: Option<String>,
    total_karma: Option<i64>,
    subreddit: Option<ProfileSubreddit>,
}

#[derive(Deserialize)]
struct ProfileSubreddit {
    subscribers: Option<i64>,
    title: Option<String>,
}

impl Reddit {
    pub fn new(base_url: String) -> Self {
        Self { base_url }
    }
}

fn user_name(handle: &str) -> Result<&str, CollectError> {
    let name = handle
        .trim()
        .trim_start_matches("/u/")
        .trim_start_matches("u/");
    let valid = (3..=20).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if valid {
        Ok(name)
    } else {
        Err(CollectError::InvalidHandle(format!(
            "{handle}: a Reddit name has 3 to 20 letters, digits, _ or -"
        )))
    }
}

#[async_trait]
impl Collector for Reddit {
    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        let mut results = Vec::with_capacity(targets.len());
        for target in targets {
            let name = user_name(&target.handle)?;
            let request = upstream
                .client()
                .get(format!(
                    "{}/user/{name}/about.json",
                    self.base_url.trim_end_matches('/')
                ))
                .query(&[("raw_json", "1")]);
            let about: About = upstream.get_json(Platform::Reddit, request).await?;
            let subreddit = about.data.subreddit;
            results.push(Ok(Observation {
                counters: Counters {
                    followers: subreddit.as_ref().and_then(|s| s.subscribers),
                    following: None,
                    posts: None,
                    views: None,
                    likes: about.data.total_karma,
                },
                platform_id: about.data.id,
                display_name: subreddit.and_then(|s| s.title).filter(|t| !t.is_empty()),
            }));
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::user_name;

    #[test]
    fn reddit_names() {
        assert_eq!(user_name("u/spez").unwrap(), "spez");
        assert_eq!(user_name("/u/spez").unwrap(), "spez");
        assert!(user_name("a b").is_err());
        assert!(user_name("../etc").is_err());
    }
}
