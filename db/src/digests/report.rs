//! What a digest says about a period: each account's change in its
//! headline counter between the newest values stored at or before the
//! period's start and end, the largest gains and losses, the period's
//! events, and when the top growers reach their next milestones. Stored
//! data only: an account without a value at either end has no change.
//!
//! The values come from one query per chunk of accounts and headline
//! counter, two correlated lookups on the snapshots' primary key each, so
//! a digest of every account reads two index entries per account, not the
//! history.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, IdenStatic,
    QueryFilter, QueryOrder, QuerySelect, Statement,
};
use types::{
    DIGEST_EVENTS, DIGEST_LISTED, DIGEST_TOP, DigestChange, DigestProjection, DigestReport,
    DigestScope, EventKind, Metric, percent_change,
};

use crate::StoreError;
use crate::entities::{account, account_tag, brand, digest, event, snapshot};

/// Accounts per query of their period's values.
const CHUNK: usize = 500;
/// Days of history a grower's projection is fitted to.
const PROJECTION_BASIS_DAYS: u32 = 90;

/// What `digest` says about `[start, end)`.
pub async fn report(
    db: &DatabaseConnection,
    digest: &digest::Model,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<DigestReport, StoreError> {
    let scope = digest.scope();
    let in_scope = scope_filter(db, &scope).await?;
    let mut accounts = account::Entity::find().order_by_asc(account::Column::Id);
    if let Some(filter) = in_scope.clone() {
        accounts = accounts.filter(filter);
    }
    let accounts = accounts.all(db).await?;
    let mut changes = Vec::with_capacity(accounts.len());
    let mut by_metric: BTreeMap<&'static str, (Metric, Vec<&account::Model>)> = BTreeMap::new();
    for a in &accounts {
        let metric = a.platform.headline_metric();
        by_metric
            .entry(metric.as_str())
            .or_insert_with(|| (metric, Vec::new()))
            .1
            .push(a);
    }
    for (metric, group) in by_metric.into_values() {
        for chunk in group.chunks(CHUNK) {
            let ids: Vec<i64> = chunk.iter().map(|a| a.id).collect();
            let values = values_at(db, metric, &ids, start, end).await?;
            for a in chunk {
                let (from, to) = values.get(&a.id).copied().unwrap_or_default();
                let change = to.zip(from).map(|(to, from)| to - from);
                changes.push(DigestChange {
                    account_id: a.id,
                    platform: a.platform,
                    handle: a.handle.clone(),
                    display_name: a.display_name.clone(),
                    metric,
                    from,
                    to,
                    change,
                    percent: percent_change(change, to),
                    simulated: a.simulated,
                    state: a.state,
                });
            }
        }
    }
    // Largest gain first; accounts without a change last, by handle.
    changes.sort_by(|a, b| {
        b.change
            .is_some()
            .cmp(&a.change.is_some())
            .then(b.change.cmp(&a.change))
            .then_with(|| a.handle.cmp(&b.handle))
    });
    let growers: Vec<DigestChange> = changes
        .iter()
        .filter(|c| c.change.is_some_and(|c| c > 0))
        .take(DIGEST_TOP)
        .cloned()
        .collect();
    let mut losers: Vec<DigestChange> = changes
        .iter()
        .filter(|c| c.change.is_some_and(|c| c < 0))
        .cloned()
        .collect();
    losers.sort_by_key(|c| c.change);
    losers.truncate(DIGEST_TOP);
    let projections = projections(db, &growers).await?;
    let events = |kinds: &'static [EventKind]| events_in(db, in_scope.clone(), kinds, start, end);
    let milestones = events(&[EventKind::Milestone]).await?;
    let unusual = events(&[EventKind::UnusualChange]).await?;
    let trouble = events(&[
        EventKind::Failing,
        EventKind::StateChanged,
        EventKind::Restored,
        EventKind::Renamed,
    ])
    .await?;
    let total = changes.len();
    changes.truncate(DIGEST_LISTED);
    Ok(DigestReport {
        name: digest.name.clone(),
        period: digest.period,
        scope,
        start,
        end,
        accounts: total as u64,
        unlisted: (total - changes.len()) as u64,
        changes,
        growers,
        losers,
        milestones,
        unusual,
        trouble,
        projections,
    })
}

/// The condition on accounts' ids (as `account_id` or `id`) that keeps a
/// scope's; `None` for every account. A brand that no longer exists keeps
/// none.
async fn scope_filter(
    db: &DatabaseConnection,
    scope: &DigestScope,
) -> Result<Option<SimpleExpr>, StoreError> {
    Ok(match scope {
        DigestScope::All => None,
        DigestScope::Tag(tag) => Some(
            account::Column::Id.in_subquery(
                Query::select()
                    .column(account_tag::Column::AccountId)
                    .from(account_tag::Entity)
                    .and_where(account_tag::Column::Tag.eq(tag.as_str()))
                    .to_owned(),
            ),
        ),
        DigestScope::Brand(name) => {
            let id = brand::Entity::find()
                .filter(brand::Column::Name.eq(name.as_str()))
                .one(db)
                .await?
                .map_or(-1, |b| b.id);
            Some(
                account::Column::Id.in_subquery(
                    Query::select()
                        .column(account::Column::Id)
                        .from(account::Entity)
                        .and_where(account::Column::BrandId.eq(id))
                        .to_owned(),
                ),
            )
        }
    })
}

/// The newest stored `metric` at or before `start` and `end` of each of
/// `ids` (which are integers, written into the statement).
async fn values_at(
    db: &DatabaseConnection,
    metric: Metric,
    ids: &[i64],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<BTreeMap<i64, (Option<i64>, Option<i64>)>, StoreError> {
    if ids.is_empty() {
        return Ok(BTreeMap::new());
    }
    let column = snapshot::metric_column(metric).as_str();
    let backend = db.get_database_backend();
    let (first, second) = match backend {
        DbBackend::Postgres => ("$1", "$2"),
        _ => ("?", "?"),
    };
    let at_or_before = |moment: &str| {
        format!(
            "(SELECT s.{column} FROM snapshots s WHERE s.account_id = a.id \
             AND s.captured_at <= {moment} AND s.{column} IS NOT NULL \
             ORDER BY s.captured_at DESC LIMIT 1)"
        )
    };
    let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    let sql = format!(
        "SELECT a.id AS id, {} AS from_value, {} AS to_value FROM accounts a WHERE a.id IN ({list})",
        at_or_before(first),
        at_or_before(second),
    );
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [start.into(), end.into()],
        ))
        .await?;
    let mut values = BTreeMap::new();
    for row in rows {
        let id: i64 = row.try_get("", "id")?;
        let from: Option<i64> = row.try_get("", "from_value")?;
        let to: Option<i64> = row.try_get("", "to_value")?;
        values.insert(id, (from, to));
    }
    Ok(values)
}

