//! Digests' sending side: every serving instance (and `reach digest run`)
//! queues each digest's last complete period and sends what is pending,
//! leased one delivery at a time through the database
//! ([`db::digests`]), so instances sharing it send each period once.
//!
//! A delivery is one attempt per lease. A failure worth retrying (no
//! answer, a 5xx, a 429, a transient SMTP refusal) is tried again after a
//! growing backoff (or the service's `Retry-After`), at most
//! [`db::digests::MAX_ATTEMPTS`] times; any other failure is final. Only a
//! crash between a receiver's acceptance and its record sends one twice,
//! and the delivery's id travels with it (Message-ID, Matrix transaction,
//! `X-Reach-Delivery`) so receivers can tell.
//!
//! [`render`] says the report in words, [`chat`] and [`email`] send it,
//! [`chart`] draws the e-mail's picture.

pub mod chart;
pub mod chat;
pub mod email;
pub mod render;

use std::time::Duration;

use app::model::{DeliveryStatus, DigestChannel};
use app::ssr::state::DigestsHandle;
use db::digests::Attempt;
use db::entities::{digest, digest_delivery};
use sea_orm::DatabaseConnection;

use crate::config::DigestConfig;
use crate::raster::Rasteriser;

/// Deliveries leased at a time, and batches per pass: a pass is bounded.
const BATCH: u64 = 10;
const BATCHES: usize = 10;
/// The longest backoff between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(2 * 3600);

/// The sender of one instance.
#[derive(Clone)]
pub struct Sender {
    db: DatabaseConnection,
    mailer: Option<email::Mailer>,
    client: reqwest::Client,
    raster: Rasteriser,
    instance: String,
    public_url: Option<String>,
    /// Before the second attempt; each later one waits five times longer.
    first_backoff: Duration,
    /// How long a leased delivery is this instance's: longer than any
    /// attempt (the HTTP or SMTP timeout, and the report).
    lease: chrono::Duration,
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub queued: u64,
    pub sent: u64,
    pub retrying: u64,
    pub failed: u64,
}

/// What a sender needs besides the database.
pub struct SenderSetup<'a> {
    pub config: &'a DigestConfig,
    pub user_agent: &'a str,
    pub timeout: Duration,
    pub instance: String,
    pub public_url: Option<String>,
}

impl Sender {
    pub fn new(db: DatabaseConnection, setup: SenderSetup<'_>) -> anyhow::Result<Self> {
        let mailer = match (&setup.config.smtp_url, &setup.config.smtp_from) {
            (Some(url), Some(from)) => Some(email::Mailer::new(url, from.clone(), setup.timeout)?),
            (None, None) => None,
            _ => anyhow::bail!("e-mail digests need both REACH_SMTP_URL and REACH_SMTP_FROM"),
        };
        let client = reqwest::Client::builder()
            .timeout(setup.timeout)
            .user_agent(setup.user_agent)
            .build()?;
        let lease = chrono::Duration::from_std(setup.timeout * 3 + Duration::from_secs(60))
            .unwrap_or(chrono::Duration::minutes(5));
        Ok(Self {
            db,
            mailer,
            client,
            raster: Rasteriser::new(),
            instance: setup.instance,
            public_url: setup.public_url,
            first_backoff: Duration::from_secs(60),
            lease,
        })
    }

    /// Faster retries, for tests.
    pub fn with_backoff(mut self, first: Duration) -> Self {
        self.first_backoff = first;
        self
    }

    /// Whether e-mail digests can be sent.
    pub fn handle(&self) -> DigestsHandle {
        DigestsHandle::new(self.mailer.is_some())
    }

