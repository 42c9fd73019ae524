//! Up to six accounts on one chart, absolute or indexed (= 100 at the start
//! of the range), with the accounts, metric, range and mode in the URL so a
//! comparison is a link to share.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;
use serde::Serialize;

use crate::api::{compare_accounts, list_accounts};
use crate::client_cache::cached_resource;
use crate::components::chart::{ChartLine, LineChart};
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

    fn href(&self) -> String {
        let ids = self
            .ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        format!(
            "/compare?ids={ids}&metric={}&range={}&mode={}",
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
    let comparison = cached_resource(
        "compare",
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
    let retry = Callback::new(move |_| comparison.refetch());
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
        <AccountPicker state />
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
                    Err(error) => view! { <ErrorPanel what="the comparison" error retry /> }.into_any(),
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
        <LineChart element_id="compare-chart" kind="compare" lines=Signal::stored(lines) label=Signal::stored(label) />
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

/// The compared accounts, each removable, and a list to add one from.
#[component]
fn AccountPicker(state: Memo<CompareState>) -> impl IntoView {
    // The biggest accounts: the usual candidates.
    let candidates = cached_resource(
        "accounts",
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
    let navigate = use_navigate();
    let add = move |ev: leptos::ev::Event| {
        let Ok(id) = event_target_value(&ev).parse::<i64>() else {
            return;
        };
        let current = state.get_untracked();
        if current.ids.contains(&id) || current.ids.len() >= MAX_COMPARED {
            return;
        }
        let mut ids = current.ids.clone();
        ids.push(id);
        navigate(
            &current.with_ids(ids).href(),
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    };
    view! {
        <div class="filters" data-testid="compared">
            <Transition fallback=|| ()>
                {move || {
                    let add = add.clone();
                    Suspend::new(async move {
                    let candidates = candidates.await.map(|page| page.items).unwrap_or_default();
                    let s = state.get();
                    let chips = s.ids.iter().map(|id| {
                        let name = candidates
                            .iter()
                            .find(|a| a.id == *id)
                            .map_or_else(|| format!("#{id}"), |a| a.handle.clone());
                        let without: Vec<i64> = s.ids.iter().copied().filter(|x| x != id).collect();
                        view! {
                            <a class="chip" href=s.with_ids(without).href() title="Remove from the comparison">
                                {name} " ✕"
                            </a>
                        }
                    }).collect_view();
                    let full = s.ids.len() >= MAX_COMPARED;
                    let options = candidates
                        .into_iter()
                        .filter(|a| !s.ids.contains(&a.id))
                        .map(|a| view! { <option value=a.id>{format!("{} ({})", a.handle, a.platform.label())}</option> })
                        .collect_view();
                    view! {
                        {chips}
                        <label>
                            "Add "
                            <select name="add" on:change=add disabled=full>
                                <option value="">{if full { "six accounts at most" } else { "an account…" }}</option>
                                {options}
                            </select>
                        </label>
                    }
                    })
                }}
            </Transition>
        </div>
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
