//! `reach digest list|add|remove|preview|send|run`: digests from the
//! command line, and sending them without a server (from cron, say).

use anyhow::Context;
use app::model::DigestScope;
use sea_orm::DatabaseConnection;

use crate::config::DigestCommand;
use crate::digests::{Pass, Sender};

/// `reach digest …`; `sender` sends (`send`, `run`).
pub async fn digest(
    db: &DatabaseConnection,
    command: DigestCommand,
    sender: Sender,
) -> anyhow::Result<()> {
    match command {
        DigestCommand::List => {
            for d in db::digests::list(db).await? {
                let last = d.last_delivery.map_or_else(
                    || "never delivered".to_owned(),
                    |l| {
                        format!(
                            "{} {} (period from {}){}",
                            l.status.as_str(),
                            l.sent_at.unwrap_or(l.created_at).format("%F %R"),
                            l.period_start.format("%F"),
                            l.error.map(|e| format!(": {e}")).unwrap_or_default()
                        )
                    },
                );
                println!(
                    "{}\t{}\t{}\t{}\t{} {}\t{last}",
                    d.id,
                    d.name,
                    d.period.as_str(),
                    d.scope.as_text(),
                    d.channel.as_str(),
                    d.target
                );
            }
        }
        DigestCommand::Add {
            name,
            period,
            scope,
            channel,
            target,
        } => {
            let scope = DigestScope::parse(&scope).map_err(anyhow::Error::msg)?;
            if channel == app::model::DigestChannel::Email && !sender.handle().email {
                anyhow::bail!(app::model::EMAIL_NEEDS_SMTP);
            }
            let secret = std::env::var("REACH_DIGEST_TOKEN").ok();
            let digest = db::digests::create(
                db,
                db::digests::NewDigest {
                    name,
                    period,
                    scope,
                    channel,
                    target,
                    secret,
                },
            )
            .await?;
            println!(
                "digest {} ({}) made: {} of {}, by {}",
                digest.id,
                digest.name,
                digest.period.as_str(),
                digest.scope.label(),
                digest.channel.as_str()
            );
        }
        DigestCommand::Remove { id } => {
            db::digests::remove(db, id).await?;
            println!("removed digest {id}");
        }
        DigestCommand::Preview { id, json } => {
            let digest = db::digests::find(db, id).await?;
            let (start, end) = digest.period.last_complete(chrono::Utc::now());
            let report = db::digests::report(db, &digest, start, end).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", crate::digests::render::words(&report, None).text());
            }
        }
        DigestCommand::Send { id } => {
            let queued = db::digests::queue_now(db, id).await?;
            let pass = sender.pass().await.context("cannot send digests")?;
            let delivery = db::digests::deliveries(db, id, 50)
                .await?
                .into_iter()
                .find(|d| d.id == queued.id)
                .context("the delivery disappeared (the digest was removed)")?;
            report(pass);
            match delivery.status {
                app::model::DeliveryStatus::Sent => println!("digest {id} sent"),
                status => anyhow::bail!(
                    "digest {id} not sent ({}): {}",
                    status.as_str(),
                    delivery.error.unwrap_or_default()
                ),
            }
        }
        DigestCommand::Run => {
            let pass = sender.pass().await.context("cannot send digests")?;
            report(pass);
            if pass.failed > 0 {
                anyhow::bail!("{} digest deliveries failed for good", pass.failed);
            }
        }
    }
    Ok(())
}

fn report(pass: Pass) {
    eprintln!(
        "digests: {} queued, {} sent, {} to retry, {} failed",
        pass.queued, pass.sent, pass.retrying, pass.failed
    );
}
