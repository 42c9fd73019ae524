//! The accounts other programs read outside the API: a bounded number of
//! them for `/metrics/accounts`, core accounts first, each with its tags
//! and brand loaded for the whole batch (one query each, not one per
//! account); one by its handle for a badge.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, LoaderTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::StoreError;
use crate::entities::{account, account_tag, brand};

/// One exported account: its row, sorted tags and brand name.
#[derive(Clone, Debug)]
pub struct ExportedAccount {
    pub account: account::Model,
    pub tags: Vec<String>,
    pub brand: Option<String>,
}

/// What a scrape exports, and how many accounts the bound left out.
#[derive(Clone, Debug)]
pub struct Exported {
    pub accounts: Vec<ExportedAccount>,
    pub omitted: u64,
}

/// At most `limit` accounts, core ones first, then in the order they were
/// added (so the same accounts stay in a bounded export from scrape to
/// scrape as long as none is removed).
pub async fn exported(db: &impl ConnectionTrait, limit: u64) -> Result<Exported, StoreError> {
    let models = account::Entity::find()
        .order_by_desc(account::Column::IsCore)
        .order_by_asc(account::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let omitted = if (models.len() as u64) < limit {
        0
    } else {
        account::Entity::find()
            .count(db)
            .await?
            .saturating_sub(models.len() as u64)
    };
    let tags = models.load_many(account_tag::Entity::find(), db).await?;
    let brands = models.load_one(brand::Entity::find(), db).await?;
    let accounts = models
        .into_iter()
        .zip(tags.into_iter().zip(brands))
        .map(|(account, (tags, brand))| {
            let mut tags: Vec<String> = tags.into_iter().map(|t| t.tag).collect();
            tags.sort_unstable();
            ExportedAccount {
                account,
                tags,
                brand: brand.map(|b| b.name),
            }
        })
        .collect();
    Ok(Exported { accounts, omitted })
}

/// The account tracked as `handle` on `platform` (a badge's), if any.
pub async fn by_handle(
    db: &impl ConnectionTrait,
    platform: types::Platform,
    handle: &str,
) -> Result<Option<account::Model>, StoreError> {
    Ok(account::Entity::find()
        .filter(account::Column::Platform.eq(platform))
        .filter(account::Column::Handle.eq(handle))
        .one(db)
        .await?)
}
