//! The overview: totals and per-platform figures, the biggest and fastest
//! growing accounts, what needs attention and the latest run, read in
//! parallel.

use chrono::Utc;
use sea_orm::sea_query::{Expr, NullOrdering};
use sea_orm::{
    ActiveEnum, ColumnTrait, Condition, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    FromQueryResult, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use crate::StoreError;
use crate::accounts::{walking_is_cheaper, with_tags};
use crate::entities::{account, collection_run};
use crate::sql::to_count;
use types::{
    AUDIENCE_DAYS, AccountFilter, AccountRow, Outcome, Overview, Platform, PlatformTotals,
    RunSummary, STALE_AFTER_HOURS, TotalChange,
};

/// How many accounts each list of the overview shows.
const OVERVIEW_LIST_LENGTH: u32 = 5;

/// The overview: its three independent parts are read at once, on
/// different connections (the totals' pass over the accounts is the
/// longest).
pub async fn overview(db: &DatabaseConnection) -> Result<Overview, StoreError> {
    let today = Utc::now().date_naive();
    let ((totals, by_platform, changes), (top_accounts, top_growers), attention, audience) = tokio::try_join!(
        totals(db),
        leaders(db),
        attention(db),
        crate::audience::series(db, today, AUDIENCE_DAYS)
    )?;
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
        audience,
        // The schedule is the server's: it fills this in.
        next_collection: None,
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

/// Every total, from `platform_totals`: kept by triggers as the accounts
/// change (see the migration that made it), so a read sums a row or a few
/// per platform instead of every account.
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
    let rows = PlatformRow::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        crate::totals::statement(),
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
        // The accounts table's default order, which an index serves on
        // both databases: ties by the newest account first.
        .order_by_with_nulls(account::Column::Followers, Order::Desc, NullOrdering::Last)
        .order_by_desc(account::Column::Id)
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
        let failures: Vec<Outcome> = <Outcome as sea_orm::Iterable>::iter()
            .filter(|o| *o != Outcome::Ok)
            .collect();
        let needing = |outcome: Expr| {
            let collected = Expr::col((account::Entity, account::Column::LastCollectedAt));
            Condition::any()
                .add(outcome.is_in(failures.iter().map(ActiveEnum::to_value)))
                .add(collected.clone().is_null())
                .add(collected.lt(stale_before))
        };
        let indexed = || Expr::col((account::Entity, account::Column::LastOutcome));
        let total = account::Entity::find()
            .filter(needing(indexed()))
            .count(db)
            .await?;
        // SQLite's planner walks the collection time's index for this list
        // whatever the filter lets through: with few accounts needing
        // attention, that is every account (26 ms at 100,000). The order is
        // chosen here instead, by the accounts table's rule: walk when the
        // matches are many, else find them through the filter's indexes and
        // sort them (a unary `+` keeps a term from its index).
        let sqlite = db.get_database_backend() == DbBackend::Sqlite;
        let walk = sqlite && {
            let all = crate::totals::account_count(db, &AccountFilter::default())
                .await?
                .unwrap_or(0);
            walking_is_cheaper(u64::from(OVERVIEW_LIST_LENGTH), all, total)
        };
        let (filter, order) = match (sqlite, walk) {
            (true, true) => (
                needing(Expr::cust("+\"accounts\".\"last_outcome\"")),
                Expr::col((account::Entity, account::Column::LastCollectedAt)),
            ),
            (true, false) => (
                needing(indexed()),
                Expr::cust("+\"accounts\".\"last_collected_at\""),
            ),
            (false, _) => (
                needing(indexed()),
                Expr::col((account::Entity, account::Column::LastCollectedAt)),
            ),
        };
        let accounts = account::Entity::find()
            .filter(filter)
            .order_by_with_nulls(order, Order::Asc, NullOrdering::First)
            .order_by_asc(account::Column::Id)
            .limit(u64::from(OVERVIEW_LIST_LENGTH))
            .all(db)
            .await?;
        Ok::<_, StoreError>((with_tags(db, accounts).await?, total))
    };
    // A run that found nothing due (after a restart, say) says nothing about
    // the data: the overview shows the latest that collected, or is collecting.
    let latest_run = async {
        let run = collection_run::Entity::find()
            .filter(
                Condition::any()
                    .add(collection_run::Column::AccountsOk.gt(0))
                    .add(collection_run::Column::AccountsFailed.gt(0))
                    .add(collection_run::Column::AccountsSkipped.gt(0))
                    .add(collection_run::Column::Status.eq(types::RunStatus::Running)),
            )
            .order_by_desc(collection_run::Column::StartedAt)
            .order_by_desc(collection_run::Column::Id)
            .one(db)
            .await?;
        Ok::<_, StoreError>(run.map(RunSummary::from))
    };
    // Kept by triggers on `snapshots`: counting them would read them all.
    let snapshots =
        async { Ok::<_, StoreError>(crate::totals::kept_count(db, "snapshots").await?) };
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
