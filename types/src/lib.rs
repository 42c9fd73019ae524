//! The data that crosses the wire: serde DTOs and enums shared by the
//! server, the WASM dashboard and other clients of the JSON API, one module
//! per domain. Nothing here does I/O, so the crate compiles for the browser.
//!
//! Features: `openapi` makes each type describe itself (utoipa `ToSchema`)
//! for the API description; `db` maps the enums stored in columns onto
//! them (sea-orm active enums). The browser build takes neither.

mod access;
mod account;
mod analytics;
mod brand;
mod digest;
mod error;
mod event;
mod history;
mod live;
mod metric;
mod ops;
mod overview;
mod paging;
mod platform;
mod run;

pub use access::*;
pub use account::*;
pub use analytics::*;
pub use brand::*;
pub use digest::*;
pub use error::*;
pub use event::*;
pub use history::*;
pub use live::*;
pub use metric::*;
pub use ops::*;
pub use overview::*;
pub use paging::*;
pub use platform::*;
pub use run::*;
