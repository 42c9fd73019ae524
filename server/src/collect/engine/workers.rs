//! The workers: each takes a batch of one platform, asks its collector
//! (retrying what may pass, within the retries allowed) or simulates a demo
//! account, and hands the results to the writer; none waits on the database.

use super::*;

/// Simulated accounts need no request; they are grouped this many at a time.
pub(super) const SIMULATED_BATCH: usize = 100;

impl Engine {
    /// Claims due accounts chunk by chunk and keeps `workers` requests in
    /// flight, handing every result to the writer.
    pub(super) async fn collect_all(
        &self,
        run_id: i64,
        due: &DueBefore,
        results: mpsc::UnboundedSender<Collected>,
    ) -> anyhow::Result<()> {
        // The next chunk is claimed while the previous one is still in
        // flight, so the workers never drain at a chunk boundary. Items start
        // in the claims' priority order: core accounts go first.
        let workers = self.settings.workers.max(1);
        let mut in_flight = FuturesUnordered::new();
        let mut pending: VecDeque<WorkItem> = VecDeque::new();
        let mut exhausted = false;
        let mut plan = Plan::default();
        let hand_over = |batch: Vec<Collected>| {
            for result in batch {
                // The writer only stops when this sender is gone.
                let _ = results.send(result);
            }
        };
        loop {
            let stopping = self.stop.is_requested();
            while !stopping && in_flight.len() < workers {
                if pending.is_empty() && !exhausted {
                    // Keep the requests in flight moving while claiming.
                    let claim = self.claim_chunk(run_id, due, &mut plan);
                    futures::pin_mut!(claim);
                    let items = loop {
                        tokio::select! {
                            items = &mut claim => break items.context("cannot claim accounts")?,
                            Some(batch) = in_flight.next(), if !in_flight.is_empty() => hand_over(batch),
                        }
                    };
                    exhausted = items.is_empty();
                    pending.extend(items);
                }
                match pending.pop_front() {
                    Some(item) => in_flight.push(self.collect(item)),
                    None => break,
                }
            }
            match in_flight.next().await {
                Some(batch) => hand_over(batch),
                None if stopping => {
                    self.release(run_id, pending.drain(..).flat_map(|item| item.accounts))
                        .await
                        .context("cannot give back the claimed accounts")?;
                    anyhow::bail!("stopped at an account boundary");
                }
                None => {
                    plan.report(run_id);
                    return Ok(());
                }
            }
        }
    }

    /// Asks the platform (or, for demo accounts, the growth model) for one
    /// item's accounts.
    pub(super) async fn collect(&self, item: WorkItem) -> Vec<Collected> {
        let started = Instant::now();
        let at = Utc::now().trunc_subsecs(0);
        let results: Vec<Result<Observation, CollectError>> = if item.simulated {
            item.accounts
                .iter()
                .map(|a| {
                    Ok(Observation {
                        counters: GrowthModel::for_account(a.platform, &a.handle).counters_at(at),
                        ..Observation::default()
                    })
                })
                .collect()
        } else if let Some(collector) = self.collectors.live(item.platform) {
            let targets: Vec<Target> = item
                .accounts
                .iter()
                .map(|a| Target {
                    handle: a.handle.clone(),
                    platform_id: a.platform_id.clone(),
                })
                .collect();
            self.fetch(collector.as_ref(), &targets).await
        } else {
            // No collector and not a demo account: nothing is invented.
            vec![Err(CollectError::NoCollector(item.platform.label())); item.accounts.len()]
        };
        let duration_ms = started.elapsed().as_millis() as i64 / item.accounts.len().max(1) as i64;
        item.accounts
            .into_iter()
            .zip(results)
            .map(|(account, result)| {
                let result = understood(&account, result);
                Collected {
                    account,
                    simulated: item.simulated,
                    at,
                    result,
                    duration_ms,
                }
            })
            .collect()
    }

    /// One result per target. A batch the platform refuses as a bad request
    /// is asked again account by account, so that one account it rejects
    /// does not fail the others.
    pub(super) async fn fetch(
        &self,
        collector: &dyn Collector,
        targets: &[Target],
    ) -> Vec<Result<Observation, CollectError>> {
        let whole = |results: Vec<Result<Observation, CollectError>>, expected: usize| {
            if results.len() == expected {
                results
            } else {
                vec![
                    Err(CollectError::BadData(
                        "answer does not match the request".into()
                    ));
                    expected
                ]
            }
        };
        match self.fetch_retrying(collector, targets).await {
            Ok(results) => whole(results, targets.len()),
            Err(error) if error.is_bad_request() && targets.len() > 1 => {
                let mut results = Vec::with_capacity(targets.len());
                for target in targets {
                    let alone = std::slice::from_ref(target);
                    results.extend(match self.fetch_retrying(collector, alone).await {
                        Ok(result) => whole(result, 1),
                        Err(error) => vec![Err(error)],
                    });
                }
                results
            }
            Err(error) => vec![Err(error); targets.len()],
        }
    }

    /// Asks the collector, retrying passing failures at most
    /// `retries` times, whatever the platform's headers say.
    pub(super) async fn fetch_retrying(
        &self,
        collector: &dyn Collector,
        targets: &[Target],
    ) -> BatchResult {
        let max_wait = self.upstream.max_wait();
        // A retry refused by the spent budget says nothing about the
        // account: what failed before it is the news.
        let failed_before = std::sync::Mutex::new(None::<CollectError>);
        (|| async { collector.fetch(&self.upstream, targets).await })
            .retry(
                ExponentialBuilder::default()
                    .with_min_delay(self.settings.first_backoff)
                    .with_max_times(self.settings.retries)
                    .with_jitter(),
            )
            .when(CollectError::is_retryable)
            // Wait as long as the platform asks, unless that is too long.
            // No delay left means the retries are spent: the platform's
            // wait never starts another one.
            .adjust(move |error, delay| {
                let delay = delay?;
                match error {
                    CollectError::RateLimited {
                        retry_after: Some(wait),
                    } if *wait > max_wait => None,
                    CollectError::RateLimited {
                        retry_after: Some(wait),
                    } => Some(delay.max(*wait)),
                    _ => Some(delay),
                }
            })
            .notify(|error, _| {
                *failed_before.lock().expect("not poisoned") = Some(error.clone());
            })
            .await
            .map_err(|error| match error {
                CollectError::BudgetSpent { .. } => failed_before
                    .lock()
                    .expect("not poisoned")
                    .take()
                    .unwrap_or(error),
                error => error,
            })
    }
}
