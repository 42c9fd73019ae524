//! Events: milestones crossed, unusual daily changes and collection failing
//! run after run. Detected after every run for the accounts it visited
//! (the demo seed judges the histories it generates with the same
//! [`history_events`]), stored once each (unique per account and dedupe
//! key, so detection can run again and again), listed by `/api/events` and
//! POSTed to the configured webhooks.

pub mod detect;
mod webhooks;

use std::collections::{BTreeMap, HashMap};

use app::model::{Counters, EventKind, Metric, Outcome, Platform};
use chrono::{DateTime, NaiveDate, Utc};
use db::entities::{account, event, run_result, snapshot};
use db::generations::{Domain, Writer};
use db::write::Rest;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

pub use webhooks::Webhooks;

use detect::{Day, failing_streak, matters, milestones_crossed, unusual_changes, unusual_message};

/// How much of a history detection reads and judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scan {
    /// History read: the judged days and their baseline.
    pub window_days: i64,
    /// The last days judged for unusual changes (older ones were judged when
    /// they were new); milestones are found anywhere in the window.
    pub recent_days: usize,
}

impl Scan {
    /// After a run: the newest days, with their baseline.
    pub const AFTER_RUN: Scan = Scan {
        window_days: detect::BASELINE_DAYS + 7,
        recent_days: 3,
    };

    /// A whole history of `days` (what the demo seed judges as it writes).
    pub fn whole(days: u32) -> Scan {
        Scan {
            window_days: i64::from(days) + 1,
            recent_days: usize::MAX,
        }
    }
}
/// Accounts read per round of detection (a whole history of each is read
/// when the demo seed scans).
const CHUNK: usize = 100;
/// Events written per INSERT: well under SQLite's bound-variable limit.
const INSERT_CHUNK: usize = 500;

/// What the event side is configured with.
#[derive(Clone, Debug)]
pub struct EventSettings {
    /// Failed runs in a row that make a `failing` event.
    pub failing_after: usize,
    /// Where events are POSTed; none configured, none are sent.
    pub webhooks: Option<Webhooks>,
}

impl Default for EventSettings {
    fn default() -> Self {
        Self {
            failing_after: 3,
            webhooks: None,
        }
    }
}

impl EventSettings {
    /// Detects the events of the accounts `run_id` visited, resting after
    /// each chunk as `rest` says, then delivers what is undelivered. Errors
    /// are logged: events never fail a run.
    pub async fn after_run(
        &self,
        db: &DatabaseConnection,
        run_id: i64,
        writer: Writer,
        rest: &impl Rest,
    ) {
        let visited: Result<Vec<i64>, _> = run_result::Entity::find()
            .select_only()
            .column(run_result::Column::AccountId)
            .filter(run_result::Column::RunId.eq(run_id))
            .into_tuple()
            .all(db)
            .await;
        let detected = match visited {
            Ok(ids) => {
                let now = Utc::now();
                let scan = Scan::AFTER_RUN;
                detect_for_accounts(db, &ids, self.failing_after, scan, now, writer, rest).await
            }
            Err(error) => Err(error),
        };
        match detected {
            Ok(0) => {}
            Ok(new) => tracing::info!(run = run_id, new, "events detected"),
            Err(error) => tracing::error!(run = run_id, %error, "event detection failed"),
        }
        if let Some(webhooks) = &self.webhooks {
            webhooks.deliver_pending(db, writer).await;
        }
    }
}

