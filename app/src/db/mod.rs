//! Storage, server side only: the sea-orm entities and the read queries that
//! turn them into wire DTOs. The schema itself is in the `migrations` crate.

pub mod accounts;
pub mod brands;
pub mod entities;
pub mod events;
pub mod generations;
pub mod leaderboard;
pub mod platforms;
pub mod projection;
pub mod queries;
