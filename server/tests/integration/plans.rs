//! What the reads' plans visit, checked on both databases: no statement of
//! a read scans a table that grows with history, and the reads that list a
//! page of accounts or the overview never visit every account. SQLite's
//! `EXPLAIN QUERY PLAN` names each scan; PostgreSQL's `EXPLAIN`, with
//! sequential scans priced out, shows what no index could serve.

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait};

/// Tables with a row per account and observation: no read may scan one,
/// not even in an index's order (`s` is the snapshots' alias in
/// subqueries).
const HISTORY_TABLES: [&str; 4] = ["snapshots", "s", "run_results", "daily_rollups"];
/// Tables with a row per run or event: read in an index's order (the
/// newest first, a page of them; the runs' total counts an index), never
/// scanned row by row.
const LOG_TABLES: [&str; 2] = ["events", "collection_runs"];
/// Log tables whose totals are kept as they are written (`row_counts`):
/// walked only up to a page's end, never counted whole (there are hundreds
/// of thousands of events at 100,000 accounts).
const COUNTED_TABLES: [&str; 1] = ["events"];

/// Reads that must not visit every account (`a` is the accounts' alias in
/// joins): the overview, the tags, the platforms' status, the accounts
/// table, sorted any way and filtered by platform, core, tag or text, and
/// the live leaderboards as kept after a run. They answer from what
/// writers keep (totals per platform and tag, ranked boards) or walk an
/// index in the order they list and stop at the page's end.
fn visits_few_accounts(read: &str) -> bool {
    let live_board = read.starts_with("leaderboard ") && read.ends_with(" None");
    let totals = ["overview", "tags", "platforms"].contains(&read);
    totals || read.starts_with("accounts ") || live_board
}
/// The accounts, their tags (`t` is the tags' alias in joins) and their
/// lowered handles and names (PostgreSQL's search counts).
const ACCOUNT_TABLES: [&str; 5] = ["accounts", "a", "account_tags", "t", "account_search"];

/// SQLite's plans: a `SCAN` of a history table, a log table row by row, or
/// (for [`visits_few_accounts`] reads) of the accounts without an index
/// order cut by a LIMIT.
pub async fn sqlite_plans_read_no_more_than_they_need(
    db: &DatabaseConnection,
    large_reads: &[(String, Vec<String>)],
) {
    for (name, statements) in large_reads {
        for sql in statements {
            let plan = db
                .query_all_raw(Statement::from_string(
                    db.get_database_backend(),
                    format!("EXPLAIN QUERY PLAN {sql}"),
                ))
                .await
                .unwrap();
            for row in plan {
                let detail: String = row.try_get("", "detail").unwrap();
                let Some(scan) = detail.strip_prefix("SCAN ") else {
                    continue;
                };
                let table = scan.split(' ').next().unwrap_or_default();
                let row_by_row = !scan.contains("USING");
                let counted_whole = COUNTED_TABLES.contains(&table) && !sql.contains(" LIMIT ");
                assert!(
                    !HISTORY_TABLES.contains(&table)
                        && !(row_by_row && LOG_TABLES.contains(&table))
                        && !counted_whole,
                    "{name} scans {table}: {detail}\n{sql}"
                );
                // In an index's order up to a LIMIT is a page, not all.
                let every_account =
                    ACCOUNT_TABLES.contains(&table) && (row_by_row || !sql.contains(" LIMIT "));
                assert!(
                    !(every_account && visits_few_accounts(name)),
                    "{name} visits every account: {detail}\n{sql}"
                );
            }
        }
    }
}

/// PostgreSQL's plans, with sequential scans priced out so that the
/// planner takes any index that serves (the test data is small enough for
/// it to prefer reading tables whole): a scan of a whole table that
/// remains, or an index walked from end to end with nothing to stop it,
/// is a read that visits every row.
pub async fn postgres_plans_read_no_more_than_they_need(
    db: &DatabaseConnection,
    reads: &[(String, Vec<String>)],
) {
    for (name, statements) in reads {
        for sql in statements {
            let plan = postgres_plan(db, sql, true).await;
            for (relation, node) in whole_visits(&plan) {
                assert!(
                    !HISTORY_TABLES.contains(&relation.as_str())
                        && !COUNTED_TABLES.contains(&relation.as_str())
                        && !(ACCOUNT_TABLES.contains(&relation.as_str())
                            && visits_few_accounts(name)),
                    "{name} visits every row of {relation} ({node}):\n{sql}\n{}",
                    plan.join("\n")
                );
            }
        }
    }
}

