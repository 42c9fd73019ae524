//! Avatars: the small copy of each account's picture Reach serves from its
//! own origin. The server fetches and shrinks them; this module keeps them.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use sha2::{Digest, Sha256};

use crate::entities::{account, avatar};
use crate::generations::{Domain, Writer};

/// Where an account's picture is served, its version in the query so that
/// a new picture gets a new address (and an old one can be kept forever).
pub fn path(account_id: i64, version: Option<&str>) -> Option<String> {
    version.map(|v| format!("/avatars/{account_id}?v={v}"))
}

/// The source URLs of the pictures kept for `ids`.
pub async fn sources(
    db: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, String>, sea_orm::DbErr> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<(i64, String)> = avatar::Entity::find()
            .select_only()
            .column(avatar::Column::AccountId)
            .column(avatar::Column::SourceUrl)
            .filter(avatar::Column::AccountId.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// Keeps `image` as the picture of `account_id`, fetched from `source_url`,
/// and names its version on the account row. An account deleted meanwhile
/// keeps nothing. `writer` says how soon the answers show it.
pub async fn store(
    db: &sea_orm::DatabaseConnection,
    account_id: i64,
    source_url: &str,
    content_type: &str,
    image: Vec<u8>,
    fetched_at: DateTime<Utc>,
    writer: Writer,
) -> Result<(), sea_orm::DbErr> {
    let version: String = Sha256::digest(&image)
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect();
    let txn = crate::write::begin(db).await?;
    let updated = account::Entity::update_many()
        .col_expr(account::Column::AvatarVersion, Expr::value(version.clone()))
        .filter(account::Column::Id.eq(account_id))
        .exec(&txn)
        .await?;
    if updated.rows_affected == 0 {
        return Ok(());
    }
    avatar::Entity::insert(avatar::ActiveModel {
        account_id: Set(account_id),
        source_url: Set(source_url.to_owned()),
        content_type: Set(content_type.to_owned()),
        image: Set(image),
        version: Set(version),
        fetched_at: Set(fetched_at),
    })
    .on_conflict(
        OnConflict::column(avatar::Column::AccountId)
            .update_columns([
                avatar::Column::SourceUrl,
                avatar::Column::ContentType,
                avatar::Column::Image,
                avatar::Column::Version,
                avatar::Column::FetchedAt,
            ])
            .to_owned(),
    )
    .exec(&txn)
    .await?;
    writer.wrote(&txn, &[Domain::Accounts]).await?;
    txn.commit().await
}

/// The picture kept for `account_id`: its type, bytes and version.
pub async fn get(
    db: &impl ConnectionTrait,
    account_id: i64,
) -> Result<Option<avatar::Model>, sea_orm::DbErr> {
    avatar::Entity::find_by_id(account_id).one(db).await
}
