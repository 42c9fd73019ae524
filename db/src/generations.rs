//! Data generations: one counter per domain of data (accounts, snapshots,
//! runs, events), bumped by every write in the transaction of the write
//! (a collection run's batches excepted: the run bumps what they wrote at
//! most a few seconds after their commit, `reach::collect::engine::publish`). A
//! cached answer is keyed by the generations of the domains it reads
//! (`app::ssr::cache`), so a write makes every answer computed before it
//! unreachable at once, on every instance and for every process writing
//! (the CLI included). An account's own answers are keyed instead by that
//! account's revision ([`revisions`]), which only writes to it move.
//!
//! Beside the domains, two more counters say what kind of write came
//! since an answer was computed, so that the cache may serve that answer
//! for a bounded while as its successor is computed
//! (`app::ssr::cache::answers`):
//!
//! - `ended` moves with every write but a collection run's batches, their
//!   periodic [`publish`]ing and the run's start ([`started`]): an
//!   account's own answers check it (a run's end is on their next read);
//! - `settled` moves with those and a run's start too: the answers about
//!   every account check it.

mod shared_revisions;

pub use shared_revisions::SharedRevisions;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ConnectionTrait, DbErr, ExprTrait, FromQueryResult, StatementBuilder};

/// A domain of data that writes change together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Domain {
    /// Account rows: handles, tags, latest counters, collection state.
    Accounts,
    /// The snapshot history.
    Snapshots,
    /// Collection runs and their per-account results.
    Runs,
    /// Detected events and their delivery.
    Events,
}

impl Domain {
    pub const ALL: [Domain; 4] = [
        Domain::Accounts,
        Domain::Snapshots,
        Domain::Runs,
        Domain::Events,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Accounts => "accounts",
            Domain::Snapshots => "snapshots",
            Domain::Runs => "runs",
            Domain::Events => "events",
        }
    }
}

/// The current generation of every domain, in [`Domain::ALL`] order, and
/// the count of writes that are on the next read ([`Generations::exact`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Generations {
    domains: [i64; 4],
    ended: i64,
    settled: i64,
}

impl Generations {
    pub fn of(&self, domain: Domain) -> i64 {
        self.domains[domain as usize]
    }

    /// Moved by every write but a run's batches, their publication and the
    /// run's start: two readings with the same `ended` differ only by those.
    pub fn ended(&self) -> i64 {
        self.ended
    }

    /// Moved by every write but a run's batches and their publication: two
    /// readings with the same `settled` differ only by batches.
    pub fn settled(&self) -> i64 {
        self.settled
    }
}

const TABLE: &str = "data_generations";

/// The rows of [`Generations::ended`] and [`Generations::settled`]
/// (`m20261202_000024_exact_writes`).
const ENDED: &str = "ended";
const SETTLED: &str = "settled";

/// Reads every domain's generation (one query, a row per domain).
pub async fn current(db: &impl ConnectionTrait) -> Result<Generations, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        domain: String,
        generation: i64,
    }
    let query = Query::select()
        .columns(["domain", "generation"])
        .from(TABLE)
        .to_owned();
    let rows = Row::find_by_statement(StatementBuilder::build(&query, &db.get_database_backend()))
        .all(db)
        .await?;
    let mut generations = Generations::default();
    for row in rows {
        if let Some(domain) = Domain::ALL.iter().find(|d| d.as_str() == row.domain) {
            generations.domains[*domain as usize] = row.generation;
        } else if row.domain == ENDED {
            generations.ended = row.generation;
        } else if row.domain == SETTLED {
            generations.settled = row.generation;
        }
    }
    Ok(generations)
}

/// Reads the generations for concurrent requests together. A request
/// takes the result of a read that began after it arrived, so it sees
/// every write committed before it, as with a read of its own; the
/// requests that arrive while a read is under way share the next one.
/// Alone, a request reads once as before; under load, one query serves
/// every request that queued during the previous one.
#[derive(Default)]
pub struct SharedReads {
    /// Held for the length of one read: reads happen one after another.
    turn: tokio::sync::Mutex<()>,
    /// How many reads have begun.
    begun: AtomicU64,
    /// The latest read: its number (in the order they began) and result.
    latest: Mutex<(u64, Generations)>,
}

