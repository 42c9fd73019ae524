//! Digests and their deliveries: made, listed and removed by admins;
//! queued once per period (a unique index, whichever instance gets there
//! first) or when asked for; leased by one instance at a time; finished
//! as sent, retried later, or failed. What a digest says is [`report`].
//!
//! Every moment a lease is judged by comes from the database's clock
//! ([`crate::clock`]), as the collectors' leases do.

mod report;

pub use report::report;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use types::{DeliveryRow, DeliveryStatus, DigestChannel, DigestPeriod, DigestRow, DigestScope};

use crate::StoreError;
use crate::entities::{digest, digest_delivery};

/// A digest to make.
#[derive(Clone, Debug)]
pub struct NewDigest {
    pub name: String,
    pub period: DigestPeriod,
    pub scope: DigestScope,
    pub channel: DigestChannel,
    pub target: String,
    /// A Matrix access token (required there) or an ntfy token.
    pub secret: Option<String>,
}

/// Attempts a delivery gets before it is marked failed.
pub const MAX_ATTEMPTS: i32 = 5;

fn row(model: &digest::Model, last: Option<&digest_delivery::Model>) -> DigestRow {
    DigestRow {
        id: model.id,
        name: model.name.clone(),
        period: model.period,
        scope: model.scope(),
        channel: model.channel,
        target: model.channel.shown_target(&model.target),
        has_secret: model.secret.is_some(),
        created_at: model.created_at,
        last_delivery: last.map(digest_delivery::Model::row),
    }
}

/// Makes a digest; its name is unique.
pub async fn create(db: &DatabaseConnection, new: NewDigest) -> Result<DigestRow, StoreError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(StoreError::Invalid(
            "a digest's name is 1 to 64 characters".to_owned(),
        ));
    }
    let target = new.target.trim();
    new.channel
        .check_target(target)
        .map_err(StoreError::Invalid)?;
    let secret = new.secret.filter(|s| !s.trim().is_empty());
    match (&secret, new.channel) {
        (None, DigestChannel::Matrix) => {
            return Err(StoreError::Invalid(
                "a Matrix digest needs the access token of the account that posts".to_owned(),
            ));
        }
        (Some(s), _) if s.len() > 512 || s.chars().any(char::is_control) => {
            return Err(StoreError::Invalid(
                "a digest's token is 1 to 512 characters".to_owned(),
            ));
        }
        (Some(_), DigestChannel::Email | DigestChannel::Slack | DigestChannel::Discord) => {
            return Err(StoreError::Invalid(format!(
                "a {} digest takes no token",
                new.channel.as_str()
            )));
        }
        _ => {}
    }
    if digest::Entity::find()
        .filter(digest::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some()
    {
        return Err(StoreError::Conflict(format!(
            "there is a digest called `{name}` already"
        )));
    }
    let (scope_kind, scope_name) = match &new.scope {
        DigestScope::All => ("all", None),
        DigestScope::Tag(tag) => ("tag", Some(tag.clone())),
        DigestScope::Brand(brand) => ("brand", Some(brand.clone())),
    };
    let model = digest::ActiveModel {
        name: Set(name.to_owned()),
        period: Set(new.period),
        scope_kind: Set(scope_kind.to_owned()),
        scope_name: Set(scope_name),
        channel: Set(new.channel),
        target: Set(target.to_owned()),
        secret: Set(secret),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(row(&model, None))
}

/// Every digest with its newest delivery, by name.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<DigestRow>, StoreError> {
    let digests = digest::Entity::find()
        .order_by_asc(digest::Column::Name)
        .all(db)
        .await?;
    // The newest delivery of each, in one query.
    let newest = Query::select()
        .expr(digest_delivery::Column::Id.max())
        .from(digest_delivery::Entity)
        .group_by_col(digest_delivery::Column::DigestId)
        .to_owned();
    let last = digest_delivery::Entity::find()
        .filter(digest_delivery::Column::Id.in_subquery(newest))
        .all(db)
        .await?;
    Ok(digests
        .iter()
        .map(|d| row(d, last.iter().find(|l| l.digest_id == d.id)))
        .collect())
}

/// One digest, as stored (its secret too: for sending).
pub async fn find(db: &DatabaseConnection, id: i64) -> Result<digest::Model, StoreError> {
    digest::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("digest", id))
}

/// Removes a digest and its deliveries.
pub async fn remove(db: &DatabaseConnection, id: i64) -> Result<(), StoreError> {
    let removed = digest::Entity::delete_by_id(id).exec(db).await?;
    if removed.rows_affected == 0 {
        return Err(StoreError::not_found("digest", id));
    }
    Ok(())
}

