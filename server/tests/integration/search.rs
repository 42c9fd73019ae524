//! Text search in the accounts (`/api/accounts?q=`): the same answers as
//! "the text anywhere in the handle or the name, any case", kept up to date
//! as accounts are added, renamed and removed, and found through an index
//! made for it rather than by reading every account.

use std::collections::BTreeSet;

use app::model::{AccountFilter, AccountRow, Page};
use db::entities::account;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryTrait, Statement,
};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;
use crate::plans;

on_both_backends!(
    search_finds_text_anywhere_in_handles_and_names,
    search_reads_an_index_not_every_account,
);

/// The accounts whose handle or name holds `text`, any case, read row by row.
async fn expected(app: &TestApp, text: &str) -> BTreeSet<i64> {
    let text = text.to_lowercase();
    account::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| {
            a.handle.to_lowercase().contains(&text)
                || a.display_name
                    .as_deref()
                    .is_some_and(|name| name.to_lowercase().contains(&text))
        })
        .map(|a| a.id)
        .collect()
}

async fn found(app: &TestApp, text: &str) -> BTreeSet<i64> {
    let query = percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC);
    let page: Page<AccountRow> = app
        .get_json(&format!("/api/accounts?per_page=100&q={query}"))
        .await;
    assert!(page.total <= 100, "one page holds them all");
    assert_eq!(page.total, page.items.len() as u64, "{text:?}: the count");
    page.items.into_iter().map(|row| row.id).collect()
}

async fn search_finds_text_anywhere_in_handles_and_names(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let some = account::Entity::find().all(&app.db).await.unwrap();
    let handle = &some[3].handle;
    // Three characters from the middle of a handle, in capitals; two
    // characters (no trigram: row by row); text that is nowhere; quotes.
    let middle: String = handle.chars().skip(1).take(3).collect();
    for text in [
        middle.to_uppercase(),
        handle.chars().take(2).collect(),
        "zzqx".to_owned(),
        "a\"b".to_owned(),
    ] {
        assert_eq!(
            found(&app, &text).await,
            expected(&app, &text).await,
            "{text:?}"
        );
    }
    // No stored text holds a NUL: a search or tag with one finds nothing.
    for query in ["q=fox%00x", "q=f%00", "tag=te%00ch"] {
        let page: Page<AccountRow> = app.get_json(&format!("/api/accounts?{query}")).await;
        assert_eq!(page.total, 0, "{query}");
    }
    // Kept as accounts change: a new one, a rename, a name, a removal.
    let added = app
        .add_account(app::model::Platform::Github, "searchable-newcomer")
        .await;
    assert_eq!(found(&app, "NEWCOMER").await, BTreeSet::from([added]));
    account::Entity::update_many()
        .col_expr(account::Column::Handle, Expr::value("renamed-one"))
        .col_expr(account::Column::DisplayName, Expr::value("Quite Findable"))
        .filter(account::Column::Id.eq(added))
        .exec(&app.db)
        .await
        .unwrap();
    db::generations::bump(&app.db, &[db::generations::Domain::Accounts])
        .await
        .unwrap();
    assert!(found(&app, "newcomer").await.is_empty());
    assert_eq!(found(&app, "findab").await, BTreeSet::from([added]));
    account::Entity::delete_by_id(added)
        .exec(&app.db)
        .await
        .unwrap();
    db::generations::bump(&app.db, &[db::generations::Domain::Accounts])
        .await
        .unwrap();
    assert!(found(&app, "findab").await.is_empty());
}

async fn search_reads_an_index_not_every_account(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let filter = AccountFilter {
        search: Some("fox".to_owned()),
        ..AccountFilter::default()
    };
    let db_backend = app.db.get_database_backend();
    let sql = db::accounts::filtered(account::Entity::find(), &filter, db_backend)
        .build(db_backend)
        .to_string();
    match db_backend {
        DbBackend::Postgres => {
            // The demo data is small enough for a planner to prefer reading
            // it all; without that choice it must have an index to use.
            let plan = plans::postgres_plan(&app.db, &sql, true).await.join("\n");
            // Through the narrow table's indexes (migration 32 dropped the
            // accounts' own).
            assert!(plan.contains("ix_account_search_handle_trgm"), "{plan}");
            assert!(plan.contains("ix_account_search_name_trgm"), "{plan}");
            assert!(!plan.contains("Seq Scan"), "{plan}");
            // The count of the matches reads the narrow table's indexes and
            // rows, never the accounts' (migration 27).
            let (logged, log) = crate::reads::logged(&app).await;
            let page = db::accounts::list(
                &logged,
                &db::accounts::AccountQuery {
                    page: 1,
                    per_page: 25,
                    sort: app::model::AccountSort::Followers,
                    direction: app::model::SortDirection::Desc,
                    filter,
                },
            )
            .await
            .unwrap();
            assert!(page.total > 0, "the demo data has a fox");
            let statements = log.lock().unwrap().clone();
            let count = statements
                .iter()
                .find(|sql| sql.contains("COUNT("))
                .unwrap_or_else(|| panic!("no count among {statements:#?}"));
            let plan = plans::postgres_plan(&app.db, count, true).await.join("\n");
            for index in [
                "ix_account_search_handle_trgm",
                "ix_account_search_name_trgm",
            ] {
                assert!(plan.contains(index), "{count}\n{plan}");
            }
            assert!(!plan.contains(" on accounts"), "{count}\n{plan}");
            // Few matches of many accounts: the page is read from the
            // matches, not by walking the sort's index and testing every
            // account on the way (what PostgreSQL's estimate chose).
            let page_sql = statements
                .iter()
                .find(|sql| sql.contains(" LIMIT ") && sql.contains("ORDER BY"))
                .unwrap_or_else(|| panic!("no page among {statements:#?}"));
            let plan = plans::postgres_plan(&app.db, page_sql, false)
                .await
                .join("\n");
            assert!(plan.contains("account_search"), "{page_sql}\n{plan}");
            let walked = plan.contains("ix_accounts_followers");
            assert!(!walked, "{page_sql}\n{plan}");
        }
        _ => {
            let plan: Vec<String> = app
                .db
                .query_all_raw(Statement::from_string(
                    db_backend,
                    format!("EXPLAIN QUERY PLAN {sql}"),
                ))
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get::<String>("", "detail").unwrap())
                .collect();
            assert!(
                !plan.iter().any(|detail| detail == "SCAN accounts"),
                "{plan:#?}"
            );
            assert!(
                plan.iter().any(|detail| detail.contains("accounts_search")),
                "{plan:#?}"
            );
        }
    }
}
