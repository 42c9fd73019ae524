//! The collection schedule of `reach serve`: one run per interval, never two
//! at once, the first when the previous run (of this or an earlier process)
//! is due again.

use std::time::Duration;

use app::db::entities::collection_run;
use chrono::Utc;
use sea_orm::{DatabaseConnection, EntityTrait, QueryOrder};

pub async fn collect_periodically(db: DatabaseConnection, interval: Duration) {
    let mut wait = first_wait(&db, interval).await;
    loop {
        tokio::time::sleep(wait).await;
        if let Err(error) = crate::collect::run_once(&db).await {
            tracing::error!(error = format!("{error:#}"), "scheduled collection failed");
        }
        wait = interval;
    }
}

/// Restarting the server does not collect again before the interval is over.
async fn first_wait(db: &DatabaseConnection, interval: Duration) -> Duration {
    let latest = collection_run::Entity::find()
        .order_by_desc(collection_run::Column::StartedAt)
        .one(db)
        .await;
    match latest {
        Ok(Some(run)) => {
            let since = (Utc::now() - run.started_at).to_std().unwrap_or_default();
            interval.saturating_sub(since)
        }
        Ok(None) => Duration::ZERO,
        Err(error) => {
            tracing::warn!(%error, "cannot read the latest run; collecting now");
            Duration::ZERO
        }
    }
}