    /// Queues the periods that are due, then sends what is pending.
    pub async fn pass(&self) -> Result<Pass, db::StoreError> {
        let mut pass = Pass {
            queued: db::digests::queue_scheduled(&self.db).await?,
            ..Pass::default()
        };
        for _ in 0..BATCHES {
            let leased =
                db::digests::lease_due(&self.db, &self.instance, self.lease, BATCH).await?;
            // A batch short of full took everything due: retries that
            // fall due meanwhile wait for the next pass.
            let last = (leased.len() as u64) < BATCH;
            for (digest, delivery) in leased {
                let attempt = self.attempt(&digest, &delivery).await;
                if let Attempt::Failed { error, .. } = &attempt {
                    tracing::warn!(digest = digest.id, delivery = delivery.id, attempt = delivery.attempts, %error, "digest not delivered");
                }
                match db::digests::finish(&self.db, &delivery, &self.instance, attempt).await? {
                    DeliveryStatus::Sent => {
                        tracing::info!(
                            digest = digest.id,
                            delivery = delivery.id,
                            channel = digest.channel.as_str(),
                            "digest delivered"
                        );
                        pass.sent += 1;
                    }
                    DeliveryStatus::Pending => pass.retrying += 1,
                    DeliveryStatus::Failed => pass.failed += 1,
                }
            }
            if last {
                break;
            }
        }
        Ok(pass)
    }

    /// Passes every `every`, or at once when woken, until `stop` resolves.
    pub async fn run(
        self,
        handle: DigestsHandle,
        every: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(stop);
        loop {
            if let Err(error) = self.pass().await {
                tracing::error!(%error, "digests: cannot read or record deliveries");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = handle.woken() => {}
                () = &mut stop => return,
            }
        }
    }

    /// One attempt at `delivery`.
    async fn attempt(&self, digest: &digest::Model, delivery: &digest_delivery::Model) -> Attempt {
        let report =
            match db::digests::report(&self.db, digest, delivery.period_start, delivery.period_end)
                .await
            {
                Ok(report) => report,
                Err(error) => {
                    return Attempt::Failed {
                        error: format!("cannot read the report: {error}"),
                        retry: Some(self.backoff(delivery.attempts)),
                    };
                }
            };
        let words = render::words(&report, self.public_url.as_deref());
        let sent = match digest.channel {
            DigestChannel::Email => self.email(digest, delivery, &report, &words).await,
            channel => {
                chat::send(
                    &self.client,
                    chat::ChatMessage {
                        channel,
                        target: &digest.target,
                        secret: digest.secret.as_deref(),
                        delivery_id: delivery.id,
                        words: &words,
                        report: &report,
                    },
                )
                .await
            }
        };
        match sent {
            Ok(()) => Attempt::Sent,
            Err(failure) => Attempt::Failed {
                error: failure.error,
                retry: failure.retry.map(|hint| {
                    let wait = hint.unwrap_or_else(|| self.backoff_std(delivery.attempts));
                    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
                }),
            },
        }
    }

    async fn email(
        &self,
        digest: &digest::Model,
        delivery: &digest_delivery::Model,
        report: &app::model::DigestReport,
        words: &render::Words,
    ) -> Result<(), chat::Failure> {
        let Some(mailer) = &self.mailer else {
            return Err(chat::Failure {
                error: "no SMTP server is configured (REACH_SMTP_URL, REACH_SMTP_FROM)".to_owned(),
                retry: None,
            });
        };
        let chart = match chart::svg(report) {
            Some(svg) => match self.raster.png(svg).await {
                Ok(png) => Some(png),
                Err(error) => {
                    // The words are the digest; the picture only helps.
                    tracing::warn!(digest = digest.id, %error, "digest chart not drawn");
                    None
                }
            },
            None => None,
        };
        let message = mailer.message(&digest.target, words, chart, delivery.id)?;
        mailer.send(message).await
    }

    /// The wait before the attempt after attempt `attempts`.
    fn backoff_std(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(8);
        (self.first_backoff * 5u32.pow(exponent)).min(MAX_BACKOFF)
    }

    fn backoff(&self, attempts: i32) -> chrono::Duration {
        chrono::Duration::from_std(self.backoff_std(attempts)).unwrap_or(chrono::Duration::hours(1))
    }
}
