//! `reach platforms [--check]`: each platform's status as `/api/platforms`
//! gives it, printed as a table, and with `--check` one cheap request to
//! each configured platform. The budget figures are this process's own (a
//! running server's are in its `/api/platforms`).

use std::fmt::Write;
use std::time::Duration;

use app::model::{PlatformHealth, PlatformStatus};
use app::ssr::state::DescribeCollector;
use sea_orm::DatabaseConnection;

use crate::collect::status::CollectorStatus;

/// Every platform's status on this instance.
pub async fn statuses(
    db: &DatabaseConnection,
    collectors: &CollectorStatus,
) -> anyhow::Result<Vec<PlatformStatus>> {
    Ok(db::platforms::by_platform(db)
        .await?
        .into_iter()
        .map(|(platform, accounts)| {
            app::api::platform_status(
                platform,
                collectors.describe(platform, accounts.accounts),
                accounts,
            )
        })
        .collect())
}

/// The table `reach platforms` prints; with `checks`, each platform's check
/// under it.
pub fn table(statuses: &[PlatformStatus], checks: &[(usize, String)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<14} {:<15} {:>8} {:>8}  {:<22} {:>6}  {:<13} full pass",
        "platform", "status", "accounts", "failing", "budget", "spent", "next request"
    );
    for (index, status) in statuses.iter().enumerate() {
        let (budget, spent, next, pass) = match &status.budget {
            Some(b) => (
                format!(
                    "{} / {}{}",
                    b.requests,
                    duration(b.period_seconds),
                    if b.per_server { " per server" } else { "" }
                ),
                b.spent.to_string(),
                if b.resumes_in_seconds == 0 {
                    "now".to_owned()
                } else {
                    format!("in {}", duration(b.resumes_in_seconds))
                },
                format!(
                    "{} requests, {}",
                    b.pass_requests,
                    match b.pass_seconds {
                        0 => "in one window".to_owned(),
                        s => format!("about {}", duration(s)),
                    }
                ),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:<14} {:<15} {:>8} {:>8}  {:<22} {:>6}  {:<13} {}",
            status.platform.label(),
            status.health.as_str(),
            status.accounts,
            status.failing,
            budget,
            spent,
            next,
            pass
        );
        match status.health {
            PlatformHealth::NotConfigured => {
                if let Some(needs) = &status.needs {
                    let _ = writeln!(out, "               set {needs}");
                }
            }
            PlatformHealth::NoCollector => {
                let _ = writeln!(
                    out,
                    "               no collector yet: real accounts get no counters (demo accounts are simulated)"
                );
            }
            PlatformHealth::Failing => {
                if let Some(error) = &status.last_error {
                    let _ = writeln!(out, "               last error: {error}");
                }
            }
            PlatformHealth::Live => {}
        }
        for (_, check) in checks.iter().filter(|(i, _)| *i == index) {
            let _ = writeln!(out, "               check: {check}");
        }
    }
    out
}

/// `reach platforms`: the table, and with `check` one request to each
/// configured platform. Fails when a check fails, so scripts can tell.
pub async fn report(
    db: &DatabaseConnection,
    collectors: &CollectorStatus,
    check: bool,
) -> anyhow::Result<()> {
    let statuses = statuses(db, collectors).await?;
    let mut checks = Vec::new();
    let mut failed = 0;
    if check {
        for (index, status) in statuses.iter().enumerate() {
            if status.health == PlatformHealth::NoCollector
                || status.health == PlatformHealth::NotConfigured
            {
                continue;
            }
            match collectors.check(status.platform).await {
                Some(Ok(said)) => checks.push((index, format!("ok: {said}"))),
                Some(Err(error)) => {
                    failed += 1;
                    checks.push((
                        index,
                        format!("FAILED ({}): {error}", error.outcome().as_str()),
                    ));
                }
                None => {}
            }
        }
    }
    print!("{}", table(&statuses, &checks));
    anyhow::ensure!(failed == 0, "{failed} platform check(s) failed");
    Ok(())
}

fn duration(seconds: u64) -> String {
    humantime::format_duration(Duration::from_secs(seconds)).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::model::{Platform, PlatformBudget};

    #[test]
    fn the_table_says_what_to_set_and_what_failed() {
        let statuses = [
            PlatformStatus {
                platform: Platform::Github,
                health: PlatformHealth::Failing,
                needs: None,
                accounts: 200,
                failing: 3,
                last_error: Some("rate limited by the platform".into()),
                budget: Some(PlatformBudget {
                    requests: 55,
                    period_seconds: 3600,
                    per_server: false,
                    spent: 55,
                    resumes_in_seconds: 1800,
                    pass_requests: 200,
                    pass_seconds: 3 * 3600,
                }),
                counters: Platform::Github.counters(),
            },
            PlatformStatus {
                platform: Platform::Reddit,
                health: PlatformHealth::NotConfigured,
                needs: Some("REDDIT_CLIENT_ID and REDDIT_CLIENT_SECRET".into()),
                accounts: 2,
                failing: 0,
                last_error: None,
                budget: None,
                counters: Platform::Reddit.counters(),
            },
        ];
        let table = table(&statuses, &[(0, "ok: answers".into())]);
        assert!(table.contains("55 / 1h"), "{table}");
        assert!(table.contains("in 30m"), "{table}");
        assert!(table.contains("200 requests, about 3h"), "{table}");
        assert!(table.contains("last error: rate limited"), "{table}");
        assert!(table.contains("set REDDIT_CLIENT_ID"), "{table}");
        assert!(table.contains("check: ok: answers"), "{table}");
    }
}
