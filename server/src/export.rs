//! Exports: accounts, snapshots and leaderboards as CSV or JSON, for the
//! API (`GET /api/export/{dataset}.{format}`) and the command line
//! (`reach export`).
//!
//! Accounts and snapshots are read in chunks by keyset (the rows after the
//! last one sent, in primary-key order) and encoded chunk by chunk: an
//! export of any size holds one chunk in memory and no database connection
//! between chunks. A leaderboard is ranked whole, so it is exported whole.
//!
//! The HTTP handler is in `http::export`, the command in `cli`.
//!
//! Over 500 lines with its tests: the three datasets' chunk readers, their
//! records and the encoder belong together; the encoder is the part to
//! move out if it grows.

use std::str::FromStr;

use app::error::ApiError;
use app::model::{AccountFilter, Metric, Platform, RankBy};
use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use db::accounts::{filtered, identities, with_tags};
use db::entities::{account, brand, snapshot};
use db::leaderboard::{LeaderboardQuery, leaderboard};
use futures::{Stream, StreamExt, TryStreamExt};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

/// Rows read and encoded at a time.
const CHUNK_ROWS: u64 = 5_000;

/// What is exported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Dataset {
    Accounts,
    Snapshots,
    Leaderboard,
}

/// How it is encoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header line.
    #[default]
    Csv,
    /// One JSON array of objects.
    Json,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
        }
    }
}

impl FromStr for Dataset {
    type Err = ApiError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "accounts" => Ok(Dataset::Accounts),
            "snapshots" => Ok(Dataset::Snapshots),
            "leaderboard" => Ok(Dataset::Leaderboard),
            other => Err(ApiError::not_found(format!(
                "no export named `{other}` (accounts, snapshots or leaderboard)"
            ))),
        }
    }
}

/// What narrows an export; each dataset reads the options that apply to it.
#[derive(Clone, Debug, Default, Deserialize, clap::Args, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportOptions {
    /// Snapshots: one account's only.
    #[arg(long)]
    pub id: Option<i64>,
    /// Snapshots: from the start of this day (UTC), `2026-10-01`.
    #[arg(long)]
    pub from: Option<NaiveDate>,
    /// Snapshots: to the end of this day (UTC).
    #[arg(long)]
    pub to: Option<NaiveDate>,
    /// Accounts and leaderboard: one platform's.
    #[arg(long)]
    pub platform: Option<Platform>,
    /// Accounts and leaderboard: core accounts (`true`) or the others (`false`).
    #[arg(long)]
    pub core: Option<bool>,
    /// Accounts and leaderboard: the accounts carrying this tag.
    #[arg(long)]
    #[param(min_length = 1, max_length = 64)]
    pub tag: Option<String>,
    /// Leaderboard: the metric ranked (default followers).
    #[arg(long)]
    pub metric: Option<Metric>,
    /// Leaderboard: value, change or percent (default value).
    #[arg(long)]
    pub by: Option<RankBy>,
    /// Leaderboard: the growth period in days (7, 30, 90, 365).
    #[arg(long)]
    #[param(schema_with = app::api::params::leaderboard_days)]
    pub days: Option<u32>,
    /// Leaderboard: as it stood at the end of this day (UTC).
    #[arg(long)]
    pub date: Option<NaiveDate>,
}

impl ExportOptions {
    fn account_filter(&self) -> Result<AccountFilter, ApiError> {
        Ok(AccountFilter {
            search: None,
            platform: self.platform,
            core: self.core,
            tag: app::api::validate::tag(self.tag.clone())?,
        })
    }
}

/// One exported account.
#[derive(Debug, Serialize, Deserialize)]
struct AccountRecord {
    id: i64,
    platform: Platform,
    handle: String,
    display_name: Option<String>,
    core: bool,
    /// Separated by `;`.
    tags: String,
    brand: Option<String>,
    followers: Option<i64>,
    following: Option<i64>,
    posts: Option<i64>,
    views: Option<i64>,
    likes: Option<i64>,
    score: Option<i64>,
    online: Option<i64>,
    listed: Option<i64>,
    last_collected_at: Option<DateTime<Utc>>,
}

/// One exported snapshot; `platform` and `handle` make it importable
/// elsewhere, where ids differ.
#[derive(Debug, Serialize, Deserialize)]
struct SnapshotRecord {
    account_id: i64,
    platform: Platform,
    handle: String,
    captured_at: DateTime<Utc>,
    followers: Option<i64>,
    following: Option<i64>,
    posts: Option<i64>,
    views: Option<i64>,
    likes: Option<i64>,
    score: Option<i64>,
    online: Option<i64>,
    listed: Option<i64>,
    imported: bool,
}

