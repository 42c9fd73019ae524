//! What reads cost, checked rather than hoped: every read runs the same
//! number of statements whatever the size of the data (no query per row),
//! on SQLite no statement of a read scans a table that grows with history
//! (`EXPLAIN QUERY PLAN`), and what writers precompute for reads (the
//! snapshot count, the live leaderboard's marks) gives the answers it
//! stands for.

use std::sync::{Arc, Mutex};

use app::model::{
    AccountFilter, AccountSort, CompareMode, EventKind, HistoryRange, Metric, Platform, RankBy,
    SortDirection,
};
use chrono::Utc;
use db::accounts::AccountQuery;
use db::leaderboard::{LeaderboardQuery, leaderboard};
use db::marks::refresh_stale_marks;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::common::{ACCOUNTS, Backend, DAYS, TestApp};
use crate::kept_totals;
use crate::on_both_backends;
use crate::plans;

on_both_backends!(
    reads_run_as_many_statements_at_any_size,
    precomputed_reads_match_what_they_stand_for,
    concurrent_requests_share_generation_reads_never_stale_ones,
);

/// Statements as run, with their values in place.
pub(crate) type Log = Arc<Mutex<Vec<String>>>;

/// A connection of its own to the test's database, which logs statements.
pub(crate) async fn logged(app: &TestApp) -> (DatabaseConnection, Log) {
    let mut db = app.connect().await;
    let log: Log = Arc::default();
    let sink = log.clone();
    db.set_metric_callback(move |info| {
        sink.lock().unwrap().push(info.statement.to_string());
    });
    (db, log)
}

/// Each read the API serves, by name, run once; returns the statements of each.
async fn every_read(db: &DatabaseConnection, log: &Log) -> Vec<(String, Vec<String>)> {
    let ids: Vec<i64> = db::accounts::list(
        db,
        &page_of(AccountSort::Followers, AccountFilter::default()),
    )
    .await
    .unwrap()
    .items
    .iter()
    .map(|a| a.id)
    .take(3)
    .collect();
    let id = ids[0];
    let run = db::runs::runs(db, 1, 1).await.unwrap().items[0].id;
    let mut reads = Vec::new();
    macro_rules! read {
        ($name:expr, $call:expr) => {{
            let name = $name.to_string();
            log.lock().unwrap().clear();
            if let Err(error) = $call.await {
                panic!("{name}: {error:?}");
            }
            reads.push((name, std::mem::take(&mut *log.lock().unwrap())));
        }};
    }
    read!("overview", db::overview::overview(db));
    for sort in AccountSort::ALL {
        read!(
            format!("accounts sort={}", sort.as_str()),
            db::accounts::list(db, &page_of(sort, AccountFilter::default()))
        );
    }
    let filters = [
        AccountFilter {
            platform: Some(Platform::Github),
            ..AccountFilter::default()
        },
        AccountFilter {
            core: Some(true),
            ..AccountFilter::default()
        },
        AccountFilter {
            tag: Some("music".into()),
            ..AccountFilter::default()
        },
        AccountFilter {
            search: Some("fox".into()),
            ..AccountFilter::default()
        },
    ];
    for filter in filters {
        read!(
            format!("accounts {filter:?}"),
            db::accounts::list(db, &page_of(AccountSort::Change7d, filter))
        );
    }
    read!("account", db::accounts::detail(db, id));
    for range in HistoryRange::ALL {
        read!(
            format!("history {range:?}"),
            db::history::history(db, id, range, Metric::Followers)
        );
        read!(
            format!("rollups {range:?}"),
            db::history::rollups(db, id, Metric::Followers, range)
        );
    }
    read!(
        "compare",
        db::analytics::compare(
            db,
            &ids,
            Metric::Followers,
            HistoryRange::Year,
            CompareMode::Indexed
        )
    );
    read!("growth", db::analytics::growth(db, id, None));
    read!("tags", db::accounts::tags(db));
    read!("runs", db::runs::runs(db, 1, 25));
    read!("run", db::runs::run_detail(db, run, None, 1, 50));
    read!("brands", db::brands::list(db));
    read!("platforms", db::platforms::by_platform(db));
    read!("events", db::events::list(db, None, None, 1, 25));
    read!(
        "events of a kind",
        db::events::list(db, None, Some(EventKind::Milestone), 1, 25)
    );
    read!(
        "events of an account",
        db::events::list(db, Some(id), None, 1, 25)
    );
    read!(
        "projection",
        db::projection::projection(db, id, Metric::Followers, 30)
    );
    for date in [
        None,
        Some(Utc::now().date_naive() - chrono::Duration::days(3)),
    ] {
        for by in [RankBy::Value, RankBy::Percent] {
            read!(
                format!("leaderboard {by:?} {date:?}"),
                leaderboard(db, &board(Metric::Followers, by, 30, date))
            );
        }
    }
    reads
}

