//! The server functions: the dashboard's data source and Reach's public JSON API.
//!
//! Each read function is a GET at a fixed path under `/api/` whose arguments
//! are URL query parameters, so `curl 'http://127.0.0.1:3000/api/accounts?sort=posts'`
//! gets exactly what the dashboard gets. Arguments are checked here, at the
//! edge ([`validate`]); the queries behind them live in the `db` crate.
//! Every read goes through the cache (`crate::ssr::cache`), keyed by its
//! validated arguments.
//!
//! One file per area, each function with its OpenAPI annotation; the
//! parameter groups and forms those annotations name are in [`params`] and
//! [`forms`]; the description built from them is [`openapi`]. Callers use
//! the re-exports below.

pub mod access;
pub mod accounts;
pub mod analytics;
#[cfg(feature = "ssr")]
pub mod answers;
pub mod brands;
pub mod collection;
pub mod dashboard;
pub mod digests;
#[cfg(feature = "ssr")]
pub mod forms;
pub mod lists;
#[cfg(feature = "ssr")]
pub mod openapi;
#[cfg(feature = "ssr")]
pub mod params;
#[cfg(feature = "ssr")]
pub mod validate;

pub use access::*;
pub use accounts::*;
pub use analytics::*;
pub use brands::*;
pub use collection::*;
pub use dashboard::*;
pub use digests::*;
pub use lists::*;
