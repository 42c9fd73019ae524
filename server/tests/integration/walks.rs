//! A filtered page of the accounts table found by walking the sort's index
//! (`db::accounts`, SQLite, when the filter lets many accounts through) is
//! the page the filter's own index and a sort give: the same accounts in
//! the same order, on every sort, filter and page; and on SQLite its plan
//! sorts nothing.

use std::sync::{Arc, Mutex};

use app::model::{AccountFilter, AccountSort, Platform, SortDirection};
use chrono::Utc;
use db::accounts::AccountQuery;
use sea_orm::{ConnectionTrait, Statement};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(a_page_found_by_walking_the_order_is_the_sorted_page);

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
    let mut db = app.connect().await;
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = log.clone();
    db.set_metric_callback(move |info| sink.lock().unwrap().push(info.statement.to_string()));

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
                    let plan = db
                        .query_all_raw(Statement::from_string(
                            db.get_database_backend(),
                            format!("EXPLAIN QUERY PLAN {page_read}"),
                        ))
                        .await
                        .unwrap();
                    let details: Vec<String> = plan
                        .iter()
                        .map(|row| row.try_get::<String>("", "detail").unwrap())
                        .collect();
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
