//! The instances sharing the database: each `reach serve` beats here (on
//! the database's clock), and is live while its beat is recent. How many
//! are live sizes each one's share of the platforms' budgets (without
//! Redis) and of the claims; `/api/instances` lists them.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use types::InstanceRow;

use crate::StoreError;
use crate::entities::instance;

/// Records that `name` is alive now; returns the database's now.
pub async fn beat(
    db: &impl ConnectionTrait,
    name: &str,
    version: &str,
    started_at: DateTime<Utc>,
) -> Result<DateTime<Utc>, sea_orm::DbErr> {
    let now = crate::clock::now(db).await?;
    instance::Entity::insert(instance::ActiveModel {
        name: Set(name.to_owned()),
        version: Set(version.to_owned()),
        started_at: Set(started_at),
        heartbeat_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(instance::Column::Name)
            .update_columns([
                instance::Column::HeartbeatAt,
                instance::Column::Version,
                // A restart under the same name is a new process.
                instance::Column::StartedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(now)
}

/// Deletes the instances silent for a day: long gone (killed, never said
/// goodbye). Once at start-up is enough.
pub async fn forget_the_long_gone(db: &impl ConnectionTrait) -> Result<u64, sea_orm::DbErr> {
    let now = crate::clock::now(db).await?;
    Ok(instance::Entity::delete_many()
        .filter(instance::Column::HeartbeatAt.lt(now - chrono::Duration::days(1)))
        .exec(db)
        .await?
        .rows_affected)
}

/// Forgets `name` (a clean shutdown), so the others stop counting it at once.
pub async fn forget(db: &impl ConnectionTrait, name: &str) -> Result<(), sea_orm::DbErr> {
    instance::Entity::delete_many()
        .filter(instance::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}

/// The instances that beat within `within`, the longest running first.
pub async fn live(
    db: &DatabaseConnection,
    within: Duration,
) -> Result<Vec<InstanceRow>, StoreError> {
    let now = crate::clock::now(db).await?;
    let since = now - chrono::Duration::from_std(within).unwrap_or_default();
    Ok(instance::Entity::find()
        .filter(instance::Column::HeartbeatAt.gte(since))
        .order_by_asc(instance::Column::StartedAt)
        .order_by_asc(instance::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|row| InstanceRow {
            seconds_since_heartbeat: (now - row.heartbeat_at).num_milliseconds().max(0) as f64
                / 1000.0,
            name: row.name,
            version: row.version,
            started_at: row.started_at,
            heartbeat_at: row.heartbeat_at,
        })
        .collect())
}

/// Asks every instance for a run now, unless a run is under way on any
/// instance (one that beat within `running_within`): that run already
/// collects what is due. Returns the request (its id and moment), if
/// recorded.
pub async fn request_collection(
    db: &DatabaseConnection,
    by: &str,
    running_within: Duration,
) -> Result<Option<(i64, DateTime<Utc>)>, StoreError> {
    use crate::entities::{collect_request, collection_run};
    use sea_orm::PaginatorTrait;
    let txn = crate::write::begin(db).await?;
    let now = crate::clock::now(&txn).await?;
    let since = now - chrono::Duration::from_std(running_within).unwrap_or_default();
    let running = collection_run::Entity::find()
        .filter(collection_run::Column::Status.eq(types::RunStatus::Running))
        .filter(collection_run::Column::HeartbeatAt.gte(since))
        .count(&txn)
        .await?;
    if running > 0 {
        return Ok(None);
    }
    let id = collect_request::Entity::insert(collect_request::ActiveModel {
        requested_at: Set(now),
        requested_by: Set(by.to_owned()),
        ..Default::default()
    })
    .exec(&txn)
    .await?
    .last_insert_id;
    txn.commit().await?;
    Ok(Some((id, now)))
}

/// The newest "collect now": its id and when it was asked.
pub async fn latest_request(
    db: &impl ConnectionTrait,
) -> Result<Option<(i64, DateTime<Utc>)>, sea_orm::DbErr> {
    use crate::entities::collect_request;
    Ok(collect_request::Entity::find()
        .order_by_desc(collect_request::Column::Id)
        .one(db)
        .await?
        .map(|request| (request.id, request.requested_at)))
}

/// How many instances beat within `within` (a cheap count, for sizing work).
pub async fn live_count(
    db: &impl ConnectionTrait,
    within: Duration,
) -> Result<u64, sea_orm::DbErr> {
    use sea_orm::PaginatorTrait;
    let now = crate::clock::now(db).await?;
    let since = now - chrono::Duration::from_std(within).unwrap_or_default();
    instance::Entity::find()
        .filter(instance::Column::HeartbeatAt.gte(since))
        .count(db)
        .await
}
