//! The server half of the app, compiled only with `ssr` (the browser build
//! never sees it): who a request acts for ([`auth`]), the read cache
//! ([`cache`]), live updates' hub ([`live`]), the performance figures
//! ([`metrics`]) and the state every server function reads through its
//! fallible accessors ([`state`]).

pub mod auth;
pub mod cache;
pub mod live;
pub mod metrics;
pub mod state;
