//! The integration-test crate: a real Reach server or engine against a real
//! database (a fresh SQLite file and a fresh PostgreSQL database; every
//! test runs on both) and, for collection, local fake platform servers that
//! serve the platforms' real response shapes (fixtures in `tests/fixtures`).

mod api;
mod collection;
mod common;
