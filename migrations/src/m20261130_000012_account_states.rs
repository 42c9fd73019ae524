//! Account states and the age of each latest counter.
//!
//! - `state`: what the platform says about the account when it is not
//!   collectable as such (`suspended`, `gone`, `private`); NULL while it is
//!   active. `state_since` is when Reach first saw that state.
//! - `<metric>_at`: when each latest counter on the row was observed. A
//!   counter missing from an answer no longer overwrites the known one, so
//!   the counters of a row may come from different observations.
//! - Accounts on platforms without a live collector (X, Instagram, TikTok)
//!   that were added by a user were marked simulated and given invented
//!   counters. Only demo accounts are simulated now: such accounts lose the
//!   mark and their invented snapshots (imported ones stay). Demo accounts
//!   are told apart by their seeded history, which begins before the account
//!   was created; an added account's snapshots all come after.

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
        let invented = "SELECT a.id FROM accounts a \
             WHERE a.simulated AND a.platform IN ('x', 'instagram', 'tiktok') \
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
        db.execute_unprepared(&format!(
            "UPDATE accounts SET simulated = false, followers = NULL, following = NULL, \
               posts = NULL, views = NULL, likes = NULL, followers_at = NULL, \
               following_at = NULL, posts_at = NULL, views_at = NULL, likes_at = NULL, \
               last_collected_at = NULL, followers_change_1d = NULL, \
               followers_change_7d = NULL, followers_change_30d = NULL \
             WHERE id IN ({invented})"
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
