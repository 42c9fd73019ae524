//! What a run ends with once its results are stored: the leaderboards'
//! marks and ranks kept and the days past retention compacted. Neither fails the
//! run: errors are logged.

use std::time::Duration;

use chrono::Utc;

use super::Engine;

/// How long a run's upkeep works at the next day's marks (a chunk of
/// accounts at least; its rests do not count): the day's work spread over
/// its runs rather than all in the first run after midnight. What the day's runs leave undone is written by
/// the next day's first run, as all of it was before marks were written
/// ahead (and the live board meanwhile seeks those accounts' history).
const MARKS_AHEAD_FOR: Duration = Duration::from_secs(2);

impl Engine {
    /// Brings the leaderboard's marks to today (new accounts', and those
    /// the day before did not write ahead), writes some of the next day's
    /// ahead ([`MARKS_AHEAD_FOR`]), then ranks the live boards for the run
    /// (`db::leaderboard::kept`). Errors are logged: boards are then ranked
    /// on the request, from history for accounts without marks.
    pub(super) async fn refresh_boards(&self) {
        let today = Utc::now().date_naive();
        match db::marks::refresh_stale_marks(&self.db, today, &self.pace).await {
            Ok(0) => {}
            Ok(accounts) => tracing::info!(accounts, "refreshed the leaderboard's marks"),
            Err(error) => tracing::error!(%error, "cannot refresh the leaderboard's marks"),
        }
        match db::marks::prepare_marks_ahead(&self.db, today, MARKS_AHEAD_FOR, &self.pace).await {
            Ok(0) => {}
            Ok(accounts) => tracing::info!(accounts, "wrote the next day's leaderboard marks"),
            Err(error) => tracing::error!(%error, "cannot write the next day's marks"),
        }
        if let Err(error) = db::leaderboard::kept::keep(&self.db, &self.pace).await {
            tracing::error!(%error, "cannot rank the leaderboards");
        }
    }

    /// Compacts the days that just passed the retention period. Errors are
    /// logged: compaction never fails a run.
    pub(super) async fn compact(&self, keep_raw: Duration, writer: db::generations::Writer) {
        let Ok(keep_raw) = chrono::Duration::from_std(keep_raw) else {
            return;
        };
        let before = Utc::now() - keep_raw;
        let since = before - chrono::Duration::days(crate::retention::AFTER_RUN_DAYS);
        match crate::retention::compact(&self.db, before, Some(since), writer).await {
            Ok(done) if done.days > 0 => {
                tracing::info!(
                    days = done.days,
                    removed = done.removed,
                    "compacted old snapshots"
                )
            }
            Ok(_) => {}
            Err(error) => tracing::error!(%error, "compaction failed"),
        }
    }
}
