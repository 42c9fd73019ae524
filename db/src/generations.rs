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
//! - `ended` moves with every write but a collection run's ([`bump`]), so
//!   every other write (an edit, an import) is on the next read;
//! - `settled` moves with those and a run's start and end too
//!   ([`settle`]): the answers about every account check it, so a run's
//!   start and end are on their next read. An account's own answers check
//!   both, and whether a run is going on ([`AccountWrites`]): a run's
//!   writes, its upkeep's included, reach them at most `stale_for` late,
//!   and its end on the next read unless they were found current during
//!   the run.

mod freshness;
mod shared_revisions;

use freshness::Began;
pub use freshness::{Freshness, LocalWrites};
pub use shared_revisions::SharedRevisions;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DbErr, ExprTrait, FromQueryResult, StatementBuilder,
};

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

    /// Moved by every write but a collection run's: two readings with the
    /// same `ended` differ only by runs' writes.
    pub fn ended(&self) -> i64 {
        self.ended
    }

    /// Moved by every write but a collection run's, and by a run's start
    /// and end: two readings with the same `settled` differ only by what
    /// runs wrote while they went on.
    pub fn settled(&self) -> i64 {
        self.settled
    }
}

/// Who wrote, which decides how soon the cached answers show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Writer {
    /// A collection run, outside its batches (its upkeep: events, avatars,
    /// compaction): [`publish`]; the run's end [`settle`]s.
    Run,
    /// Anything else: [`bump`], on the next read of every answer.
    Other,
}

