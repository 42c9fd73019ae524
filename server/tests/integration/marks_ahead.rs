//! The leaderboard's marks written a day ahead (`db::marks`): after a run
//! every account has the next day's marks, and the next day's live board
//! ranked from them is the board its history gives; history written to an
//! account drops its marks written ahead.

use app::model::{AccountFilter, LEADERBOARD_PERIODS, Metric, RankBy};
use chrono::{Duration, Utc};
use db::leaderboard::{LeaderboardQuery, ranked_at};
use sea_orm::{ConnectionTrait, Statement};

use crate::common::{ACCOUNTS, Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(a_run_writes_the_next_days_marks_and_they_rank_as_history_does);

async fn a_run_writes_the_next_days_marks_and_they_rank_as_history_does(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    let today = Utc::now().date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let marked_on = |day: chrono::NaiveDate| async move {
        let sql = format!(
            "SELECT COUNT(*) FROM leaderboard_marks WHERE metric = 'followers' AND day = '{day}'"
        );
        db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i64>(0)
            .unwrap()
    };
    assert_eq!(marked_on(tomorrow).await, 0, "the seed writes today's only");

    app.engine("http://127.0.0.1:9")
        .run(Utc::now())
        .await
        .expect("a run");
    assert_eq!(marked_on(today).await, i64::from(ACCOUNTS));
    assert_eq!(
        marked_on(tomorrow).await,
        i64::from(ACCOUNTS),
        "the run's upkeep writes the next day's marks"
    );

    // The next day's boards from the marks, and sought in history.
    let at = Utc::now() + Duration::days(1);
    let mut boards = Vec::new();
    for metric in [Metric::Followers, Metric::Posts, Metric::Views] {
        for by in RankBy::ALL {
            for days in LEADERBOARD_PERIODS {
                let query = LeaderboardQuery {
                    metric,
                    by,
                    days,
                    date: None,
                    filter: AccountFilter::default(),
                    page: 1,
                    per_page: 100,
                };
                let marked = ranked_at(db, &query, at).await.unwrap();
                boards.push((query, marked));
            }
        }
    }
    assert!(
        boards
            .iter()
            .any(|(_, b)| b.ranked > 0 && b.entries.items.iter().any(|e| e.change.is_some())),
        "some board ranks changes"
    );
    db.execute_unprepared(&format!(
        "DELETE FROM leaderboard_marks WHERE day = '{tomorrow}'"
    ))
    .await
    .unwrap();
    for (query, marked) in &boards {
        let sought = ranked_at(db, query, at).await.unwrap();
        assert_eq!(
            (&sought.entries, sought.previous_as_of, sought.ranked),
            (&marked.entries, marked.previous_as_of, marked.ranked),
            "{query:?}"
        );
    }

    // A past observation changes history: that account's marks written
    // ahead go, today's are written again; the next upkeep restores them.
    let budget = std::time::Duration::from_secs(60);
    // The collector rests after each chunk's transaction (its pace).
    let rests = crate::common::CountedRests::default();
    assert_eq!(
        db::marks::prepare_marks_ahead(db, today, budget, &rests)
            .await
            .unwrap(),
        ACCOUNTS as usize
    );
    assert_eq!(rests.count(), (ACCOUNTS as usize).div_ceil(500));
    assert_eq!(
        db::marks::prepare_marks_ahead(db, today, budget, &db::write::NoRest)
            .await
            .unwrap(),
        0
    );
    let counters = app::model::Counters {
        followers: Some(1),
        ..app::model::Counters::default()
    };
    db::snapshots::record(db, 1, Utc::now() - Duration::days(20), counters)
        .await
        .unwrap();
    assert_eq!(marked_on(tomorrow).await, i64::from(ACCOUNTS) - 1);
    assert_eq!(marked_on(today).await, i64::from(ACCOUNTS));
    assert_eq!(
        db::marks::prepare_marks_ahead(db, today, budget, &db::write::NoRest)
            .await
            .unwrap(),
        1
    );
}

/// Most accounts lack most metrics (their platform does not publish them),
/// and a seek for the newest value of a metric an account never had walks
/// back over its whole history: the marks of such metrics are written
/// without reading the account's snapshots. PostgreSQL counts the rows a
/// transaction fetched (`pg_stat_xact_user_tables`); SQLite has no such
/// count, and the marks' values are checked on both above.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_marks_of_a_metric_an_account_never_had_read_none_of_its_history() {
    use sea_orm::TransactionTrait;

    let app = TestApp::database_only(Backend::Postgres).await;
    let db = &app.db;
    let id = app
        .add_account(app::model::Platform::Github, "long-history")
        .await;
    let now = Utc::now();
    let days = 400;
    let rows = (0..days).map(|day| {
        let counters = app::model::Counters {
            followers: Some(1_000 + day),
            ..app::model::Counters::default()
        };
        db::snapshots::snapshot_row(id, now - Duration::days(days - day), counters)
    });
    db::snapshots::insert_snapshots(db, rows).await.unwrap();
    let newest = app::model::Counters {
        followers: Some(1_000 + days),
        ..app::model::Counters::default()
    };
    db::snapshots::set_latest(db, id, now, newest)
        .await
        .unwrap();

    let txn = db.begin().await.unwrap();
    db::marks::refresh_marks(&txn, &[id], now.date_naive())
        .await
        .unwrap();
    let fetched = txn
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COALESCE(idx_tup_fetch, 0) + COALESCE(seq_tup_read, 0) \
             FROM pg_stat_xact_user_tables WHERE relname = 'snapshots'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap();
    txn.commit().await.unwrap();
    // Followers: two seeks for each of the eight days kept, each finding
    // its row at once (every day has the count). The seven other metrics,
    // each seeking back over 400 days, would fetch thousands.
    let kept = i64::try_from(2 * db::entities::leaderboard_mark::MARK_OFFSETS.len()).unwrap();
    assert!(
        fetched <= 2 * kept,
        "{fetched} snapshot rows fetched for {kept} seeks"
    );
    // And the marks are what history says: followers known, the rest not.
    let marks = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COUNT(*) FILTER (WHERE value_7 IS NOT NULL), COUNT(*) \
                 FROM leaderboard_marks WHERE account_id = {id}"
            ),
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(marks.try_get_by_index::<i64>(0).unwrap(), 1);
    assert_eq!(marks.try_get_by_index::<i64>(1).unwrap(), 8);
}
