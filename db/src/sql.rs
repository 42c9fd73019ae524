//! Small pieces of SQL every area needs: paging offsets, counts as the wire
//! types take them, `LIKE` patterns, rows packed into one JSON value.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr};
use serde::de::DeserializeOwned;

/// Rows before the first of `page` (which starts at 1).
pub fn offset(page: u32, per_page: u32) -> u64 {
    u64::from(page.saturating_sub(1)) * u64::from(per_page)
}

/// SQL counts are signed; a negative one cannot happen.
pub fn to_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// Makes `%`, `_` and the escape character itself match literally in LIKE.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// One JSON array (as text) of arrays of `columns` of `table`'s rows,
/// aggregated by the database: select it from the rows' query, then read
/// it with [`unpack`]. SQLite's driver hands rows over one at a time
/// between its thread and ours (about 3 µs a row), which costs more than
/// the query itself for thousands of small rows.
pub fn packed_rows(backend: DbBackend, table: &Alias, columns: &[&str]) -> Expr {
    let (aggregate, array) = match backend {
        DbBackend::Postgres => ("json_agg", "json_build_array"),
        _ => ("json_group_array", "json_array"),
    };
    let values = columns
        .iter()
        .map(|column| Expr::col((table.clone(), Alias::new(*column))));
    let rows = Func::cust(Alias::new(aggregate)).arg(Func::cust(Alias::new(array)).args(values));
    Expr::expr(rows).cast_as(Alias::new("TEXT"))
}

/// Runs `packed`, a select of one [`packed_rows`] value, and decodes its
/// rows as tuples (`what` names them in an error). No rows is empty:
/// PostgreSQL aggregates none to NULL, SQLite to `[]`.
pub async fn unpack<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    packed: &SelectStatement,
    what: &str,
) -> Result<Vec<T>, DbErr> {
    let Some(result) = db.query_one(packed).await? else {
        return Ok(Vec::new());
    };
    match result.try_get_by_index::<Option<String>>(0)? {
        // The database packed it: unreadable JSON is a database fault.
        Some(json) => serde_json::from_str(&json)
            .map_err(|error| DbErr::Json(format!("the packed {what}: {error}"))),
        None => Ok(Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