/// The newest events of `kinds` in `[start, end)` of the scope's accounts.
async fn events_in(
    db: &DatabaseConnection,
    in_scope: Option<SimpleExpr>,
    kinds: &[EventKind],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<types::EventRow>, StoreError> {
    let mut select = event::Entity::find()
        .filter(event::Column::Kind.is_in(kinds.iter().copied()))
        .filter(event::Column::OccurredAt.gte(start))
        .filter(event::Column::OccurredAt.lt(end));
    if let Some(filter) = in_scope {
        // The scope's condition is on `accounts.id`; events name it as
        // `account_id`.
        select = select.filter(
            event::Column::AccountId.in_subquery(
                Query::select()
                    .column(account::Column::Id)
                    .from(account::Entity)
                    .cond_where(filter)
                    .to_owned(),
            ),
        );
    }
    let models = select
        .order_by_desc(event::Column::OccurredAt)
        .order_by_desc(event::Column::Id)
        .limit(DIGEST_EVENTS as u64)
        .all(db)
        .await?;
    Ok(crate::events::rows(db, models).await?)
}

/// The next milestone of each grower, where its trend reaches one within
/// the projection's horizon.
async fn projections(
    db: &DatabaseConnection,
    growers: &[DigestChange],
) -> Result<Vec<DigestProjection>, StoreError> {
    let mut out = Vec::new();
    for grower in growers {
        let projection = crate::projection::projection(
            db,
            grower.account_id,
            grower.metric,
            PROJECTION_BASIS_DAYS,
        )
        .await?;
        let next = projection.trend.and_then(|t| {
            t.milestones
                .into_iter()
                .find_map(|m| Some((m.milestone, m.at?)))
        });
        if let Some((milestone, at)) = next {
            out.push(DigestProjection {
                account_id: grower.account_id,
                platform: grower.platform,
                handle: grower.handle.clone(),
                metric: grower.metric,
                milestone,
                at,
            });
        }
    }
    Ok(out)
}
