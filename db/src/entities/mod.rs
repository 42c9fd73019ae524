//! sea-orm entities: the database rows, server side only. The wire types
//! built from them live in `crate::model`.

pub mod account;
pub mod account_tag;
pub mod admin;
pub mod api_token;
pub mod avatar;
pub mod brand;
pub mod collect_request;
pub mod collection_run;
pub mod daily_rollup;
pub mod digest;
pub mod digest_delivery;
pub mod event;
pub mod instance;
pub mod leaderboard_mark;
pub mod run_result;
pub mod session;
pub mod snapshot;
pub mod webhook_delivery;
