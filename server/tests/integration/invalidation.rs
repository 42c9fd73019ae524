//! Writes make stale only what they change: a write to one account is on
//! the next read of that account's answers and of the lists, and leaves
//! every other account's cached answers standing (their keys carry their
//! own revision, which the database's triggers move).

use std::collections::BTreeSet;

use app::model::{AccountDetail, AccountRow, CacheStats, Counters, Page};
use chrono::Utc;
use db::entities::account;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, IdenStatic, Iterable, QueryFilter,
    Statement,
};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_write_to_one_account_leaves_the_others_cached,
    repeated_reads_are_answered_with_their_kept_bytes,
    kept_answers_go_out_compressed_in_the_coding_asked_for,
    every_write_to_an_account_moves_its_revision_and_a_lease_does_not,
    the_revision_trigger_watches_every_column_but_the_lease,
);

/// A kept answer as sent for `accept_encoding`: its `Content-Encoding`,
/// `Vary` and body decoded.
async fn sent_as(app: &TestApp, path: &str, accept_encoding: &str) -> (String, String, Vec<u8>) {
    use std::io::Read;
    // Not the app's client: this one must see the bytes as sent.
    let raw = reqwest::Client::builder()
        .no_gzip()
        .no_deflate()
        .build()
        .unwrap();
    let answer = raw
        .get(format!("{}{path}", app.address))
        .header("accept-encoding", accept_encoding)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (coding, vary) = (header("content-encoding"), header("vary"));
    // Compressed ahead and kept, its length is known (a body compressed as
    // it goes out is sent in chunks).
    let length = header("content-length");
    let sent = answer.bytes().await.unwrap();
    assert_eq!(length, sent.len().to_string(), "{path} in {coding}");
    let mut body = Vec::new();
    match coding.as_str() {
        "br" => {
            brotli::Decompressor::new(&sent[..], 4096)
                .read_to_end(&mut body)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(&sent[..])
                .read_to_end(&mut body)
                .unwrap();
        }
        _ => body = sent.to_vec(),
    }
    (coding, vary, body)
}

async fn kept_answers_go_out_compressed_in_the_coding_asked_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (kind, path) in [
        ("overview", "/api/overview"),
        ("accounts", "/api/accounts?per_page=5"),
    ] {
        let (coding, _, plain) = sent_as(&app, path, "identity").await;
        assert_eq!(coding, "", "{path}");
        let before = answer_hits(&app.cache.stats().await, kind);
        // A browser's header, oha's, a preference for gzip, and none at all.
        for (accept, expected) in [
            ("gzip, deflate, br, zstd", "br"),
            ("gzip, compress, deflate, br", "br"),
            ("br;q=0.5, gzip", "gzip"),
            ("br;q=0, gzip;q=0", ""),
        ] {
            for _ in 0..2 {
                let (coding, vary, body) = sent_as(&app, path, accept).await;
                assert_eq!(coding, expected, "{path} for {accept}");
                assert!(vary.contains("accept-encoding"), "{path}: vary {vary}");
                assert_eq!(body, plain, "{path} in {expected}");
            }
        }
        assert_eq!(
            answer_hits(&app.cache.stats().await, kind),
            before + 8,
            "{path}: every one of them was the kept answer"
        );
    }
}

/// A kind's hits in memory and misses.
fn hits(stats: &CacheStats, kind: &str) -> (u64, u64) {
    let kind = stats.kinds.iter().find(|k| k.kind == kind).expect("a kind");
    (kind.local_hits, kind.misses)
}

/// A kind's answers served from their kept bytes.
fn answer_hits(stats: &CacheStats, kind: &str) -> u64 {
    let kind = stats.kinds.iter().find(|k| k.kind == kind).expect("a kind");
    kind.answer_hits
}

