//! One account: its latest counters, collection state and history chart,
//! with the range and metric in the query string.
//!
//! Over 500 lines: the page's sections (header, counters, chart with its
//! controls, growth, projection, events, rollups, the admins' forms) share
//! the page's query-string state; each section is a component, and the
//! next to grow should move to `pages/account/`.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{get_account, get_growth, get_history, get_projection, get_rollups, list_events};
use crate::components::avatar::Avatar;
use crate::components::chart::{Chart, ChartLine, HistoryChart, Stroke};
use crate::components::events::EventList;
use crate::components::manage::AccountAdmin;
use crate::components::session::AdminOnly;
use std::collections::HashMap;

use chrono::NaiveDate;

use crate::components::status::{CardSkeleton, ErrorPanel, TableSkeleton};
use crate::components::time::LocalTime;
use crate::error::ApiError;
use crate::format::{compact, exact, grouped, percent, signed};
use crate::model::{
    AccountDetail, DEFAULT_PROJECTION_BASIS, DailyRollup, GROWTH_WINDOWS, Growth, HistoryPoint,
    HistoryRange, Metric, PROJECTION_BASES, PeriodChange, Platform, ProjectedValue, Projection,
};

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

    view! {
        <Transition fallback=|| view! { <h1 class="skeleton"><span class="bone wide"></span></h1> <CardSkeleton /> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(data) => {
                        let platform = data.account.platform;
                        let account = data.account.clone();
                        let header = view! { <AccountHeader data /> }.into_any();
                        let growth = view! { <GrowthSection id platform /> }.into_any();
                        let events = view! { <EventsSection id /> }.into_any();
                        let manage = view! {
                            <AdminOnly action="edit, watch or delete this account">
                                <AccountAdmin id=account.id is_core=account.is_core tags=account.tags.clone() />
                            </AdminOnly>
                        }.into_any();
                        view! {
                            {header}
                            {growth}
                            <HistorySection id range metric platform />
                            {events}
                            {manage}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorPanel what="the account" error /> }.into_any(),
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
    /// The account's platform: the metrics it publishes (the others have no
    /// data) and its names for them.
    platform: Platform,
) -> impl IntoView {
    let metrics = platform.metrics();
    // A metric the platform does not publish would draw an empty chart.
    let metric = Memo::new(move |_| {
        let wanted = metric.get();
        if metrics.contains(&wanted) {
            wanted
        } else {
            Metric::Followers
        }
    });
    // The metric is an argument: a long range is thinned to the points
    // that shape this metric's line.
    let history = Resource::new(
        move || (id.get(), range.get(), metric.get()),
        |(id, range, metric)| async move {
            match id {
                Some(id) => get_history(id, Some(range), Some(metric)).await,
                None => Ok(Vec::new()),
            }
        },
    );
    // Days older than the retention period keep one snapshot; their rollups
    // say how the day went.
    let rollups = Resource::new(
        move || (id.get(), metric.get(), range.get()),
        |(id, metric, range)| async move {
            match id {
                Some(id) => get_rollups(id, Some(metric), Some(range)).await,
                None => Ok(Vec::new()),
            }
        },
    );
    let query = use_query_map();
    let basis = Memo::new(move |_| {
        query
            .read()
            .get("basis")
            .and_then(|b| b.parse().ok())
            .filter(|b| PROJECTION_BASES.contains(b))
            .unwrap_or(DEFAULT_PROJECTION_BASIS)
    });
    let projection = Resource::new(
        move || (id.get(), metric.get(), basis.get()),
        |(id, metric, basis)| async move {
            match id {
                Some(id) => get_projection(id, Some(metric), Some(basis)).await,
                None => Err(ApiError::not_found("this is not an account address")),
            }
        },
    );
    let link = move |range: HistoryRange, metric: Metric| {
        let basis = basis.get();
        format!(
            "/accounts/{}?range={}&metric={}{}",
            id.get().unwrap_or_default(),
            range.as_str(),
            metric.as_str(),
            if basis == DEFAULT_PROJECTION_BASIS {
                String::new()
            } else {
                format!("&basis={basis}")
            }
        )
    };
    view! {
        <section class="history">
            <div class="toolbar">
                <div class="segmented" role="group" aria-label="Range">
                    {HistoryRange::ALL.into_iter().map(|r| view! {
                        <a href=move || link(r, metric.get()) data-noscroll="true" class:active=move || range.get() == r data-range=r.as_str()>
                            {r.as_str()}
                        </a>
                    }).collect_view()}
                </div>
                <div class="segmented" role="group" aria-label="Metric">
                    {metrics.iter().copied().map(|m| view! {
                        <a href=move || link(range.get(), m) data-noscroll="true" class:active=move || metric.get() == m data-metric=m.as_str()>
                            {platform.metric_label(m)}
                        </a>
                    }).collect_view()}
                </div>
            </div>
            <Transition fallback=|| view! { <div class="chart skeleton" aria-busy="true"></div> }>
                {move || Suspend::new(async move {
                    let (history, rollups, projection) = (history.await, rollups.await, projection.await);
                    let metric = metric.get_untracked();
                    match history {
                        Ok(points) if points.is_empty() => view! {
                            <div class="chart empty">"No snapshots in this range yet."</div>
                        }.into_any(),
                        Ok(points) => {
                            let count = points.len();
                            let days = daily_rows(&points, metric);
                            let day_ranges = rollups
                                .unwrap_or_default()
                                .into_iter()
                                .map(|r| (r.day, r))
                                .collect::<HashMap<NaiveDate, DailyRollup>>();
                            let projection = projected(range.get_untracked(), projection.ok());
                            // Erased one by one: together their type is too deep
                            // for the compiler's layout queries.
                            let chart = view! {
                                <HistoryChart points metric platform projection />
                            }.into_any();
                            let gains = view! { <DailyGainChart days=days.clone() metric platform /> }.into_any();
                            let table = view! { <DailyTable days metric day_ranges platform /> }.into_any();
                            view! {
                                {chart}
                                <p class="muted" data-testid="history-count">{format!("{count} snapshots")}</p>
                                {gains}
                                {table}
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel what="the history" error /> }.into_any(),
                    }
                })}
            </Transition>
            <ProjectionSection projection id range metric basis />
        </section>
    }
}

/// The part of a projection the chart shows: half as much future as the
/// range shows past, so the projection takes at most a third of its width.
fn projected(range: HistoryRange, projection: Option<Projection>) -> Vec<ProjectedValue> {
    let ahead = (range.days().unwrap_or(365) / 2).clamp(3, 182);
    projection
        .and_then(|p| p.trend)
        .map(|trend| {
            let until = trend.fitted_to + chrono::Duration::days(ahead);
            trend.line.into_iter().filter(|p| p.at <= until).collect()
        })
        .unwrap_or_default()
}

/// How many of an account's events its page lists.
const ACCOUNT_EVENTS: u32 = 10;

/// The account's latest events.
#[component]
fn EventsSection(id: Memo<Option<i64>>) -> impl IntoView {
    let events = Resource::new(
        move || id.get(),
        |id| list_events(id, None, Some(1), Some(ACCOUNT_EVENTS)),
    );
    view! {
        <section class="account-events">
            <h2>"Events"</h2>
            <Transition fallback=|| view! { <p class="skeleton"><span class="bone wide"></span></p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(page) => view! { <EventList events=page.items with_account=false /> }.into_any(),
                        Err(error) => view! { <ErrorPanel what="the events" error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// The projection of the chart's metric: predicted values, milestone dates
/// and how they were made, or why there are none.
#[component]
fn ProjectionSection(
    projection: Resource<Result<Projection, ApiError>>,
    id: Memo<Option<i64>>,
    range: Memo<HistoryRange>,
    metric: Memo<Metric>,
    basis: Memo<u32>,
) -> impl IntoView {
    let basis_link = move |b: u32| {
        format!(
            "/accounts/{}?range={}&metric={}&basis={b}",
            id.get().unwrap_or_default(),
            range.get().as_str(),
            metric.get().as_str()
        )
    };
    view! {
        <section class="projection" data-testid="projection">
            <div class="toolbar">
                <h2>"Projection"</h2>
                <div class="segmented" role="group" aria-label="Fitted on">
                    {PROJECTION_BASES.map(|b| view! {
                        <a href=move || basis_link(b) data-noscroll="true" class:active=move || basis.get() == b data-basis=b>
                            {format!("from {b} days")}
                        </a>
                    })}
                </div>
            </div>
            <Transition fallback=|| view! { <table class="data"><TableSkeleton rows=3 columns=3 /></table> }>
                {move || Suspend::new(async move {
                    match projection.await {
                        Ok(data) => view! { <ProjectionBody data /> }.into_any(),
                        Err(error) => view! { <ErrorPanel what="the projection" error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ProjectionBody(data: Projection) -> impl IntoView {
    let Some(trend) = data.trend else {
        return view! {
            <p class="muted" data-testid="no-projection">
                {format!("No projection: {}", data.reason.unwrap_or_default())}
            </p>
        }
        .into_any();
    };
    let milestones = if trend.milestones.is_empty() {
        view! { <p class="muted">"Not growing: no milestone ahead."</p> }.into_any()
    } else {
        view! {
            <ul class="milestones" data-testid="milestones">
                {trend.milestones.into_iter().map(|m| view! {
                    <li>
                        <strong>{compact(Some(m.milestone))}</strong>
                        {match m.at {
                            Some(at) => format!(" around {}", at.format("%Y-%m-%d")),
                            None => " not within ten years at this pace".to_owned(),
                        }}
                    </li>
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <p class="muted">
            {format!(
                "{} per day over {} days with data ({} – {}).",
                signed_f64(trend.per_day),
                trend.days_used,
                trend.fitted_from.format("%Y-%m-%d"),
                trend.fitted_to.format("%Y-%m-%d"),
            )}
        </p>
        <div class="table-scroll">
            <table class="data" data-testid="projection-table">
                <thead>
                    <tr>
                        <th scope="col">"In"</th>
                        <th scope="col" class="num">"Predicted"</th>
                        <th scope="col" class="num">"Band"</th>
                    </tr>
                </thead>
                <tbody>
                    {trend.horizons.into_iter().map(|h| {
                        let days = (h.at - trend.fitted_to).num_days();
                        view! {
                            <tr>
                                <td>{format!("{days} days ({})", h.at.format("%Y-%m-%d"))}</td>
                                <td class="num" title=exact(Some(h.value))>{compact(Some(h.value))}</td>
                                <td class="num">{format!("{} – {}", compact(Some(h.low)), compact(Some(h.high)))}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <h3>"Next milestones"</h3>
        {milestones}
        <p class="muted method"><small>{data.method}</small></p>
    }
    .into_any()
}

/// A rate per day: whole numbers when large, one decimal when small.
fn signed_f64(value: f64) -> String {
    let sign = if value > 0.0 { "+" } else { "" };
    if value.abs() >= 10.0 {
        format!("{sign}{}", grouped(value.round() as i64))
    } else {
        format!("{sign}{value:.1}")
    }
}

/// Every published metric's change over the standard windows, and over a
/// custom period (`from`, `to` in the URL) against the period before it.
#[component]
fn GrowthSection(id: Memo<Option<i64>>, platform: Platform) -> impl IntoView {
    let query = use_query_map();
    let period = Memo::new(move |_| {
        let date = |key: &str| {
            query
                .read()
                .get(key)
                .and_then(|d| d.parse::<NaiveDate>().ok())
        };
        (date("from"), date("to"))
    });
    let growth = Resource::new(
        move || (id.get(), period.get()),
        |(id, (from, to))| async move {
            match id {
                Some(id) => get_growth(id, from, to).await,
                None => Err(ApiError::not_found("this is not an account address")),
            }
        },
    );
    view! {
        <section class="growth">
            <h2>"Growth"</h2>
            <Transition fallback=move || view! {
                <table class="data"><TableSkeleton rows=platform.metrics().len() columns=GROWTH_WINDOWS.len() + 1 /></table>
            }>
                {move || Suspend::new(async move {
                    match growth.await {
                        Ok(data) => view! { <GrowthTable data platform /> }.into_any(),
                        Err(error) => view! { <ErrorPanel what="the growth" error /> }.into_any(),
                    }
                })}
            </Transition>
            <Form method="GET" action="" attr:class="filters period">
                <label>"From " <input type="date" name="from" value=move || period.get().0.map(|d| d.to_string())/></label>
                <label>"to " <input type="date" name="to" value=move || period.get().1.map(|d| d.to_string())/></label>
                <button type="submit" class="apply-period">"Compare with the period before"</button>
            </Form>
        </section>
    }
}

#[component]
fn GrowthTable(data: Growth, platform: Platform) -> impl IntoView {
    let metrics = platform.metrics();
    let cell = |period: &PeriodChange, metric: Metric| {
        let change = period.metrics.iter().find(|c| c.metric == metric).cloned();
        let change_value = change.as_ref().and_then(|c| c.change);
        // Say when the snapshots used are not where the window begins.
        let gap = period
            .from_at
            .is_some_and(|at| (period.start - at).num_hours() >= 36);
        let title = match (period.from_at, period.to_at, change_value) {
            (Some(from), Some(to), Some(_)) => format!(
                "from the snapshot of {} to that of {}{}",
                from.format("%Y-%m-%d"),
                to.format("%Y-%m-%d"),
                if gap {
                    " (days are missing at the start)"
                } else {
                    ""
                }
            ),
            (None, _, _) => "unknown: no snapshot that old".to_owned(),
            _ => "unknown: the platform did not publish it".to_owned(),
        };
        view! {
            <td
                class="num change"
                class:up=change_value.is_some_and(|n| n > 0)
                class:down=change_value.is_some_and(|n| n < 0)
                title=title
            >
                {signed(change_value)}
                {gap.then_some("≈")}
                <small>{percent(change.and_then(|c| c.percent))}</small>
            </td>
        }
    };
    let windows = data.windows.clone();
    let custom = data.custom.clone().zip(data.previous.clone());
    view! {
        <div class="table-scroll">
            <table class="data" data-testid="growth-table">
                <thead>
                    <tr>
                        <th scope="col">"Metric"</th>
                        {GROWTH_WINDOWS.map(|days| view! {
                            <th scope="col" class="num">{if days == 1 { "24 hours".to_owned() } else { format!("{days} days") }}</th>
                        })}
                        {custom.as_ref().map(|(period, _)| view! {
                            <th scope="col" class="num">{format!("{} – {}", period.start.format("%Y-%m-%d"), period.end.format("%Y-%m-%d"))}</th>
                            <th scope="col" class="num">"the period before"</th>
                        })}
                    </tr>
                </thead>
                <tbody>
                    {metrics.iter().map(|&metric| view! {
                        <tr>
                            <th scope="row">{platform.metric_label(metric)}</th>
                            {windows.iter().map(|w| cell(&w.period, metric)).collect_view()}
                            {custom.as_ref().map(|(period, previous)| view! {
                                {cell(period, metric)}
                                {cell(previous, metric)}
                            })}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One day of an account's history: the day's last value of a metric and
/// its change since the previous day with data.
#[derive(Clone, Debug, PartialEq)]
struct DailyRow {
    date: NaiveDate,
    value: Option<i64>,
    change: Option<i64>,
    /// Days since the previous row: more than 1 where days are missing.
    gap_days: i64,
    /// The day's value was imported from a file, not observed.
    imported: bool,
}

/// The daily table's rows, newest first, from snapshots oldest first.
fn daily_rows(points: &[HistoryPoint], metric: Metric) -> Vec<DailyRow> {
    let mut rows: Vec<DailyRow> = Vec::new();
    for point in points {
        let date = point.captured_at.date_naive();
        let value = point.counters.get(metric);
        match rows.last_mut() {
            // Several snapshots in a day: the day ends with the last one.
            Some(last) if last.date == date => {
                if value.is_some() {
                    last.value = value;
                    last.imported = point.imported;
                }
            }
            _ => rows.push(DailyRow {
                date,
                value,
                change: None,
                gap_days: 1,
                imported: point.imported,
            }),
        }
    }
    for i in 1..rows.len() {
        let (before, after) = rows.split_at_mut(i);
        let (previous, row) = (&before[i - 1], &mut after[0]);
        row.change = row.value.zip(previous.value).map(|(now, then)| now - then);
        row.gap_days = (row.date - previous.date).num_days();
    }
    rows.reverse();
    rows
}

/// Each day's gain or loss as bars (Social Blade's daily chart): how steady
/// the growth is shows at a glance.
#[component]
fn DailyGainChart(days: Vec<DailyRow>, metric: Metric, platform: Platform) -> impl IntoView {
    let points = days
        .iter()
        .rev()
        .filter_map(|row| {
            let change = row.change?;
            let noon = row.date.and_hms_opt(12, 0, 0)?.and_utc();
            Some((noon.timestamp_millis(), change as f64))
        })
        .collect();
    let lines = vec![ChartLine {
        name: format!("{} per day", platform.metric_label(metric)),
        points,
        stroke: Stroke::Bars,
    }];
    let label = format!("Daily change of {}", platform.metric_name(metric));
    view! {
        <h2>"Daily gains"</h2>
        <Chart element_id="daily-chart" kind="daily" lines label />
    }
}

/// The day-by-day values of the chart's metric, newest first.
#[component]
fn DailyTable(
    days: Vec<DailyRow>,
    metric: Metric,
    /// Compacted days, with their range before compaction.
    day_ranges: HashMap<NaiveDate, DailyRollup>,
    platform: Platform,
) -> impl IntoView {
    view! {
        <h2>"Day by day"</h2>
        <div class="table-scroll daily" tabindex="0" role="region" aria-label="Day by day values">
            <table class="data" data-testid="daily-table">
                <thead>
                    <tr>
                        <th scope="col">"Day"</th>
                        <th scope="col" class="num">{platform.metric_label(metric)}</th>
                        <th scope="col" class="num">"Change"</th>
                        <th scope="col" class="num" title="Days older than the retention period keep their last snapshot; this was their range before">"Day's low – high"</th>
                    </tr>
                </thead>
                <tbody>
                    {days.into_iter().map(|row| view! {
                        <tr>
                            <td>
                                {row.date.format("%Y-%m-%d").to_string()}
                                {row.imported.then(|| view! { <span class="imported" title="Imported from a file, not observed by Reach">"imported"</span> })}
                            </td>
                            <td class="num" title=exact(row.value)>{grouped_or_dash(row.value)}</td>
                            <td
                                class="num change"
                                class:up=row.change.is_some_and(|n| n > 0)
                                class:down=row.change.is_some_and(|n| n < 0)
                                title=(row.gap_days > 1).then(|| format!("over {} days: days without data in between", row.gap_days))
                            >
                                {signed(row.change)}
                                {(row.gap_days > 1).then(|| view! { <small>{format!("{} days", row.gap_days)}</small> })}
                            </td>
                            <td class="num muted" data-testid="day-range">
                                {day_ranges.get(&row.date).map(|r| format!(
                                    "{} – {} ({} snapshots)",
                                    grouped_or_dash(r.range.min),
                                    grouped_or_dash(r.range.max),
                                    r.samples
                                ))}
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn grouped_or_dash(value: Option<i64>) -> String {
    value.map_or_else(|| "—".to_owned(), grouped)
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
            let label = platform.metric_name(m);
            view! {
                <div class="card">
                    <span class="label">{label}</span>
                    <span class="value" title=exact(value)>{compact(value)}</span>
                </div>
            }
        })
        .collect_view();
    let title = match &account.display_name {
        Some(name) if *name != account.handle => format!("{name} ({})", account.handle),
        _ => account.handle.clone(),
    };
    view! {
        <Title text=title />
        <h1>
            <Avatar src=account.avatar.clone() name=account.handle.clone() platform size=48 />
            " "
            {account.display_name.clone().unwrap_or_else(|| account.handle.clone())}
            " "
            <span class=format!("badge {}", platform.as_str())>{platform.label()}</span>
        </h1>
        <p class="muted">
            <span data-testid="account-handle">{account.handle.clone()}</span>
            " · "
            <a href=format!("/compare?ids={}", account.id)>"compare with others"</a>
            " · history as "
            <a href=format!("/api/export/snapshots.csv?id={}", account.id) download rel="external" data-testid="export-history-csv">"CSV"</a>
            " or "
            <a href=format!("/api/export/snapshots.json?id={}", account.id) download rel="external">"JSON"</a>
            {data.brand.map(|brand| view! {
                " · brand: "
                <a href=format!("/brands/{}", brand.id) data-testid="account-brand">{brand.name}</a>
            })}
            {account.is_core.then_some(" · core account")}
            {(!account.tags.is_empty()).then(|| format!(" · tags: {}", account.tags.join(", ")))}
        </p>
        <div class="cards">{counters}</div>
        <p class="muted" data-testid="last-collected">
            "Last collected "
            <LocalTime at=account.last_collected_at />
            {format!(" · {} snapshots since ", grouped(data.snapshot_count as i64))}
            <LocalTime at=data.first_captured_at />
        </p>
        {account.simulated.then(|| view! {
            <p class="muted" data-testid="simulated-note">
                "Simulated counters: this is a demo account. Real accounts are only ever given what their platform says."
            </p>
        })}
        {account.state.map(|state| view! {
            <p class="error-panel" data-testid="state-note">
                {format!(
                    "The platform says this account is {}: its last known counters are kept, and no new ones are recorded until it is back.",
                    state.as_str()
                )}
            </p>
        })}
        {account.last_error.map(|e| {
            let outcome = account.last_outcome.map(|o| o.as_str()).unwrap_or("failed");
            view! { <p class="error-panel">{format!("Last collection {outcome}: {e}")}</p> }
        })}
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::model::Counters;

    fn point(day: u32, hour: u32, followers: Option<i64>) -> HistoryPoint {
        HistoryPoint {
            captured_at: Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap(),
            counters: Counters {
                followers,
                ..Counters::default()
            },
            imported: false,
        }
    }

    #[test]
    fn a_day_ends_with_its_last_snapshot_and_changes_span_gaps() {
        let rows = daily_rows(
            &[
                point(1, 0, Some(100)),
                point(2, 0, Some(110)),
                point(2, 12, Some(115)),
                point(5, 0, Some(130)),
                point(6, 0, None),
            ],
            Metric::Followers,
        );
        let summary: Vec<_> = rows
            .iter()
            .map(|r| {
                (
                    r.date.format("%d").to_string(),
                    r.value,
                    r.change,
                    r.gap_days,
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                ("06".to_owned(), None, None, 1),
                ("05".to_owned(), Some(130), Some(15), 3),
                ("02".to_owned(), Some(115), Some(15), 1),
                ("01".to_owned(), Some(100), None, 1),
            ]
        );
    }
}