impl Writer {
    /// Makes `domains`, just written by this writer, stale as it should.
    pub async fn wrote(self, db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
        match self {
            Writer::Run => publish(db, domains).await,
            Writer::Other => bump(db, domains).await,
        }
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
/// every request that queued during the previous one. With a
/// [`Freshness`], a read that began at most its `within` ago (and before
/// no write of this process) answers without waiting, and a request that
/// finds it past half that age has the next read made in the background
/// ([`SharedReads::current`]): while requests keep coming, none waits for
/// a read (bench/RESULTS.md, 2026-12-05: the requests that queued for
/// one were a tail of their own while a run kept the database busy).
#[derive(Clone, Default)]
pub struct SharedReads {
    inner: std::sync::Arc<Reads>,
}

#[derive(Default)]
struct Reads {
    /// Held for the length of one read: reads happen one after another.
    turn: tokio::sync::Mutex<()>,
    /// How many reads have begun.
    begun: AtomicU64,
    /// The latest read: its number (in the order they began), result and
    /// start.
    latest: Mutex<(u64, Generations, Option<Began>)>,
    /// A read ahead of the requests is under way.
    ahead: std::sync::atomic::AtomicBool,
    freshness: Freshness,
}

impl SharedReads {
    /// Shared reads whose results answer later requests for `freshness`.
    pub fn new(freshness: Freshness) -> Self {
        Self {
            inner: std::sync::Arc::new(Reads {
                freshness,
                ..Reads::default()
            }),
        }
    }

    /// The generations as a read that began after this call (or, fresh,
    /// shortly before) found them. A fresh reading past half its time has
    /// its successor read in the background, for the requests after this
    /// one.
    pub async fn current(&self, db: &DatabaseConnection) -> Result<Generations, DbErr> {
        let db = db.clone();
        self.current_via(move || {
            let db = db.clone();
            async move { current(&db).await }
        })
        .await
    }

    /// [`Self::current`] with the read given.
    async fn current_via<Read, Fut>(&self, read: Read) -> Result<Generations, DbErr>
    where
        Read: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Generations, DbErr>> + Send,
    {
        if let Some((fresh, began)) = self.fresh() {
            if self.inner.freshness.half_spent(began) {
                self.read_ahead(read);
            }
            return Ok(fresh);
        }
        self.read_after(self.inner.begun.load(AtomicOrdering::SeqCst), read)
            .await
    }

    /// Where this process's writes are counted, which its readings heed.
    pub fn local_writes(&self) -> LocalWrites {
        self.inner.freshness.local.clone()
    }

    /// [`Self::current`] with the read given: `read` runs only when no read
    /// that began after this call arrived (or, fresh, shortly before) can
    /// answer it.
    pub async fn share<Read>(&self, read: impl FnOnce() -> Read) -> Result<Generations, DbErr>
    where
        Read: Future<Output = Result<Generations, DbErr>>,
    {
        if let Some((fresh, _)) = self.fresh() {
            return Ok(fresh);
        }
        self.read_after(self.inner.begun.load(AtomicOrdering::SeqCst), read)
            .await
    }

    /// The result of the first read that began after `arrived` reads had:
    /// one under way or, if none, `read`.
    async fn read_after<Read>(
        &self,
        arrived: u64,
        read: impl FnOnce() -> Read,
    ) -> Result<Generations, DbErr>
    where
        Read: Future<Output = Result<Generations, DbErr>>,
    {
        let inner = &self.inner;
        let _turn = inner.turn.lock().await;
        let (number, generations, _) = *inner.latest.lock().unwrap_or_else(|e| e.into_inner());
        if number > arrived {
            return Ok(generations);
        }
        let began = inner.freshness.begin();
        let number = inner.begun.fetch_add(1, AtomicOrdering::SeqCst) + 1;
        let generations = read().await?;
        let mut latest = inner.latest.lock().unwrap_or_else(|e| e.into_inner());
        *latest = (number, generations, Some(began));
        Ok(generations)
    }

    /// Reads the generations in the background, unless such a read is
    /// under way: the requests after this one find a reading fresh.
    fn read_ahead<Read, Fut>(&self, read: Read)
    where
        Read: Fn() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Generations, DbErr>> + Send,
    {
        if self.inner.ahead.swap(true, AtomicOrdering::SeqCst) {
            return;
        }
        let reads = self.clone();
        tokio::spawn(async move {
            let _ahead = Ahead(reads.inner.clone());
            let arrived = reads.inner.begun.load(AtomicOrdering::SeqCst);
            if let Err(error) = reads.read_after(arrived, read).await {
                // The next request that finds no fresh reading reads (and
                // answers with the error) itself.
                tracing::debug!(%error, "reading the generations ahead failed");
            }
        });
    }

    /// The latest read's result and start, if it is fresh enough to answer
    /// now.
    fn fresh(&self) -> Option<(Generations, Began)> {
        let (_, generations, began) = *self.inner.latest.lock().unwrap_or_else(|e| e.into_inner());
        began
            .filter(|began| self.inner.freshness.serves(*began))
            .map(|began| (generations, began))
    }
}

/// Marks the read ahead over when it ends, however it ends (a panic
/// included), so that a later request may start another.
struct Ahead(std::sync::Arc<Reads>);

impl Drop for Ahead {
    fn drop(&mut self) {
        self.0.ahead.store(false, AtomicOrdering::SeqCst);
    }
}

/// The revisions of some accounts, and what had been written when they
/// were read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revisions {
    /// In the order of the ids asked for: `None` for an id with no account.
    pub of: Vec<Option<i64>>,
    /// `None` when no account was found.
    pub written: Option<AccountWrites>,
}

/// What had been written when some accounts' revisions were read, as the
/// read cache's rule for an account's own answers compares it
/// (`app::ssr::cache::answers`): an answer found current at one reading
/// may stand in for its successor at a later one if that one's
/// [`Self::now`] is at most the first one's [`Self::covers`].
///
/// Between the two, no write but a run's (which [`Generations::ended`]
/// tells), and at most the run boundaries (starts and ends, which only
/// [`Generations::settled`] counts) that a person looking at a page would
/// not expect to see: found current while no run was going on, the next
/// run's start (its writes then lag by `stale_for` at most) but not its
/// end, so a page looked at before a run shows the run on the next read
/// after it; found current while a run was going on, that run's end and
/// the next one's start, so that, while runs follow one another, a page
/// asked for during one stands in when the next writes its account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountWrites {
    /// Grows with every write not of a run (by `2^32`) and with every
    /// run's start and end (by one).
    pub now: i64,
    /// The largest [`Self::now`] an answer found current at this reading
    /// may stand in for.
    pub covers: i64,
}

