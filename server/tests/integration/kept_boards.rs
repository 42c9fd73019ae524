//! The live leaderboards kept as ranked after a run (`db::leaderboard::kept`):
//! every page a kept board answers is the page ranking on the request gives,
//! for every metric, ranking, period and kept scope; a write sets the kept
//! boards aside until they are ranked again; a filter no board is kept for
//! is ranked on the request.

use app::model::{AccountFilter, Counters, LEADERBOARD_PERIODS, Metric, Platform, RankBy};
use db::leaderboard::{LeaderboardQuery, kept, leaderboard, ranked_now};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    kept_boards_answer_as_ranking_now_would,
    a_write_sets_the_kept_boards_aside,
);

fn query(metric: Metric, by: RankBy, days: u32, filter: AccountFilter) -> LeaderboardQuery {
    LeaderboardQuery {
        metric,
        by,
        days,
        date: None,
        filter,
        page: 1,
        per_page: 25,
    }
}

async fn kept_boards_answer_as_ranking_now_would(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    kept::keep(db, &db::write::NoRest).await.unwrap();
    let scopes = [
        AccountFilter::default(),
        AccountFilter {
            core: Some(true),
            ..AccountFilter::default()
        },
        AccountFilter {
            platform: Some(Platform::Github),
            ..AccountFilter::default()
        },
    ];
    let mut ranked_somewhere = false;
    for metric in Metric::ALL {
        for by in RankBy::ALL {
            for days in LEADERBOARD_PERIODS {
                for filter in &scopes {
                    for (page, per_page) in [(1, 25), (2, 1)] {
                        let mut asked = query(metric, by, days, filter.clone());
                        (asked.page, asked.per_page) = (page, per_page);
                        let kept = kept::page(db, &asked)
                            .await
                            .unwrap()
                            .unwrap_or_else(|| panic!("no kept board for {asked:?}"));
                        let now = ranked_now(db, &asked).await.unwrap();
                        assert_eq!(
                            (&kept.entries, kept.ranked, kept.previous_as_of),
                            (&now.entries, now.ranked, now.previous_as_of),
                            "{asked:?}"
                        );
                        assert!(page > 1 || !kept.entries.items.is_empty(), "{asked:?}");
                        ranked_somewhere |= kept.entries.items.iter().any(|e| e.change.is_some());
                    }
                }
            }
        }
    }
    assert!(ranked_somewhere, "some kept board ranks changes");

    // A tag, or two filters: no board is kept, the board is ranked.
    let tagged = AccountFilter {
        tag: Some("music".to_owned()),
        ..AccountFilter::default()
    };
    let asked = query(Metric::Followers, RankBy::Value, 30, tagged);
    assert!(kept::page(db, &asked).await.unwrap().is_none());
    assert_eq!(
        leaderboard(db, &asked).await.unwrap().entries,
        ranked_now(db, &asked).await.unwrap().entries
    );
}

async fn a_write_sets_the_kept_boards_aside(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let db = &app.db;
    kept::keep(db, &db::write::NoRest).await.unwrap();
    let asked = query(
        Metric::Followers,
        RankBy::Value,
        30,
        AccountFilter::default(),
    );
    let before = kept::page(db, &asked).await.unwrap().expect("kept");
    let last = before.entries.items.last().unwrap().id;

    // The last of the page becomes the biggest.
    let counters = Counters {
        followers: Some(1_000_000_000),
        ..Counters::default()
    };
    db::snapshots::record(db, last, chrono::Utc::now(), counters)
        .await
        .unwrap();
    assert!(
        kept::page(db, &asked).await.unwrap().is_none(),
        "a kept board is never stale"
    );
    let after = leaderboard(db, &asked).await.unwrap();
    assert_eq!(after.entries.items[0].id, last);
    assert_eq!(after.entries.items[0].value, Some(1_000_000_000));

    // Ranked again, as the next run does: kept, with the write in it. The
    // collector rests after each metric's reads and each chunk of boards
    // written.
    let rests = crate::common::CountedRests::default();
    let boards = kept::keep(db, &rests).await.unwrap();
    assert!(boards > 0);
    assert_eq!(rests.count(), Metric::ALL.len() + boards.div_ceil(100));
    let kept = kept::page(db, &asked).await.unwrap().expect("kept again");
    assert_eq!(kept.entries, after.entries);
}