async fn repeated_reads_are_answered_with_their_kept_bytes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=2").await;
    let id = page.items[0].id;
    for (kind, path) in [
        ("overview", "/api/overview".to_owned()),
        ("accounts", "/api/accounts?per_page=2".to_owned()),
        ("leaderboard", "/api/leaderboard?days=7".to_owned()),
        ("history", format!("/api/history?id={id}")),
    ] {
        let first = app.get(&path).await;
        assert_eq!(first.status(), 200, "{path}");
        let etag = first.headers()["etag"].clone();
        let body = first.bytes().await.unwrap();
        let before = answer_hits(&app.cache.stats().await, kind);
        let second = app.get(&path).await;
        assert_eq!(second.headers()["etag"], etag, "{path}");
        assert_eq!(
            second.headers()["content-type"],
            "application/json",
            "{path}"
        );
        assert_eq!(second.bytes().await.unwrap(), body, "{path}");
        assert_eq!(
            answer_hits(&app.cache.stats().await, kind),
            before + 1,
            "{path} was computed again"
        );
        // Revalidation with the kept tag: a bodiless 304.
        let revalidated = app
            .client
            .get(format!("{}{path}", app.address))
            .header("if-none-match", etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(revalidated.status(), 304, "{path}");
    }
    // After a write, the kept answers of what it changed are not served.
    let before: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    let followers = before.account.latest.followers.unwrap_or(0) + 99;
    db::snapshots::record(
        &app.db,
        id,
        Utc::now(),
        Counters {
            followers: Some(followers),
            ..before.account.latest
        },
    )
    .await
    .unwrap();
    let after: AccountDetail = app.get_json(&format!("/api/account?id={id}")).await;
    assert_eq!(after.account.latest.followers, Some(followers));
    let list: Page<AccountRow> = app.get_json("/api/accounts?per_page=2").await;
    assert!(
        list.items
            .iter()
            .any(|row| row.latest.followers == Some(followers))
    );
    // An error is never kept: a missing account is looked for each time.
    let before = answer_hits(&app.cache.stats().await, "account");
    for _ in 0..2 {
        assert_eq!(app.get("/api/account?id=999999").await.status(), 404);
    }
    assert_eq!(answer_hits(&app.cache.stats().await, "account"), before);
}

/// An account's own answers, as the dashboard's account page asks them.
fn pages_of(id: i64, other: i64) -> Vec<(&'static str, String)> {
    vec![
        ("account", format!("/api/account?id={id}")),
        ("history", format!("/api/history?id={id}&range=all")),
        ("projection", format!("/api/projection?id={id}")),
        ("compare", format!("/api/compare?ids={id},{other}")),
    ]
}

async fn revision(app: &TestApp, id: i64) -> i64 {
    let revisions = db::generations::revisions(&app.db, &[id]).await.unwrap();
    // Read in the same statement as the revisions.
    let now = db::generations::current(&app.db).await.unwrap();
    assert_eq!(
        revisions.written.map(|written| written.now),
        Some(db::generations::AccountWrites::exact(&now).now)
    );
    revisions.of[0].expect("an account")
}

async fn a_write_to_one_account_leaves_the_others_cached(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=3").await;
    let (written, kept, third) = (page.items[0].id, page.items[1].id, page.items[2].id);
    for (_, path) in pages_of(kept, third)
        .into_iter()
        .chain(pages_of(written, third))
    {
        app.get(&path).await.error_for_status().unwrap();
    }
    let before: AccountDetail = app.get_json(&format!("/api/account?id={written}")).await;
    let stats = app.cache.stats().await;

    // A newer observation of one account, written as the collector writes it.
    let followers = before.account.latest.followers.unwrap_or(0) + 4_321;
    db::snapshots::record(
        &app.db,
        written,
        Utc::now(),
        Counters {
            followers: Some(followers),
            ..before.account.latest
        },
    )
    .await
    .unwrap();

    // The other account's answers come from memory, as they were.
    for (kind, path) in pages_of(kept, third) {
        app.get(&path).await.error_for_status().unwrap();
        let (hits_before, misses_before) = hits(&stats, kind);
        let (hits_after, misses_after) = hits(&app.cache.stats().await, kind);
        assert_eq!(misses_after, misses_before, "{path} was loaded again");
        assert!(
            hits_after > hits_before,
            "{path} was not served from memory"
        );
        assert!(
            answer_hits(&app.cache.stats().await, kind) > answer_hits(&stats, kind),
            "{path} was not answered with its kept bytes"
        );
    }
    // The written account's answers, and the lists, show the write at once.
    let after: AccountDetail = app.get_json(&format!("/api/account?id={written}")).await;
    assert_eq!(after.account.latest.followers, Some(followers));
    assert_eq!(after.snapshot_count, before.snapshot_count + 1);
    let history: Vec<app::model::HistoryPoint> = app
        .get_json(&format!("/api/history?id={written}&range=all"))
        .await;
    assert_eq!(
        history.last().and_then(|point| point.counters.followers),
        Some(followers)
    );
    let compared: app::model::Comparison = app
        .get_json(&format!("/api/compare?ids={written},{third}"))
        .await;
    assert!(
        compared.series[0]
            .points
            .iter()
            .any(|(_, value)| *value == followers as f64),
        "the comparison shows the new observation"
    );
    let list: Page<AccountRow> = app.get_json("/api/accounts?per_page=3").await;
    let row = list.items.iter().find(|row| row.id == written);
    assert_eq!(row.map(|row| row.latest.followers), Some(Some(followers)));
}

