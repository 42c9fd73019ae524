//! Reading accounts: the accounts table (a page, sorted and filtered, with
//! sparklines), one account's details, the tags in use, and the lookups
//! other areas share (the filter as a query, tags of a page of rows, ids by
//! handle).

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::{Alias, Expr, Func, NullOrdering, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, ExprTrait,
    FromQueryResult, LoaderTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, Statement,
};

use crate::StoreError;
use crate::entities::{account, account_tag, snapshot};
use crate::sql::{offset, to_count};
use types::{
    AccountDetail, AccountFilter, AccountRow, AccountSort, Page, Platform, SortDirection, TagCount,
};

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

pub async fn list(
    db: &DatabaseConnection,
    query: &AccountQuery,
) -> Result<Page<AccountRow>, StoreError> {
    let backend = db.get_database_backend();
    // Counting every account would visit every account: the kept totals
    // know how many there are, of a platform and core or not, and the tags'
    // rows how many carry a tag.
    let total = match crate::totals::account_count(db, &query.filter).await? {
        Some(total) => total,
        None => match super::search::count(db, &query.filter).await? {
            Some(total) => total,
            None => {
                filtered(account::Entity::find(), &query.filter, backend)
                    .count(db)
                    .await?
            }
        },
    };

    let order = match query.direction {
        SortDirection::Asc => Order::Asc,
        SortDirection::Desc => Order::Desc,
    };
    let column = sort_column(query.sort);
    let select = if walks_the_order(db, query, total).await? {
        walking(account::Entity::find(), &query.filter, column)
    } else if let Some(matches) = super::search::few_matches(db, query, total).await? {
        matches
    } else {
        filtered(account::Entity::find(), &query.filter, backend)
    };
    // Unknown values sort last in both directions: they are not "zero".
    // Ties go by id in the same direction, which is the order of the
    // column's index (SQLite's indexes end with the row id): no sort of
    // the whole table when many share a value (a run's collection time).
    // A column that is never unknown is ordered plainly: PostgreSQL reads
    // its index backwards for a descending order only without `NULLS LAST`.
    // The platform's ties go by handle, the order of the unique index on
    // both, then by id (SQLite's index ends with it; handles are unique
    // within a platform, so it never decides).
    let select = match query.sort {
        AccountSort::Handle => select.order_by(column, order.clone()),
        AccountSort::Platform => select
            .order_by(column, order.clone())
            .order_by(account::Column::Handle, order.clone()),
        _ => select.order_by_with_nulls(column, order.clone(), NullOrdering::Last),
    };
    let models = select
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

/// The column a sort orders by (its index is the order's).
fn sort_column(sort: AccountSort) -> account::Column {
    match sort {
        AccountSort::Handle => account::Column::Handle,
        AccountSort::Platform => account::Column::Platform,
        AccountSort::Followers => account::Column::Followers,
        AccountSort::Following => account::Column::Following,
        AccountSort::Posts => account::Column::Posts,
        AccountSort::Views => account::Column::Views,
        AccountSort::Likes => account::Column::Likes,
        AccountSort::Score => account::Column::Score,
        AccountSort::Online => account::Column::Online,
        AccountSort::Listed => account::Column::Listed,
        AccountSort::Change7d => account::Column::FollowersChange7d,
        AccountSort::Change30d => account::Column::FollowersChange30d,
        AccountSort::LastCollected => account::Column::LastCollectedAt,
    }
}

/// Whether a page of a filtered table is found faster by walking the sort
/// column's index and skipping the rows the filter refuses than by finding
/// every match through the filter's index and sorting them: when the rows
/// walked to reach the page (about its end × all accounts ÷ matches),
/// [`WALK_COST`] times over, are fewer than the matches to sort. SQLite's planner does not know
/// how many accounts a platform, the core flag or a tag lets through, and
/// always takes the filter's index: at 100,000 accounts, a sort of 11,000
/// rows for one platform's first page. PostgreSQL's planner weighs it from
/// its statistics; a text search is left to its index.
/// What a row walked costs against a match sorted: each row walked is a
/// lookup of the table in the index's order. Measured at 100,000 accounts
/// (one platform's 40th page: walked 34 ms, sorted about 23 ms).
const WALK_COST: u128 = 4;

async fn walks_the_order(
    db: &DatabaseConnection,
    query: &AccountQuery,
    matches: u64,
) -> Result<bool, StoreError> {
    let filter = &query.filter;
    if db.get_database_backend() != DbBackend::Sqlite
        || filter.search.is_some()
        || (filter.platform.is_none() && filter.core.is_none() && filter.tag.is_none())
        || matches == 0
    {
        return Ok(false);
    }
    walking_this_page_is_cheaper(db, query, matches).await
}

/// [`walking_is_cheaper`] for the page `query` asks for, of every account
/// (the kept totals count them).
pub(super) async fn walking_this_page_is_cheaper(
    db: &impl ConnectionTrait,
    query: &AccountQuery,
    matches: u64,
) -> Result<bool, StoreError> {
    let all = crate::totals::account_count(db, &AccountFilter::default())
        .await?
        .unwrap_or(0);
    let end = offset(query.page, query.per_page) + u64::from(query.per_page);
    Ok(walking_is_cheaper(end, all, matches))
}

/// The rule of [`walks_the_order`], for any filtered list read up to `end`
/// rows of `all` accounts, `matches` of which the filter lets through.
pub(crate) fn walking_is_cheaper(end: u64, all: u64, matches: u64) -> bool {
    matches > 0
        && WALK_COST * u128::from(end) * u128::from(all) < u128::from(matches) * u128::from(matches)
}

/// [`filtered`] for [`walks_the_order`] on SQLite: the same terms, each
/// kept from its index by a unary `+` (SQLite's documented way), except
/// on the column the page is sorted by, whose index serves both; a tag is
/// looked up for each row walked rather than listed whole.
fn walking(
    mut select: Select<account::Entity>,
    filter: &AccountFilter,
    sorted_by: account::Column,
) -> Select<account::Entity> {
    let unindexed = |column: account::Column| -> Expr {
        if sea_orm::IdenStatic::as_str(&column) == sea_orm::IdenStatic::as_str(&sorted_by) {
            Expr::col((account::Entity, column))
        } else {
            Expr::cust(format!(
                "+\"accounts\".\"{}\"",
                sea_orm::IdenStatic::as_str(&column)
            ))
        }
    };
    if let Some(platform) = filter.platform {
        select = select.filter(unindexed(account::Column::Platform).eq(platform));
    }
    if let Some(core) = filter.core {
        select = select.filter(unindexed(account::Column::IsCore).eq(core));
    }
    if let Some(tag) = &filter.tag {
        if tag.contains('\0') {
            return select.filter(Expr::val(1).eq(0));
        }
        // Asked of each row walked, on the tags' primary key.
        select = select.filter(Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(account_tag::Entity)
                .and_where(
                    Expr::col((account_tag::Entity, account_tag::Column::AccountId))
                        .equals((account::Entity, account::Column::Id)),
                )
                .and_where(account_tag::Column::Tag.eq(tag.as_str()))
                .to_owned(),
        ));
    }
    select
}

