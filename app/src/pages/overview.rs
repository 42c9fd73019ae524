//! The front page: totals, followers by platform, the biggest accounts and
//! the latest collection run.

use leptos::prelude::*;

use crate::api::get_overview;
use crate::components::format::{compact, exact, grouped, timestamp};
use crate::components::status::{CardSkeleton, ErrorPanel, TableSkeleton};
use crate::model::{Overview, RunStatus};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    let retry = Callback::new(move |_| overview.refetch());

    view! {
        <h1>"Overview"</h1>
        <Transition fallback=|| {
            view! {
                <div class="cards">
                    <CardSkeleton />
                    <CardSkeleton />
                    <CardSkeleton />
                    <CardSkeleton />
                </div>
                <table class="data">
                    <TableSkeleton rows=5 columns=3 />
                </table>
            }
        }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(data) => view! { <OverviewBody data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel what="the overview" error retry /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OverviewBody(data: Overview) -> impl IntoView {
    let latest_run = data.latest_run.map(|run| {
        let status = match run.status {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "interrupted",
        };
        view! {
            <p class="run" data-testid="latest-run">
                {format!(
                    "Latest collection ({}) {} at {}: {} ok, {} failed, {} skipped",
                    run.mode,
                    status,
                    timestamp(run.finished_at.or(Some(run.started_at))),
                    run.accounts_ok,
                    run.accounts_failed,
                    run.accounts_skipped,
                )}
            </p>
        }
    });
    view! {
        <div class="cards">
            <div class="card" data-testid="total-accounts">
                <span class="label">"Accounts"</span>
                <span class="value">{grouped(data.accounts as i64)}</span>
                <span class="sub">{format!("{} core", data.core_accounts)}</span>
            </div>
            <div class="card" data-testid="total-followers">
                <span class="label">"Followers"</span>
                <span class="value" title=exact(Some(data.followers))>{compact(Some(data.followers))}</span>
                <span class="sub">"across all platforms"</span>
            </div>
            <div class="card">
                <span class="label">"Views"</span>
                <span class="value" title=exact(Some(data.views))>{compact(Some(data.views))}</span>
                <span class="sub">"where published"</span>
            </div>
            <div class="card">
                <span class="label">"Snapshots"</span>
                <span class="value">{compact(Some(data.snapshots as i64))}</span>
                <span class="sub">{format!("{} posts tracked", compact(Some(data.posts)))}</span>
            </div>
        </div>
        {latest_run}
        <div class="columns">
            <section>
                <h2>"Followers by platform"</h2>
                <table class="data">
                    <thead>
                        <tr><th>"Platform"</th><th class="num">"Accounts"</th><th class="num">"Followers"</th></tr>
                    </thead>
                    <tbody>
                        {data.by_platform.into_iter().map(|p| view! {
                            <tr>
                                <td><span class=format!("badge {}", p.platform.as_str())>{p.platform.label()}</span></td>
                                <td class="num">{p.accounts}</td>
                                <td class="num" title=exact(Some(p.followers))>{compact(Some(p.followers))}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
            <section>
                <h2>"Biggest accounts"</h2>
                <table class="data">
                    <thead>
                        <tr><th>"Account"</th><th>"Platform"</th><th class="num">"Followers"</th></tr>
                    </thead>
                    <tbody>
                        {data.top_accounts.into_iter().map(|a| view! {
                            <tr>
                                <td><a href=format!("/accounts/{}", a.id)>{a.handle}</a></td>
                                <td>{a.platform.label()}</td>
                                <td class="num" title=exact(a.latest.followers)>{compact(a.latest.followers)}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </div>
    }
}
