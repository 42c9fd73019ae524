//! Collection runs as the dashboard reads them: the list, one run with its
//! per-platform timings and every account's outcome, and the latest run's
//! collector figures.

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entities::{account, collection_run, run_result};
use crate::sql::{offset, to_count};
use types::{
    CollectorStats, Outcome, Page, Platform, PlatformTiming, RunDetail, RunResultRow, RunStatus,
    RunSummary,
};

pub async fn runs(
    db: &DatabaseConnection,
    page: u32,
    per_page: u32,
) -> Result<Page<RunSummary>, StoreError> {
    let select = collection_run::Entity::find();
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_desc(collection_run::Column::StartedAt)
        .order_by_desc(collection_run::Column::Id)
        .limit(u64::from(per_page))
        .offset(offset(page, per_page))
        .all(db)
        .await?
        .into_iter()
        .map(RunSummary::from)
        .collect();
    Ok(Page {
        items,
        page,
        per_page,
        total,
    })
}

/// One run: its summary, per-platform figures and a page of its accounts'
/// outcomes (failures first), optionally only those with `outcome`.
pub async fn run_detail(
    db: &DatabaseConnection,
    id: i64,
    outcome: Option<Outcome>,
    page: u32,
    per_page: u32,
) -> Result<RunDetail, StoreError> {
    #[derive(FromQueryResult)]
    struct PlatformRow {
        platform: Platform,
        accounts: i64,
        ok: i64,
        skipped: i64,
        mean_ms: Option<f64>,
        max_ms: Option<i64>,
        last_finished_at: Option<chrono::DateTime<Utc>>,
    }
    #[derive(FromQueryResult)]
    struct ResultRow {
        account_id: i64,
        platform: Platform,
        handle: String,
        outcome: Outcome,
        error: Option<String>,
        duration_ms: i64,
        finished_at: chrono::DateTime<Utc>,
    }

    let run = collection_run::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("run", id))?;
    let outcome_is = |wanted: Outcome| -> Expr {
        Expr::case(run_result::Column::Outcome.eq(wanted), 1)
            .finally(0)
            .into()
    };
    let platforms = run_result::Entity::find()
        .select_only()
        .column_as(account::Column::Platform, "platform")
        .column_as(run_result::Column::AccountId.count(), "accounts")
        .column_as(Expr::from(Func::sum(outcome_is(Outcome::Ok))), "ok")
        .column_as(
            Expr::from(Func::sum(outcome_is(Outcome::NotConfigured))),
            "skipped",
        )
        // AVG is NUMERIC on PostgreSQL: cast to what both databases read as f64.
        .column_as(
            Expr::cust("CAST(AVG(run_results.duration_ms) AS DOUBLE PRECISION)"),
            "mean_ms",
        )
        .column_as(run_result::Column::DurationMs.max(), "max_ms")
        .column_as(run_result::Column::FinishedAt.max(), "last_finished_at")
        .inner_join(account::Entity)
        .filter(run_result::Column::RunId.eq(id))
        .group_by(account::Column::Platform)
        .order_by_asc(account::Column::Platform)
        .into_model::<PlatformRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| {
            let accounts = to_count(row.accounts);
            let ok = to_count(row.ok);
            let skipped = to_count(row.skipped);
            PlatformTiming {
                platform: row.platform,
                accounts,
                ok,
                skipped,
                failed: accounts.saturating_sub(ok + skipped),
                mean_ms: row.mean_ms.unwrap_or_default(),
                max_ms: row.max_ms.unwrap_or_default(),
                finished_after_ms: row
                    .last_finished_at
                    .map(|at| Ord::max((at - run.started_at).num_milliseconds(), 0))
                    .unwrap_or_default(),
            }
        })
        .collect();

    let mut results = run_result::Entity::find().filter(run_result::Column::RunId.eq(id));
    if let Some(outcome) = outcome {
        results = results.filter(run_result::Column::Outcome.eq(outcome));
    }
    let total = results.clone().count(db).await?;
    let items = results
        .select_only()
        .columns([
            run_result::Column::AccountId,
            run_result::Column::Outcome,
            run_result::Column::Error,
            run_result::Column::DurationMs,
            run_result::Column::FinishedAt,
        ])
        .columns([account::Column::Platform, account::Column::Handle])
        .inner_join(account::Entity)
        .order_by(outcome_is(Outcome::Ok), Order::Asc)
        .order_by_asc(run_result::Column::AccountId)
        .limit(u64::from(per_page))
        .offset(offset(page, per_page))
        .into_model::<ResultRow>()
        .all(db)
        .await?
        .into_iter()
        .map(|row| RunResultRow {
            account_id: row.account_id,
            platform: row.platform,
            handle: row.handle,
            outcome: row.outcome,
            error: row.error,
            duration_ms: row.duration_ms,
            finished_at: row.finished_at,
        })
        .collect();
    Ok(RunDetail {
        run: run.into(),
        platforms,
        results: Page {
            items,
            page,
            per_page,
            total,
        },
    })
}

/// The collectors' per-platform timings in the latest finished run that
/// collected accounts (the demo seed's history runs have no timings).
pub async fn latest_collector_stats(
    db: &DatabaseConnection,
) -> Result<Option<CollectorStats>, StoreError> {
    let latest = collection_run::Entity::find()
        .filter(collection_run::Column::Status.eq(RunStatus::Finished))
        .filter(collection_run::Column::AccountsDone.gt(0))
        .order_by_desc(collection_run::Column::StartedAt)
        .order_by_desc(collection_run::Column::Id)
        .one(db)
        .await?;
    let Some(latest) = latest else {
        return Ok(None);
    };
    let detail = run_detail(db, latest.id, None, 1, 1).await?;
    Ok(Some(CollectorStats {
        run: detail.run,
        platforms: detail.platforms,
    }))
}
