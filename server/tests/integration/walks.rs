//! A filtered page of the accounts table found by walking the sort's index
//! (`db::accounts`, SQLite, when the filter lets many accounts through) is
//! the page the filter's own index and a sort give: the same accounts in
//! the same order, on every sort, filter and page; and on SQLite its plan
//! sorts nothing. The overview's accounts needing attention follow the same
//! rule: few are found through their filter's indexes, never by walking
//! every account in collection order.

use app::model::{AccountFilter, AccountSort, Platform, SortDirection};
use chrono::Utc;
use db::accounts::AccountQuery;
use db::entities::account;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Statement};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_page_found_by_walking_the_order_is_the_sorted_page,
    the_overview_finds_the_few_accounts_needing_attention_on_their_indexes,
);

/// Accounts of the data set: enough that one platform's (about a ninth)
/// first pages are found by walking.
const ACCOUNTS: u32 = 5_000;
const PER_PAGE: u32 = 2;

fn query(
    sort: AccountSort,
    direction: SortDirection,
    filter: &AccountFilter,
    page: u32,
    per_page: u32,
) -> AccountQuery {
    AccountQuery {
        page,
        per_page,
        sort,
        direction,
        filter: filter.clone(),
    }
}

async fn a_page_found_by_walking_the_order_is_the_sorted_page(backend: Backend) {
    let app = TestApp::empty(backend).await;
    reach::collect::demo::seed(&app.db, ACCOUNTS, 3, Utc::now())
        .await
        .expect("seed");
    let (db, log) = crate::reads::logged(&app).await;

    let filters = [
        AccountFilter {
            platform: Some(Platform::Github),
            ..AccountFilter::default()
        },
        AccountFilter {
            core: Some(false),
            ..AccountFilter::default()
        },
        AccountFilter {
            tag: Some("music".into()),
            ..AccountFilter::default()
        },
        AccountFilter {
            platform: Some(Platform::Mastodon),
            core: Some(false),
            ..AccountFilter::default()
        },
    ];
    let sorts = [
        (AccountSort::Followers, SortDirection::Desc),
        (AccountSort::Followers, SortDirection::Asc),
        (AccountSort::Handle, SortDirection::Asc),
        (AccountSort::Platform, SortDirection::Desc),
        (AccountSort::Change7d, SortDirection::Desc),
        (AccountSort::Views, SortDirection::Desc),
    ];
    for filter in &filters {
        let mut walked_pages = 0;
        for (sort, direction) in sorts {
            // Every match in one page: too many rows to walk for, so found
            // through the filter and sorted.
            let all = db::accounts::list(&db, &query(sort, direction, filter, 1, ACCOUNTS))
                .await
                .unwrap();
            assert!(all.total > 20, "{filter:?}: {} accounts", all.total);
            assert_eq!(all.items.len() as u64, all.total, "{filter:?}");
            for page in [1, 2, 4] {
                log.lock().unwrap().clear();
                let walked =
                    db::accounts::list(&db, &query(sort, direction, filter, page, PER_PAGE))
                        .await
                        .unwrap();
                assert_eq!(walked.total, all.total, "{filter:?} {sort:?}");
                let start = ((page - 1) * PER_PAGE) as usize;
                let expected: Vec<i64> = all.items[start..start + PER_PAGE as usize]
                    .iter()
                    .map(|row| row.id)
                    .collect();
                let got: Vec<i64> = walked.items.iter().map(|row| row.id).collect();
                assert_eq!(
                    got,
                    expected,
                    "{filter:?} {sort:?} {direction:?} page {page}: {:?}",
                    log.lock().unwrap()
                );
                // The rule `db::accounts` walks by: fewer rows walked to the
                // page's end, four times over, than matches to sort.
                let walks =
                    4 * u64::from(page * PER_PAGE) * u64::from(ACCOUNTS) < all.total * all.total;
                walked_pages += u32::from(walks);
                if matches!(backend, Backend::Sqlite) && walks {
                    let statements = std::mem::take(&mut *log.lock().unwrap());
                    let page_read = statements
                        .iter()
                        .find(|sql| sql.contains(" LIMIT ") && sql.contains("FROM \"accounts\""))
                        .expect("the page's statement");
                    let details = plan_of(&db, page_read).await;
                    assert!(
                        !details
                            .iter()
                            .any(|d| d.contains("TEMP B-TREE FOR ORDER BY")),
                        "{filter:?} {sort:?} page {page} sorts its matches: {details:?}\n{page_read}"
                    );
                }
            }
        }
        assert!(walked_pages > 0, "{filter:?}: no page was walked");
    }
}

