//! Collection: a run visits every due account (core accounts first), asks
//! its platform's collector for the current counters and stores them as a
//! snapshot. [`engine`] runs it, [`platforms`] holds the collectors,
//! [`avatars`] keeps the accounts' pictures, [`simulated`] the growth
//! model of the simulated accounts, [`demo`] the demo data set.
//!
//! Snapshots are written by `db::snapshots`: idempotent, keyed by
//! (account, captured_at), so a repeated write of the same observation
//! changes nothing.

pub mod avatars;
pub mod cluster;
pub mod demo;
pub mod engine;
pub mod platforms;
mod simulated;
pub mod status;

use app::model::Counters;

pub use simulated::GrowthModel;

/// The mode recorded on runs created by the demo seed.
const MODE: &str = "simulated";

/// What a platform sent, made safe to store: a negative counter (some
/// Mastodon forks send -1 for a hidden one) is unknown, not a value.
pub(crate) fn known(counters: Counters) -> Counters {
    Counters::from_fn(|metric| counters.get(metric).filter(|v| *v >= 0))
}
