//! Adding and removing tracked accounts (the `reach account` commands).

use anyhow::{Context, bail};
use app::db::entities::{account, account_tag};
use app::db::generations::{self, Domain};
use app::model::Platform;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};

use crate::config::AddAccount;

/// Tracks a new account. Platforms without a public API are simulated.
pub async fn add(db: &DatabaseConnection, request: &AddAccount) -> anyhow::Result<account::Model> {
    let handle = request
        .platform
        .normalize_handle(&request.handle)
        .map_err(|rule| anyhow::anyhow!("`{}`: {rule}", request.handle.trim()))?;
    let handle = handle.as_str();
    let existing = account::Entity::find()
        .filter(account::Column::Platform.eq(request.platform))
        .filter(account::Column::Handle.eq(handle))
        .one(db)
        .await?;
    if let Some(existing) = existing {
        bail!(
            "{} {handle} is already tracked (id {})",
            request.platform.label(),
            existing.id
        );
    }
    let now = Utc::now();
    let txn = db.begin().await?;
    let model = account::ActiveModel {
        platform: Set(request.platform),
        handle: Set(handle.to_owned()),
        is_core: Set(request.core),
        simulated: Set(!Platform::has_public_api(request.platform)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("cannot store the account")?;
    for tag in request
        .tags
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
    {
        account_tag::ActiveModel {
            account_id: Set(model.id),
            tag: Set(tag),
        }
        .insert(&txn)
        .await
        .context("cannot store a tag")?;
    }
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(model)
}

pub async fn remove(db: &DatabaseConnection, id: i64) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    let deleted = account::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        bail!("no account with id {id}");
    }
    // Its snapshots and run results go with it.
    generations::bump(&txn, &Domain::ALL).await?;
    txn.commit().await?;
    Ok(())
}