/// Detects and stores the events of `account_ids` in the part of their
/// history `scan` names, as of `now`, a chunk of accounts at a time with
/// `rest` after each; returns how many are new. `writer` says how soon the
/// answers show them.
pub async fn detect_for_accounts(
    db: &DatabaseConnection,
    account_ids: &[i64],
    failing_after: usize,
    scan: Scan,
    now: DateTime<Utc>,
    writer: Writer,
    rest: &impl Rest,
) -> Result<u64, sea_orm::DbErr> {
    let mut new = 0;
    for chunk in account_ids.chunks(CHUNK) {
        let started = std::time::Instant::now();
        let accounts = account::Entity::find()
            .filter(account::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        let snapshots = snapshot::Entity::find()
            .filter(snapshot::Column::AccountId.is_in(chunk.iter().copied()))
            .filter(
                snapshot::Column::CapturedAt.gte(now - chrono::Duration::days(scan.window_days)),
            )
            .order_by_asc(snapshot::Column::AccountId)
            .order_by_asc(snapshot::Column::CapturedAt)
            .all(db)
            .await?;
        let mut by_account: HashMap<i64, Vec<snapshot::Model>> = HashMap::new();
        for s in snapshots {
            by_account.entry(s.account_id).or_default().push(s);
        }
        let mut found = Vec::new();
        for account in &accounts {
            let history: Vec<(DateTime<Utc>, Counters)> = by_account
                .remove(&account.id)
                .unwrap_or_default()
                .iter()
                .map(|s| (s.captured_at, s.counters()))
                .collect();
            found.extend(history_events(
                Subject::of(account),
                &history,
                scan.recent_days,
                now,
            ));
            // Only an account whose latest attempt failed can be failing.
            if account.last_outcome.is_some_and(Outcome::is_failure)
                && let Some(event) = failing_event(db, account, failing_after, now).await?
            {
                found.push(event);
            }
        }
        new += store(db, &found, writer).await?;
        rest.after(started).await;
    }
    Ok(new)
}

/// Stores `found` (events already stored are skipped) and returns how many
/// are new; the events' generation moves when any is, as `writer` says.
pub async fn store(
    db: &impl ConnectionTrait,
    found: &[event::ActiveModel],
    writer: Writer,
) -> Result<u64, sea_orm::DbErr> {
    let mut inserted = 0;
    for rows in found.chunks(INSERT_CHUNK) {
        inserted += event::Entity::insert_many(rows.to_vec())
            .on_conflict(
                OnConflict::columns([event::Column::AccountId, event::Column::DedupeKey])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    if inserted > 0 {
        writer.wrote(db, &[Domain::Events]).await?;
    }
    Ok(inserted)
}

/// The account an event is about.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub id: i64,
    pub platform: Platform,
    pub handle: &'a str,
}

impl<'a> Subject<'a> {
    pub fn of(account: &'a account::Model) -> Self {
        Subject {
            id: account.id,
            platform: account.platform,
            handle: &account.handle,
        }
    }
}

/// The milestones and unusual changes in `history` (observations, oldest
/// first), judging the last `recent_days` days for unusual changes. A pure
/// function of the history: detection after a run reads it from the
/// database, the demo seed hands over what it generates.
pub fn history_events(
    subject: Subject<'_>,
    history: &[(DateTime<Utc>, Counters)],
    recent_days: usize,
    now: DateTime<Utc>,
) -> Vec<event::ActiveModel> {
    subject
        .platform
        .metrics()
        .iter()
        .flat_map(|&metric| {
            metric_events(subject, metric, &daily(history, metric), recent_days, now)
        })
        .collect()
}

/// The last value of `metric` on each day, oldest first.
fn daily(history: &[(DateTime<Utc>, Counters)], metric: Metric) -> Vec<Day> {
    let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
    for (at, counters) in history {
        if let Some(value) = counters.get(metric) {
            days.insert(at.date_naive(), Day { at: *at, value });
        }
    }
    days.into_values().collect()
}

fn metric_events(
    account: Subject<'_>,
    metric: Metric,
    days: &[Day],
    recent_days: usize,
    now: DateTime<Utc>,
) -> Vec<event::ActiveModel> {
    let name = metric.as_str();
    // The platform's own word for the counter ("subscribers", "karma").
    let said = account.platform.metric_name(metric);
    let mut events = Vec::new();
    for (index, milestone) in milestones_crossed(days) {
        let day = days[index];
        events.push(new_event(
            account.id,
            EventKind::Milestone,
            day.at,
            now,
            format!("milestone:{name}:{milestone}"),
            format!(
                "{} passed {} {said}",
                account.handle,
                app::format::grouped(milestone)
            ),
            |e| {
                e.metric = Set(Some(name.to_owned()));
                e.value = Set(Some(day.value));
                e.milestone = Set(Some(milestone));
            },
        ));
    }
    let unusual_days = unusual_changes(days, recent_days)
        .into_iter()
        .filter(|u| matters(metric, u.change, days[u.index - 1].value));
    for unusual in unusual_days {
        let day = days[unusual.index];
        events.push(new_event(
            account.id,
            EventKind::UnusualChange,
            day.at,
            now,
            format!("unusual:{name}:{}", day.at.date_naive()),
            unusual_message(account.handle, said, unusual.change, unusual.usual),
            |e| {
                e.metric = Set(Some(name.to_owned()));
                e.value = Set(Some(day.value));
                e.change = Set(Some(unusual.change));
                e.score = Set(Some(unusual.score));
            },
        ));
    }
    events
}

/// Failures in a row reaching `failing_after` make one event per streak,
/// keyed by the run that began the streak.
async fn failing_event(
    db: &DatabaseConnection,
    account: &account::Model,
    failing_after: usize,
    now: DateTime<Utc>,
) -> Result<Option<event::ActiveModel>, sea_orm::DbErr> {
    /// Enough results to find where any streak worth reporting began.
    const LOOKBACK: u64 = 100;
    let results: Vec<(i64, Outcome, DateTime<Utc>)> = run_result::Entity::find()
        .select_only()
        .columns([
            run_result::Column::RunId,
            run_result::Column::Outcome,
            run_result::Column::FinishedAt,
        ])
        .filter(run_result::Column::AccountId.eq(account.id))
        .order_by_desc(run_result::Column::FinishedAt)
        .limit(LOOKBACK)
        .into_tuple()
        .all(db)
        .await?;
    let outcomes: Vec<Outcome> = results.iter().map(|(_, o, _)| *o).collect();
    let streak = failing_streak(&outcomes);
    if streak < failing_after.max(1) {
        return Ok(None);
    }
    // A streak longer than the lookback began out of sight: its event was
    // stored when it reached `failing_after`.
    if streak as u64 == LOOKBACK {
        return Ok(None);
    }
    let (first_run, _, _) = results[streak - 1];
    let (_, last_outcome, last_at) = results[0];
    Ok(Some(new_event(
        account.id,
        EventKind::Failing,
        last_at,
        now,
        format!("failing:{first_run}"),
        format!(
            "{}: collection failed {streak} runs in a row (last: {})",
            account.handle,
            last_outcome.as_str()
        ),
        |e| e.failures = Set(Some(streak as i32)),
    )))
}

pub(crate) fn new_event(
    account_id: i64,
    kind: EventKind,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
    dedupe_key: String,
    message: String,
    details: impl FnOnce(&mut event::ActiveModel),
) -> event::ActiveModel {
    let mut event = event::ActiveModel {
        account_id: Set(account_id),
        kind: Set(kind),
        metric: Set(None),
        occurred_at: Set(occurred_at),
        detected_at: Set(now),
        value: Set(None),
        milestone: Set(None),
        change: Set(None),
        score: Set(None),
        failures: Set(None),
        message: Set(message),
        dedupe_key: Set(dedupe_key),
        delivered_at: Set(None),
        delivery_attempts: Set(0),
        delivery_owner: Set(None),
        delivery_until: Set(None),
        ..Default::default()
    };
    details(&mut event);
    event
}
