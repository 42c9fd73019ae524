//! Managing brands (the `reach brand` commands): one creator's or company's
//! accounts across platforms, grouped to follow their combined audience.

use anyhow::{Context, bail};
use app::db::entities::{account, brand};
use app::db::generations::{self, Domain};
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, TransactionTrait,
};

/// The longest brand name the schema stores.
const MAX_NAME_LEN: usize = 128;

/// The brand called `name`, created if it does not exist yet.
pub async fn find_or_create(db: &impl ConnectionTrait, name: &str) -> anyhow::Result<brand::Model> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        bail!("a brand name has 1 to {MAX_NAME_LEN} characters");
    }
    if let Some(existing) = brand::Entity::find()
        .filter(brand::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(existing);
    }
    brand::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .context("cannot store the brand")
}

/// Puts `accounts` in the brand `name` (created if needed); returns it.
pub async fn assign(
    db: &DatabaseConnection,
    name: &str,
    accounts: &[i64],
) -> anyhow::Result<brand::Model> {
    let txn = db.begin().await?;
    let brand = find_or_create(&txn, name).await?;
    set_brand(&txn, accounts, Some(brand.id)).await?;
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(brand)
}

/// Takes `accounts` out of their brands.
pub async fn unassign(db: &DatabaseConnection, accounts: &[i64]) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    set_brand(&txn, accounts, None).await?;
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the brand `name`; its accounts stay, without a brand.
pub async fn remove(db: &DatabaseConnection, name: &str) -> anyhow::Result<()> {
    let txn = db.begin().await?;
    let Some(brand) = brand::Entity::find()
        .filter(brand::Column::Name.eq(name.trim()))
        .one(&txn)
        .await?
    else {
        bail!("no brand is called `{name}`");
    };
    account::Entity::update_many()
        .col_expr(account::Column::BrandId, Expr::value(None::<i64>))
        .filter(account::Column::BrandId.eq(brand.id))
        .exec(&txn)
        .await?;
    brand::Entity::delete_by_id(brand.id).exec(&txn).await?;
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(())
}

async fn set_brand(
    db: &impl ConnectionTrait,
    accounts: &[i64],
    brand: Option<i64>,
) -> anyhow::Result<()> {
    let updated = account::Entity::update_many()
        .col_expr(account::Column::BrandId, Expr::value(brand))
        .filter(account::Column::Id.is_in(accounts.iter().copied()))
        .exec(db)
        .await?;
    if updated.rows_affected != accounts.len() as u64 {
        bail!(
            "{} of the {} accounts named do not exist",
            accounts.len() as u64 - updated.rows_affected,
            accounts.len()
        );
    }
    Ok(())
}
