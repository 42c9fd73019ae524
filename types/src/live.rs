//! Live updates: what `GET /api/live` (server-sent events) says when the
//! stored data has changed. It names what changed, never the data: a page
//! that cares fetches its answers again, through the same reads and the
//! same access rules as before.

use serde::{Deserialize, Serialize};

/// The SSE event name of a [`LiveChange`].
pub const LIVE_EVENT: &str = "change";

/// The data changed since the previous event on this stream (or since the
/// stream opened).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LiveChange {
    /// Which kinds of data changed: `accounts`, `snapshots`, `runs`,
    /// `events`.
    pub domains: Vec<String>,
}

impl LiveChange {
    /// Whether a page showing `domains` should look again.
    pub fn touches(&self, domains: &[&str]) -> bool {
        self.domains.iter().any(|d| domains.contains(&d.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_touches_the_pages_that_show_its_domains() {
        let change = LiveChange {
            domains: vec!["snapshots".to_owned(), "runs".to_owned()],
        };
        assert!(change.touches(&["accounts", "snapshots"]));
        assert!(!change.touches(&["events"]));
        let json = serde_json::to_string(&change).unwrap();
        assert_eq!(json, r#"{"domains":["snapshots","runs"]}"#);
    }
}
