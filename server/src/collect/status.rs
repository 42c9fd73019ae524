//! What this instance's collector can say of each platform, for
//! `/api/platforms`, the Runs page and `reach platforms`: whether it has a
//! collector, what it lacks, its budget and what of it is spent, and what a
//! pass over the platform's accounts costs.

use std::sync::Arc;

use app::model::{Platform, PlatformBudget, PlatformHealth};
use app::ssr::state::{CollectorSetup, DescribeCollector};

use super::platforms::{CollectError, Collectors, Upstream};

/// The collectors and their shared HTTP side, as the engine holds them.
#[derive(Clone)]
pub struct CollectorStatus {
    pub(super) collectors: Collectors,
    pub(super) upstream: Arc<Upstream>,
}

impl CollectorStatus {
    /// One cheap request to `platform` that proves it answers with the
    /// configured credentials; `None` for platforms without a collector.
    pub async fn check(&self, platform: Platform) -> Option<Result<String, CollectError>> {
        let collector = self.collectors.live(platform)?;
        Some(collector.check(&self.upstream).await)
    }
}

impl DescribeCollector for CollectorStatus {
    fn describe(&self, platform: Platform, accounts: u64) -> CollectorSetup {
        let Some(collector) = self.collectors.live(platform) else {
            return CollectorSetup {
                health: PlatformHealth::NoCollector,
                needs: None,
                budget: None,
            };
        };
        if let Some(needs) = collector.missing_settings() {
            return CollectorSetup {
                health: PlatformHealth::NotConfigured,
                needs: Some(needs.to_owned()),
                budget: None,
            };
        }
        let budget = self.upstream.budget(platform);
        // A pass once every account's id is known, as after the first.
        let pass_requests =
            collector.requests_for(usize::try_from(accounts).unwrap_or(usize::MAX), 0);
        CollectorSetup {
            health: PlatformHealth::Live,
            needs: None,
            budget: Some(PlatformBudget {
                requests: budget.requests.get(),
                period_seconds: budget.period.as_secs(),
                per_server: !collector.shared_budget(),
                spent: self.upstream.spent(platform),
                resumes_in_seconds: self.upstream.resumes_in(platform).as_secs(),
                pass_requests,
                pass_seconds: budget.pass_time(pass_requests).as_secs(),
            }),
        }
    }
}
