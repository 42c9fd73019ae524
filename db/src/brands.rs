//! Brands: one creator's or company's accounts across platforms. Reads
//! give their combined audience and growth, summed from the account rows
//! (latest followers and the kept 7- and 30-day changes), and their ranks
//! among brands; writes create, fill and remove them.

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Statement,
};

use super::entities::{account, brand};
use super::generations::{self, Domain};
use super::leaderboard::ranks;
use crate::StoreError;
use crate::accounts::with_tags;
use crate::sql::to_count;
use types::{BrandDetail, BrandRow, Platform};

/// Every brand, biggest combined audience first.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<BrandRow>, StoreError> {
    #[derive(FromQueryResult)]
    struct Row {
        id: i64,
        name: String,
        accounts: i64,
        followers: i64,
        change_7d: Option<i64>,
        change_30d: Option<i64>,
        start_30d: Option<i64>,
    }
    // SUM over BIGINT is NUMERIC on PostgreSQL: cast back. SUM of nothing
    // known is NULL: unknown, not zero.
    let rows = Row::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT b.id, b.name, COUNT(a.id) AS accounts, \
            CAST(COALESCE(SUM(a.followers), 0) AS BIGINT) AS followers, \
            CAST(SUM(a.followers_change_7d) AS BIGINT) AS change_7d, \
            CAST(SUM(a.followers_change_30d) AS BIGINT) AS change_30d, \
            CAST(SUM(a.followers - a.followers_change_30d) AS BIGINT) AS start_30d \
         FROM brands b LEFT JOIN accounts a ON a.brand_id = b.id \
         GROUP BY b.id, b.name \
         ORDER BY followers DESC, b.name",
    ))
    .all(db)
    .await?;
    let on: Vec<(i64, Platform)> = account::Entity::find()
        .select_only()
        .columns([account::Column::BrandId, account::Column::Platform])
        .filter(account::Column::BrandId.is_not_null())
        .distinct()
        .into_tuple::<(Option<i64>, Platform)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(brand, platform)| Some((brand?, platform)))
        .collect();
    let mut platforms: HashMap<i64, Vec<Platform>> = HashMap::new();
    for (brand, platform) in on {
        platforms.entry(brand).or_default().push(platform);
    }
    let by_audience = ranks(
        &rows
            .iter()
            .map(|r| Some(r.followers as f64))
            .collect::<Vec<_>>(),
    );
    let by_growth = ranks(
        &rows
            .iter()
            .map(|r| r.change_30d.map(|c| c as f64))
            .collect::<Vec<_>>(),
    );
    Ok(rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            let mut on = platforms.remove(&r.id).unwrap_or_default();
            on.sort_by_key(|p| Platform::ALL.iter().position(|x| x == p));
            BrandRow {
                id: r.id,
                name: r.name,
                accounts: to_count(r.accounts),
                platforms: on,
                followers: r.followers,
                change_7d: r.change_7d,
                change_30d: r.change_30d,
                percent_30d: r.change_30d.zip(r.start_30d).and_then(|(change, start)| {
                    (start > 0).then(|| change as f64 * 100.0 / start as f64)
                }),
                rank: by_audience[i].unwrap_or_default(),
                growth_rank: by_growth[i],
            }
        })
        .collect())
}

/// One brand and its accounts, biggest first.
pub async fn detail(db: &DatabaseConnection, id: i64) -> Result<BrandDetail, StoreError> {
    let brand = list(db)
        .await?
        .into_iter()
        .find(|b| b.id == id)
        .ok_or_else(|| StoreError::not_found("brand", id))?;
    let models = account::Entity::find()
        .filter(account::Column::BrandId.eq(id))
        .order_by_desc(account::Column::Followers)
        .order_by_asc(account::Column::Id)
        .all(db)
        .await?;
    Ok(BrandDetail {
        brand,
        accounts: with_tags(db, models).await?,
    })
}

/// The brand called `name` (exactly) and its accounts; `None` if there is
/// none.
pub async fn by_name(
    db: &DatabaseConnection,
    name: &str,
) -> Result<Option<BrandDetail>, StoreError> {
    let found = brand::Entity::find()
        .filter(brand::Column::Name.eq(name))
        .one(db)
        .await?;
    match found {
        Some(brand) => Ok(Some(detail(db, brand.id).await?)),
        None => Ok(None),
    }
}

// Writes: the `reach brand` commands, the importer and the demo seed.

/// The longest brand name the schema stores.
const MAX_NAME_LEN: usize = 128;

/// The brand called `name`, created if it does not exist yet.
pub async fn find_or_create(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<brand::Model, StoreError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(StoreError::Invalid(format!(
            "a brand name has 1 to {MAX_NAME_LEN} characters"
        )));
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
    .map_err(StoreError::from)
}

/// Puts `accounts` in the brand `name` (created if needed); returns it.
pub async fn assign(
    db: &DatabaseConnection,
    name: &str,
    accounts: &[i64],
) -> Result<brand::Model, StoreError> {
    let txn = crate::write::begin(db).await?;
    let brand = find_or_create(&txn, name).await?;
    set_brand(&txn, accounts, Some(brand.id)).await?;
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(brand)
}

/// Takes `accounts` out of their brands.
pub async fn unassign(db: &DatabaseConnection, accounts: &[i64]) -> Result<(), StoreError> {
    let txn = crate::write::begin(db).await?;
    set_brand(&txn, accounts, None).await?;
    generations::bump(&txn, &[Domain::Accounts]).await?;
    txn.commit().await?;
    Ok(())
}

/// Deletes the brand `name`; its accounts stay, without a brand.
pub async fn remove(db: &DatabaseConnection, name: &str) -> Result<(), StoreError> {
    let txn = crate::write::begin(db).await?;
    let Some(brand) = brand::Entity::find()
        .filter(brand::Column::Name.eq(name.trim()))
        .one(&txn)
        .await?
    else {
        return Err(StoreError::not_found_named("brand", name.trim()));
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
) -> Result<(), StoreError> {
    let updated = account::Entity::update_many()
        .col_expr(account::Column::BrandId, Expr::value(brand))
        .filter(account::Column::Id.is_in(accounts.iter().copied()))
        .exec(db)
        .await?;
    if updated.rows_affected != accounts.len() as u64 {
        return Err(StoreError::Invalid(format!(
            "{} of the {} accounts named do not exist",
            accounts.len() as u64 - updated.rows_affected,
            accounts.len()
        )));
    }
    Ok(())
}