fn page_of(sort: AccountSort, filter: AccountFilter) -> AccountQuery {
    AccountQuery {
        page: 1,
        per_page: 25,
        sort,
        direction: SortDirection::Desc,
        filter,
    }
}

fn board(
    metric: Metric,
    by: RankBy,
    days: u32,
    date: Option<chrono::NaiveDate>,
) -> LeaderboardQuery {
    LeaderboardQuery {
        metric,
        by,
        days,
        date,
        filter: AccountFilter::default(),
        page: 1,
        per_page: 25,
    }
}

async fn reads_run_as_many_statements_at_any_size(backend: Backend) {
    let small = TestApp::spawn(backend).await;
    let large = TestApp::empty(backend).await;
    reach::collect::demo::seed(&large.db, 3 * ACCOUNTS, DAYS, large.seeded_at)
        .await
        .unwrap();

    let (db, log) = logged(&small).await;
    let small_reads = every_read(&db, &log).await;
    let (db, log) = logged(&large).await;
    let large_reads = every_read(&db, &log).await;

    for ((name, small), (_, large)) in small_reads.iter().zip(&large_reads) {
        assert!(!small.is_empty(), "{name} ran no statement");
        assert_eq!(
            small.len(),
            large.len(),
            "{name}: {} statements for {ACCOUNTS} accounts, {} for {}:\n{small:#?}\n{large:#?}",
            small.len(),
            large.len(),
            3 * ACCOUNTS
        );
    }

    if let Backend::Postgres = backend {
        plans::postgres_plans_read_no_more_than_they_need(&db, &large_reads).await;
    }
    if let Backend::Sqlite = backend {
        plans::sqlite_plans_read_no_more_than_they_need(&db, &large_reads).await;
    }
}

