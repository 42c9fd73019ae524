//! The integration-test crate: a real Reach server or engine against a real
//! database (a fresh SQLite file and a fresh PostgreSQL database; every
//! test runs on both) and, for collection, local fake platform servers that
//! serve the platforms' real response shapes (fixtures in `tests/fixtures`).
//! Cache tests start private `redis-server` processes, to kill them; the
//! account metrics test a private Prometheus.

mod access;
mod account_metrics;
mod analytics;
mod api;
mod avatars;
mod badges;
mod budgets;
mod bulk_loads;
mod cache;
mod cards;
mod cli;
mod cluster;
mod collect_cli;
mod collection;
mod common;
mod deploy;
mod digests;
mod events;
mod faults;
mod federated;
mod freshness;
mod invalidation;
mod kept_boards;
mod kept_totals;
mod keyed;
mod keyed_cli;
mod leases;
mod live;
mod malformed;
mod marks_ahead;
mod open_platforms;
mod openapi;
mod plans;
mod platforms;
mod protocol;
mod readme;
mod reads;
mod rendering;
mod retention;
mod row_writes;
mod run_lag;
mod search;
mod series;
mod upgrades;
mod walks;
mod watch;