/// The plan SQLite gives a statement, one line per step.
async fn plan_of(db: &sea_orm::DatabaseConnection, sql: &str) -> Vec<String> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        format!("EXPLAIN QUERY PLAN {sql}"),
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "detail").unwrap())
    .collect()
}

async fn the_overview_finds_the_few_accounts_needing_attention_on_their_indexes(backend: Backend) {
    const SEEDED: u32 = 300;
    let app = TestApp::empty(backend).await;
    reach::collect::demo::seed(&app.db, SEEDED, 3, Utc::now())
        .await
        .expect("seed");
    let (db, log) = crate::reads::logged(&app).await;
    // Collected today: none needs attention but the two made to fail.
    let failing: Vec<i64> = account::Entity::find()
        .order_by_desc(account::Column::Id)
        .all(&db)
        .await
        .unwrap()
        .iter()
        .take(2)
        .map(|a| a.id)
        .collect();
    account::Entity::update_many()
        .col_expr(
            account::Column::LastOutcome,
            Expr::value(app::model::Outcome::Blocked),
        )
        .filter(account::Column::Id.is_in(failing.clone()))
        .exec(&db)
        .await
        .unwrap();

    // The list in its order: collection time (never first), then id.
    let expected = |accounts: Vec<account::Model>| -> Vec<i64> {
        let mut accounts = accounts;
        accounts.sort_by_key(|a| (a.last_collected_at.is_some(), a.last_collected_at, a.id));
        accounts.iter().take(5).map(|a| a.id).collect()
    };
    log.lock().unwrap().clear();
    let overview = db::overview::overview(&db).await.unwrap();
    assert_eq!(overview.needs_attention_total, 2);
    let failing_accounts = account::Entity::find()
        .filter(account::Column::Id.is_in(failing))
        .all(&db)
        .await
        .unwrap();
    let listed: Vec<i64> = overview.needs_attention.iter().map(|a| a.id).collect();
    assert_eq!(listed, expected(failing_accounts));
    if matches!(backend, Backend::Sqlite) {
        let statements = std::mem::take(&mut *log.lock().unwrap());
        let list = statements
            .iter()
            .find(|sql| sql.contains(" LIMIT ") && sql.contains("\"last_collected_at\" IS NULL"))
            .expect("the list's statement");
        // Walking the collection time's index would read all 300 accounts
        // to find two (at 100,000 accounts: 26 ms).
        let plan = plan_of(&db, list).await;
        assert!(
            !plan
                .iter()
                .any(|d| d.starts_with("SCAN accounts USING INDEX ix_accounts_last_collected_at")),
            "{plan:?}\n{list}"
        );
    }

    // Every account stale: many match, and walking the order finds the
    // first five at once. The same list either way.
    account::Entity::update_many()
        .col_expr(
            account::Column::LastCollectedAt,
            Expr::value(Utc::now() - chrono::Duration::days(5)),
        )
        .filter(account::Column::Id.gt(SEEDED as i64 / 2))
        .exec(&db)
        .await
        .unwrap();
    log.lock().unwrap().clear();
    let overview = db::overview::overview(&db).await.unwrap();
    let all = account::Entity::find().all(&db).await.unwrap();
    let stale_before = Utc::now() - chrono::Duration::hours(app::model::STALE_AFTER_HOURS);
    let needing: Vec<account::Model> = all
        .into_iter()
        .filter(|a| {
            a.last_outcome.is_some_and(|o| o != app::model::Outcome::Ok)
                || a.last_collected_at.is_none_or(|at| at < stale_before)
        })
        .collect();
    assert_eq!(overview.needs_attention_total, needing.len() as u64);
    let listed: Vec<i64> = overview.needs_attention.iter().map(|a| a.id).collect();
    assert_eq!(listed, expected(needing), "{:?}", log.lock().unwrap());
}