/// `select` narrowed to the accounts `filter` lets through.
///
/// Text search finds the text anywhere in the handle or the name, any
/// case, through an index made for it: SQLite's FTS5 table with the
/// trigram tokenizer (`accounts_search`, kept by triggers), PostgreSQL's
/// `pg_trgm` indexes on `account_search`'s lowered handles and names
/// (kept by triggers: migration 27; the accounts' own trigram indexes,
/// an entry each in every version of every row a run writes, went with
/// migration 32). Trigrams need three characters; on SQLite a shorter
/// text is looked for row by row.
pub fn filtered(
    mut select: Select<account::Entity>,
    filter: &AccountFilter,
    backend: DbBackend,
) -> Select<account::Entity> {
    // No stored text holds a NUL (PostgreSQL's text cannot, writes refuse
    // it) and neither database takes one in a query (FTS5's syntax ends a
    // string there): such a filter matches nothing.
    if [&filter.search, &filter.tag]
        .into_iter()
        .flatten()
        .any(|text| text.contains('\0'))
    {
        return select.filter(Expr::val(1).eq(0));
    }
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
    if let Some(text) = &filter.search
        && backend == DbBackend::Sqlite
        && text.chars().count() >= 3
    {
        // A phrase of the whole text: every trigram of it, in order.
        let phrase = format!("\"{}\"", text.replace('"', "\"\""));
        select = select.filter(
            account::Column::Id.in_subquery(
                Query::select()
                    .expr(Expr::cust("rowid"))
                    .from(Alias::new("accounts_search"))
                    .and_where(Expr::cust_with_values(
                        "accounts_search MATCH ?",
                        [sea_orm::Value::from(phrase)],
                    ))
                    .to_owned(),
            ),
        );
    } else if let Some(text) = &filter.search
        && backend == DbBackend::Postgres
    {
        select = select.filter(account::Column::Id.in_subquery(super::search::matches(text)));
    } else if let Some(text) = &filter.search {
        let pattern = super::search::pattern(text);
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

pub async fn detail(db: &DatabaseConnection, id: i64) -> Result<AccountDetail, StoreError> {
    let model = find(db, id).await?;
    let platform_id = model.platform_id.clone();
    let created_at = model.created_at;
    let brand = brand_of(db, model.brand_id).await?;

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

/// The tags in use, most used first, with their accounts' totals.
pub async fn tags(db: &DatabaseConnection) -> Result<Vec<TagCount>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        tag: String,
        accounts: i64,
        followers: i64,
        change_7d: i64,
        known_7d: i64,
    }
    // Kept by triggers as accounts and tags change (`tag_totals`): no read
    // of every tagged account. PostgreSQL's rows of differences not yet
    // folded count with the rest; SUM over BIGINT is NUMERIC there: cast
    // back.
    let rows = Row::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT tag, CAST(SUM(accounts) AS BIGINT) AS accounts, \
            CAST(SUM(followers) AS BIGINT) AS followers, \
            CAST(SUM(change_7d) AS BIGINT) AS change_7d, \
            CAST(SUM(known_7d) AS BIGINT) AS known_7d \
         FROM tag_totals GROUP BY tag HAVING SUM(accounts) > 0 \
         ORDER BY accounts DESC, tag",
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TagCount {
            tag: r.tag,
            accounts: to_count(r.accounts),
            followers: r.followers,
            // Unknown when no account of the tag has a 7-day change.
            change_7d: (r.known_7d > 0).then_some(r.change_7d),
        })
        .collect())
}

