//! Planning a run: which claimed accounts go together (batches per
//! platform, simulated ones in bulk) and how many of each platform's due
//! accounts the platform's budget lets this run take.

use super::*;

/// What a run may still ask of each platform whose budget is shared by all
/// its accounts: the requests its budget allows within the longest wait,
/// counted when the run first meets the platform. Accounts beyond it are
/// not attempted: they stay due and go first in a later cycle, instead of
/// being recorded as rate limited for merely waiting their turn.
#[derive(Debug, Default)]
pub(super) struct Plan {
    pub(super) left: HashMap<Platform, u64>,
    /// Accounts given back, per platform; a platform with any is not
    /// claimed again in this run.
    pub(super) deferred: HashMap<Platform, u64>,
}

impl Plan {
    /// Counts what the budget allows of each platform among `accounts`
    /// that the run has not met yet (shared with the other instances when
    /// Redis is configured).
    pub(super) async fn count(&mut self, upstream: &Upstream, accounts: &[account::Model]) {
        let platforms: std::collections::HashSet<Platform> = accounts
            .iter()
            .filter(|account| !account.simulated)
            .map(|account| account.platform)
            .filter(|platform| !self.left.contains_key(platform))
            .collect();
        for platform in platforms {
            let capacity = upstream.capacity(platform, MOST_PLANNED).await;
            self.left.insert(platform, capacity);
        }
    }

    pub(super) fn report(&self, run_id: i64) {
        for (platform, accounts) in &self.deferred {
            tracing::info!(
                run = run_id,
                platform = platform.as_str(),
                accounts,
                "accounts wait for a later cycle: the platform's budget allows no more requests now"
            );
        }
    }
}

/// Most requests to one platform a run plans.
pub(super) const MOST_PLANNED: u64 = 1_000_000;

/// The start of the cycle `now` falls in: cycles are slots of `interval`
/// counted from the Unix epoch, the same on every instance.
pub fn cycle_start(now: DateTime<Utc>, interval: Duration) -> DateTime<Utc> {
    let slot = Ord::max(interval.as_secs(), 1) as i64;
    let start = now.timestamp().div_euclid(slot) * slot;
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

impl Engine {
    /// Groups accounts into requests, each platform's batches as large as its
    /// API allows, in the order of their most urgent account, as far as the
    /// plan allows; returns the work and the accounts left for a later cycle.
    pub(super) fn work_items(
        &self,
        accounts: Vec<account::Model>,
        plan: &mut Plan,
    ) -> (Vec<WorkItem>, Vec<account::Model>) {
        let mut items: Vec<WorkItem> = Vec::new();
        let mut deferred = Vec::new();
        for account in accounts {
            // Only demo accounts are simulated.
            let simulated = account.simulated;
            let collector = self
                .collectors
                .live(account.platform)
                .filter(|_| !simulated);
            let batch_size = collector
                .as_ref()
                .map_or(SIMULATED_BATCH, |c| c.batch_size());
            let open = items.iter_mut().rev().find(|item| {
                item.platform == account.platform
                    && item.simulated == simulated
                    && item.accounts.len() < batch_size
            });
            // A collector without its credentials asks nothing: not planned.
            if let Some(collector) =
                collector.filter(|c| c.shared_budget() && c.missing_settings().is_none())
            {
                let (in_open, without_id) = open.as_ref().map_or((0, 0), |item| {
                    let without = item.accounts.iter().filter(|a| a.platform_id.is_none());
                    (item.accounts.len(), without.count())
                });
                let new_without_id = without_id + usize::from(account.platform_id.is_none());
                let cost = collector.requests_for(in_open + 1, new_without_id)
                    - collector.requests_for(in_open, without_id);
                // Counted before (`Plan::count`) for every platform claimed.
                let left = plan.left.entry(account.platform).or_insert(0);
                if plan.deferred.contains_key(&account.platform) || cost > *left {
                    *plan.deferred.entry(account.platform).or_default() += 1;
                    deferred.push(account);
                    continue;
                }
                *left -= cost;
            }
            match open {
                Some(item) => item.accounts.push(account),
                None => items.push(WorkItem {
                    platform: account.platform,
                    simulated,
                    accounts: vec![account],
                }),
            }
        }
        (items, deferred)
    }
}
