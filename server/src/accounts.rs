//! The `reach account` commands: the same writes as the API's
//! (`db::accounts`), from the command line.

use db::accounts::{self, NewAccount};
use db::entities::account;
use sea_orm::DatabaseConnection;

use crate::config::AddAccount;

/// Tracks a new account. Platforms without a public API are simulated.
pub async fn add(db: &DatabaseConnection, request: &AddAccount) -> anyhow::Result<account::Model> {
    let new = NewAccount {
        platform: request.platform,
        handle: request.handle.clone(),
        core: request.core,
        tags: request.tags.clone(),
    };
    Ok(accounts::add(db, &new).await?)
}

/// Stops tracking an account and deletes its history.
pub async fn remove(db: &DatabaseConnection, id: i64) -> anyhow::Result<()> {
    Ok(accounts::remove(db, id).await?)
}
