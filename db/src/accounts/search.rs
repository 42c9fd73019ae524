//! Text search's count on PostgreSQL, and the pattern both databases'
//! `LIKE` use. Finding the matches is [`super::filtered`]'s.

use sea_orm::sea_query::{Alias, Expr, LikeExpr, Query};
use sea_orm::{Condition, ConnectionTrait, DbBackend, ExprTrait};

use crate::StoreError;
use crate::sql::{escape_like, to_count};
use types::AccountFilter;

/// On PostgreSQL, how many accounts a text search alone finds, counted in
/// `account_search` (each account's lowered handle and name, kept by
/// triggers: migration 27) rather than in the accounts, whose wide rows
/// the count would otherwise visit one by one. The same matches as
/// [`filtered`](super::filtered)'s (an account without a name has an empty one there,
/// which no text of one character or more is found in). `None` on SQLite
/// (its FTS5 table serves the count) and for a search beside other filters.
pub(super) async fn count(
    db: &impl ConnectionTrait,
    filter: &AccountFilter,
) -> Result<Option<u64>, StoreError> {
    let Some(text) = &filter.search else {
        return Ok(None);
    };
    if db.get_database_backend() != DbBackend::Postgres
        || filter.platform.is_some()
        || filter.core.is_some()
        || filter.tag.is_some()
    {
        return Ok(None);
    }
    if text.contains('\0') {
        // As in `filtered`: no stored text holds one.
        return Ok(Some(0));
    }
    let pattern = pattern(text);
    let select = Query::select()
        .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
        .from(Alias::new("account_search"))
        .cond_where(
            Condition::any()
                .add(Expr::col(Alias::new("handle")).like(pattern.clone()))
                .add(Expr::col(Alias::new("name")).like(pattern)),
        )
        .to_owned();
    let count = match db.query_one(&select).await? {
        Some(row) => row.try_get_by_index::<i64>(0)?,
        None => 0,
    };
    Ok(Some(to_count(count)))
}

/// `text` anywhere in a lowered value, as `LIKE` finds it.
pub(super) fn pattern(text: &str) -> LikeExpr {
    LikeExpr::new(format!("%{}%", escape_like(&text.to_lowercase()))).escape('\\')
}
