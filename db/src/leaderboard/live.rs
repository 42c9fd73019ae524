//! The live board's competitors, from what writers keep: each account's
//! latest counters (its row) and its marks for today (`leaderboard_marks`),
//! in one query packed into one JSON array by the database; accounts
//! without today's marks are sought in their history instead.

use super::*;

/// The live board, from what is kept: each account's latest counters (its
/// row) and its marks for today, one query that reads integers only (the
/// database compares the moments). Accounts without today's marks (new
/// ones, or before the day's first refresh) are sought in their history
/// instead, with the same answer.
pub(super) async fn live(
    db: &impl ConnectionTrait,
    query: &LeaderboardQuery,
    moments: Moments,
    today: NaiveDate,
    only: Option<&[i64]>,
) -> Result<Vec<Competitor>, StoreError> {
    /// The columns of the board, in order (its rows arrive as JSON arrays).
    const COLUMNS: [&str; 10] = [
        "id",
        "handle",
        "platform",
        "is_core",
        "value_0",
        "value_1",
        "value_2",
        "bounded_0",
        "bounded_1",
        "marked",
    ];
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        handle: String,
        platform: String,
        #[serde(deserialize_with = "truth")]
        is_core: bool,
        value_0: Option<i64>,
        value_1: Option<i64>,
        value_2: Option<i64>,
        /// Two different snapshots bound this period, and the previous one:
        /// the newer moment's snapshot was taken after the older's.
        #[serde(deserialize_with = "truth")]
        bounded_0: bool,
        #[serde(deserialize_with = "truth")]
        bounded_1: bool,
        /// The account's id when it has today's marks.
        marked: Option<i64>,
    }
    let latest = Expr::col((account::Entity, account::metric_column(query.metric)));
    // When the latest value was observed: an answer that lacked the metric
    // leaves an older value, which must not look like a newer one.
    let collected = || Expr::col((account::Entity, account::metric_at_column(query.metric)));
    let marks = Alias::new("m");
    let mark = |name: String| Expr::col((marks.clone(), Alias::new(name)));
    let (period, twice) = (query.days, 2 * query.days);
    let later = |newer: Expr, older: Expr| Expr::expr(newer.gt(older)).if_null(false);
    let select = competitors(&query.filter, db.get_database_backend(), only)
        .expr_as(latest, "value_0")
        .expr_as(mark(format!("value_{period}")), "value_1")
        .expr_as(mark(format!("value_{twice}")), "value_2")
        .expr_as(
            later(collected(), mark(format!("at_{period}"))),
            "bounded_0",
        )
        .expr_as(
            later(mark(format!("at_{period}")), mark(format!("at_{twice}"))),
            "bounded_1",
        )
        .expr_as(mark("account_id".to_owned()), "marked");
    let mut statement = select.into_query();
    statement.join_as(
        JoinType::LeftJoin,
        leaderboard_mark::Entity,
        marks.clone(),
        Condition::all()
            .add(
                Expr::col((marks.clone(), leaderboard_mark::Column::AccountId))
                    .equals((account::Entity, account::Column::Id)),
            )
            .add(
                Expr::col((marks.clone(), leaderboard_mark::Column::Metric))
                    .eq(query.metric.as_str()),
            )
            .add(Expr::col((marks, leaderboard_mark::Column::Day)).eq(today)),
    );
    // Every competing account's row, packed into one JSON array by the
    // database (thousands of rows).
    let board = Alias::new("board");
    let backend = db.get_database_backend();
    let packed = Query::select()
        .expr(crate::sql::packed_rows(backend, &board, &COLUMNS))
        .from_subquery(statement, board)
        .to_owned();
    let rows: Vec<Row> = crate::sql::unpack(db, &packed, "leaderboard").await?;

    let unmarked: Vec<i64> = rows
        .iter()
        .filter(|row| row.marked.is_none())
        .map(|row| row.id)
        .collect();
    let sought = unmarked_starts(db, query.metric, &unmarked, moments).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let (now, before) = match sought.get(&r.id) {
                Some(found) => (
                    Figures::between(
                        found.start,
                        Seen {
                            value: r.value_0,
                            at: found.collected_at,
                        },
                    ),
                    Figures::between(found.previous_start, found.start),
                ),
                None => (
                    Figures::of(r.value_1, r.value_0, r.bounded_0),
                    Figures::of(r.value_2, r.value_1, r.bounded_1),
                ),
            };
            Competitor {
                now,
                before,
                id: r.id,
                handle: r.handle,
                platform: r.platform,
                is_core: r.is_core,
                value_at: None,
            }
        })
        .collect())
}

/// A truth value as JSON: PostgreSQL's `true`, SQLite's `1`.
fn truth<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Truth {
        Boolean(bool),
        Number(i64),
    }
    Ok(match Truth::deserialize(deserializer)? {
        Truth::Boolean(truth) => truth,
        Truth::Number(number) => number != 0,
    })
}

/// What the marks would say of accounts without today's: their periods'
/// starts, sought in their history, and their latest collection.
struct Starts {
    collected_at: Option<DateTime<Utc>>,
    start: Seen,
    previous_start: Seen,
}

async fn unmarked_starts(
    db: &impl ConnectionTrait,
    metric: Metric,
    ids: &[i64],
    moments: Moments,
) -> Result<HashMap<i64, Starts>, StoreError> {
    type Row = (
        i64,
        Option<DateTime<Utc>>,
        Option<i64>,
        Option<DateTime<Utc>>,
        Option<i64>,
        Option<DateTime<Utc>>,
    );
    let column = snapshot::metric_column(metric);
    let mut found = HashMap::new();
    for chunk in ids.chunks(ACCOUNTS_CHUNK) {
        let mut select = account::Entity::find()
            .select_only()
            .columns([account::Column::Id, account::Column::LastCollectedAt])
            .filter(account::Column::Id.is_in(chunk.iter().copied()));
        for (i, moment) in [(1, moments.previous), (2, moments.before_previous)] {
            select = select
                .expr_as(newest_known(column, moment, column), format!("value_{i}"))
                .expr_as(
                    newest_known(column, moment, snapshot::Column::CapturedAt),
                    format!("at_{i}"),
                );
        }
        let rows: Vec<Row> = select.into_tuple().all(db).await?;
        found.extend(rows.into_iter().map(|(id, collected_at, v1, a1, v2, a2)| {
            let starts = Starts {
                collected_at,
                start: Seen { value: v1, at: a1 },
                previous_start: Seen { value: v2, at: a2 },
            };
            (id, starts)
        }));
    }
    Ok(found)
}