/// One exported leaderboard entry.
#[derive(Debug, Serialize, Deserialize)]
struct LeaderboardRecord {
    rank: Option<u32>,
    previous_rank: Option<u32>,
    account_id: i64,
    platform: Platform,
    handle: String,
    value: Option<i64>,
    value_at: Option<DateTime<Utc>>,
    change: Option<i64>,
    percent: Option<f64>,
}

/// Encodes rows chunk by chunk: CSV with one header line, or one JSON array.
struct Encoder {
    format: Format,
    rows: u64,
    /// The CSV header line, for an export without rows: the header is
    /// otherwise written from the first row.
    columns: &'static [&'static str],
}

impl Encoder {
    /// `T` is the record type: its field names are the CSV columns (read
    /// through its `Deserialize`, which is why the records derive it).
    fn new<T: serde::de::DeserializeOwned>(format: Format) -> Self {
        Self {
            format,
            rows: 0,
            columns: serde_aux::serde_introspection::serde_introspect::<T>(),
        }
    }

    fn chunk<T: Serialize>(&mut self, records: &[T]) -> Result<Bytes, ApiError> {
        let mut out = Vec::with_capacity(records.len() * 96);
        match self.format {
            Format::Csv => {
                let mut writer = csv::WriterBuilder::new()
                    .has_headers(self.rows == 0)
                    .from_writer(&mut out);
                for record in records {
                    writer.serialize(record).map_err(encoding_failed)?;
                }
                writer.flush().map_err(encoding_failed)?;
            }
            Format::Json => {
                for (i, record) in records.iter().enumerate() {
                    out.extend_from_slice(if self.rows == 0 && i == 0 {
                        b"[\n"
                    } else {
                        b",\n"
                    });
                    serde_json::to_writer(&mut out, record).map_err(encoding_failed)?;
                }
            }
        }
        self.rows += records.len() as u64;
        Ok(Bytes::from(out))
    }

    fn finish(&self) -> Bytes {
        match (self.format, self.rows) {
            (Format::Csv, 0) => {
                let mut out = Vec::new();
                let mut writer = csv::Writer::from_writer(&mut out);
                // Writing into memory cannot fail.
                let _ = writer.write_record(self.columns);
                let _ = writer.flush();
                drop(writer);
                Bytes::from(out)
            }
            (Format::Csv, _) => Bytes::new(),
            (Format::Json, 0) => Bytes::from_static(b"[]\n"),
            (Format::Json, _) => Bytes::from_static(b"\n]\n"),
        }
    }
}

fn encoding_failed(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "export encoding failed");
    ApiError::internal()
}

/// The encoded export, as a stream of chunks. Arguments are checked before
/// the first chunk, so a bad request fails as a whole.
pub async fn export(
    db: DatabaseConnection,
    dataset: Dataset,
    format: Format,
    options: ExportOptions,
) -> Result<impl Stream<Item = Result<Bytes, ApiError>> + Send + 'static, ApiError> {
    export_in_chunks(db, dataset, format, options, CHUNK_ROWS).await
}

async fn export_in_chunks(
    db: DatabaseConnection,
    dataset: Dataset,
    format: Format,
    options: ExportOptions,
    chunk_rows: u64,
) -> Result<impl Stream<Item = Result<Bytes, ApiError>> + Send + 'static, ApiError> {
    let chunks = match dataset {
        Dataset::Accounts => account_chunks(db, options.account_filter()?, chunk_rows).boxed(),
        Dataset::Snapshots => {
            let period = app::api::validate::period(options.from, options.to)?;
            snapshot_chunks(db, options.id, period, chunk_rows).boxed()
        }
        Dataset::Leaderboard => {
            let query = LeaderboardQuery {
                metric: options.metric.unwrap_or_default(),
                by: options.by.unwrap_or_default(),
                days: app::api::validate::leaderboard_days(options.days)?,
                date: app::api::validate::board_date(options.date)?,
                filter: options.account_filter()?,
                page: 1,
                per_page: u32::MAX,
            };
            leaderboard_chunk(db, query).boxed()
        }
    };
    let mut encoder = match dataset {
        Dataset::Accounts => Encoder::new::<AccountRecord>(format),
        Dataset::Snapshots => Encoder::new::<SnapshotRecord>(format),
        Dataset::Leaderboard => Encoder::new::<LeaderboardRecord>(format),
    };
    let body = chunks
        .map(move |chunk| {
            chunk.and_then(|chunk| match chunk {
                Chunk::Accounts(records) => encoder.chunk(&records),
                Chunk::Snapshots(records) => encoder.chunk(&records),
                Chunk::Leaderboard(records) => encoder.chunk(&records),
                Chunk::End => Ok(encoder.finish()),
            })
        })
        .try_filter(|bytes| std::future::ready(!bytes.is_empty()));
    Ok(body)
}

