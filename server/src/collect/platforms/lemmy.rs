//! Lemmy, asked on each account's own instance, anonymously:
//! `GET /api/v3/community?name=` for a community (`!name@instance`:
//! subscribers, posts) and `GET /api/v3/user?username=&limit=1` for a user
//! (`name@instance`: posts; Lemmy users have no followers, and karma has
//! not been published since 0.19). Lemmy 1.0 dropped `/api/v3/user`: a 404
//! that is not Lemmy's own error asks `/api/v4/person` instead, whose
//! answer carries the counts on the person.
//!
//! Lemmy decides by the `error` of its JSON, not its status: 0.19 answers
//! a rate limit with 400 `rate_limit_error` and a deleted or removed
//! community with 400 `couldnt_find_community` (404 when it never existed);
//! a private instance answers `instance_is_private`. Names cannot change,
//! so the handle is stable; the ActivityPub id is kept as the stable id.

use app::model::{Counters, Platform};
use async_trait::async_trait;
use serde::Deserialize;
use tokio::time::Instant;

use super::http::DEFAULT_PAUSE;
use super::{
    BatchResult, CollectError, Collector, Observation, PlatformSettings, Target, Upstream,
};

pub struct Lemmy {
    base_url: Option<String>,
}

#[derive(Deserialize)]
struct CommunityAnswer {
    community_view: CommunityView,
}

#[derive(Deserialize)]
struct CommunityView {
    community: Community,
    /// 0.19 keeps the counts beside the community; 1.0 on it.
    counts: Option<CommunityCounts>,
}

#[derive(Deserialize)]
struct Community {
    title: Option<String>,
    icon: Option<String>,
    actor_id: Option<String>,
    ap_id: Option<String>,
    #[serde(flatten)]
    counts: CommunityCounts,
}

#[derive(Default, Deserialize)]
struct CommunityCounts {
    subscribers: Option<i64>,
    posts: Option<i64>,
}

#[derive(Deserialize)]
struct PersonAnswer {
    person_view: PersonView,
}

#[derive(Deserialize)]
struct PersonView {
    person: Person,
    counts: Option<PersonCounts>,
    /// 1.0 says it here, 0.19 on the person.
    banned: Option<bool>,
}

#[derive(Deserialize)]
struct Person {
    display_name: Option<String>,
    avatar: Option<String>,
    actor_id: Option<String>,
    ap_id: Option<String>,
    banned: Option<bool>,
    #[serde(flatten)]
    counts: PersonCounts,
}

#[derive(Default, Deserialize)]
struct PersonCounts {
    post_count: Option<i64>,
}

#[derive(Deserialize)]
struct LemmyError {
    error: String,
}

impl Lemmy {
    pub fn new(settings: &PlatformSettings) -> Self {
        Self {
            base_url: settings.lemmy_url.clone(),
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        upstream: &Upstream,
        host: &str,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, CollectError> {
        let request = upstream
            .client()
            .get(format!(
                "{}{path}",
                super::server_base(self.base_url.as_deref(), host)
            ))
            .header("accept", "application/json")
            .query(query);
        upstream
            .get_json(Platform::Lemmy, request)
            .await
            .map_err(|error| understood(upstream, host, error))
    }

    async fn account(
        &self,
        upstream: &Upstream,
        target: &Target,
    ) -> Result<Observation, CollectError> {
        let handle = super::stored_handle(Platform::Lemmy, target)?;
        let (community, rest) = match handle.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, handle.as_str()),
        };
        let (name, host) = rest.split_once('@').expect("a checked handle");
        if community {
            let answer: CommunityAnswer = self
                .get(upstream, host, "/api/v3/community", &[("name", name)])
                .await?;
            let view = answer.community_view;
            let counts = view.counts.unwrap_or(view.community.counts);
            return Ok(Observation {
                counters: Counters {
                    followers: counts.subscribers,
                    posts: counts.posts,
                    ..Counters::default()
                },
                platform_id: view.community.actor_id.or(view.community.ap_id),
                display_name: view.community.title.filter(|t| !t.is_empty()),
                handle: None,
                avatar_url: view.community.icon,
            });
        }
        let v3 = self
            .get::<PersonAnswer>(
                upstream,
                host,
                "/api/v3/user",
                &[("username", name), ("limit", "1")],
            )
            .await;
        let answer = match v3 {
            // Lemmy 1.0 has no `/api/v3/user`: its 404 may be the route's.
            // (On 0.19, an unknown user costs this second request.)
            Err(CollectError::NotFound) => {
                self.get(upstream, host, "/api/v4/person", &[("username", name)])
                    .await?
            }
            other => other?,
        };
        let view = answer.person_view;
        if view.banned.or(view.person.banned) == Some(true) {
            return Err(CollectError::Suspended(format!(
                "{handle} is banned by its instance"
            )));
        }
        let counts = view.counts.unwrap_or(view.person.counts);
        Ok(Observation {
            counters: Counters {
                posts: counts.post_count,
                ..Counters::default()
            },
            platform_id: view.person.actor_id.or(view.person.ap_id),
            display_name: view.person.display_name.filter(|n| !n.is_empty()),
            handle: None,
            avatar_url: view.person.avatar,
        })
    }
}

/// What Lemmy's answer means, from the `error` of its JSON body.
fn understood(upstream: &Upstream, host: &str, error: CollectError) -> CollectError {
    // A 404 (an unknown name, or a route the version lacks) is already
    // `NotFound`; the others come with Lemmy's body.
    let CollectError::Rejected { body, .. } = &error else {
        return error;
    };
    let Ok(lemmy) = serde_json::from_str::<LemmyError>(body) else {
        return error;
    };
    match lemmy.error.as_str() {
        "rate_limit_error" | "too_many_requests" => {
            // No header says for how long; the bucket refills in a minute.
            upstream.pause_host(Platform::Lemmy, host, Instant::now() + DEFAULT_PAUSE);
            CollectError::RateLimited {
                retry_after: Some(DEFAULT_PAUSE),
            }
        }
        // Not a 404 (0.19.4 and later): it exists, but is deleted, removed
        // or local to its instance.
        "couldnt_find_community" | "couldnt_find_person" => CollectError::Gone(format!(
            "{host} no longer shows it (deleted, removed, or visible to its members only)"
        )),
        "instance_is_private" => CollectError::Private(format!(
            "{host} is a private instance: only its members can read it"
        )),
        _ => error,
    }
}

#[async_trait]
impl Collector for Lemmy {
    /// Each instance has its own limit.
    fn shared_budget(&self) -> bool {
        false
    }

    async fn fetch(&self, upstream: &Upstream, targets: &[Target]) -> BatchResult {
        super::one_by_one(targets, |target| self.account(upstream, target)).await
    }

    async fn check(&self, upstream: &Upstream) -> Result<String, CollectError> {
        let answer: CommunityAnswer = self
            .get(
                upstream,
                "lemmy.ml",
                "/api/v3/community",
                &[("name", "lemmy")],
            )
            .await?;
        let view = answer.community_view;
        let counts = view.counts.unwrap_or(view.community.counts);
        Ok(format!(
            "lemmy.ml answers (no credentials needed; each account's own instance is asked): !lemmy has {} subscribers",
            counts
                .subscribers
                .map_or_else(|| "unknown".to_owned(), |n| n.to_string())
        ))
    }
}