/// PostgreSQL's plan of `sql` (`EXPLAIN`'s text, a line each); with
/// `indexes_only`, sequential scans priced out, so that a table read
/// whole shows what no index could serve.
pub async fn postgres_plan(db: &DatabaseConnection, sql: &str, indexes_only: bool) -> Vec<String> {
    let settings: &[&str] = if indexes_only {
        &["enable_seqscan"]
    } else {
        &[]
    };
    postgres_plan_without(db, sql, settings).await
}

/// PostgreSQL's plan of `sql` with each of the planner's `disabled`
/// methods (`enable_seqscan`, `enable_sort`...) priced out.
pub async fn postgres_plan_without(
    db: &DatabaseConnection,
    sql: &str,
    disabled: &[&str],
) -> Vec<String> {
    let txn = db.begin().await.unwrap();
    for setting in disabled {
        txn.execute_unprepared(&format!("SET LOCAL {setting} = off"))
            .await
            .unwrap();
    }
    let plan = txn
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("EXPLAIN {sql}"),
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).unwrap())
        .collect();
    txn.rollback().await.unwrap();
    plan
}

/// The relations a PostgreSQL plan (`EXPLAIN`'s text, a line each) reads
/// whole: a sequential scan, or an index walked with no condition and no
/// Limit above it to stop it. Returns (relation, the plan's line).
fn whole_visits(plan: &[String]) -> Vec<(String, String)> {
    // A node's line is the first, or starts with "->" after its indent; the
    // lines after it that are not nodes are its details ("Index Cond: …").
    struct Node {
        indent: usize,
        line: String,
        details: Vec<String>,
    }
    let mut nodes: Vec<Node> = Vec::new();
    for (i, line) in plan.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if i == 0 || trimmed.starts_with("->") {
            let text = trimmed.trim_start_matches("->").trim_start();
            nodes.push(Node {
                indent,
                line: text.to_owned(),
                details: Vec::new(),
            });
        } else if let Some(node) = nodes.last_mut() {
            node.details.push(trimmed.to_owned());
        }
    }
    let mut found = Vec::new();
    for (i, node) in nodes.iter().enumerate() {
        // Its ancestors: the nearest earlier node of each smaller indent.
        let mut indent = node.indent;
        let mut limited = false;
        for earlier in nodes[..i].iter().rev() {
            if earlier.indent < indent {
                limited |= earlier.line.starts_with("Limit");
                indent = earlier.indent;
            }
        }
        let Some((_, relation)) = node.line.split_once(" on ") else {
            continue;
        };
        let relation = relation.split_whitespace().next().unwrap_or_default();
        let sequential = node.line.starts_with("Seq Scan");
        let unbounded_index = node.line.starts_with("Index")
            && !limited
            && !node.details.iter().any(|d| d.starts_with("Index Cond"));
        if sequential || unbounded_index {
            found.push((relation.to_owned(), node.line.clone()));
        }
    }
    found
}

#[test]
fn plans_are_read_as_postgresql_prints_them() {
    let plan = |text: &str| text.lines().map(str::to_owned).collect::<Vec<_>>();
    let limited = plan(
        "Limit  (cost=0.15..1.00 rows=5 width=8)\n\
         \x20 ->  Index Scan using ix_accounts_followers on accounts  (cost=0.15..80.00 rows=60 width=8)",
    );
    assert!(whole_visits(&limited).is_empty());
    let whole = plan(
        "Aggregate  (cost=1.00..2.00 rows=1 width=8)\n\
         \x20 ->  Seq Scan on accounts  (cost=0.00..1.60 rows=60 width=8)\n\
         \x20       Filter: is_core",
    );
    assert_eq!(whole_visits(&whole)[0].0, "accounts");
    let sought = plan(
        "Index Scan using snapshots_pkey on snapshots s  (cost=0.15..8.17 rows=1 width=8)\n\
         \x20 Index Cond: (account_id = 4)",
    );
    assert!(whole_visits(&sought).is_empty());
}
