//! One account: its latest counters, collection state and history chart,
//! with the range and metric in the query string.

use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_account, get_history};
use crate::components::chart::HistoryChart;
use crate::components::format::{compact, exact, grouped, timestamp};
use crate::components::status::{CardSkeleton, ErrorPanel};
use crate::error::ApiError;
use crate::model::{AccountDetail, HistoryRange, Metric};

#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = Memo::new(move |_| {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    });
    let range = Memo::new(move |_| {
        query
            .read()
            .get("range")
            .and_then(|r| r.parse().ok())
            .unwrap_or_default()
    });
    let metric = Memo::new(move |_| {
        let wanted = query.read().get("metric");
        Metric::ALL
            .into_iter()
            .find(|m| Some(m.as_str()) == wanted.as_deref())
            .unwrap_or_default()
    });

    let detail = Resource::new(
        move || id.get(),
        |id| async move {
            match id {
                Some(id) => get_account(id).await,
                None => Err(ApiError::not_found("this is not an account address")),
            }
        },
    );
    let retry_detail = Callback::new(move |_| detail.refetch());

    view! {
        <Transition fallback=|| view! { <h1 class="skeleton"><span class="bone wide"></span></h1> <CardSkeleton /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(data) => {
                        let metrics = data.account.platform.metrics();
                        view! {
                            <AccountHeader data />
                            <HistorySection id range metric metrics />
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel what="the account" error retry=retry_detail /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The chart with its range and metric switches. Shown only for an account
/// that exists, so a bad address shows one error, not two.
#[component]
fn HistorySection(
    id: Memo<Option<i64>>,
    range: Memo<HistoryRange>,
    metric: Memo<Metric>,
    /// The metrics this account's platform publishes: the others have no data.
    metrics: &'static [Metric],
) -> impl IntoView {
    // A metric the platform does not publish would draw an empty chart.
    let metric = Memo::new(move |_| {
        let wanted = metric.get();
        if metrics.contains(&wanted) {
            wanted
        } else {
            Metric::Followers
        }
    });
    let history = Resource::new(
        move || (id.get(), range.get()),
        |(id, range)| async move {
            match id {
                Some(id) => get_history(id, Some(range)).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let retry_history = Callback::new(move |_| history.refetch());
    let link = move |range: HistoryRange, metric: Metric| {
        format!(
            "/accounts/{}?range={}&metric={}",
            id.get().unwrap_or_default(),
            range.as_str(),
            metric.as_str()
        )
    };
    view! {
        <section class="history">
            <div class="toolbar">
                <div class="segmented" role="group" aria-label="Range">
                    {HistoryRange::ALL.into_iter().map(|r| view! {
                        <a href=move || link(r, metric.get()) class:active=move || range.get() == r data-range=r.as_str()>
                            {r.as_str()}
                        </a>
                    }).collect_view()}
                </div>
                <div class="segmented" role="group" aria-label="Metric">
                    {metrics.iter().copied().map(|m| view! {
                        <a href=move || link(range.get(), m) class:active=move || metric.get() == m data-metric=m.as_str()>
                            {m.label()}
                        </a>
                    }).collect_view()}
                </div>
            </div>
            <Transition fallback=|| view! { <div class="chart skeleton" aria-busy="true"></div> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(points) if points.is_empty() => view! {
                            <div class="chart empty">"No snapshots in this range yet."</div>
                        }.into_any(),
                        Ok(points) => {
                            let count = points.len();
                            view! {
                                <HistoryChart points=Signal::stored(points) metric=metric.into() />
                                <p class="muted" data-testid="history-count">{format!("{count} snapshots")}</p>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel what="the history" error retry=retry_history /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn AccountHeader(data: AccountDetail) -> impl IntoView {
    let account = data.account;
    let platform = account.platform;
    let counters = platform
        .metrics()
        .iter()
        .map(|&m| {
            let value = account.latest.get(m);
            let label = if m == Metric::Followers {
                platform.follower_noun().to_owned()
            } else {
                m.as_str().to_owned()
            };
            view! {
                <div class="card">
                    <span class="label">{label}</span>
                    <span class="value" title=exact(value)>{compact(value)}</span>
                </div>
            }
        })
        .collect_view();
    view! {
        <h1>
            {account.display_name.clone().unwrap_or_else(|| account.handle.clone())}
            " "
            <span class=format!("badge {}", platform.as_str())>{platform.label()}</span>
        </h1>
        <p class="muted">
            <span data-testid="account-handle">{account.handle.clone()}</span>
            {account.is_core.then_some(" · core account")}
            {(!account.tags.is_empty()).then(|| format!(" · tags: {}", account.tags.join(", ")))}
        </p>
        <div class="cards">{counters}</div>
        <p class="muted">
            {format!(
                "Last collected {} · {} snapshots since {}",
                timestamp(account.last_collected_at),
                grouped(data.snapshot_count as i64),
                timestamp(data.first_captured_at),
            )}
        </p>
        {account.simulated.then(|| view! {
            <p class="muted" data-testid="simulated-note">
                {if platform.has_public_api() {
                    "Simulated counters: this is a demo account."
                } else {
                    "Simulated counters: this platform has no free public API Reach can read."
                }}
            </p>
        })}
        {account.last_error.map(|e| {
            let outcome = account.last_outcome.map(|o| o.as_str()).unwrap_or("failed");
            view! { <p class="error-panel">{format!("Last collection {outcome}: {e}")}</p> }
        })}
    }
}
