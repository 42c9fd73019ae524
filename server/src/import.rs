//! Imports from CSV (`reach import accounts|snapshots FILE`): accounts to
//! track, and historical snapshots collected elsewhere (a backfill, marked
//! `imported` in the data and on the chart).
//!
//! All or nothing: every row is read and checked before anything is
//! written. With any bad row, each one is reported with its line number and
//! reason, and nothing is imported; otherwise everything is written in one
//! transaction. Rows already in the database (an account already tracked, a
//! snapshot already stored) are skipped and counted, so an import can be run
//! again. Columns are found by their header; others are ignored, so Reach's
//! own exports import as they are.
//!
//! Over 500 lines by a little: the two imports share the header mapping,
//! the row checks and the one-transaction write, and a third of the file
//! is their unit tests.

use std::collections::HashMap;
use std::fmt;
use std::io::Read;

use app::model::{Counters, Platform};
use chrono::{DateTime, NaiveDate, Utc};
use db::entities::{account, account_tag};
use db::generations::{self, Domain};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde::Deserialize;

use db::snapshots::{insert_snapshots, refresh_changes, snapshot_row, with_latest};

/// Snapshots written per INSERT (bound parameters stay under SQLite's limit).
const INSERT_CHUNK: usize = 1_000;
/// The longest handle the schema stores.
const MAX_HANDLE_LEN: usize = 255;
/// The longest brand name the schema stores.
const MAX_BRAND_LEN: usize = 128;

/// What an import did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows written.
    pub added: u64,
    /// Rows already in the database, left as they were.
    pub skipped: u64,
}

/// One rejected row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    /// The line in the file, counting the header as line 1.
    pub line: u64,
    pub reason: String,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", BadRows(.0))]
    BadRows(Vec<RowError>),
    #[error("the file cannot be read as CSV: {0}")]
    Unreadable(#[from] csv::Error),
    #[error("the database failed: {0}")]
    Database(#[from] DbErr),
}

struct BadRows<'a>(&'a [RowError]);

impl fmt::Display for BadRows<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} bad row{}; nothing was imported",
            self.0.len(),
            if self.0.len() == 1 { "" } else { "s" }
        )?;
        for error in self.0 {
            write!(f, "\n  line {}: {}", error.line, error.reason)?;
        }
        Ok(())
    }
}

/// Collects the rows that pass and the errors of those that do not.
struct Checked<T> {
    rows: Vec<(u64, T)>,
    errors: Vec<RowError>,
}

impl<T> Checked<T> {
    fn new() -> Self {
        Self {
            rows: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn reject(&mut self, line: u64, reason: impl Into<String>) {
        self.errors.push(RowError {
            line,
            reason: reason.into(),
        });
    }

    /// The rows, or every error in line order.
    fn into_rows(mut self) -> Result<Vec<(u64, T)>, ImportError> {
        if self.errors.is_empty() {
            Ok(self.rows)
        } else {
            self.errors.sort_by_key(|e| e.line);
            Err(ImportError::BadRows(self.errors))
        }
    }
}

/// Reads each record of `input` as `T`; a record that does not decode is a
/// bad row, not the end of the import.
fn records<T: for<'de> Deserialize<'de>>(
    input: impl Read,
    mut each: impl FnMut(u64, T),
    errors: &mut Vec<RowError>,
) -> Result<(), ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader.headers()?.clone();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, csv::Position::line);
                match record.deserialize::<T>(Some(&headers)) {
                    Ok(row) => each(line, row),
                    Err(error) => errors.push(RowError {
                        line,
                        reason: error.to_string(),
                    }),
                }
            }
            Err(error) => match error.kind() {
                csv::ErrorKind::UnequalLengths {
                    pos,
                    expected_len,
                    len,
                } => errors.push(RowError {
                    line: pos.as_ref().map_or(0, csv::Position::line),
                    reason: format!("{len} columns where the header has {expected_len}"),
                }),
                _ => return Err(error.into()),
            },
        }
    }
    Ok(())
}

/// A line of an accounts file.
#[derive(Debug, Deserialize)]
struct AccountLine {
    platform: String,
    handle: String,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    core: Option<String>,
    /// Separated by `;`.
    #[serde(default)]
    tags: Option<String>,
    /// The brand's name, created if needed.
    #[serde(default)]
    brand: Option<String>,
}

/// A checked account to add.
struct NewAccount {
    platform: Platform,
    handle: String,
    display_name: Option<String>,
    core: bool,
    tags: Vec<String>,
    brand: Option<String>,
}

