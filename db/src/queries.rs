//! The read side: the queries behind the server functions, each returning
//! wire DTOs. Every query is bounded (a page, a range, an aggregate) and
//! served by an index; related rows are loaded in one extra query per page,
//! never one per row.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, LikeExpr, NullOrdering, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait,
    FromQueryResult, LoaderTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Statement,
};

use super::entities::{account, account_tag, collection_run, daily_rollup, run_result, snapshot};
use crate::StoreError;
use types::{
    AccountDetail, AccountFilter, AccountRow, AccountSort, CollectorStats, CompareMode,
    CompareSeries, Comparison, DailyRollup, GROWTH_WINDOWS, Growth, GrowthWindow, HistoryPoint,
    HistoryRange, Metric, MetricChange, Outcome, Overview, Page, PeriodChange, Platform,
    PlatformTiming, PlatformTotals, RunDetail, RunResultRow, RunStatus, RunSummary,
    STALE_AFTER_HOURS, SortDirection, TagCount, TotalChange, percent_change,
};

/// How many accounts each list of the overview shows.
const OVERVIEW_LIST_LENGTH: u32 = 5;

/// A validated request for one page of the accounts table.
#[derive(Clone, Debug)]
pub struct AccountQuery {
    pub page: u32,
    pub per_page: u32,
    pub sort: AccountSort,
    pub direction: SortDirection,
    pub filter: AccountFilter,
}

/// How far back the sparklines of the accounts table reach.
const SPARKLINE_DAYS: i64 = 30;

pub async fn accounts(
    db: &DatabaseConnection,
    query: &AccountQuery,
) -> Result<Page<AccountRow>, StoreError> {
    let select = filtered(account::Entity::find(), &query.filter);
    let total = select.clone().count(db).await?;

    let order = match query.direction {
        SortDirection::Asc => Order::Asc,
        SortDirection::Desc => Order::Desc,
    };
    let column = match query.sort {
        AccountSort::Handle => account::Column::Handle,
        AccountSort::Platform => account::Column::Platform,
        AccountSort::Followers => account::Column::Followers,
        AccountSort::Following => account::Column::Following,
        AccountSort::Posts => account::Column::Posts,
        AccountSort::Views => account::Column::Views,
        AccountSort::Likes => account::Column::Likes,
        AccountSort::Change7d => account::Column::FollowersChange7d,
        AccountSort::Change30d => account::Column::FollowersChange30d,
        AccountSort::LastCollected => account::Column::LastCollectedAt,
    };
    // Unknown values sort last in both directions: they are not "zero".
    // Ties go by id in the same direction, which is the order of the
    // column's index (SQLite's indexes end with the row id): no sort of
    // the whole table when many share a value (a run's collection time).
    let models = select
        .order_by_with_nulls(column, order.clone(), NullOrdering::Last)
        .order_by(account::Column::Id, order)
        .limit(u64::from(query.per_page))
        .offset(offset(query.page, query.per_page))
        .all(db)
        .await?;

    let mut items = with_tags(db, models).await?;
    with_sparklines(db, &mut items).await?;
    Ok(Page {
        items,
        page: query.page,
        per_page: query.per_page,
        total,
    })
}

/// `select` narrowed to the accounts `filter` lets through.
pub fn filtered(
    mut select: Select<account::Entity>,
    filter: &AccountFilter,
) -> Select<account::Entity> {
    if let Some(platform) = filter.platform {
        select = select.filter(account::Column::Platform.eq(platform));
    }
    if let Some(core) = filter.core {
        select = select.filter(account::Column::IsCore.eq(core));
    }
    if let Some(tag) = &filter.tag {
        select = select.filter(
            account::Column::Id.in_subquery(
                Query::select()
                    .column(account_tag::Column::AccountId)
                    .from(account_tag::Entity)
                    .and_where(account_tag::Column::Tag.eq(tag.as_str()))
                    .to_owned(),
            ),
        );
    }
    if let Some(text) = &filter.search {
        let pattern =
            LikeExpr::new(format!("%{}%", escape_like(&text.to_lowercase()))).escape('\\');
        let lower = |column: account::Column| Expr::expr(Func::lower(Expr::col(column)));
        select = select.filter(
            Condition::any()
                .add(lower(account::Column::Handle).like(pattern.clone()))
                .add(lower(account::Column::DisplayName).like(pattern)),
        );
    }
    select
}

