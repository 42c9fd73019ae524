//! Webhooks: every event is POSTed as JSON (an [`EventRow`]) to each
//! configured URL. A delivery is retried with backoff within a round, and
//! an event not delivered to every URL is tried again after the next runs,
//! up to [`MAX_ROUNDS`] rounds. Delivery is at least once: a receiver
//! dedupes on the event's `id`.

use std::time::Duration;

use app::model::EventRow;
use backon::{ExponentialBuilder, Retryable};
use chrono::Utc;
use db::entities::event;
use db::events::rows;
use db::generations::{self, Domain};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};

/// Rounds (after runs) an event is tried in before it is given up.
pub const MAX_ROUNDS: i32 = 5;
/// Events sent per round.
const BATCH: u64 = 100;

/// The configured receivers.
#[derive(Clone, Debug)]
pub struct Webhooks {
    client: reqwest::Client,
    urls: Vec<String>,
    retries: usize,
    first_backoff: Duration,
}

impl Webhooks {
    /// `None` without URLs.
    pub fn new(
        urls: Vec<String>,
        timeout: Duration,
        user_agent: &str,
    ) -> reqwest::Result<Option<Self>> {
        if urls.is_empty() {
            return Ok(None);
        }
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(user_agent)
            .build()?;
        Ok(Some(Self {
            client,
            urls,
            retries: 3,
            first_backoff: Duration::from_millis(200),
        }))
    }

    /// Faster retries, for tests.
    pub fn with_backoff(mut self, first_backoff: Duration) -> Self {
        self.first_backoff = first_backoff;
        self
    }

    /// Sends the undelivered events, oldest first; marks each delivered
    /// once every URL took it, or counts a failed round.
    pub async fn deliver_pending(&self, db: &DatabaseConnection) {
        if let Err(error) = self.deliver(db).await {
            tracing::error!(%error, "webhook delivery failed");
        }
    }

    async fn deliver(&self, db: &DatabaseConnection) -> Result<(), sea_orm::DbErr> {
        let pending = event::Entity::find()
            .filter(event::Column::DeliveredAt.is_null())
            .filter(event::Column::DeliveryAttempts.lt(MAX_ROUNDS))
            .order_by_asc(event::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        if pending.is_empty() {
            return Ok(());
        }
        for row in rows(db, pending).await? {
            let mut delivered = true;
            for url in &self.urls {
                if let Err(error) = self.post(url, &row).await {
                    tracing::warn!(event = row.id, url = %url, %error, "webhook not delivered");
                    delivered = false;
                }
            }
            let update = event::Entity::update_many().filter(event::Column::Id.eq(row.id));
            let update = if delivered {
                update.col_expr(event::Column::DeliveredAt, Expr::value(Utc::now()))
            } else {
                update.col_expr(
                    event::Column::DeliveryAttempts,
                    Expr::col(event::Column::DeliveryAttempts).add(1),
                )
            };
            update.exec(db).await?;
        }
        generations::bump(db, &[Domain::Events]).await
    }

    /// One event to one URL: a 2xx answer within the retries.
    async fn post(&self, url: &str, row: &EventRow) -> Result<(), reqwest::Error> {
        let send = || async {
            self.client
                .post(url)
                .json(row)
                .send()
                .await?
                .error_for_status()
                .map(|_| ())
        };
        send.retry(
            ExponentialBuilder::default()
                .with_min_delay(self.first_backoff)
                .with_max_times(self.retries)
                .with_jitter(),
        )
        .await
    }
}