impl SharedReads {
    pub async fn current(&self, db: &impl ConnectionTrait) -> Result<Generations, DbErr> {
        self.share(|| current(db)).await
    }

    /// [`Self::current`] with the read given: `read` runs only when no read
    /// that began after this call arrived can answer it.
    pub async fn share<Read>(&self, read: impl FnOnce() -> Read) -> Result<Generations, DbErr>
    where
        Read: Future<Output = Result<Generations, DbErr>>,
    {
        let arrived = self.begun.load(AtomicOrdering::SeqCst);
        let _turn = self.turn.lock().await;
        let (number, generations) = *self.latest.lock().unwrap_or_else(|e| e.into_inner());
        if number > arrived {
            return Ok(generations);
        }
        let number = self.begun.fetch_add(1, AtomicOrdering::SeqCst) + 1;
        let generations = read().await?;
        *self.latest.lock().unwrap_or_else(|e| e.into_inner()) = (number, generations);
        Ok(generations)
    }
}

/// The revisions of some accounts, and [`Generations::ended`] as it was
/// when they were read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revisions {
    /// In the order of the ids asked for: `None` for an id with no account.
    pub of: Vec<Option<i64>>,
    /// `None` when no account was found.
    pub ended: Option<i64>,
}

/// The revisions of the accounts `ids` (moved on by triggers whenever
/// anything an answer about one account shows changes), with the `ended`
/// counter read in the same statement: what the revisions show is
/// everything written to those accounts when `ended` had that value
/// (`app::ssr::cache::answers` relies on it). One query on the primary
/// key.
pub async fn revisions(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Revisions, DbErr> {
    use crate::entities::account;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let ended = Query::select()
        .column("generation")
        .from(TABLE)
        .and_where(Expr::col("domain").eq(ENDED))
        .to_owned();
    let found: Vec<(i64, i64, Option<i64>)> = account::Entity::find()
        .select_only()
        .columns([account::Column::Id, account::Column::Revision])
        .expr_as(Expr::SubQuery(None, Box::new(ended.into())), "ended")
        .filter(account::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(Revisions {
        of: ids
            .iter()
            .map(|id| {
                found
                    .iter()
                    .find(|(found, ..)| found == id)
                    .map(|(_, r, _)| *r)
            })
            .collect(),
        ended: found.first().and_then(|(.., ended)| *ended),
    })
}

/// Moves `domains` to their next generation; call it in the transaction of
/// the write that changes them. The write is on the next read of every
/// answer that reads them.
pub async fn bump(db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
    if domains.is_empty() {
        return Ok(());
    }
    settle(db, domains).await
}

/// [`bump`], even when `domains` is empty: a run's end, after which no
/// answer computed before the periodic [`publish`]es of its batches
/// stands in for one any longer.
pub async fn settle(db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
    let rows = domains.iter().map(|d| d.as_str()).chain([ENDED, SETTLED]);
    move_on(db, rows).await
}

/// Moves `domains` and [`Generations::settled`] for a collection run's
/// start: on the next read of every answer about all accounts. An
/// account's own answers, which a run's start does not change, may still
/// be served a while as their successors are computed.
pub async fn started(db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
    let rows = domains.iter().map(|d| d.as_str()).chain([SETTLED]);
    move_on(db, rows).await
}

/// Moves `domains` to their next generation for a run's batches already
/// committed (`reach::collect::engine::publish`), leaving
/// [`Generations::ended`] and [`Generations::settled`] alone: an answer
/// computed before may still be served, for a bounded while, as its
/// successor is computed.
pub async fn publish(db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
    if domains.is_empty() {
        return Ok(());
    }
    move_on(db, domains.iter().map(|d| d.as_str())).await
}

async fn move_on(
    db: &impl ConnectionTrait,
    rows: impl IntoIterator<Item = &'static str>,
) -> Result<(), DbErr> {
    let update = Query::update()
        .table(TABLE)
        .value("generation", Expr::col("generation").add(1))
        .and_where(Expr::col("domain").is_in(rows))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}
