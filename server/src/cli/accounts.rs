//! `reach account add|remove` and `reach brand assign|unassign|remove`:
//! what Reach tracks, and how accounts are grouped.

use sea_orm::DatabaseConnection;

use crate::accounts;
use crate::config::{AccountCommand, BrandCommand};

/// `reach account add|remove`.
pub async fn account(db: &DatabaseConnection, command: AccountCommand) -> anyhow::Result<()> {
    match command {
        AccountCommand::Add(add) => {
            let account = accounts::add(db, &add).await?;
            println!(
                "added {} account {} (id {})",
                account.platform.label(),
                account.handle,
                account.id,
            );
            Ok(())
        }
        AccountCommand::Remove { id } => {
            accounts::remove(db, id).await?;
            println!("removed account {id} and its history");
            Ok(())
        }
    }
}

/// `reach brand assign|unassign|remove`.
pub async fn brand(db: &DatabaseConnection, command: BrandCommand) -> anyhow::Result<()> {
    match command {
        BrandCommand::Assign { name, accounts } => {
            let brand = db::brands::assign(db, &name, &accounts).await?;
            println!(
                "brand {} (id {}): {} accounts assigned",
                brand.name,
                brand.id,
                accounts.len()
            );
            Ok(())
        }
        BrandCommand::Unassign { accounts } => {
            db::brands::unassign(db, &accounts).await?;
            println!("{} accounts have no brand now", accounts.len());
            Ok(())
        }
        BrandCommand::Remove { name } => {
            db::brands::remove(db, &name).await?;
            println!("removed the brand {name}; its accounts stay");
            Ok(())
        }
    }
}
