//! How late another process's write may reach a cached answer, and that
//! this instance's own do not wait: one reading of the data's versions
//! answers the requests of the next `REACH_CACHE_FRESH_FOR`
//! (`db::generations::Freshness`), unless the instance wrote since.

use std::time::Duration;

use app::model::{AccountDetail, AccountRow, Overview, Page};
use app::ssr::cache::CacheSettings;
use db::entities::account;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    another_process_s_write_is_on_the_reads_fresh_for_after_it,
    this_instance_s_writes_are_on_its_next_read,
    a_reading_is_not_reused_once_fresh_for_is_zero,
    a_refused_request_writes_nothing_and_keeps_the_reading,
    cached_answers_need_no_connection_of_the_requests_pool,
);

/// Renames account `id` from another pool (another process, as the
/// command line or another instance would), its revision and the accounts'
/// generation moved by the database as for any write.
async fn rename_elsewhere(app: &TestApp, id: i64, name: &str) {
    let elsewhere = app.connect().await;
    account::Entity::update_many()
        .col_expr(account::Column::DisplayName, Expr::value(name))
        .filter(account::Column::Id.eq(id))
        .exec(&elsewhere)
        .await
        .unwrap();
    db::generations::bump(&elsewhere, &[db::generations::Domain::Accounts])
        .await
        .unwrap();
}

/// The app with `fresh_for` as its `REACH_CACHE_FRESH_FOR`.
async fn fresh_for(backend: Backend, fresh_for: Duration) -> TestApp {
    let settings = CacheSettings {
        fresh_for,
        ..CacheSettings::default()
    };
    TestApp::with_cache(backend, settings).await
}

/// An hour: a reading of the versions answers every request of a test.
const AN_HOUR: Duration = Duration::from_secs(3600);

async fn name_in_list(app: &TestApp, id: i64) -> Option<String> {
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=100").await;
    let row = page.items.into_iter().find(|row| row.id == id).unwrap();
    row.display_name
}

async fn name_on_page(app: &TestApp, id: i64) -> Option<String> {
    let detail: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    detail.account.display_name
}

/// The list and the account's page both show [`rename_elsewhere`]'s name.
async fn shows_the_rename(app: &TestApp, id: i64) {
    let renamed = Some("Renamed elsewhere");
    assert_eq!(name_in_list(app, id).await.as_deref(), renamed);
    assert_eq!(name_on_page(app, id).await.as_deref(), renamed);
}

/// With the default, a write made elsewhere is on every read that arrives
/// `fresh_for` after it (the bound); with a long `fresh_for`, the reads
/// before then may show the data before it (the reading is reused).
async fn another_process_s_write_is_on_the_reads_fresh_for_after_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = app.largest_account().await.id;
    name_in_list(&app, id).await;
    name_on_page(&app, id).await;
    rename_elsewhere(&app, id, "Renamed elsewhere").await;
    tokio::time::sleep(CacheSettings::DEFAULT.fresh_for + Duration::from_millis(20)).await;
    shows_the_rename(&app, id).await;

    let app = fresh_for(backend, AN_HOUR).await;
    let id = app.largest_account().await.id;
    let listed = name_in_list(&app, id).await;
    let shown = name_on_page(&app, id).await;
    rename_elsewhere(&app, id, "Renamed elsewhere").await;
    // Within the hour: the reading before the write still answers.
    assert_eq!(name_in_list(&app, id).await, listed);
    assert_eq!(name_on_page(&app, id).await, shown);
}

/// However long `fresh_for` is, what this instance writes (a form, its
/// collector's run) is on its next read.
async fn this_instance_s_writes_are_on_its_next_read(backend: Backend) {
    let app = fresh_for(backend, AN_HOUR).await;
    let token = app.admin_token().await;
    let id = app.largest_account().await.id;
    name_in_list(&app, id).await;
    name_on_page(&app, id).await;
    let edited = app
        .client
        .post(format!("{}/api/accounts/update", app.address))
        .header("accept", "application/json")
        .bearer_auth(&token)
        .form(&[("id", id.to_string()), ("tags", "edited".to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(edited.status(), 200);
    let page: Page<AccountRow> = app.get_json("/api/accounts?tag=edited").await;
    assert_eq!(page.items.iter().map(|a| a.id).collect::<Vec<_>>(), [id]);
    let detail: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    assert_eq!(detail.account.tags, ["edited"]);

    let before: Overview = app.get_json("/api/overview").await;
    let run = app
        .engine("http://127.0.0.1:9")
        .run(chrono::Utc::now())
        .await
        .expect("a run");
    let after: Overview = app.get_json("/api/overview").await;
    assert_ne!(before.latest_run.map(|r| r.id), Some(run.id));
    assert_eq!(after.latest_run.map(|r| r.id), Some(run.id));
}

/// `REACH_CACHE_FRESH_FOR=0s`: every request reads the versions, so a write
/// made elsewhere is on the very next read.
async fn a_reading_is_not_reused_once_fresh_for_is_zero(backend: Backend) {
    let app = fresh_for(backend, Duration::ZERO).await;
    let id = app.largest_account().await.id;
    name_in_list(&app, id).await;
    name_on_page(&app, id).await;
    rename_elsewhere(&app, id, "Renamed elsewhere").await;
    shows_the_rename(&app, id).await;
}

/// A request refused before any handler ran (here an anonymous edit,
/// 401) is not a write of this instance: the reading of the versions
/// stands, so a stream of them does not make every read go to the
/// database. A refused write elsewhere is not on the reads before
/// `fresh_for`, as any other process's write.
async fn a_refused_request_writes_nothing_and_keeps_the_reading(backend: Backend) {
    let app = fresh_for(backend, AN_HOUR).await;
    let id = app.largest_account().await.id;
    let listed = name_in_list(&app, id).await;
    rename_elsewhere(&app, id, "Renamed elsewhere").await;
    let refused = app
        .client
        .post(format!("{}/api/accounts/update", app.address))
        .header("accept", "application/json")
        .form(&[("id", id.to_string()), ("tags", "edited".to_owned())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(name_in_list(&app, id).await, listed);
}

/// The versions are read on a pool of their own (`reach serve` opens it,
/// `Cache::reading_versions_on`): with every connection of the requests'
/// pool taken (as when a run's publication has the popular answers
/// computed again), a cached answer is still served at once, its versions
/// read again past their freshness, instead of waiting for a connection.
async fn cached_answers_need_no_connection_of_the_requests_pool(backend: Backend) {
    use sea_orm::TransactionTrait;

    let app = TestApp::spawn(backend).await;
    let id = app.largest_account().await.id;
    let page = format!("/api/account?id={id}");
    let before: (AccountDetail, Overview) = (
        app.get_json(&page).await,
        app.get_json("/api/overview").await,
    );

    // The test app's pool is the server's: eight connections, all held.
    let held = futures::future::join_all((0..8).map(|_| app.db.begin())).await;
    let held: Vec<_> = held
        .into_iter()
        .map(|txn| txn.expect("a connection"))
        .collect();
    // Past the readings' freshness: they are read again.
    tokio::time::sleep(CacheSettings::DEFAULT.fresh_for * 3).await;
    let after = tokio::time::timeout(Duration::from_secs(3), async {
        let detail: AccountDetail = app.get_json(&page).await;
        let overview: Overview = app.get_json("/api/overview").await;
        (detail, overview)
    })
    .await
    .expect("cached answers served while the requests' pool is taken");
    assert_eq!(after.0.account.id, before.0.account.id);
    assert_eq!(after.1.accounts, before.1.accounts);
    drop(held);
}
