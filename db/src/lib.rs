//! Reach's storage: the sea-orm entities, every read and write of the
//! tables, side by side per area, and the data generations that key the
//! cache. The schema itself is in the `migrations` crate.
//!
//! This crate knows no HTTP and no views: it depends on `types` (the wire
//! types its reads return) and on sea-orm, never on leptos or axum (CI
//! checks it). Its one error is [`StoreError`].

pub mod access;
pub mod accounts;
pub mod analytics;
pub mod audience;
pub mod avatars;
pub mod brands;
pub mod bulk;
pub mod clock;
pub mod digests;
pub mod downsample;
pub mod entities;
mod error;
pub mod events;
pub mod generations;
pub mod history;
pub mod instances;
pub mod leaderboard;
pub mod marks;
pub mod overview;
pub mod platforms;
pub mod projection;
pub mod runs;
pub mod snapshots;
mod sql;
pub mod totals;
pub mod trend;
pub mod write;

pub use error::{Key, StoreError};
