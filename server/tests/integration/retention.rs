//! Retention and downsampling: old days compact to their last snapshot with
//! a rollup of the day; long histories reach charts thinned.

use crate::common::{Backend, TestApp};
use crate::on_both_backends;
use app::model::{DailyRollup, HistoryPoint, Platform};
use chrono::{DateTime, Duration, Timelike, Utc};
use db::entities::snapshot;
use db::generations::{self, Domain};
use sea_orm::{ActiveValue::Set, EntityTrait};

on_both_backends!(
    old_days_compact_to_their_last_snapshot_with_a_rollup,
    long_histories_reach_charts_thinned,
);

/// Stores followers at each moment, as a collector would have.
async fn store(app: &TestApp, id: i64, points: &[(DateTime<Utc>, i64)]) {
    for chunk in points.chunks(500) {
        snapshot::Entity::insert_many(chunk.iter().map(|&(at, followers)| snapshot::ActiveModel {
            account_id: Set(id),
            captured_at: Set(at),
            followers: Set(Some(followers)),
            following: Set(None),
            posts: Set(None),
            views: Set(None),
            likes: Set(None),
            score: Set(None),
            online: Set(None),
            listed: Set(None),
            imported: Set(false),
        }))
        .exec_without_returning(&app.db)
        .await
        .unwrap();
    }
    generations::bump(&app.db, &[Domain::Snapshots])
        .await
        .unwrap();
}

/// Every hour of the day `days_ago` days back, with `value(hour)`.
fn hours_of(days_ago: i64, value: impl Fn(u32) -> i64) -> Vec<(DateTime<Utc>, i64)> {
    let midnight = (Utc::now() - Duration::days(days_ago))
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    (0..24)
        .map(|h| (midnight + Duration::hours(i64::from(h)), value(h)))
        .collect()
}

async fn old_days_compact_to_their_last_snapshot_with_a_rollup(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let id = app.add_account(Platform::Github, "hourly").await;
    let mut points = Vec::new();
    for (days_ago, base) in [
        (100, 1_000),
        (99, 1_100),
        (98, 1_200),
        (2, 5_000),
        (1, 5_100),
    ] {
        // The oldest day has a dip at 05:00.
        points.extend(hours_of(days_ago, |h| {
            if days_ago == 100 && h == 5 {
                900
            } else {
                base + i64::from(h)
            }
        }));
    }
    store(&app, id, &points).await;

    let before = Utc::now() - Duration::days(90);
    let done = reach::retention::compact(&app.db, before, None, db::generations::Writer::Other)
        .await
        .unwrap();
    assert_eq!((done.days, done.removed), (3, 3 * 23));
    let again = reach::retention::compact(&app.db, before, None, db::generations::Writer::Other)
        .await
        .unwrap();
    assert_eq!(
        (again.days, again.removed),
        (0, 0),
        "a compacted day stays as it is"
    );

    let history: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=all"))
        .await;
    assert_eq!(history.len(), 3 + 48);
    let old: Vec<(u32, Option<i64>)> = history[..3]
        .iter()
        .map(|p| (p.captured_at.hour(), p.counters.followers))
        .collect();
    assert_eq!(
        old,
        [(23, Some(1_023)), (23, Some(1_123)), (23, Some(1_223))]
    );

    let rollups: Vec<DailyRollup> = app
        .get_json(&format!("/api/rollups?id={id}&range=all"))
        .await;
    assert_eq!(rollups.len(), 3);
    let first = &rollups[0];
    assert_eq!(first.samples, 24);
    assert_eq!(
        (
            first.range.first,
            first.range.last,
            first.range.min,
            first.range.max
        ),
        (Some(1_000), Some(1_023), Some(900), Some(1_023))
    );
    let recent: Vec<DailyRollup> = app
        .get_json(&format!("/api/rollups?id={id}&range=30d"))
        .await;
    assert!(recent.is_empty(), "recent days are raw");
}

async fn long_histories_reach_charts_thinned(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let id = app.add_account(Platform::Github, "busy").await;
    // 80 days of hourly snapshots: 1,920 points.
    let points: Vec<_> = (1..=80)
        .rev()
        .flat_map(|days_ago| {
            hours_of(days_ago, move |h| {
                10_000 + (80 - days_ago) * 24 + i64::from(h)
            })
        })
        .collect();
    store(&app, id, &points).await;

    let quarter: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=90d"))
        .await;
    // More than 1,000 snapshots: one per day, the day's last.
    assert_eq!(quarter.len(), 80);
    assert!(quarter.iter().all(|p| p.captured_at.hour() == 23));
    let week: Vec<HistoryPoint> = app
        .get_json(&format!("/api/history?id={id}&range=7d"))
        .await;
    assert!(week.len() > 24 * 5, "a short range is every snapshot");
    let compared: app::model::Comparison = app
        .get_json(&format!("/api/compare?ids={id}&range=90d"))
        .await;
    assert_eq!(compared.series[0].points.len(), 80);
}
