//! `reach admin add|remove` and `reach token create|list|revoke`: who may
//! write, and the tokens programs act with.

use anyhow::Context;
use app::model::TokenScope;
use sea_orm::DatabaseConnection;

use crate::config::{AdminCommand, TokenCommand};

/// `reach admin add|remove`.
pub async fn admin(db: &DatabaseConnection, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::Add { username } => {
            // Not a flag: a password on the command line shows in `ps` and
            // the shell's history.
            let password = match std::env::var("REACH_ADMIN_PASSWORD") {
                Ok(password) => password,
                Err(_) => read_password()?,
            };
            db::access::create_admin(db, &username, &password).await?;
            println!("added the admin {username}");
            Ok(())
        }
        AdminCommand::Remove { username } => {
            if !db::access::remove_admin(db, &username).await? {
                anyhow::bail!("there is no admin named {username}");
            }
            println!("removed the admin {username}, their sessions and API tokens");
            Ok(())
        }
    }
}

/// `reach token create|list|revoke`.
pub async fn token(db: &DatabaseConnection, command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create { admin, name, embed } => {
            let found = db::access::find_admin(db, &admin)
                .await?
                .with_context(|| format!("there is no admin named {admin}"))?;
            let scope = if embed {
                TokenScope::Embed
            } else {
                TokenScope::Api
            };
            let token =
                db::access::create_token(db, found.id, &found.username, &name, scope).await?;
            let what = match scope {
                TokenScope::Api => format!("acts for {admin}"),
                TokenScope::Embed => "opens badges and share cards (`?token=`)".to_owned(),
            };
            eprintln!(
                "token {} ({}) {what}; it is shown only now:",
                token.row.id, token.row.name
            );
            println!("{}", token.token);
        }
        TokenCommand::List => {
            for token in db::access::list_tokens(db).await? {
                let state = match (token.revoked_at, token.last_used_at) {
                    (Some(revoked), _) => format!("revoked {}", revoked.format("%F %R")),
                    (None, Some(used)) => format!("last used {}", used.format("%F %R")),
                    (None, None) => "never used".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    token.id,
                    token.name,
                    token.scope.as_str(),
                    token.admin
                );
            }
        }
        TokenCommand::Revoke { id } => {
            db::access::revoke_token(db, id)
                .await?
                .with_context(|| format!("there is no API token with id {id}"))?;
            println!("revoked API token {id}");
        }
    }
    Ok(())
}

/// The first line of standard input: how scripts hand `reach admin add` a
/// password without it showing in the process list or shell history.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        eprint!("password (12 characters or more, shown as you type): ");
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
