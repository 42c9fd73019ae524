//! Up to six accounts on one chart, absolute or indexed (= 100 at the start
//! of the range), with the accounts, metric, range and mode in the URL so a
//! comparison is a link to share.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use serde::Serialize;

use crate::api::{compare_accounts, list_accounts};
use crate::components::chart::{Chart, ChartLine};
use crate::components::status::ErrorPanel;
use crate::format::compact;
use crate::model::{
    AccountSort, CompareMode, Comparison, HistoryRange, MAX_COMPARED, MAX_PAGE_SIZE, Metric,
    SortDirection,
};

/// The comparison as read from (and written to) the URL.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct CompareState {
    ids: Vec<i64>,
    metric: Metric,
    range: HistoryRange,
    mode: CompareMode,
}

impl CompareState {
    fn from_query(query: &ParamsMap) -> Self {
        let mut ids: Vec<i64> = Vec::new();
        for id in query
            .get("ids")
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
        {
            if !ids.contains(&id) && ids.len() < MAX_COMPARED {
                ids.push(id);
            }
        }
        Self {
            ids,
            metric: query
                .get("metric")
                .and_then(|m| m.parse().ok())
                .unwrap_or_default(),
            range: query
                .get("range")
                .and_then(|r| r.parse().ok())
                .unwrap_or_default(),
            mode: query
                .get("mode")
                .and_then(|m| m.parse().ok())
                .unwrap_or_default(),
        }
    }

    /// The accounts as the `ids` parameter: `3,7,9`.
    fn ids_param(&self) -> String {
        self.ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    }

    fn href(&self) -> String {
        format!(
            "/compare?ids={}&metric={}&range={}&mode={}",
            self.ids_param(),
            self.metric.as_str(),
            self.range.as_str(),
            self.mode.as_str()
        )
    }

    fn with_ids(&self, ids: Vec<i64>) -> Self {
        Self {
            ids,
            ..self.clone()
        }
    }
}