async fn precomputed_reads_match_what_they_stand_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    let today = Utc::now().date_naive();
    let count = |sql: &'static str| async move {
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };

    // The snapshot count follows inserts, cascades and compaction.
    let counted = || async { db::overview::overview(db).await.unwrap().snapshots as i64 };
    assert_eq!(counted().await, i64::from(ACCOUNTS * DAYS));
    reach::accounts::remove(db, 1).await.unwrap();
    // Every counter known: the live board's current value is the account
    // row's latest, a dated board's the newest known one.
    let known = Some(1_000_000);
    let counters = app::model::Counters {
        followers: known,
        following: known,
        posts: known,
        views: known,
        likes: known,
        score: known,
        online: known,
        listed: known,
    };
    db::snapshots::record(db, 2, app.seeded_at + chrono::Duration::hours(1), counters)
        .await
        .unwrap();
    reach::retention::compact(
        db,
        app.seeded_at - chrono::Duration::days(10),
        None,
        db::generations::Writer::Other,
    )
    .await
    .unwrap();
    assert_eq!(
        counted().await,
        count("SELECT COUNT(*) FROM snapshots").await,
        "the kept count drifted"
    );
    assert_eq!(counted().await, i64::from((ACCOUNTS - 1) * DAYS + 1));

    // The events' totals follow the seed's detection and the removal's
    // cascade, overall and per kind.
    let events_total = |kind: Option<EventKind>| async move {
        db::events::list(db, None, kind, 1, 1).await.unwrap().total as i64
    };
    let all_events = events_total(None).await;
    assert!(all_events > 0, "the seed detected no event");
    assert_eq!(all_events, count("SELECT COUNT(*) FROM events").await);
    for kind in EventKind::ALL {
        let sql = format!(
            "SELECT COUNT(*) FROM events WHERE kind = '{}'",
            kind.as_str()
        );
        let counted_now = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap();
        assert_eq!(events_total(Some(kind)).await, counted_now, "{kind:?}");
    }

    // The live board from marks, from history, and as the board of today.
    assert_eq!(
        count("SELECT COUNT(*) FROM leaderboard_marks").await,
        i64::from(ACCOUNTS - 1) * Metric::ALL.len() as i64,
        "the seed and the snapshot recorded keep marks"
    );
    let mut boards = Vec::new();
    for metric in Metric::ALL {
        for by in [RankBy::Value, RankBy::Change, RankBy::Percent] {
            for days in app::model::LEADERBOARD_PERIODS {
                let mut query = board(metric, by, days, None);
                query.per_page = 100;
                boards.push(query);
            }
        }
    }
    let mut marked = Vec::new();
    for query in &boards {
        marked.push(leaderboard(db, query).await.unwrap());
    }
    assert!(
        marked
            .iter()
            .any(|b| b.ranked > 0 && b.entries.items.iter().any(|e| e.change.is_some())),
        "some board ranks changes"
    );
    db.execute_unprepared("DELETE FROM leaderboard_marks")
        .await
        .unwrap();
    for (query, marked) in boards.iter().zip(&marked) {
        let sought = leaderboard(db, query).await.unwrap();
        assert_eq!(
            (&sought.entries, sought.previous_as_of, sought.ranked),
            (&marked.entries, marked.previous_as_of, marked.ranked),
            "{query:?}"
        );
        let mut dated = query.clone();
        dated.date = Some(today);
        let dated = leaderboard(db, &dated).await.unwrap();
        assert_eq!(dated.previous_as_of, marked.previous_as_of, "{query:?}");
        assert_eq!(dated.entries.items.len(), marked.entries.items.len());
        for (dated, marked) in dated.entries.items.iter().zip(&marked.entries.items) {
            // The same ranks and figures; `value_at` is the latest
            // collection on the live board, the snapshot's on a dated one.
            assert_eq!(
                (
                    dated.id,
                    dated.rank,
                    dated.previous_rank,
                    dated.value,
                    dated.change
                ),
                (
                    marked.id,
                    marked.rank,
                    marked.previous_rank,
                    marked.value,
                    marked.change
                ),
                "{query:?}"
            );
        }
    }

    // A day's first refresh marks every account; the next finds none stale.
    assert_eq!(
        refresh_stale_marks(db, today, &db::write::NoRest)
            .await
            .unwrap(),
        (ACCOUNTS - 1) as usize
    );
    assert_eq!(
        refresh_stale_marks(db, today, &db::write::NoRest)
            .await
            .unwrap(),
        0
    );
    for (query, marked) in boards.iter().zip(&marked) {
        assert_eq!(
            &leaderboard(db, query).await.unwrap().entries,
            &marked.entries
        );
    }

    // The kept totals (per platform and per tag) follow every kind of
    // write: seeding, removal, a recorded snapshot (latest counters and
    // changes), a new account, a flag, tags given and taken, a
    // hand-written update; PostgreSQL's rows of differences sum to
    // the same before and after they are folded.
    kept_totals::totals_match_the_accounts(db, "after the writes above").await;
    app.add_account(Platform::Github, "newcomer").await;
    db.execute_unprepared("UPDATE accounts SET is_core = NOT is_core WHERE id % 3 = 0")
        .await
        .unwrap();
    // Tags given and taken by hand, several accounts per statement.
    db.execute_unprepared(
        "INSERT INTO account_tags (account_id, tag) SELECT id, 'brand-new' FROM accounts WHERE id % 4 = 0",
    )
    .await
    .unwrap();
    db.execute_unprepared("DELETE FROM account_tags WHERE account_id % 5 = 0")
        .await
        .unwrap();
    db.execute_unprepared(
        "UPDATE accounts SET followers = NULL, followers_change_7d = NULL WHERE id = 4",
    )
    .await
    .unwrap();
    db.execute_unprepared("UPDATE accounts SET lease_owner = 'nobody' WHERE id = 5")
        .await
        .unwrap();
    kept_totals::totals_match_the_accounts(db, "after more writes").await;
    db::totals::compact(db).await.unwrap();
    kept_totals::totals_match_the_accounts(db, "after folding").await;
    if let Backend::Postgres = backend {
        let rows = count("SELECT COUNT(*) FROM platform_totals").await;
        let platforms = count("SELECT COUNT(DISTINCT platform) FROM platform_totals").await;
        assert_eq!(rows, platforms, "folded into one row per platform");
        let rows = count("SELECT COUNT(*) FROM tag_totals").await;
        let tags = count("SELECT COUNT(DISTINCT tag) FROM tag_totals").await;
        assert_eq!(rows, tags, "folded into one row per tag");
    }
}

async fn concurrent_requests_share_generation_reads_never_stale_ones(backend: Backend) {
    use db::generations::{self, Domain, SharedReads, bump};

    let app = TestApp::spawn(backend).await;
    let (db, log) = logged(&app).await;
    let reads = SharedReads::default();

    // A request reads alone; the 63 that arrive while its read is under way
    // share the next one. The first read waits at a gate, so that it is
    // under way however fast the database answers; each of the others is
    // polled once, so that it has arrived (and queued) before the gate opens.
    let (open, gate) = tokio::sync::oneshot::channel::<()>();
    let mut first = std::pin::pin!(reads.share(|| async {
        gate.await.unwrap();
        generations::current(&db).await
    }));
    assert!(futures::poll!(first.as_mut()).is_pending());
    let mut during: Vec<_> = (0..63).map(|_| Box::pin(reads.current(&db))).collect();
    for request in &mut during {
        assert!(futures::poll!(request.as_mut()).is_pending());
    }
    open.send(()).unwrap();
    let first = first.await.unwrap();
    let answers = futures::future::join_all(during).await;
    assert!(answers.iter().all(|a| a.as_ref().unwrap() == &first));
    let shared = log.lock().unwrap().len();
    assert_eq!(shared, 2, "{shared} reads for 64 requests");

    // A request after a write sees it, however recent the last read.
    bump(&app.db, &[Domain::Accounts]).await.unwrap();
    let after = reads.current(&db).await.unwrap();
    assert_eq!(after.of(Domain::Accounts), first.of(Domain::Accounts) + 1);
    assert_eq!(log.lock().unwrap().len(), shared + 1);
}
