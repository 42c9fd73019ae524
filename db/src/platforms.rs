//! The accounts side of `/api/platforms` and `reach platforms`: per
//! platform, how many accounts are tracked, how many fail, and what the
//! most recent attempt on a real (not demo) account said.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, ExprTrait, Iterable, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::account;
use types::{Outcome, Platform};

/// One platform's accounts, as the platforms' status needs them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformAccounts {
    pub accounts: u64,
    /// Accounts whose latest attempt failed.
    pub failing: u64,
    /// The error of the most recent attempt on a real account, when it
    /// failed.
    pub last_error: Option<String>,
}

/// Every platform's accounts, in `Platform::ALL`'s order.
pub async fn by_platform(
    db: &impl ConnectionTrait,
) -> Result<Vec<(Platform, PlatformAccounts)>, DbErr> {
    let failures: Vec<Outcome> = Outcome::iter().filter(|o| o.is_failure()).collect();
    let failing = Expr::case(account::Column::LastOutcome.is_in(failures), 1).finally(0);
    let counts: Vec<(Platform, i64, Option<i64>)> = account::Entity::find()
        .select_only()
        .column(account::Column::Platform)
        .column_as(account::Column::Id.count(), "accounts")
        .column_as(Expr::expr(failing).sum(), "failing")
        .group_by(account::Column::Platform)
        .into_tuple()
        .all(db)
        .await?;
    let mut platforms = Vec::with_capacity(Platform::ALL.len());
    for platform in Platform::ALL {
        let Some((_, accounts, failing)) = counts.iter().find(|(p, _, _)| *p == platform) else {
            platforms.push((platform, PlatformAccounts::default()));
            continue;
        };
        let latest: Option<(Option<Outcome>, Option<String>)> = account::Entity::find()
            .select_only()
            .columns([account::Column::LastOutcome, account::Column::LastError])
            .filter(account::Column::Platform.eq(platform))
            .filter(account::Column::Simulated.eq(false))
            .filter(account::Column::LastAttemptAt.is_not_null())
            .order_by_desc(account::Column::LastAttemptAt)
            .limit(1)
            .into_tuple()
            .one(db)
            .await?;
        let last_error = latest
            .filter(|(outcome, _)| outcome.is_some_and(Outcome::is_failure))
            .and_then(|(_, error)| error);
        platforms.push((
            platform,
            PlatformAccounts {
                accounts: u64::try_from(*accounts).unwrap_or_default(),
                failing: failing
                    .and_then(|n| u64::try_from(n).ok())
                    .unwrap_or_default(),
                last_error,
            },
        ));
    }
    Ok(platforms)
}