pub async fn find(db: &DatabaseConnection, id: i64) -> Result<account::Model, StoreError> {
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
/// The page's few tags are sorted here rather than by the statement: an
/// `ORDER BY tag` lets PostgreSQL walk the whole tag index in its order,
/// filtering by account, instead of looking the page's accounts up.
pub async fn with_tags(
    db: &impl ConnectionTrait,
    models: Vec<account::Model>,
) -> Result<Vec<AccountRow>, StoreError> {
    let tags = models.load_many(account_tag::Entity::find(), db).await?;
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
            tags: sorted(tags.into_iter().map(|t| t.tag).collect()),
            last_collected_at: m.last_collected_at,
            last_error: m.last_error,
            last_outcome: m.last_outcome,
            simulated: m.simulated,
            state: m.state,
            change_7d: m.followers_change_7d,
            change_30d: m.followers_change_30d,
            avatar: crate::avatars::path(m.id, m.avatar_version.as_deref()),
            sparkline: Vec::new(),
        })
        .collect())
}

fn sorted(mut tags: Vec<String>) -> Vec<String> {
    tags.sort_unstable();
    tags
}

/// The brand of one account, for its page.
async fn brand_of(
    db: &impl ConnectionTrait,
    brand_id: Option<i64>,
) -> Result<Option<types::BrandRef>, sea_orm::DbErr> {
    let Some(id) = brand_id else {
        return Ok(None);
    };
    Ok(crate::entities::brand::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(|b| types::BrandRef {
            id: b.id,
            name: b.name,
        }))
}
