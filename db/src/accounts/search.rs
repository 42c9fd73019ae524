//! Text search on PostgreSQL, from `account_search` (migration 27): the
//! matches [`super::filtered`] keeps, their count, and the page of a text
//! found in few accounts; and the pattern both databases' `LIKE` use.

use sea_orm::sea_query::{Alias, Asterisk, Expr, LikeExpr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, ExprTrait, QueryTrait, Select,
};

use super::read::{AccountQuery, walking_this_page_is_cheaper};
use crate::StoreError;
use crate::entities::account;
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
    let Some(text) = searched(db, filter) else {
        return Ok(None);
    };
    if text.contains('\0') {
        // As in `filtered`: no stored text holds one.
        return Ok(Some(0));
    }
    let select = matching(text)
        .expr(Expr::cust("CAST(COUNT(*) AS BIGINT)"))
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

/// The text of a search alone (no other filter) on PostgreSQL.
fn searched<'a>(db: &impl ConnectionTrait, filter: &'a AccountFilter) -> Option<&'a str> {
    let text = filter.search.as_deref()?;
    let alone = filter.platform.is_none() && filter.core.is_none() && filter.tag.is_none();
    (db.get_database_backend() == DbBackend::Postgres && alone).then_some(text)
}

/// `account_search`'s rows whose handle or name holds `text`.
fn matching(text: &str) -> SelectStatement {
    let pattern = pattern(text);
    Query::select()
        .from(Alias::new("account_search"))
        .cond_where(
            Condition::any()
                .add(Expr::col(Alias::new("handle")).like(pattern.clone()))
                .add(Expr::col(Alias::new("name")).like(pattern)),
        )
        .to_owned()
}

/// The ids of the accounts whose lowered handle or name holds `text`,
/// from `account_search`, for [`super::filtered`] on PostgreSQL.
pub(super) fn matches(text: &str) -> SelectStatement {
    matching(text).column(Alias::new("account_id")).to_owned()
}

/// On PostgreSQL, the page of a text search alone that matches few
/// accounts (`total`, counted), read from its matches. PostgreSQL
/// estimates a text's matches from its trigrams, often several times too
/// many: it then walks the sort column's index and tests every account on
/// the way (`q=quiet fox`, 250 of 100,000 accounts: 8,000 rows for a
/// page, 33 ms). With the count known, the accounts table's rule
/// ([`walking_this_page_is_cheaper`]) decides as on SQLite: when the walk is not
/// cheaper, the matches are found in `account_search` and their accounts
/// read by key in a subquery PostgreSQL plans on its own (an `OFFSET`
/// keeps it from being merged into the ordered query), then sorted.
/// `None` for the other searches, left to the planner.
pub(super) async fn few_matches(
    db: &impl ConnectionTrait,
    query: &AccountQuery,
    total: u64,
) -> Result<Option<Select<account::Entity>>, StoreError> {
    let Some(text) = searched(db, &query.filter) else {
        return Ok(None);
    };
    if text.contains('\0') || total == 0 {
        return Ok(None);
    }
    if walking_this_page_is_cheaper(db, query, total).await? {
        return Ok(None);
    }
    let ids = matches(text);
    let matched = Query::select()
        .column(Asterisk)
        .from(account::Entity)
        .and_where(account::Column::Id.in_subquery(ids))
        .offset(0)
        .to_owned();
    let mut select = account::Entity::find();
    // Under the table's own name, so that the ordered query's columns
    // ("accounts"."followers") name the subquery's.
    select
        .query()
        .from_clear()
        .from_subquery(matched, Alias::new("accounts"));
    Ok(Some(select))
}
