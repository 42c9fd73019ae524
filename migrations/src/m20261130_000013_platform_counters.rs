//! Counters that are not followers, posts, views or likes.
//!
//! - `score`: a standing the platform computes (karma, reputation). Reddit
//!   users' total karma was stored as `likes` before; it moves to `score`,
//!   with its history, rollups, leaderboard marks and events, because karma
//!   is not a count of likes.
//! - `online`: members present right now (Discord).
//! - `listed`: public lists that include the account (X).
//!
//! Each is added where the other counters are: snapshots, the account row
//! (value and when it was observed) and the daily rollups.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const METRICS: [&str; 3] = ["score", "online", "listed"];

fn columns(metric: &str) -> Vec<(&'static str, String)> {
    let mut columns = vec![
        ("snapshots", metric.to_owned()),
        ("accounts", metric.to_owned()),
        ("accounts", format!("{metric}_at")),
    ];
    for part in ["first", "last", "min", "max"] {
        columns.push(("daily_rollups", format!("{metric}_{part}")));
    }
    columns
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for metric in METRICS {
            for (table, column) in columns(metric) {
                let mut definition = if column.ends_with("_at") {
                    timestamp_with_time_zone_null(Alias::new(&column))
                } else {
                    big_integer_null(Alias::new(&column))
                };
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .add_column(&mut definition)
                            .to_owned(),
                    )
                    .await?;
            }
        }
        let db = manager.get_connection();
        let reddit = "SELECT id FROM accounts WHERE platform = 'reddit'";
        let mut moves = vec![
            format!("UPDATE snapshots SET score = likes, likes = NULL WHERE account_id IN ({reddit})"),
            "UPDATE accounts SET score = likes, score_at = likes_at, likes = NULL, likes_at = NULL \
             WHERE platform = 'reddit'"
                .to_owned(),
            format!(
                "UPDATE leaderboard_marks SET metric = 'score' WHERE metric = 'likes' AND account_id IN ({reddit})"
            ),
            format!(
                "UPDATE events SET metric = 'score' WHERE metric = 'likes' AND account_id IN ({reddit})"
            ),
        ];
        let parts = ["first", "last", "min", "max"];
        moves.push(format!(
            "UPDATE daily_rollups SET {}, {} WHERE account_id IN ({reddit})",
            parts.map(|p| format!("score_{p} = likes_{p}")).join(", "),
            parts.map(|p| format!("likes_{p} = NULL")).join(", "),
        ));
        for statement in moves {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Karma goes back where it was; online counts have nowhere to go.
        let db = manager.get_connection();
        let reddit = "SELECT id FROM accounts WHERE platform = 'reddit'";
        let parts = ["first", "last", "min", "max"];
        for statement in [
            format!("UPDATE snapshots SET likes = score WHERE account_id IN ({reddit})"),
            "UPDATE accounts SET likes = score, likes_at = score_at WHERE platform = 'reddit'"
                .to_owned(),
            format!(
                "UPDATE leaderboard_marks SET metric = 'likes' WHERE metric = 'score' AND account_id IN ({reddit})"
            ),
            format!(
                "UPDATE events SET metric = 'likes' WHERE metric = 'score' AND account_id IN ({reddit})"
            ),
            format!(
                "UPDATE daily_rollups SET {} WHERE account_id IN ({reddit})",
                parts.map(|p| format!("likes_{p} = score_{p}")).join(", "),
            ),
        ] {
            db.execute_unprepared(&statement).await?;
        }
        for metric in METRICS {
            for (table, column) in columns(metric) {
                manager
                    .alter_table(
                        Table::alter()
                            .table(Alias::new(table))
                            .drop_column(Alias::new(&column))
                            .to_owned(),
                    )
                    .await?;
            }
        }
        Ok(())
    }
}
