//! Reach's database schema, as migrations that run unchanged on SQLite and
//! PostgreSQL. The server applies them at start-up, before it serves a request.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_initial_schema;
mod m20261124_000002_collection_engine;
mod m20261124_000003_data_generations;
mod m20261124_000004_follower_changes;
mod m20261124_000005_imported_snapshots;
mod m20261124_000006_events;
mod m20261124_000007_daily_rollups;
mod m20261124_000008_brands;
mod m20261124_000009_precomputed_reads;
mod m20261124_000010_authentication;
mod m20261124_000011_run_heartbeats;
mod m20261130_000012_account_states;
mod m20261130_000013_platform_counters;
mod m20261130_000014_avatars;
mod m20261130_000015_audience_days;
mod m20261201_000016_instances;
mod m20261201_000017_account_search;
mod m20261202_000018_account_revisions;
mod m20261202_000019_platform_totals;
mod m20261202_000020_leaderboard_boards;
mod m20261202_000021_event_counts;
mod m20261202_000022_tag_totals;
mod m20261202_000023_real_attempts;
mod m20261202_000024_exact_writes;
mod m20261203_000025_marks_ahead;
mod m20261203_000026_running_runs;
mod m20261203_000027_search_counts;
mod m20261204_000028_token_scopes;
mod m20261204_000029_digests;
mod m20261205_000030_rows_written_once;
mod m20261205_000031_due_order;
mod m20261205_000032_search_on_its_table;
mod postgres_only;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_initial_schema::Migration),
            Box::new(m20261124_000002_collection_engine::Migration),
            Box::new(m20261124_000003_data_generations::Migration),
            Box::new(m20261124_000004_follower_changes::Migration),
            Box::new(m20261124_000005_imported_snapshots::Migration),
            Box::new(m20261124_000006_events::Migration),
            Box::new(m20261124_000007_daily_rollups::Migration),
            Box::new(m20261124_000008_brands::Migration),
            Box::new(m20261124_000009_precomputed_reads::Migration),
            Box::new(m20261124_000010_authentication::Migration),
            Box::new(m20261124_000011_run_heartbeats::Migration),
            Box::new(m20261130_000012_account_states::Migration),
            Box::new(m20261130_000013_platform_counters::Migration),
            Box::new(m20261130_000014_avatars::Migration),
            Box::new(m20261130_000015_audience_days::Migration),
            Box::new(m20261201_000016_instances::Migration),
            Box::new(m20261201_000017_account_search::Migration),
            Box::new(m20261202_000018_account_revisions::Migration),
            Box::new(m20261202_000019_platform_totals::Migration),
            Box::new(m20261202_000020_leaderboard_boards::Migration),
            Box::new(m20261202_000021_event_counts::Migration),
            Box::new(m20261202_000022_tag_totals::Migration),
            Box::new(m20261202_000023_real_attempts::Migration),
            Box::new(m20261202_000024_exact_writes::Migration),
            Box::new(m20261203_000025_marks_ahead::Migration),
            Box::new(m20261203_000026_running_runs::Migration),
            Box::new(m20261203_000027_search_counts::Migration),
            Box::new(m20261204_000028_token_scopes::Migration),
            Box::new(m20261204_000029_digests::Migration),
            Box::new(m20261205_000030_rows_written_once::Migration),
            Box::new(m20261205_000031_due_order::Migration),
            Box::new(m20261205_000032_search_on_its_table::Migration),
        ]
    }
}