/// Imports accounts: `platform,handle[,display_name,core,tags]`.
pub async fn accounts(
    db: &DatabaseConnection,
    input: impl Read,
) -> Result<ImportReport, ImportError> {
    let mut checked = Checked::new();
    let mut lines: Vec<(u64, AccountLine)> = Vec::new();
    records(
        input,
        |line, row| lines.push((line, row)),
        &mut checked.errors,
    )?;
    let mut seen: HashMap<(Platform, String), u64> = HashMap::new();
    for (line, row) in lines {
        let platform = match row.platform.parse::<Platform>() {
            Ok(platform) => platform,
            Err(error) => {
                checked.reject(line, error.to_string());
                continue;
            }
        };
        let handle = match platform.normalize_handle(&row.handle) {
            Ok(handle) => handle,
            Err(reason) => {
                checked.reject(line, reason);
                continue;
            }
        };
        let core = match parse_flag(row.core.as_deref()) {
            Ok(core) => core,
            Err(reason) => {
                checked.reject(line, reason);
                continue;
            }
        };
        if let Some(first) = seen.insert((platform, handle.clone()), line) {
            checked.reject(line, format!("the same account as line {first}"));
            continue;
        }
        if row
            .brand
            .as_deref()
            .is_some_and(|b| b.chars().count() > MAX_BRAND_LEN)
        {
            checked.reject(
                line,
                format!("a brand name has at most {MAX_BRAND_LEN} characters"),
            );
            continue;
        }
        let tags = row
            .tags
            .unwrap_or_default()
            .split(';')
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty())
            .collect();
        checked.rows.push((
            line,
            NewAccount {
                platform,
                handle,
                display_name: row.display_name.filter(|n| !n.is_empty()),
                core,
                tags,
                brand: row.brand.filter(|b| !b.is_empty()),
            },
        ));
    }
    let rows = checked.into_rows()?;

    let existing = db::accounts::ids_by_handle(db).await?;
    let now = Utc::now();
    let mut report = ImportReport::default();
    let txn = db::write::begin(db).await?;
    for (line, new) in rows {
        if existing.contains_key(&(new.platform, new.handle.clone())) {
            report.skipped += 1;
            continue;
        }
        let brand_id = match &new.brand {
            Some(name) => Some(
                db::brands::find_or_create(&txn, name)
                    .await
                    .map_err(|error| {
                        ImportError::BadRows(vec![RowError {
                            line,
                            reason: error.to_string(),
                        }])
                    })?
                    .id,
            ),
            None => None,
        };
        let model = account::ActiveModel {
            brand_id: Set(brand_id),
            platform: Set(new.platform),
            handle: Set(new.handle),
            display_name: Set(new.display_name),
            is_core: Set(new.core),
            simulated: Set(false),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        for tag in new.tags {
            account_tag::ActiveModel {
                account_id: Set(model.id),
                tag: Set(tag),
            }
            .insert(&txn)
            .await?;
        }
        report.added += 1;
    }
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(report)
}

/// A line of a snapshots file.
#[derive(Debug, Deserialize)]
struct SnapshotLine {
    platform: String,
    handle: String,
    captured_at: String,
    #[serde(default)]
    followers: Option<String>,
    #[serde(default)]
    following: Option<String>,
    #[serde(default)]
    posts: Option<String>,
    #[serde(default)]
    views: Option<String>,
    #[serde(default)]
    likes: Option<String>,
    #[serde(default)]
    score: Option<String>,
    #[serde(default)]
    online: Option<String>,
    #[serde(default)]
    listed: Option<String>,
}