/// Fills each row's sparkline with its last 30 days of followers, for the
/// whole page in one query on the snapshots' primary key.
async fn with_sparklines(
    db: &impl ConnectionTrait,
    rows: &mut [AccountRow],
) -> Result<(), StoreError> {
    if rows.is_empty() {
        return Ok(());
    }
    let since = Utc::now() - chrono::Duration::days(SPARKLINE_DAYS);
    let points: Vec<(i64, Option<i64>)> = snapshot::Entity::find()
        .select_only()
        .columns([snapshot::Column::AccountId, snapshot::Column::Followers])
        .filter(snapshot::Column::AccountId.is_in(rows.iter().map(|r| r.id)))
        .filter(snapshot::Column::CapturedAt.gte(since))
        .order_by_asc(snapshot::Column::AccountId)
        .order_by_asc(snapshot::Column::CapturedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut by_account: HashMap<i64, Vec<i64>> = HashMap::new();
    for (account_id, followers) in points {
        if let Some(followers) = followers {
            by_account.entry(account_id).or_default().push(followers);
        }
    }
    for row in rows {
        row.sparkline = by_account.remove(&row.id).unwrap_or_default();
    }
    Ok(())
}

pub async fn account(db: &DatabaseConnection, id: i64) -> Result<AccountDetail, StoreError> {
    let model = find_account(db, id).await?;
    let platform_id = model.platform_id.clone();
    let created_at = model.created_at;
    let brand = super::brands::of_account(db, model.brand_id).await?;

    #[derive(FromQueryResult)]
    struct SnapshotStats {
        count: i64,
        first: Option<chrono::DateTime<Utc>>,
    }
    let stats = snapshot::Entity::find()
        .select_only()
        .column_as(snapshot::Column::CapturedAt.count(), "count")
        .column_as(snapshot::Column::CapturedAt.min(), "first")
        .filter(snapshot::Column::AccountId.eq(id))
        .into_model::<SnapshotStats>()
        .one(db)
        .await?;
    let (snapshot_count, first_captured_at) =
        stats.map_or((0, None), |s| (to_count(s.count), s.first));

    let account = with_tags(db, vec![model])
        .await?
        .pop()
        .ok_or_else(|| StoreError::not_found("account", id))?;
    Ok(AccountDetail {
        account,
        brand,
        platform_id,
        created_at,
        snapshot_count,
        first_captured_at,
    })
}

/// An account's snapshots over `range`, oldest first, thinned for a chart
/// of `metric` when there are more than [`crate::downsample::MAX_CHART_POINTS`].
pub async fn history(
    db: &DatabaseConnection,
    id: i64,
    range: HistoryRange,
    metric: Metric,
) -> Result<Vec<HistoryPoint>, StoreError> {
    find_account(db, id).await?;
    let mut select = snapshot::Entity::find().filter(snapshot::Column::AccountId.eq(id));
    if let Some(days) = range.days() {
        select = select
            .filter(snapshot::Column::CapturedAt.gte(Utc::now() - chrono::Duration::days(days)));
    }
    let rows = select
        .order_by_asc(snapshot::Column::CapturedAt)
        .all(db)
        .await?;
    let points = rows
        .into_iter()
        .map(|s| HistoryPoint {
            captured_at: s.captured_at,
            counters: s.counters(),
            imported: s.imported,
        })
        .collect();
    Ok(crate::downsample::thin(
        points,
        |p| p.captured_at,
        |p| p.counters.get(metric).map(|v| v as f64),
    ))
}

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

/// The overview: its three independent parts are read at once, on
/// different connections (the totals' pass over the accounts is the
/// longest).
pub async fn overview(db: &DatabaseConnection) -> Result<Overview, StoreError> {
    let ((totals, by_platform, changes), (top_accounts, top_growers), attention) =
        tokio::try_join!(totals(db), leaders(db), attention(db))?;
    Ok(Overview {
        accounts: totals.accounts,
        core_accounts: totals.core_accounts,
        snapshots: attention.snapshots,
        followers: totals.followers,
        views: totals.views,
        posts: totals.posts,
        by_platform,
        changes,
        top_accounts,
        top_growers,
        latest_run: attention.latest_run,
        needs_attention: attention.accounts,
        needs_attention_total: attention.total,
        recent_events: attention.recent_events,
    })
}

/// Sums over every account.
struct Totals {
    accounts: u64,
    core_accounts: u64,
    followers: i64,
    views: i64,
    posts: i64,
}

/// Every total in one pass over the account rows, which keep each
/// account's latest counters and follower changes.
async fn totals(
    db: &DatabaseConnection,
) -> Result<(Totals, Vec<PlatformTotals>, Vec<TotalChange>), StoreError> {
    #[derive(FromQueryResult)]
    struct PlatformRow {
        platform: Platform,
        accounts: i64,
        core_accounts: i64,
        followers: i64,
        posts: i64,
        views: i64,
        change_1d: i64,
        start_1d: i64,
        known_1d: i64,
        change_7d: i64,
        start_7d: i64,
        known_7d: i64,
        change_30d: i64,
        start_30d: i64,
        known_30d: i64,
    }
    // SUM over BIGINT is NUMERIC on PostgreSQL: cast back so both backends
    // return 64-bit integers.
    let changes: String = [1, 7, 30]
        .map(|days| {
            let column = format!("followers_change_{days}d");
            format!(
                ", CAST(COALESCE(SUM({column}), 0) AS BIGINT) AS change_{days}d, \
                 CAST(COALESCE(SUM(followers - {column}), 0) AS BIGINT) AS start_{days}d, \
                 COUNT({column}) AS known_{days}d"
            )
        })
        .concat();
    // Grouped by an expression, not the column: SQLite would otherwise walk
    // the (platform, handle) index and fetch each row from the table in
    // index order, three times slower than reading the table straight.
    let rows = PlatformRow::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        format!(
            "SELECT platform || '' AS platform, COUNT(*) AS accounts, \
                SUM(CASE WHEN is_core THEN 1 ELSE 0 END) AS core_accounts, \
                CAST(COALESCE(SUM(followers), 0) AS BIGINT) AS followers, \
                CAST(COALESCE(SUM(posts), 0) AS BIGINT) AS posts, \
                CAST(COALESCE(SUM(views), 0) AS BIGINT) AS views{changes} \
             FROM accounts GROUP BY platform || '' ORDER BY followers DESC"
        ),
    ))
    .all(db)
    .await?;
    let sum = |f: fn(&PlatformRow) -> i64| rows.iter().map(f).sum::<i64>();
    let change = |days: u32, change: i64, start: i64, known: i64| TotalChange {
        days,
        followers: change,
        percent: (start > 0).then(|| change as f64 * 100.0 / start as f64),
        accounts: to_count(known),
    };
    let changes = vec![
        change(
            1,
            sum(|r| r.change_1d),
            sum(|r| r.start_1d),
            sum(|r| r.known_1d),
        ),
        change(
            7,
            sum(|r| r.change_7d),
            sum(|r| r.start_7d),
            sum(|r| r.known_7d),
        ),
        change(
            30,
            sum(|r| r.change_30d),
            sum(|r| r.start_30d),
            sum(|r| r.known_30d),
        ),
    ];
    let totals = Totals {
        accounts: to_count(sum(|r| r.accounts)),
        core_accounts: to_count(sum(|r| r.core_accounts)),
        followers: sum(|r| r.followers),
        views: sum(|r| r.views),
        posts: sum(|r| r.posts),
    };
    let by_platform = rows
        .iter()
        .map(|r| PlatformTotals {
            platform: r.platform,
            accounts: to_count(r.accounts),
            followers: r.followers,
        })
        .collect();
    Ok((totals, by_platform, changes))
}

