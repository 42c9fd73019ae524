//! The events' read side: the list behind `/api/events` and the overview,
//! and the wire form webhooks send.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::entities::event;
use crate::StoreError;
use crate::sql::offset;
use crate::totals::kept_count;
use types::{EventKind, EventRow, Page};

/// A page of events, newest first, optionally of one account or kind.
pub async fn list(
    db: &DatabaseConnection,
    account_id: Option<i64>,
    kind: Option<EventKind>,
    page: u32,
    per_page: u32,
) -> Result<Page<EventRow>, StoreError> {
    let mut select = event::Entity::find();
    if let Some(id) = account_id {
        select = select.filter(event::Column::AccountId.eq(id));
    }
    if let Some(kind) = kind {
        select = select.filter(event::Column::Kind.eq(kind));
    }
    // Every event, or every one of a kind, is counted by triggers as they
    // are written; one account's few are counted on its index.
    let total = match (account_id, kind) {
        (None, None) => kept_count(db, "events").await?,
        (None, Some(kind)) => kept_count(db, &format!("events:{}", kind.as_str())).await?,
        (Some(_), _) => select.clone().count(db).await?,
    };
    let models = select
        .order_by_desc(event::Column::OccurredAt)
        .order_by_desc(event::Column::Id)
        .limit(u64::from(per_page))
        .offset(offset(page, per_page))
        .all(db)
        .await?;
    Ok(Page {
        items: rows(db, models).await?,
        page,
        per_page,
        total,
    })
}

/// Events as they cross the wire, with their accounts' platform and handle
/// (one query for all of them).
pub async fn rows(
    db: &impl ConnectionTrait,
    models: Vec<event::Model>,
) -> Result<Vec<EventRow>, sea_orm::DbErr> {
    let mut ids: Vec<i64> = models.iter().map(|e| e.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let accounts = crate::accounts::identities(db, ids).await?;
    Ok(models
        .into_iter()
        .filter_map(|e| {
            let (platform, handle) = accounts.get(&e.account_id)?.clone();
            Some(EventRow {
                id: e.id,
                kind: e.kind,
                account_id: e.account_id,
                platform,
                handle,
                metric: e.metric.as_deref().and_then(|m| m.parse().ok()),
                occurred_at: e.occurred_at,
                value: e.value,
                milestone: e.milestone,
                change: e.change,
                score: e.score,
                failures: e.failures,
                message: e.message,
            })
        })
        .collect())
}