/// Imports snapshots of tracked accounts:
/// `platform,handle,captured_at[,followers,following,posts,views,likes,score,online,listed]`.
/// `captured_at` is RFC 3339 (`2026-10-01T12:00:00Z`) or a date (midnight
/// UTC); an empty counter is unknown.
pub async fn snapshots(
    db: &DatabaseConnection,
    input: impl Read,
) -> Result<ImportReport, ImportError> {
    let accounts = db::accounts::ids_by_handle(db).await?;

    let mut checked = Checked::new();
    let mut lines: Vec<(u64, SnapshotLine)> = Vec::new();
    records(
        input,
        |line, row| lines.push((line, row)),
        &mut checked.errors,
    )?;
    let now = Utc::now();
    let mut seen: HashMap<(i64, DateTime<Utc>), u64> = HashMap::new();
    for (line, row) in lines {
        let result = (|| -> Result<(i64, DateTime<Utc>, Counters), String> {
            let platform = row
                .platform
                .parse::<Platform>()
                .map_err(|e| e.to_string())?;
            let handle = handle(&row.handle)?;
            // As written, or in the stored form (`@name` for `name`…).
            let id = *accounts
                .get(&(platform, handle.clone()))
                .or_else(|| {
                    let stored = platform.normalize_handle(&handle).ok()?;
                    accounts.get(&(platform, stored))
                })
                .ok_or_else(|| {
                    format!(
                        "no {} account `{handle}` is tracked (import the accounts first)",
                        platform.label()
                    )
                })?;
            let at = moment(&row.captured_at)?;
            if at > now {
                return Err(format!("captured_at {at} is in the future"));
            }
            let counters = Counters {
                followers: counter("followers", row.followers.as_deref())?,
                following: counter("following", row.following.as_deref())?,
                posts: counter("posts", row.posts.as_deref())?,
                views: counter("views", row.views.as_deref())?,
                likes: counter("likes", row.likes.as_deref())?,
                score: counter("score", row.score.as_deref())?,
                online: counter("online", row.online.as_deref())?,
                listed: counter("listed", row.listed.as_deref())?,
            };
            Ok((id, at, counters))
        })();
        match result {
            Ok((id, at, counters)) => {
                if let Some(first) = seen.insert((id, at), line) {
                    checked.reject(line, format!("the same snapshot as line {first}"));
                } else {
                    checked.rows.push((line, (id, at, counters)));
                }
            }
            Err(reason) => checked.reject(line, reason),
        }
    }
    let rows = checked.into_rows()?;

    // Per account, the newest imported snapshot: it may be newer than what
    // the account row holds.
    let mut newest: HashMap<i64, (DateTime<Utc>, Counters)> = HashMap::new();
    for (_, (id, at, counters)) in &rows {
        let entry = newest.entry(*id).or_insert((*at, *counters));
        if *at > entry.0 {
            *entry = (*at, *counters);
        }
    }
    let total = rows.len() as u64;
    let txn = db::write::begin(db).await?;
    let mut added = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        added += insert_snapshots(
            &txn,
            chunk.iter().map(|(_, (id, at, counters))| {
                let mut row = snapshot_row(*id, *at, *counters);
                row.imported = Set(true);
                row
            }),
        )
        .await?;
    }
    let imported: Vec<i64> = newest.keys().copied().collect();
    for (id, (at, counters)) in newest {
        // Unlike a collection, a backfill says nothing of the account's
        // last collection: its error, if any, stays.
        with_latest(
            account::Entity::update_many().filter(account::Column::Id.eq(id)),
            at,
            counters,
        )
        .exec(&txn)
        .await?;
        let latest = account::Entity::find_by_id(id)
            .select_only()
            .column(account::Column::LastCollectedAt)
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(&txn)
            .await?
            .flatten()
            .unwrap_or(at);
        refresh_changes(&txn, &[id], latest).await?;
    }
    // History changed: so may the live leaderboard's marks.
    db::marks::refresh_marks(&txn, &imported, Utc::now().date_naive()).await?;
    generations::bump(&txn, &[Domain::Accounts, Domain::Snapshots]).await?;
    txn.commit().await?;
    Ok(ImportReport {
        added,
        skipped: total - added,
    })
}

fn handle(text: &str) -> Result<String, String> {
    let handle = text.trim();
    if handle.is_empty() || handle.chars().count() > MAX_HANDLE_LEN {
        return Err(format!("a handle has 1 to {MAX_HANDLE_LEN} characters"));
    }
    Ok(handle.to_owned())
}

fn parse_flag(text: Option<&str>) -> Result<bool, String> {
    match text.map(str::to_lowercase).as_deref() {
        None | Some("" | "false" | "0" | "no") => Ok(false),
        Some("true" | "1" | "yes") => Ok(true),
        Some(other) => Err(format!("core is true or false, not `{other}`")),
    }
}

/// RFC 3339, or a bare date meaning midnight UTC.
fn moment(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    if let Ok(date) = text.parse::<NaiveDate>() {
        return Ok(date.and_time(chrono::NaiveTime::MIN).and_utc());
    }
    Err(format!(
        "captured_at `{text}` is neither RFC 3339 (2026-10-01T12:00:00Z) nor a date (2026-10-01)"
    ))
}

/// A counter: empty is unknown; otherwise a whole number, not negative.
fn counter(name: &str, text: Option<&str>) -> Result<Option<i64>, String> {
    match text.filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(text) => match text.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(Some(n)),
            _ => Err(format!(
                "{name} `{text}` is not a whole number of 0 or more"
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_are_rfc3339_or_dates() {
        assert_eq!(
            moment("2026-10-01T12:00:00+02:00").unwrap().to_rfc3339(),
            "2026-10-01T10:00:00+00:00"
        );
        assert_eq!(
            moment("2026-10-01").unwrap().to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert!(moment("01/10/2026").is_err());
    }

    #[test]
    fn counters_are_unknown_when_empty_and_never_negative() {
        assert_eq!(counter("followers", None), Ok(None));
        assert_eq!(counter("followers", Some("")), Ok(None));
        assert_eq!(counter("followers", Some("42")), Ok(Some(42)));
        assert!(counter("followers", Some("-1")).is_err());
        assert!(counter("followers", Some("4.5k")).is_err());
    }

    #[test]
    fn flags_read_the_usual_spellings() {
        assert_eq!(parse_flag(None), Ok(false));
        assert_eq!(parse_flag(Some("YES")), Ok(true));
        assert!(parse_flag(Some("maybe")).is_err());
    }
}
