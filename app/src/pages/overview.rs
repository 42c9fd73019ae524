//! The front page: totals and their change over 1/7/30 days, followers by
//! platform, the biggest and fastest-growing accounts, the latest collection
//! run and the accounts that need attention.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{get_overview, list_tags};
use crate::components::chart::{Chart, ChartLine, Stroke};
use crate::components::events::EventList;
use crate::components::status::{CardSkeleton, ErrorPanel, TableError, TableSkeleton};
use crate::components::time::LocalTime;
use crate::format::{age, compact, exact, grouped, percent, signed};
use crate::model::{
    AUDIENCE_DAYS, AccountRow, Audience, AudienceSeries, Outcome, Overview, RunStatus,
    STALE_AFTER_HOURS, TotalChange,
};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());

    view! {
        <Title text="Overview" />
        <h1>"Overview"</h1>
        <Transition fallback=|| {
            view! {
                <div class="cards">
                    <CardSkeleton />
                    <CardSkeleton />
                    <CardSkeleton />
                    <CardSkeleton />
                </div>
                <div class="cards">
                    <CardSkeleton />
                    <CardSkeleton />
                    <CardSkeleton />
                </div>
                <div class="table-scroll">
                <table class="data">
                    <TableSkeleton rows=5 columns=3 />
                </table>
                </div>
            }
        }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(data) => view! { <OverviewBody data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel what="the overview" error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OverviewBody(data: Overview) -> impl IntoView {
    let latest_run = data.latest_run.map(|run| {
        let status = match run.status {
            RunStatus::Running => "started",
            RunStatus::Finished => "finished",
            RunStatus::Interrupted => "was interrupted",
        };
        view! {
            <p class="run" data-testid="latest-run">
                // "finished 5 h ago" once live, "finished 2026-…" before.
                {format!("Latest collection ({}) {} ", run.mode, status)}
                <LocalTime at=run.finished_at.or(Some(run.started_at)) />
                {format!(
                    ": {} ok, {} failed, {} skipped",
                    run.accounts_ok,
                    run.accounts_failed,
                    run.accounts_skipped,
                )}
            </p>
        }
    });
    let next_collection = view! {
        <p class="run muted" data-testid="next-collection">
            {match data.next_collection {
                Some(at) => view! { "Next collection due " <LocalTime at=Some(at) /> }.into_any(),
                None => "Collections run only when asked for (Collect now, or reach collect).".into_any(),
            }}
        </p>
    };
    // Each section's view type is erased: the page's whole type is too
    // deep for the compiler otherwise.
    let by_platform = view! {
        <section>
            <h2>"Followers by platform"</h2>
            <div class="table-scroll">
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
            </div>
        </section>
    }
    .into_any();
    let biggest = view! {
        <section>
            <h2>"Biggest accounts"</h2>
            <div class="table-scroll">
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
            </div>
        </section>
    }
    .into_any();
    let growers = view! {
        <section>
            <h2>"Top growers, 7 days"</h2>
            <div class="table-scroll">
            <table class="data" data-testid="top-growers">
                <thead>
                    <tr><th>"Account"</th><th>"Platform"</th><th class="num">"7 days"</th></tr>
                </thead>
                <tbody>
                    {data.top_growers.is_empty().then(|| view! {
                        <tr><td colspan="3" class="empty">"No account grew in the last 7 days (or the history is shorter)."</td></tr>
                    })}
                    {data.top_growers.into_iter().map(|a| view! {
                        <tr>
                            <td><a href=format!("/accounts/{}", a.id)>{a.handle}</a></td>
                            <td>{a.platform.label()}</td>
                            <td class="num change up" title=exact(a.change_7d)>{signed(a.change_7d)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
    .into_any();
    let needs_attention = view! {
        <NeedsAttention accounts=data.needs_attention total=data.needs_attention_total />
    }
    .into_any();
    let tags = view! { <TagTotals /> }.into_any();
    let events = view! {
        <section>
            <h2>"Recent events"</h2>
            <EventList events=data.recent_events with_account=true />
        </section>
    }
    .into_any();
    let totals = view! {
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
            <div class="card" data-testid="total-snapshots">
                <span class="label">"Snapshots"</span>
                <span class="value">{compact(Some(data.snapshots as i64))}</span>
                <span class="sub">{format!("{} posts tracked", compact(Some(data.posts)))}</span>
            </div>
        </div>
    }
    .into_any();
    let audience = view! { <AudienceChart audience=data.audience /> }.into_any();
    view! {
        {totals}
        <div class="cards" data-testid="changes">
            {data.changes.into_iter().map(|change| view! { <ChangeCard change /> }).collect_view()}
        </div>
        {latest_run}
        {next_collection}
        {audience}
        <div class="columns">
            {by_platform}
            {biggest}
            {growers}
            {needs_attention}
            {tags}
            {events}
        </div>
    }
}

/// The headline: everyone's audience over time, one stacked band per
/// platform, as each day's runs left it.
#[component]
fn AudienceChart(audience: Audience) -> impl IntoView {
    let Some(from) = audience.from else {
        return view! {
            <section>
                <h2>"Audience over time"</h2>
                <div class="chart empty">"The chart starts with the first collection."</div>
            </section>
        }
        .into_any();
    };
    let lines = audience_lines(from, &audience.series);
    let label = format!(
        "Followers of every account over the last {} days, stacked by platform",
        AUDIENCE_DAYS
    );
    view! {
        <section data-testid="audience">
            <h2>"Audience over time"</h2>
            <Chart element_id="audience-chart" kind="audience" lines label />
        </section>
    }
    .into_any()
}

/// One stacked line per platform. A day is drawn where every platform has
/// its figure (a day without a run is a gap for all); before a platform's
/// first figure its accounts were not tracked yet, which stacks as 0.
fn audience_lines(from: chrono::NaiveDate, series: &[AudienceSeries]) -> Vec<ChartLine> {
    let days = series.iter().map(|s| s.followers.len()).max().unwrap_or(0);
    let firsts: Vec<usize> = series
        .iter()
        .map(|s| s.followers.iter().position(Option::is_some).unwrap_or(days))
        .collect();
    let drawn: Vec<usize> = (0..days)
        .filter(|&day| {
            series
                .iter()
                .zip(&firsts)
                .all(|(s, &first)| day < first || s.followers.get(day).copied().flatten().is_some())
        })
        .collect();
    series
        .iter()
        .zip(&firsts)
        .map(|(s, &first)| ChartLine {
            name: s.platform.label().to_owned(),
            points: drawn
                .iter()
                .map(|&day| {
                    let at = (from + chrono::Duration::days(day as i64))
                        .and_hms_opt(12, 0, 0)
                        .map_or(0, |t| t.and_utc().timestamp_millis());
                    let value = if day < first {
                        0
                    } else {
                        s.followers[day].unwrap_or(0)
                    };
                    (at, value as f64)
                })
                .collect(),
            stroke: Stroke::Stacked,
        })
        .collect()
}

/// Each tag's accounts, followers and weekly change.
#[component]
fn TagTotals() -> impl IntoView {
    let tags = Resource::new(|| (), |_| list_tags());
    view! {
        <section>
            <h2>"By tag"</h2>
            <div class="table-scroll">
            <table class="data" data-testid="tag-totals">
                <thead>
                    <tr>
                        <th scope="col">"Tag"</th>
                        <th scope="col" class="num">"Accounts"</th>
                        <th scope="col" class="num">"Followers"</th>
                        <th scope="col" class="num">"7 days"</th>
                    </tr>
                </thead>
                <Transition fallback=|| view! { <TableSkeleton rows=5 columns=4 /> }>
                    {move || Suspend::new(async move {
                        match tags.await {
                            Ok(tags) => view! {
                                <tbody>
                                    {tags.into_iter().map(|t| view! {
                                        <tr>
                                            <td><a href=format!("/accounts?tag={}", super::encode_query_value(&t.tag))>{t.tag.clone()}</a></td>
                                            <td class="num">{t.accounts}</td>
                                            <td class="num" title=exact(Some(t.followers))>{compact(Some(t.followers))}</td>
                                            <td class="num change" class:up=t.change_7d.is_some_and(|n| n > 0) class:down=t.change_7d.is_some_and(|n| n < 0)>{signed(t.change_7d)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            }.into_any(),
                            Err(error) => view! { <TableError what="the tags" columns=4 error /> }.into_any(),
                        }
                    })}
                </Transition>
            </table>
            </div>
        </section>
    }
}

/// The total follower change over one window.
#[component]
fn ChangeCard(change: TotalChange) -> impl IntoView {
    let label = match change.days {
        1 => "Followers, 24 hours".to_owned(),
        days => format!("Followers, {days} days"),
    };
    let known = change.accounts > 0;
    let value = known.then_some(change.followers);
    let (up, down) = (change.followers > 0, change.followers < 0);
    view! {
        <div class="card" data-testid=format!("change-{}d", change.days)>
            <span class="label">{label}</span>
            <span class="value" class:up=up class:down=down title=exact(value)>
                {signed(value)}
            </span>
            <span class="sub">
                {if known {
                    format!("{} · {} accounts with that much history", percent(change.percent), change.accounts)
                } else {
                    "not enough history yet".to_owned()
                }}
            </span>
        </div>
    }
}

/// Accounts whose last collection failed, or whose data is stale.
#[component]
fn NeedsAttention(accounts: Vec<AccountRow>, total: u64) -> impl IntoView {
    let now = chrono::Utc::now();
    view! {
        <section>
            <h2>{format!("Needs attention ({total})")}</h2>
            <div class="table-scroll">
            <table class="data" data-testid="needs-attention">
                <thead>
                    <tr><th>"Account"</th><th>"Problem"</th><th>"Data age"</th></tr>
                </thead>
                <tbody>
                    {accounts.is_empty().then(|| view! {
                        <tr><td colspan="3" class="empty">
                            {format!("Every account was collected in the last {STALE_AFTER_HOURS} hours.")}
                        </td></tr>
                    })}
                    {accounts.into_iter().map(|a| {
                        let problem = match (a.last_outcome, &a.last_error) {
                            (Some(outcome), Some(error)) if outcome != Outcome::Ok => format!("{}: {error}", outcome.as_str()),
                            (Some(outcome), None) if outcome != Outcome::Ok => outcome.as_str().to_owned(),
                            _ if a.last_collected_at.is_none() => "never collected".to_owned(),
                            _ => format!("not collected for over {STALE_AFTER_HOURS} hours"),
                        };
                        view! {
                            <tr>
                                <td><a href=format!("/accounts/{}", a.id)>{a.handle}</a> " " <span class="muted">{a.platform.label()}</span></td>
                                <td class="problem">{problem}</td>
                                <td class="muted">{a.last_collected_at.map_or_else(|| "no data".to_owned(), |at| age(at, now))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            {(total > 0).then(|| view! {
                <p class="muted"><a href="/accounts?sort=last_collected&dir=asc">"All accounts, least recently collected first"</a></p>
            })}
        </section>
    }
}
