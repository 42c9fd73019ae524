//! Account states and the age of each latest counter.
//!
//! - `state`: what the platform says about the account when it is not
//!   collectable as such (`suspended`, `gone`, `private`); NULL while it is
//!   active. `state_since` is when Reach first saw that state.
//! - `<metric>_at`: when each latest counter on the row was observed. A
//!   counter missing from an answer no longer overwrites the known one, so
//!   the counters of a row may come from different observations.
//! - Accounts on platforms without a live collector (X, Instagram, TikTok)
//!   that were added by a user were given invented counters. Only demo
//!   accounts are simulated now: such accounts lose the mark, their
//!   invented snapshots and what was derived from them; imported snapshots
//!   stay, and the latest counters become the newest imported ones. Demo
//!   accounts are told apart by their seeded history, which begins before
//!   the account was created; an added account's snapshots all come after.
//!   (A demo seeded with a single day whose snapshot was already compacted
//!   away cannot be told apart, and loses its counters.)

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const COUNTER_TIMES: [Accounts; 5] = [
    Accounts::FollowersAt,
    Accounts::FollowingAt,
    Accounts::PostsAt,
    Accounts::ViewsAt,
    Accounts::LikesAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let mut columns = vec![
            string_len_null(Accounts::State, 16),
            timestamp_with_time_zone_null(Accounts::StateSince),
        ];
        columns.extend(COUNTER_TIMES.map(timestamp_with_time_zone_null));
        for mut column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        let db = manager.get_connection();
        for (value, at) in [
            ("followers", "followers_at"),
            ("following", "following_at"),
            ("posts", "posts_at"),
            ("views", "views_at"),
            ("likes", "likes_at"),
        ] {
            db.execute_unprepared(&format!(
                "UPDATE accounts SET {at} = last_collected_at WHERE {value} IS NOT NULL"
            ))
            .await?;
        }
        // Before this change the engine simulated every account of these
        // platforms, whatever its flag said; only demo accounts have a
        // (seeded, non-imported) history from before they were created.
        let invented = "SELECT a.id FROM accounts a \
             WHERE a.platform IN ('x', 'instagram', 'tiktok') \
               AND NOT EXISTS (SELECT 1 FROM snapshots s \
                 WHERE s.account_id = a.id AND NOT s.imported AND s.captured_at < a.created_at)";
        // Everything derived from the invented counters goes with them; the
        // account row itself is updated last, as it is what selects them.
        for derived in [
            "DELETE FROM snapshots WHERE NOT imported AND account_id IN",
            "DELETE FROM daily_rollups WHERE account_id IN",
            "DELETE FROM leaderboard_marks WHERE account_id IN",
            "DELETE FROM events WHERE account_id IN",
        ] {
            db.execute_unprepared(&format!("{derived} ({invented})"))
                .await?;
        }
        // What is left of their history was imported: the latest counters
        // are those of the newest imported snapshot (none: unknown).
        let newest = |column: &str| {
            format!(
                "(SELECT s.{column} FROM snapshots s WHERE s.account_id = accounts.id \
                   ORDER BY s.captured_at DESC LIMIT 1)"
            )
        };
        let mut assignments = vec![
            "simulated = false".to_owned(),
            format!("last_collected_at = {}", newest("captured_at")),
            "followers_change_1d = NULL".to_owned(),
            "followers_change_7d = NULL".to_owned(),
            "followers_change_30d = NULL".to_owned(),
        ];
        for metric in ["followers", "following", "posts", "views", "likes"] {
            assignments.push(format!("{metric} = {}", newest(metric)));
            assignments.push(format!(
                "{metric}_at = CASE WHEN {} IS NULL THEN NULL ELSE {} END",
                newest(metric),
                newest("captured_at")
            ));
        }
        db.execute_unprepared(&format!(
            "UPDATE accounts SET {} WHERE id IN ({invented})",
            assignments.join(", ")
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut columns = vec![Accounts::State, Accounts::StateSince];
        columns.extend(COUNTER_TIMES);
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Accounts {
    Table,
    State,
    StateSince,
    FollowersAt,
    FollowingAt,
    PostsAt,
    ViewsAt,
    LikesAt,
}