/// Records of one dataset, or the end of the export.
enum Chunk {
    Accounts(Vec<AccountRecord>),
    Snapshots(Vec<SnapshotRecord>),
    Leaderboard(Vec<LeaderboardRecord>),
    End,
}

/// Accounts in id order, a chunk at a time, then [`Chunk::End`].
fn account_chunks(
    db: DatabaseConnection,
    filter: AccountFilter,
    chunk_rows: u64,
) -> impl Stream<Item = Result<Chunk, ApiError>> + Send {
    futures::stream::try_unfold(Some(0_i64), move |after| {
        let (db, filter) = (db.clone(), filter.clone());
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let models = filtered(account::Entity::find(), &filter, db.get_database_backend())
                .filter(account::Column::Id.gt(after))
                .order_by_asc(account::Column::Id)
                .limit(chunk_rows)
                .all(&db)
                .await?;
            if models.is_empty() {
                return Ok(Some((Chunk::End, None)));
            }
            let last = models.last().map(|m| m.id);
            let brand_ids: Vec<(i64, Option<i64>)> =
                models.iter().map(|m| (m.id, m.brand_id)).collect();
            let brands: std::collections::HashMap<i64, String> = brand::Entity::find()
                .filter(brand::Column::Id.is_in(brand_ids.iter().filter_map(|(_, b)| *b)))
                .all(&db)
                .await?
                .into_iter()
                .map(|b| (b.id, b.name))
                .collect();
            let brand_of: std::collections::HashMap<i64, Option<String>> = brand_ids
                .into_iter()
                .map(|(account, brand)| (account, brand.and_then(|b| brands.get(&b).cloned())))
                .collect();
            let records = with_tags(&db, models)
                .await?
                .into_iter()
                .map(|row| AccountRecord {
                    brand: brand_of.get(&row.id).cloned().flatten(),
                    id: row.id,
                    platform: row.platform,
                    handle: row.handle,
                    display_name: row.display_name,
                    core: row.is_core,
                    tags: row.tags.join(";"),
                    followers: row.latest.followers,
                    following: row.latest.following,
                    posts: row.latest.posts,
                    views: row.latest.views,
                    likes: row.latest.likes,
                    score: row.latest.score,
                    online: row.latest.online,
                    listed: row.latest.listed,
                    last_collected_at: row.last_collected_at,
                })
                .collect();
            Ok(Some((Chunk::Accounts(records), last)))
        }
    })
}

/// Snapshots in (account, time) order, a chunk at a time, then [`Chunk::End`].
fn snapshot_chunks(
    db: DatabaseConnection,
    account_id: Option<i64>,
    period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    chunk_rows: u64,
) -> impl Stream<Item = Result<Chunk, ApiError>> + Send {
    type Position = Option<(i64, DateTime<Utc>)>;
    futures::stream::try_unfold(
        Some(None::<(i64, DateTime<Utc>)>),
        move |position: Option<Position>| {
            let db = db.clone();
            async move {
                let Some(after) = position else {
                    return Ok(None);
                };
                let mut select = snapshot::Entity::find();
                if let Some(id) = account_id {
                    select = select.filter(snapshot::Column::AccountId.eq(id));
                }
                if let Some((start, end)) = period {
                    select = select
                        .filter(snapshot::Column::CapturedAt.gte(start))
                        .filter(snapshot::Column::CapturedAt.lte(end));
                }
                if let Some((last_id, last_at)) = after {
                    select = select.filter(
                        Condition::any()
                            .add(snapshot::Column::AccountId.gt(last_id))
                            .add(
                                Condition::all()
                                    .add(snapshot::Column::AccountId.eq(last_id))
                                    .add(snapshot::Column::CapturedAt.gt(last_at)),
                            ),
                    );
                }
                let rows = select
                    .order_by_asc(snapshot::Column::AccountId)
                    .order_by_asc(snapshot::Column::CapturedAt)
                    .limit(chunk_rows)
                    .all(&db)
                    .await?;
                let Some(last) = rows.last().map(|s| (s.account_id, s.captured_at)) else {
                    return Ok(Some((Chunk::End, None)));
                };
                let mut ids: Vec<i64> = rows.iter().map(|s| s.account_id).collect();
                ids.dedup();
                let accounts = identities(&db, ids).await?;
                let records = rows
                    .into_iter()
                    .filter_map(|s| {
                        // An account deleted since this chunk was read: its
                        // snapshots went with it.
                        let (platform, handle) = accounts.get(&s.account_id)?.clone();
                        Some(SnapshotRecord {
                            account_id: s.account_id,
                            platform,
                            handle,
                            captured_at: s.captured_at,
                            followers: s.followers,
                            following: s.following,
                            posts: s.posts,
                            views: s.views,
                            likes: s.likes,
                            score: s.score,
                            online: s.online,
                            listed: s.listed,
                            imported: s.imported,
                        })
                    })
                    .collect();
                Ok(Some((Chunk::Snapshots(records), Some(Some(last)))))
            }
        },
    )
}

