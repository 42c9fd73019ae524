//! Webhooks: every event is POSTed as JSON (an [`EventRow`]) to each
//! configured URL. A delivery is retried with backoff within a round, and
//! an event not delivered to every URL is tried again after the next runs,
//! up to [`MAX_ROUNDS`] rounds.
//!
//! Instances sharing a database send each event to each URL once: an
//! instance leases an event before sending it (`delivery_owner`,
//! `delivery_until`, on the database's clock), and records each URL that
//! took it (`webhook_deliveries`), so a later round, on any instance, sends
//! only to the URLs still missing. Only a crash between a receiver's 2xx
//! and that record sends an event twice: a receiver may still dedupe on
//! the event's `id`.

use std::time::Duration;

use app::model::EventRow;
use backon::{ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use db::entities::{event, webhook_delivery};
use db::events::rows;
use db::generations::{Domain, Writer};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    ExprTrait, QueryFilter, QuerySelect, Statement,
};

/// Rounds (after runs) an event is tried in before it is given up.
pub const MAX_ROUNDS: i32 = 5;
/// Most events sent per round.
const BATCH: u64 = 100;

/// The configured receivers.
#[derive(Clone, Debug)]
pub struct Webhooks {
    client: reqwest::Client,
    urls: Vec<String>,
    retries: usize,
    first_backoff: Duration,
    timeout: Duration,
    /// This instance's name, in delivery leases.
    instance: String,
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
            timeout,
            instance: "local".to_owned(),
        }))
    }

    /// The instance that sends, named in its delivery leases.
    pub fn with_instance(mut self, instance: &str) -> Self {
        self.instance = instance.to_owned();
        self
    }

    /// How long a delivery lease holds: every URL tried with every retry.
    fn lease(&self) -> chrono::Duration {
        let attempts = u32::try_from(self.retries + 1).unwrap_or(u32::MAX);
        let per_url = (self.timeout + self.first_backoff * 8) * attempts;
        let urls = u32::try_from(self.urls.len()).unwrap_or(u32::MAX);
        chrono::Duration::from_std(per_url * urls + Duration::from_secs(30))
            .unwrap_or(chrono::Duration::hours(1))
    }

    /// Faster retries, for tests.
    pub fn with_backoff(mut self, first_backoff: Duration) -> Self {
        self.first_backoff = first_backoff;
        self
    }

    /// Sends the undelivered events, oldest first; marks each delivered
    /// once every URL took it, or counts a failed round. `writer` says how
    /// soon the events' answers show it.
    pub async fn deliver_pending(&self, db: &DatabaseConnection, writer: Writer) {
        if let Err(error) = self.deliver(db, writer).await {
            tracing::error!(%error, "webhook delivery failed");
        }
    }

    async fn deliver(&self, db: &DatabaseConnection, writer: Writer) -> Result<(), sea_orm::DbErr> {
        let mut sent_any = false;
        // Each event once per round, oldest first.
        let mut after = 0;
        for _ in 0..BATCH {
            let Some(id) = self.lease_next(db, after).await? else {
                break;
            };
            after = id;
            sent_any = true;
            let Some(row) = rows(db, event::Entity::find_by_id(id).all(db).await?)
                .await?
                .pop()
            else {
                continue;
            };
            let done: Vec<String> = webhook_delivery::Entity::find()
                .select_only()
                .column(webhook_delivery::Column::Receiver)
                .filter(webhook_delivery::Column::EventId.eq(id))
                .into_tuple()
                .all(db)
                .await?;
            let mut delivered = true;
            for url in &self.urls {
                let receiver = receiver(url);
                if done.contains(&receiver) {
                    continue;
                }
                match self.post(url, &row).await {
                    Ok(()) => {
                        webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
                            event_id: Set(id),
                            receiver: Set(receiver),
                            delivered_at: Set(Utc::now()),
                            instance: Set(self.instance.clone()),
                        })
                        .on_conflict(
                            OnConflict::columns([
                                webhook_delivery::Column::EventId,
                                webhook_delivery::Column::Receiver,
                            ])
                            .do_nothing()
                            .to_owned(),
                        )
                        .exec_without_returning(db)
                        .await?;
                    }
                    Err(error) => {
                        tracing::warn!(event = id, url = %url, %error, "webhook not delivered");
                        delivered = false;
                    }
                }
            }
            let update = event::Entity::update_many()
                .filter(event::Column::Id.eq(id))
                .col_expr(event::Column::DeliveryOwner, Expr::value(None::<String>))
                .col_expr(
                    event::Column::DeliveryUntil,
                    Expr::value(None::<DateTime<Utc>>),
                );
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
        if sent_any {
            writer.wrote(db, &[Domain::Events]).await?;
        }
        Ok(())
    }

    /// Leases the oldest event still to send (not delivered everywhere,
    /// rounds left, no live lease): one statement, so two instances never
    /// lease the same event.
    async fn lease_next(
        &self,
        db: &DatabaseConnection,
        after: i64,
    ) -> Result<Option<i64>, sea_orm::DbErr> {
        let now = db::clock::now(db).await?;
        let backend = db.get_database_backend();
        let (p, lock) = match backend {
            DbBackend::Postgres => (["$1", "$2", "$3", "$4", "$5"], " FOR UPDATE SKIP LOCKED"),
            _ => (["?", "?", "?", "?", "?"], ""),
        };
        let sql = format!(
            "UPDATE events SET delivery_owner = {}, delivery_until = {} WHERE id = ( \
               SELECT id FROM events WHERE delivered_at IS NULL AND delivery_attempts < {} \
                 AND (delivery_until IS NULL OR delivery_until < {}) AND id > {} \
               ORDER BY id LIMIT 1{lock}) \
             RETURNING id",
            p[0], p[1], p[2], p[3], p[4]
        );
        let values: Vec<sea_orm::Value> = vec![
            self.instance.clone().into(),
            (now + self.lease()).into(),
            MAX_ROUNDS.into(),
            now.into(),
            after.into(),
        ];
        db.query_one_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?
            .map(|row| row.try_get::<i64>("", "id"))
            .transpose()
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

/// A receiver's key: a hash of its URL, which may carry a secret.
fn receiver(url: &str) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(url.as_bytes()))
}