impl AccountWrites {
    /// From the counters, and whether a run was going on, read together.
    pub fn of(ended: i64, settled: i64, running: bool) -> Self {
        // Every write not of a run moves both counters, a run's start or
        // end `settled` alone: their difference counts runs' boundaries.
        let boundaries = settled - ended;
        let now = ended.saturating_mul(1 << 32).saturating_add(boundaries);
        let crossed = if running { 2 } else { 1 };
        Self {
            now,
            covers: now.saturating_add(crossed),
        }
    }

    /// From the counters alone, not knowing whether a run was going on:
    /// covering nothing written after.
    pub fn exact(generations: &Generations) -> Self {
        let now = Self::of(generations.ended, generations.settled, false).now;
        Self { now, covers: now }
    }
}

/// The revisions of the accounts `ids` (moved on by triggers whenever
/// anything an answer about one account shows changes), with the counters
/// of what had been written and whether a run was going on, read in the
/// same statement: what the revisions show is everything written to those
/// accounts at that [`AccountWrites`] (`app::ssr::cache::answers` relies on
/// it). One query on the primary key.
pub async fn revisions(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Revisions, DbErr> {
    use crate::entities::{account, collection_run};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
    let counter = |name: &str| {
        let query = Query::select()
            .column("generation")
            .from(TABLE)
            .and_where(Expr::col("domain").eq(name))
            .to_owned();
        Expr::SubQuery(None, Box::new(query.into()))
    };
    // `collection_runs_running`: a partial index of the running runs.
    let running = Query::select()
        .expr(Expr::val(1))
        .from(collection_run::Entity)
        .and_where(collection_run::Column::Status.eq(types::RunStatus::Running))
        .to_owned();
    let running = Expr::case(Expr::exists(running), 1i64).finally(0i64);
    #[derive(FromQueryResult)]
    struct Found {
        id: i64,
        revision: i64,
        ended: Option<i64>,
        settled: Option<i64>,
        running: i64,
    }
    let found = account::Entity::find()
        .select_only()
        .columns([account::Column::Id, account::Column::Revision])
        .expr_as(counter(ENDED), "ended")
        .expr_as(counter(SETTLED), "settled")
        .expr_as(running, "running")
        .filter(account::Column::Id.is_in(ids.iter().copied()))
        .into_model::<Found>()
        .all(db)
        .await?;
    Ok(Revisions {
        of: ids
            .iter()
            .map(|id| {
                found
                    .iter()
                    .find(|found| found.id == *id)
                    .map(|found| found.revision)
            })
            .collect(),
        written: found.first().and_then(|found| {
            Some(AccountWrites::of(
                found.ended?,
                found.settled?,
                found.running != 0,
            ))
        }),
    })
}

/// Moves `domains` to their next generation; call it in the transaction of
/// the write that changes them. The write is on the next read of every
/// answer that reads them.
pub async fn bump(db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
    if domains.is_empty() {
        return Ok(());
    }
    let rows = domains.iter().map(|d| d.as_str()).chain([ENDED, SETTLED]);
    move_on(db, rows).await
}

/// Moves `domains` and [`Generations::settled`] for a collection run's
/// start or end (after its upkeep), even when `domains` is empty: on the
/// next read of every answer about all accounts, so no answer computed
/// before the run's [`publish`]es stands in any longer. An account's own
/// answers count it as [`AccountWrites`] says.
pub async fn settle(db: &impl ConnectionTrait, domains: &[Domain]) -> Result<(), DbErr> {
    let rows = domains.iter().map(|d| d.as_str()).chain([SETTLED]);
    move_on(db, rows).await
}

/// Moves `domains` to their next generation for a run's batches already
/// committed (`reach::collect::engine::publish`) and its upkeep's writes
/// ([`Writer::Run`]), leaving
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