/// The whole leaderboard in one chunk, then [`Chunk::End`].
fn leaderboard_chunk(
    db: DatabaseConnection,
    query: LeaderboardQuery,
) -> impl Stream<Item = Result<Chunk, ApiError>> + Send {
    let board = async move {
        let board = leaderboard(&db, &query).await?;
        let records = board
            .entries
            .items
            .into_iter()
            .map(|e| LeaderboardRecord {
                rank: e.rank,
                previous_rank: e.previous_rank,
                account_id: e.id,
                platform: e.platform,
                handle: e.handle,
                value: e.value,
                value_at: e.value_at,
                change: e.change,
                percent: e.percent,
            })
            .collect();
        Ok(Chunk::Leaderboard(records))
    };
    futures::stream::once(board).chain(futures::stream::once(async { Ok(Chunk::End) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, Deserialize)]
    struct Row {
        a: i64,
        b: Option<i64>,
    }

    /// Exports `dataset` of a fresh demo database through chunks of 5 rows.
    async fn exported(dataset: Dataset, format: Format) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::database::connect(&crate::config::DatabaseConfig {
            url: format!("sqlite://{}/reach.db", dir.path().display()),
            max_connections: 2,
            acquire_timeout: std::time::Duration::from_secs(5),
        })
        .await
        .unwrap();
        crate::collect::demo::seed(&db, 4, 9, Utc::now())
            .await
            .unwrap();
        let chunks = export_in_chunks(db, dataset, format, ExportOptions::default(), 5)
            .await
            .unwrap();
        let chunks: Vec<Bytes> = chunks.try_collect().await.unwrap();
        chunks.concat()
    }

    #[tokio::test]
    async fn keyset_chunks_cover_every_row_once_in_order() {
        let csv = exported(Dataset::Snapshots, Format::Csv).await;
        let mut reader = csv::Reader::from_reader(&csv[..]);
        let keys: Vec<(i64, String)> = reader
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].parse().unwrap(), r[3].to_owned())
            })
            .collect();
        assert_eq!(keys.len(), 36);
        assert!(keys.windows(2).all(|w| w[0] < w[1]));

        let json = exported(Dataset::Accounts, Format::Json).await;
        let accounts: Vec<serde_json::Value> = serde_json::from_slice(&json).unwrap();
        let ids: Vec<i64> = accounts.iter().map(|a| a["id"].as_i64().unwrap()).collect();
        assert_eq!(ids, [1, 2, 3, 4]);
    }

    #[test]
    fn csv_has_one_header_and_json_is_one_array_across_chunks() {
        let rows = |a| {
            vec![
                Row { a, b: None },
                Row {
                    a: a + 1,
                    b: Some(7),
                },
            ]
        };
        let mut csv = Encoder::new::<Row>(Format::Csv);
        let text = [
            csv.chunk(&rows(1)).unwrap(),
            csv.chunk(&rows(3)).unwrap(),
            csv.finish(),
        ]
        .concat();
        assert_eq!(String::from_utf8(text).unwrap(), "a,b\n1,\n2,7\n3,\n4,7\n");

        let mut json = Encoder::new::<Row>(Format::Json);
        let text = [
            json.chunk(&rows(1)).unwrap(),
            json.chunk(&rows(3)).unwrap(),
            json.finish(),
        ]
        .concat();
        let parsed: serde_json::Value = serde_json::from_slice(&text).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 4);
        assert_eq!(parsed[3], serde_json::json!({"a": 4, "b": 7}));

        let empty = Encoder::new::<Row>(Format::Json);
        assert_eq!(&empty.finish()[..], b"[]\n");
        // No rows: still the header line, as the JSON is still an array.
        let empty = Encoder::new::<Row>(Format::Csv);
        assert_eq!(&empty.finish()[..], b"a,b\n");
    }
}