async fn every_write_to_an_account_moves_its_revision_and_a_lease_does_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let ids: Vec<i64> = account::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .take(2)
        .collect();
    let (id, other) = (ids[0], ids[1]);

    // A lease taken and renewed is no change to what answers show.
    let start = revision(&app, id).await;
    for _ in 0..2 {
        account::Entity::update_many()
            .col_expr(account::Column::LeaseOwner, Expr::value("test#1"))
            .col_expr(account::Column::LeaseUntil, Expr::value(Utc::now()))
            .filter(account::Column::Id.eq(id))
            .exec(&app.db)
            .await
            .unwrap();
    }
    assert_eq!(
        revision(&app, id).await,
        start,
        "a lease moved the revision"
    );

    let other_start = revision(&app, other).await;
    let mut last = start;
    // A snapshot; the same one again changes nothing.
    let now = Utc::now();
    let counters = Counters {
        followers: Some(7),
        ..Counters::default()
    };
    db::snapshots::record(&app.db, id, now, counters)
        .await
        .unwrap();
    moved(&mut last, revision(&app, id).await, "a snapshot");
    db::snapshots::insert_snapshots(&app.db, [db::snapshots::snapshot_row(id, now, counters)])
        .await
        .unwrap();
    assert_eq!(
        revision(&app, id).await,
        last,
        "a repeated snapshot moved it"
    );
    // Tags and the core flag; a brand; the brand's name; no brand.
    db::accounts::update(&app.db, id, true, &["moved".to_owned()])
        .await
        .unwrap();
    moved(&mut last, revision(&app, id).await, "tags");
    let brand = db::brands::assign(&app.db, "Revisions", &[id])
        .await
        .unwrap();
    moved(&mut last, revision(&app, id).await, "a brand");
    app.db
        .execute_unprepared(&format!(
            "UPDATE brands SET name = 'Renamed' WHERE id = {}",
            brand.id
        ))
        .await
        .unwrap();
    moved(&mut last, revision(&app, id).await, "the brand's name");
    db::brands::remove(&app.db, "Renamed").await.unwrap();
    moved(&mut last, revision(&app, id).await, "the brand's removal");
    // A day compacted: its snapshots go, its rollup comes.
    app.db
        .execute_unprepared(&format!("DELETE FROM snapshots WHERE account_id = {id}"))
        .await
        .unwrap();
    moved(&mut last, revision(&app, id).await, "deleted snapshots");
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO daily_rollups (account_id, day, samples) VALUES ({id}, '2020-01-01', 1)"
        ))
        .await
        .unwrap();
    moved(&mut last, revision(&app, id).await, "a rollup");

    assert_eq!(
        revision(&app, other).await,
        other_start,
        "another account's revision moved"
    );
}

/// Checks that `now` is past `last`, and makes it the new last.
fn moved(last: &mut i64, now: i64, what: &str) {
    assert!(now > *last, "{what} did not move the revision");
    *last = now;
}

/// The columns the revision trigger watches, as the database has it.
async fn watched_columns(app: &TestApp) -> BTreeSet<String> {
    let (query, backend) = match app.db.get_database_backend() {
        DbBackend::Postgres => (
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'accounts_revised'",
            DbBackend::Postgres,
        ),
        _ => (
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'accounts_revised'",
            DbBackend::Sqlite,
        ),
    };
    let row = app
        .db
        .query_one_raw(Statement::from_string(backend, query))
        .await
        .unwrap()
        .expect("the trigger");
    let definition: String = row.try_get_by_index(0).unwrap();
    let columns = definition
        .split_once("UPDATE OF ")
        .and_then(|(_, rest)| rest.split_once(" ON "))
        .map(|(columns, _)| columns)
        .unwrap_or_else(|| panic!("no column list in {definition}"));
    columns
        .split(',')
        .map(|column| column.trim().to_owned())
        .collect()
}

async fn the_revision_trigger_watches_every_column_but_the_lease(backend: Backend) {
    let app = TestApp::database_only(backend).await;
    let unwatched = [
        account::Column::Id,
        account::Column::LeaseOwner,
        account::Column::LeaseUntil,
        account::Column::Revision,
    ]
    .map(|column| column.as_str());
    let expected: BTreeSet<String> = account::Column::iter()
        .map(|column| column.as_str())
        .filter(|column| !unwatched.contains(column))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        watched_columns(&app).await,
        expected,
        "a column of accounts is missing from the revision trigger (a new migration must recreate it)"
    );
}
