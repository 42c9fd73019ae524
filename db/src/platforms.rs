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
    /// failed. Attempts stored in one batch share their time; among those,
    /// one that worked is the platform's answer (it does answer), so a
    /// platform is failing only when nothing at its latest moment worked.
    pub last_error: Option<String>,
}

/// Every platform's accounts, in `Platform::ALL`'s order.
pub async fn by_platform(
    db: &impl ConnectionTrait,
) -> Result<Vec<(Platform, PlatformAccounts)>, DbErr> {
    // The accounts per platform are kept by triggers (`platform_totals`);
    // the failing ones are counted on the index of the latest outcome:
    // neither reads every account.
    let kept = sea_orm::Statement::from_string(
        db.get_database_backend(),
        "SELECT platform, CAST(SUM(accounts) AS BIGINT) AS accounts FROM platform_totals \
         GROUP BY platform HAVING SUM(accounts) > 0",
    );
    let mut counts: Vec<(Platform, i64, Option<i64>)> = Vec::new();
    for row in db.query_all_raw(kept).await? {
        let platform: Platform = row.try_get("", "platform")?;
        let accounts: i64 = row.try_get("", "accounts")?;
        counts.push((platform, accounts, None));
    }
    let failures: Vec<Outcome> = Outcome::iter().filter(|o| o.is_failure()).collect();
    let failing: Vec<(Platform, i64)> = account::Entity::find()
        .select_only()
        .column(account::Column::Platform)
        .column_as(account::Column::Id.count(), "failing")
        .filter(account::Column::LastOutcome.is_in(failures))
        .group_by(account::Column::Platform)
        .into_tuple()
        .all(db)
        .await?;
    for (platform, _, count) in &mut counts {
        *count = failing.iter().find(|(p, _)| p == platform).map(|(_, n)| *n);
    }
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
            .order_by_desc(Expr::col(account::Column::LastError).is_null())
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