/// A digest's deliveries, newest first.
pub async fn deliveries(
    db: &DatabaseConnection,
    id: i64,
    limit: u64,
) -> Result<Vec<DeliveryRow>, StoreError> {
    Ok(digest_delivery::Entity::find()
        .filter(digest_delivery::Column::DigestId.eq(id))
        .order_by_desc(digest_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .iter()
        .map(digest_delivery::Model::row)
        .collect())
}

/// Queues each digest's last complete period, unless it is queued already
/// (by any instance) or ended before the digest was made; returns how many
/// were queued now.
pub async fn queue_scheduled(db: &DatabaseConnection) -> Result<u64, StoreError> {
    let now = crate::clock::now(db).await?;
    let mut queued = 0;
    for digest in digest::Entity::find().all(db).await? {
        let (start, end) = digest.period.last_complete(now);
        if end <= digest.created_at {
            continue;
        }
        let inserted =
            digest_delivery::Entity::insert(new_delivery(digest.id, start, end, true, now))
                .on_conflict(
                    OnConflict::columns([
                        digest_delivery::Column::DigestId,
                        digest_delivery::Column::ScheduledFor,
                    ])
                    .do_nothing()
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await?;
        queued += inserted;
    }
    Ok(queued)
}

fn new_delivery(
    digest_id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    scheduled: bool,
    now: DateTime<Utc>,
) -> digest_delivery::ActiveModel {
    digest_delivery::ActiveModel {
        digest_id: Set(digest_id),
        period_start: Set(start),
        period_end: Set(end),
        scheduled_for: Set(scheduled.then_some(start)),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
}

/// Queues a delivery now ("send now") of the digest's last complete
/// period; it is sent beside the scheduled one, never in its place.
pub async fn queue_now(db: &DatabaseConnection, id: i64) -> Result<DeliveryRow, StoreError> {
    let digest = find(db, id).await?;
    let now = crate::clock::now(db).await?;
    let (start, end) = digest.period.last_complete(now);
    let model = new_delivery(id, start, end, false, now).insert(db).await?;
    Ok(model.row())
}

/// Leases up to `limit` pending deliveries that are due, for `lease`:
/// each by one conditional UPDATE, so an instance that lost the race for
/// one skips it. Returns each with its digest.
pub async fn lease_due(
    db: &DatabaseConnection,
    owner: &str,
    lease: chrono::Duration,
    limit: u64,
) -> Result<Vec<(digest::Model, digest_delivery::Model)>, StoreError> {
    let now = crate::clock::now(db).await?;
    let due = digest_delivery::Entity::find()
        .filter(digest_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .filter(digest_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(digest_delivery::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let mut leased = Vec::new();
    for delivery in due {
        let taken = digest_delivery::Entity::update_many()
            .col_expr(digest_delivery::Column::Owner, Expr::value(owner))
            .col_expr(
                digest_delivery::Column::NextAttemptAt,
                Expr::value(now + lease),
            )
            .col_expr(
                digest_delivery::Column::Attempts,
                Expr::col(digest_delivery::Column::Attempts).add(1),
            )
            .filter(digest_delivery::Column::Id.eq(delivery.id))
            .filter(digest_delivery::Column::Status.eq(DeliveryStatus::Pending))
            .filter(digest_delivery::Column::NextAttemptAt.lte(now))
            .exec(db)
            .await?;
        if taken.rows_affected == 1 {
            let Some(digest) = digest::Entity::find_by_id(delivery.digest_id)
                .one(db)
                .await?
            else {
                continue;
            };
            let delivery = digest_delivery::Model {
                owner: Some(owner.to_owned()),
                attempts: delivery.attempts + 1,
                next_attempt_at: now + lease,
                ..delivery
            };
            leased.push((digest, delivery));
        }
    }
    Ok(leased)
}

/// How an attempt ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// Failed; `retry` says whether another attempt may help (a timeout, a
    /// 5xx, a 429) and after how long.
    Failed {
        error: String,
        retry: Option<chrono::Duration>,
    },
}

/// Records how the attempt of `delivery` (leased by `owner`) ended: sent,
/// pending again after the backoff, or failed for good once
/// [`MAX_ATTEMPTS`] are spent or nothing would help.
pub async fn finish(
    db: &DatabaseConnection,
    delivery: &digest_delivery::Model,
    owner: &str,
    attempt: Attempt,
) -> Result<DeliveryStatus, StoreError> {
    let now = crate::clock::now(db).await?;
    let update = digest_delivery::Entity::update_many()
        .filter(digest_delivery::Column::Id.eq(delivery.id))
        .filter(digest_delivery::Column::Owner.eq(owner));
    let (status, update) = match attempt {
        Attempt::Sent => (
            DeliveryStatus::Sent,
            update
                .col_expr(digest_delivery::Column::SentAt, Expr::value(now))
                .col_expr(digest_delivery::Column::Error, Expr::value(None::<String>)),
        ),
        Attempt::Failed { error, retry } => {
            let error: String = error.chars().take(500).collect();
            let (status, next) = match retry {
                Some(after) if delivery.attempts < MAX_ATTEMPTS => {
                    (DeliveryStatus::Pending, now + after)
                }
                _ => (DeliveryStatus::Failed, now),
            };
            (
                status,
                update
                    .col_expr(digest_delivery::Column::Error, Expr::value(error))
                    .col_expr(digest_delivery::Column::NextAttemptAt, Expr::value(next)),
            )
        }
    };
    update
        .col_expr(digest_delivery::Column::Status, Expr::value(status))
        .col_expr(digest_delivery::Column::Owner, Expr::value(None::<String>))
        .exec(db)
        .await?;
    Ok(status)
}