/// The biggest accounts and the biggest growers of the week, without
/// sparklines (no snapshot read).
async fn leaders(
    db: &DatabaseConnection,
) -> Result<(Vec<AccountRow>, Vec<AccountRow>), StoreError> {
    let top = account::Entity::find()
        .order_by_with_nulls(account::Column::Followers, Order::Desc, NullOrdering::Last)
        .order_by_asc(account::Column::Id)
        .limit(u64::from(OVERVIEW_LIST_LENGTH))
        .all(db)
        .await?;
    let growers = account::Entity::find()
        .filter(account::Column::FollowersChange7d.gt(0))
        .order_by_desc(account::Column::FollowersChange7d)
        .order_by_asc(account::Column::Id)
        .limit(u64::from(OVERVIEW_LIST_LENGTH))
        .all(db)
        .await?;
    Ok((with_tags(db, top).await?, with_tags(db, growers).await?))
}

/// What may need a look: accounts failing or stale, the latest run, the
/// newest events; and the number of snapshots.
struct Attention {
    accounts: Vec<AccountRow>,
    total: u64,
    latest_run: Option<RunSummary>,
    recent_events: Vec<types::EventRow>,
    snapshots: u64,
}

async fn attention(db: &DatabaseConnection) -> Result<Attention, StoreError> {
    let needing = async {
        let stale_before = Utc::now() - chrono::Duration::hours(STALE_AFTER_HOURS);
        // Failures as a list rather than `<> 'ok'`, which no index serves:
        // each condition has its index, so few accounts needing attention
        // cost little to find however many there are.
        let failures = <Outcome as sea_orm::Iterable>::iter().filter(|o| *o != Outcome::Ok);
        let needing = account::Entity::find().filter(
            Condition::any()
                .add(account::Column::LastOutcome.is_in(failures))
                .add(account::Column::LastCollectedAt.is_null())
                .add(account::Column::LastCollectedAt.lt(stale_before)),
        );
        let total = needing.clone().count(db).await?;
        let accounts = needing
            .order_by_with_nulls(
                account::Column::LastCollectedAt,
                Order::Asc,
                NullOrdering::First,
            )
            .order_by_asc(account::Column::Id)
            .limit(u64::from(OVERVIEW_LIST_LENGTH))
            .all(db)
            .await?;
        Ok::<_, StoreError>((with_tags(db, accounts).await?, total))
    };
    let latest_run = async {
        let run = collection_run::Entity::find()
            .order_by_desc(collection_run::Column::StartedAt)
            .order_by_desc(collection_run::Column::Id)
            .one(db)
            .await?;
        Ok::<_, StoreError>(run.map(RunSummary::from))
    };
    // Kept by triggers on `snapshots`: counting them would read them all.
    let snapshots = async {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT row_count FROM row_counts WHERE table_name = 'snapshots'",
            ))
            .await?;
        let count = row
            .map(|row| row.try_get::<i64>("", "row_count"))
            .transpose()?;
        Ok::<_, StoreError>(count.map_or(0, to_count))
    };
    let events = super::events::list(db, None, None, 1, OVERVIEW_LIST_LENGTH);
    let ((accounts, total), latest_run, snapshots, events) =
        tokio::try_join!(needing, latest_run, snapshots, events)?;
    Ok(Attention {
        accounts,
        total,
        latest_run,
        recent_events: events.items,
        snapshots,
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

/// Several accounts' history of `metric` over `range`, in the order of `ids`
/// (validated: 1 to [`types::MAX_COMPARED`], distinct), from one
/// query on the snapshots' primary key.
pub async fn compare(
    db: &DatabaseConnection,
    ids: &[i64],
    metric: Metric,
    range: HistoryRange,
    mode: CompareMode,
) -> Result<Comparison, StoreError> {
    let accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let column = snapshot::metric_column(metric);
    let mut select = snapshot::Entity::find()
        .select_only()
        .columns([snapshot::Column::AccountId, snapshot::Column::CapturedAt])
        .column(column)
        .filter(snapshot::Column::AccountId.is_in(ids.iter().copied()))
        .filter(column.is_not_null());
    if let Some(days) = range.days() {
        select = select
            .filter(snapshot::Column::CapturedAt.gte(Utc::now() - chrono::Duration::days(days)));
    }
    let rows: Vec<(i64, chrono::DateTime<Utc>, i64)> = select
        .order_by_asc(snapshot::Column::AccountId)
        .order_by_asc(snapshot::Column::CapturedAt)
        .into_tuple()
        .all(db)
        .await?;
    let mut points: HashMap<i64, Vec<(chrono::DateTime<Utc>, f64)>> = HashMap::new();
    for (account_id, at, value) in rows {
        points
            .entry(account_id)
            .or_default()
            .push((at, value as f64));
    }
    let series = ids
        .iter()
        .map(|id| {
            let account = accounts
                .iter()
                .find(|a| a.id == *id)
                .ok_or_else(|| StoreError::not_found("account", *id))?;
            let mut points = crate::downsample::thin(
                points.remove(id).unwrap_or_default(),
                |p| p.0,
                |p| Some(p.1),
            );
            if mode == CompareMode::Indexed {
                points = indexed(points);
            }
            Ok(CompareSeries {
                id: *id,
                platform: account.platform,
                handle: account.handle.clone(),
                points,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok(Comparison {
        metric,
        range,
        mode,
        series,
    })
}

/// Values as a percentage of the first one; a series starting at zero has
/// no index (and is left empty rather than divided by zero).
fn indexed(points: Vec<(chrono::DateTime<Utc>, f64)>) -> Vec<(chrono::DateTime<Utc>, f64)> {
    match points.first() {
        Some((_, base)) if *base > 0.0 => {
            let base = *base;
            points
                .into_iter()
                .map(|(at, value)| (at, value * 100.0 / base))
                .collect()
        }
        _ => Vec::new(),
    }
}

/// An account's growth over the standard windows up to its latest
/// snapshot and, with `period`, over that period and the one before it.
pub async fn growth(
    db: &DatabaseConnection,
    id: i64,
    period: Option<(chrono::DateTime<Utc>, chrono::DateTime<Utc>)>,
) -> Result<Growth, StoreError> {
    let account = find_account(db, id).await?;
    let metrics = account.platform.metrics();
    let mut windows = Vec::new();
    if let Some(latest) = account.last_collected_at {
        for days in GROWTH_WINDOWS {
            let start = window_start(latest, i64::from(days));
            windows.push(GrowthWindow {
                days,
                period: period_change(db, id, metrics, start, latest).await?,
            });
        }
    }
    let (custom, previous) = match period {
        Some((start, end)) => {
            let before = start - (end - start);
            (
                Some(period_change(db, id, metrics, start, end).await?),
                Some(period_change(db, id, metrics, before, start).await?),
            )
        }
        None => (None, None),
    };
    Ok(Growth {
        account_id: id,
        windows,
        custom,
        previous,
    })
}

/// Where a window of `days` up to `end` looks for its first snapshot: the
/// newest at or before this moment. A little after `end - days` (a tenth of
/// the window, at most three hours): a daily collection is never at exactly
/// the same instant (a run takes its time; local clocks move an hour at a
/// daylight-saving change), and yesterday's snapshot taken an hour later
/// than today's must still count as yesterday's, not fall back a day.
pub fn window_start(end: chrono::DateTime<Utc>, days: i64) -> chrono::DateTime<Utc> {
    let window = chrono::Duration::days(days);
    let slack = (window / 10).min(chrono::Duration::hours(3));
    end - window + slack
}

/// The change of `metrics` between the newest snapshots at or before
/// `start` and `end`: two lookups on the snapshots' primary key.
async fn period_change(
    db: &DatabaseConnection,
    id: i64,
    metrics: &[Metric],
    start: chrono::DateTime<Utc>,
    end: chrono::DateTime<Utc>,
) -> Result<PeriodChange, StoreError> {
    let at_or_before = |moment: chrono::DateTime<Utc>| {
        snapshot::Entity::find()
            .filter(snapshot::Column::AccountId.eq(id))
            .filter(snapshot::Column::CapturedAt.lte(moment))
            .order_by_desc(snapshot::Column::CapturedAt)
            .one(db)
    };
    let from = at_or_before(start).await?;
    let to = at_or_before(end).await?;
    let metrics = metrics
        .iter()
        .map(|&metric| {
            let from_value = from.as_ref().and_then(|s| s.counters().get(metric));
            let to_value = to.as_ref().and_then(|s| s.counters().get(metric));
            let change = to_value.zip(from_value).map(|(to, from)| to - from);
            MetricChange {
                metric,
                from: from_value,
                to: to_value,
                change,
                percent: percent_change(change, to_value),
            }
        })
        .collect();
    Ok(PeriodChange {
        start,
        end,
        from_at: from.map(|s| s.captured_at),
        to_at: to.map(|s| s.captured_at),
        metrics,
    })
}

/// An account's compacted days over `range`, oldest first: each day's
/// range of `metric` before compaction.
pub async fn rollups(
    db: &DatabaseConnection,
    id: i64,
    metric: Metric,
    range: HistoryRange,
) -> Result<Vec<DailyRollup>, StoreError> {
    find_account(db, id).await?;
    let mut select = daily_rollup::Entity::find().filter(daily_rollup::Column::AccountId.eq(id));
    if let Some(days) = range.days() {
        let since = (Utc::now() - chrono::Duration::days(days)).date_naive();
        select = select.filter(daily_rollup::Column::Day.gte(since));
    }
    Ok(select
        .order_by_asc(daily_rollup::Column::Day)
        .all(db)
        .await?
        .into_iter()
        .map(|r| DailyRollup {
            day: r.day,
            samples: r.samples,
            metric,
            range: r.range(metric),
        })
        .collect())
}

/// The tags in use, most used first, with their accounts' totals.
pub async fn tags(db: &DatabaseConnection) -> Result<Vec<TagCount>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        tag: String,
        accounts: i64,
        followers: i64,
        change_7d: Option<i64>,
    }
    // SUM over BIGINT is NUMERIC on PostgreSQL: cast back.
    let rows = Row::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT t.tag, COUNT(*) AS accounts, \
            CAST(COALESCE(SUM(a.followers), 0) AS BIGINT) AS followers, \
            CAST(SUM(a.followers_change_7d) AS BIGINT) AS change_7d \
         FROM account_tags t JOIN accounts a ON a.id = t.account_id \
         GROUP BY t.tag ORDER BY accounts DESC, t.tag",
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TagCount {
            tag: r.tag,
            accounts: to_count(r.accounts),
            followers: r.followers,
            change_7d: r.change_7d,
        })
        .collect())
}

pub(super) async fn find_account(
    db: &DatabaseConnection,
    id: i64,
) -> Result<account::Model, StoreError> {
    account::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::not_found("account", id))
}

/// The platform and handle of each of `ids`, in one query.
pub async fn identities(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, (Platform, String)>, sea_orm::DbErr> {
    Ok(account::Entity::find()
        .select_only()
        .columns([
            account::Column::Id,
            account::Column::Platform,
            account::Column::Handle,
        ])
        .filter(account::Column::Id.is_in(ids))
        .into_tuple::<(i64, Platform, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, platform, handle)| (id, (platform, handle)))
        .collect())
}

/// Every account's id by its platform and handle.
pub async fn ids_by_handle(
    db: &impl ConnectionTrait,
) -> Result<HashMap<(Platform, String), i64>, sea_orm::DbErr> {
    Ok(account::Entity::find()
        .select_only()
        .columns([
            account::Column::Platform,
            account::Column::Handle,
            account::Column::Id,
        ])
        .into_tuple::<(Platform, String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(platform, handle, id)| ((platform, handle), id))
        .collect())
}

/// Attaches each account's tags, loaded for the whole page in one query.
pub async fn with_tags(
    db: &impl ConnectionTrait,
    models: Vec<account::Model>,
) -> Result<Vec<AccountRow>, StoreError> {
    let tags = models
        .load_many(
            account_tag::Entity::find().order_by_asc(account_tag::Column::Tag),
            db,
        )
        .await?;
    Ok(models
        .into_iter()
        .zip(tags)
        .map(|(m, tags)| AccountRow {
            latest: m.counters(),
            latest_at: m.counters_at(),
            id: m.id,
            platform: m.platform,
            handle: m.handle,
            display_name: m.display_name,
            is_core: m.is_core,
            tags: tags.into_iter().map(|t| t.tag).collect(),
            last_collected_at: m.last_collected_at,
            last_error: m.last_error,
            last_outcome: m.last_outcome,
            simulated: m.simulated,
            state: m.state,
            change_7d: m.followers_change_7d,
            change_30d: m.followers_change_30d,
            sparkline: Vec::new(),
        })
        .collect())
}

/// Rows before the first of `page` (which starts at 1).
pub(super) fn offset(page: u32, per_page: u32) -> u64 {
    u64::from(page.saturating_sub(1)) * u64::from(per_page)
}

/// SQL counts are signed; a negative one cannot happen.
pub(super) fn to_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// Makes `%`, `_` and the escape character itself match literally in LIKE.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{escape_like, indexed, window_start};

    #[test]
    fn an_index_starts_at_100_and_never_divides_by_zero() {
        let at = chrono::Utc::now();
        let values = |points: Vec<(chrono::DateTime<chrono::Utc>, f64)>| {
            points.into_iter().map(|(_, v)| v).collect::<Vec<_>>()
        };
        assert_eq!(
            values(indexed(vec![(at, 200.0), (at, 250.0), (at, 100.0)])),
            [100.0, 125.0, 50.0]
        );
        assert!(indexed(vec![(at, 0.0), (at, 5.0)]).is_empty());
        assert!(indexed(Vec::new()).is_empty());
    }

    #[test]
    fn a_window_starts_a_little_after_its_length_back() {
        use chrono::TimeZone;
        // Collected at 09:00 in Paris: 08:00 UTC before the change to summer
        // time on 29 March 2026, 07:00 UTC after.
        let before = chrono::Utc.with_ymd_and_hms(2026, 3, 28, 8, 0, 0).unwrap();
        let after = chrono::Utc.with_ymd_and_hms(2026, 3, 29, 7, 0, 0).unwrap();
        assert!(
            window_start(after, 1) >= before,
            "yesterday's snapshot counts"
        );
        assert!(window_start(after, 1) < after);
        let week_start = window_start(after, 7);
        assert_eq!(
            after - week_start,
            chrono::Duration::days(7) - chrono::Duration::hours(3)
        );
    }

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
