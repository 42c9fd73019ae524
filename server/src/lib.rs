//! The Reach server as a library: `main` runs [`cli::run`]; the integration
//! tests build the same application through [`http::Application`].

pub mod accounts;
pub mod backup;
pub mod cli;
pub mod collect;
pub mod config;
pub mod database;
pub mod digests;
pub mod events;
pub mod export;
pub mod http;
pub mod import;
pub mod live;
pub mod platforms;
pub mod priority;
pub mod raster;
pub mod retention;
pub mod schedule;
pub mod telemetry;
