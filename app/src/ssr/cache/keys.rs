//! What a cached answer is and how its key is made: the kinds of answer,
//! the data each is computed from, and the key carrying the state of that
//! data.

use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;

use db::generations::{Domain, Generations};

/// The version of the key layout and of the cached values' shape: bump it
/// when either changes, and old entries are never read again.
const KEY_PREFIX: &str = "reach:v4";

/// A kind of cached answer: one per read endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Overview,
    Accounts,
    Account,
    History,
    Runs,
    Run,
    Tags,
    Compare,
    Growth,
    Leaderboard,
    Projection,
    Events,
    Rollups,
    Brands,
}

impl Kind {
    pub const ALL: [Kind; 14] = [
        Kind::Overview,
        Kind::Accounts,
        Kind::Account,
        Kind::History,
        Kind::Runs,
        Kind::Run,
        Kind::Tags,
        Kind::Compare,
        Kind::Growth,
        Kind::Leaderboard,
        Kind::Projection,
        Kind::Events,
        Kind::Rollups,
        Kind::Brands,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Overview => "overview",
            Kind::Accounts => "accounts",
            Kind::Account => "account",
            Kind::History => "history",
            Kind::Runs => "runs",
            Kind::Run => "run",
            Kind::Tags => "tags",
            Kind::Compare => "compare",
            Kind::Growth => "growth",
            Kind::Leaderboard => "leaderboard",
            Kind::Projection => "projection",
            Kind::Events => "events",
            Kind::Rollups => "rollups",
            Kind::Brands => "brands",
        }
    }

    /// An answer of this kind is about the accounts its request names and
    /// reads nothing of any other: its key carries those accounts'
    /// revisions instead of [`Kind::domains`].
    pub fn per_account(self) -> bool {
        matches!(
            self,
            Kind::Account
                | Kind::History
                | Kind::Rollups
                | Kind::Growth
                | Kind::Projection
                | Kind::Compare
        )
    }

    /// The data an answer of this kind is computed from; none for the kinds
    /// [`Kind::per_account`], which only their accounts' revisions version.
    pub fn domains(self) -> &'static [Domain] {
        match self {
            Kind::Overview => &[
                Domain::Accounts,
                Domain::Snapshots,
                Domain::Runs,
                Domain::Events,
            ],
            Kind::Events => &[Domain::Accounts, Domain::Events],
            // Rows carry a sparkline of their snapshots.
            Kind::Accounts | Kind::Leaderboard => &[Domain::Accounts, Domain::Snapshots],
            Kind::Runs => &[Domain::Runs],
            Kind::Run => &[Domain::Runs, Domain::Accounts],
            Kind::Tags => &[Domain::Accounts],
            // Sums of the account rows, which carry the follower changes.
            Kind::Brands => &[Domain::Accounts],
            Kind::Account
            | Kind::History
            | Kind::Rollups
            | Kind::Growth
            | Kind::Projection
            | Kind::Compare => &[],
        }
    }

    /// How long an answer is kept. Writes invalidate at once whatever the
    /// TTL; it only bounds memory held by answers nobody asks for.
    pub fn default_ttl(self) -> Duration {
        let minutes = match self {
            Kind::Overview
            | Kind::Accounts
            | Kind::Runs
            | Kind::Tags
            | Kind::Leaderboard
            | Kind::Events
            | Kind::Brands => 5,
            Kind::Account | Kind::Run => 10,
            Kind::History | Kind::Compare | Kind::Growth | Kind::Projection | Kind::Rollups => 15,
        };
        Duration::from_secs(minutes * 60)
    }
}

impl FromStr for Kind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown kind of cached data `{s}` (one of {})",
                    Kind::ALL.map(Kind::as_str).join(", ")
                )
            })
    }
}

/// The state of the data an answer is computed from, as its key says it.
pub enum Version<'a> {
    /// The generations of the data domains (every kind but those
    /// [`Kind::per_account`]).
    Domains(&'a Generations),
    /// The revisions of the accounts the answer is about, in the order the
    /// request names them (`None`: no such account).
    Accounts(&'a [(i64, Option<i64>)]),
}

/// A key of [`key`]'s making without its version: what every version of
/// that answer shares.
pub(super) fn without_version(key: &str) -> Option<String> {
    let (rest, hash) = key.rsplit_once(':')?;
    let (kind, _version) = rest.rsplit_once(':')?;
    Some(format!("{kind}:{hash}"))
}

/// The cache key of an answer of `kind` to `arguments` while the data is at
/// `version`.
pub fn key(kind: Kind, version: Version<'_>, arguments: &impl Serialize) -> String {
    // JSON of a typed argument tuple is normalized: field order is fixed and
    // the values were validated before they got here.
    let arguments = serde_json::to_vec(arguments).unwrap_or_default();
    let hash = xxhash_rust::xxh3::xxh3_64(&arguments);
    let version = match version {
        Version::Domains(generations) => kind
            .domains()
            .iter()
            .map(|domain| generations.of(*domain).to_string())
            .collect::<Vec<_>>()
            .join("."),
        Version::Accounts(revisions) => revisions
            .iter()
            .map(|(id, revision)| match revision {
                Some(revision) => format!("a{id}r{revision}"),
                None => format!("a{id}r-"),
            })
            .collect::<Vec<_>>()
            .join("."),
    };
    format!("{KEY_PREFIX}:{}:{version}:{hash:016x}", kind.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_the_kind_its_generations_and_the_arguments() {
        let generations = Generations::default();
        let version = || Version::Domains(&generations);
        let a = key(Kind::Accounts, version(), &(1, "followers"));
        assert!(a.starts_with("reach:v4:accounts:0.0:"), "{a}");
        assert_eq!(a, key(Kind::Accounts, version(), &(1, "followers")));
        assert_ne!(a, key(Kind::Accounts, version(), &(2, "followers")));
        let overview = key(Kind::Overview, version(), &());
        assert!(
            overview.starts_with("reach:v4:overview:0.0.0.0:"),
            "{overview}"
        );
    }

    #[test]
    fn an_accounts_answers_carry_its_revision_only() {
        let compare = key(
            Kind::Compare,
            Version::Accounts(&[(3, Some(12)), (7, None)]),
            &"followers",
        );
        assert!(
            compare.starts_with("reach:v4:compare:a3r12.a7r-:"),
            "{compare}"
        );
        for kind in Kind::ALL {
            assert_eq!(kind.per_account(), kind.domains().is_empty(), "{kind:?}");
        }
    }

    #[test]
    fn every_version_of_an_answer_has_one_identity() {
        let older = key(
            Kind::History,
            Version::Accounts(&[(3, Some(12))]),
            &("90d", 3),
        );
        let newer = key(
            Kind::History,
            Version::Accounts(&[(3, Some(13))]),
            &("90d", 3),
        );
        let identity = without_version(&older).unwrap();
        assert_eq!(
            identity,
            "reach:v4:history:".to_owned() + &older[older.len() - 16..]
        );
        assert_eq!(Some(&identity), without_version(&newer).as_ref());
        let other = key(
            Kind::History,
            Version::Accounts(&[(3, Some(12))]),
            &("1y", 3),
        );
        assert_ne!(Some(identity), without_version(&other));
    }

    #[test]
    fn kinds_parse_by_name() {
        assert_eq!("history".parse::<Kind>(), Ok(Kind::History));
        assert!("everything".parse::<Kind>().is_err());
    }
}