#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| CompareState::from_query(&query.read()));
    let comparison = Resource::new(
        move || state.get(),
        |s| async move {
            if s.ids.is_empty() {
                return Ok(None);
            }
            let ids = s
                .ids
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            compare_accounts(ids, Some(s.metric), Some(s.range), Some(s.mode))
                .await
                .map(Some)
        },
    );
    let link = move |change: fn(&mut CompareState)| {
        move || {
            let mut s = state.get();
            change(&mut s);
            s.href()
        }
    };
    view! {
        <Title text="Compare" />
        <h1>"Compare"</h1>
        <p class="muted">"Up to six accounts on one chart. Indexed shows each as a percentage of its first value in the range, so accounts of any size compare."</p>
        <div class="filters picker" data-testid="compared">
            <ComparedChips state />
            <AccountPicker state search=query.read_untracked().get("q").unwrap_or_default() />
        </div>
        <div class="toolbar">
            <div class="segmented" role="group" aria-label="Range">
                {HistoryRange::ALL.into_iter().map(|r| view! {
                    <a href=move || { let mut s = state.get(); s.range = r; s.href() } data-noscroll="true"
                        class:active=move || state.get().range == r data-range=r.as_str()>{r.as_str()}</a>
                }).collect_view()}
            </div>
            <div class="segmented" role="group" aria-label="Metric">
                {Metric::ALL.into_iter().map(|m| view! {
                    <a href=move || { let mut s = state.get(); s.metric = m; s.href() } data-noscroll="true"
                        class:active=move || state.get().metric == m data-metric=m.as_str()>{m.label()}</a>
                }).collect_view()}
            </div>
            <div class="segmented" role="group" aria-label="Scale">
                <a href=link(|s| s.mode = CompareMode::Absolute) data-noscroll="true"
                    class:active=move || state.get().mode == CompareMode::Absolute data-mode="absolute">"Absolute"</a>
                <a href=link(|s| s.mode = CompareMode::Indexed) data-noscroll="true"
                    class:active=move || state.get().mode == CompareMode::Indexed data-mode="indexed">"Indexed"</a>
            </div>
        </div>
        <Transition fallback=|| view! { <div class="chart skeleton" aria-busy="true"></div> }>
            {move || Suspend::new(async move {
                match comparison.await {
                    Ok(None) => view! {
                        <div class="chart empty">"Pick accounts to compare above."</div>
                    }.into_any(),
                    Ok(Some(data)) => view! { <CompareBody data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel what="the comparison" error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CompareBody(data: Comparison) -> impl IntoView {
    let indexed = data.mode == CompareMode::Indexed;
    let lines: Vec<ChartLine> = data
        .series
        .iter()
        .map(|s| {
            ChartLine::observed(
                format!("{} ({})", s.handle, s.platform.label()),
                s.points
                    .iter()
                    .map(|(at, value)| (at.timestamp_millis(), *value))
                    .collect(),
            )
        })
        .collect();
    let label = format!("Comparison of {} by {}", lines.len(), data.metric.label());
    let chart = view! {
        <Chart element_id="compare-chart" kind="compare" lines label />
    }
    .into_any();
    view! {
        {chart}
        <div class="table-scroll">
        <table class="data" data-testid="compare-table">
            <thead>
                <tr>
                    <th scope="col">"Account"</th>
                    <th scope="col" class="num">"first"</th>
                    <th scope="col" class="num">"last"</th>
                    <th scope="col" class="num">"change"</th>
                </tr>
            </thead>
            <tbody>
                {data.series.into_iter().map(|s| {
                    let first = s.points.first().map(|(_, v)| *v);
                    let last = s.points.last().map(|(_, v)| *v);
                    let show = move |v: Option<f64>| match v {
                        None => "—".to_owned(),
                        Some(v) if indexed => format!("{v:.1}"),
                        Some(v) => compact(Some(v as i64)),
                    };
                    let change = first.zip(last).filter(|(f, _)| *f > 0.0).map(|(f, l)| (l - f) * 100.0 / f);
                    view! {
                        <tr data-account-id=s.id>
                            <td><a href=format!("/accounts/{}", s.id)>{s.handle}</a> " " <span class="muted">{s.platform.label()}</span></td>
                            <td class="num">{show(first)}</td>
                            <td class="num">{show(last)}</td>
                            <td class="num">{change.map_or_else(|| "—".to_owned(), |c| format!("{c:+.1}%"))}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// How many matches the picker offers at once.
const PICKER_MATCHES: u32 = 8;

/// The compared accounts, each a link to the comparison without it.
#[component]
fn ComparedChips(state: Memo<CompareState>) -> impl IntoView {
    // The biggest accounts: the chips' names for the usual candidates.
    let known = Resource::new(
        || (),
        |_| {
            list_accounts(
                Some(1),
                Some(MAX_PAGE_SIZE),
                Some(AccountSort::Followers),
                Some(SortDirection::Desc),
                None,
                None,
                None,
                None,
            )
        },
    );
    let chips = move || {
        Suspend::new(async move {
            let known = known.await.map(|page| page.items).unwrap_or_default();
            let s = state.get();
            s.ids
                .iter()
                .map(|id| {
                    let name = known
                        .iter()
                        .find(|a| a.id == *id)
                        .map_or_else(|| format!("#{id}"), |a| a.handle.clone());
                    let without: Vec<i64> = s.ids.iter().copied().filter(|x| x != id).collect();
                    view! {
                        <a class="chip" href=s.with_ids(without).href() data-noscroll="true" title="Remove from the comparison">
                            {name} " ✕"
                        </a>
                    }
                })
                .collect_view()
        })
    };
    view! { <Transition fallback=|| ()>{chips}</Transition> }
}

/// A search to add an account to the comparison: a GET form, whose text
/// the server searches (by handle or name, among every account) and whose
/// matches are links to the comparison with that account added, where the
/// search is empty again for the next.
#[component]
fn AccountPicker(state: Memo<CompareState>, search: String) -> impl IntoView {
    let current = state.get_untracked();
    let full = current.ids.len() >= MAX_COMPARED;
    let text = search.trim().to_owned();
    let matches = Resource::new(
        move || text.clone(),
        |text| async move {
            if text.is_empty() {
                return Ok(Vec::new());
            }
            list_accounts(
                Some(1),
                Some(PICKER_MATCHES),
                Some(AccountSort::Followers),
                Some(SortDirection::Desc),
                Some(text),
                None,
                None,
                None,
            )
            .await
            .map(|page| page.items)
        },
    );
    let searched = !search.trim().is_empty();
    let results = move || {
        Suspend::new(async move {
            let s = state.get_untracked();
            match matches.await {
                _ if !searched => ().into_any(),
                Err(_) => view! { <p class="muted">"The search did not answer; try again."</p> }
                    .into_any(),
                Ok(found) => {
                    let found: Vec<_> = found
                        .into_iter()
                        .filter(|a| !s.ids.contains(&a.id))
                        .collect();
                    if found.is_empty() {
                        return view! { <p class="muted" data-testid="picker-none">"No other account matches."</p> }.into_any();
                    }
                    view! {
                        <ul class="picker-results" data-testid="picker-results">
                            {found.into_iter().map(|a| {
                                let mut ids = s.ids.clone();
                                ids.push(a.id);
                                view! {
                                    <li>
                                        <a href=s.with_ids(ids).href() data-noscroll="true" data-account-id=a.id title="Add to the comparison">
                                            {a.handle} " " <span class="muted">{a.platform.label()}</span>
                                        </a>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }
        })
    };
    let ids = current.ids_param();
    view! {
        <form role="search" method="get" action="/compare">
            <input type="hidden" name="ids" value=ids />
            <input type="hidden" name="metric" value=current.metric.as_str() />
            <input type="hidden" name="range" value=current.range.as_str() />
            <input type="hidden" name="mode" value=current.mode.as_str() />
            <label>
                "Add "
                <input type="search" name="q" autocomplete="off" disabled=full value=search
                    placeholder=if full { "six accounts at most" } else { "search accounts, then Enter" } />
            </label>
        </form>
        <Transition fallback=|| ()>{results}</Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(query: &str) -> CompareState {
        let mut map = ParamsMap::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap();
            map.insert(k.to_owned(), v.to_owned());
        }
        CompareState::from_query(&map)
    }

    #[test]
    fn the_url_holds_the_whole_comparison() {
        let s = state("ids=3,7,3,x,9&metric=posts&range=1y&mode=indexed");
        assert_eq!(s.ids, [3, 7, 9]);
        assert_eq!(
            s.href(),
            "/compare?ids=3,7,9&metric=posts&range=1y&mode=indexed"
        );
        let defaults = state("");
        assert!(defaults.ids.is_empty());
        assert_eq!(defaults.mode, CompareMode::Absolute);
    }

    #[test]
    fn at_most_six_accounts() {
        assert_eq!(state("ids=1,2,3,4,5,6,7,8").ids.len(), MAX_COMPARED);
    }
}
