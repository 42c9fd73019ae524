//! The leaderboard: tracked accounts ranked by a metric's value or growth,
//! now or at the end of any past day, with each account's move since the
//! previous period. Every choice lives in the query string.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use serde::Serialize;

use crate::api::get_leaderboard;
use crate::components::avatar::Avatar;
use crate::components::filters::{PlatformSelect, TagSelect};
use crate::components::pager::PagerFooter;
use crate::components::status::{TableError, TableSkeleton};
use crate::format::{compact, exact, percent, signed, timestamp};
use crate::model::{
    DEFAULT_LEADERBOARD_DAYS, DEFAULT_PAGE_SIZE, LEADERBOARD_PERIODS, Leaderboard,
    LeaderboardEntry, Metric, Platform, RankBy,
};

/// The table's columns.
const COLUMNS: usize = 7;

/// The board as read from (and written to) the URL; values the server
/// would reject fall back to defaults.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct BoardState {
    metric: Metric,
    by: RankBy,
    days: u32,
    /// `YYYY-MM-DD`, or empty for now.
    date: String,
    platform: Option<Platform>,
    tag: Option<String>,
    page: u32,
}

impl BoardState {
    fn from_query(query: &ParamsMap) -> Self {
        Self {
            metric: query
                .get("metric")
                .and_then(|m| m.parse().ok())
                .unwrap_or_default(),
            by: query
                .get("by")
                .and_then(|b| b.parse().ok())
                .unwrap_or_default(),
            days: query
                .get("days")
                .and_then(|d| d.parse().ok())
                .filter(|d| LEADERBOARD_PERIODS.contains(d))
                .unwrap_or(DEFAULT_LEADERBOARD_DAYS),
            date: query
                .get("date")
                .filter(|d| d.parse::<chrono::NaiveDate>().is_ok())
                .unwrap_or_default(),
            platform: query.get("platform").and_then(|p| p.parse().ok()),
            tag: query.get("tag").filter(|t| !t.is_empty()),
            page: query
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p > 0)
                .unwrap_or(1),
        }
    }

    /// The URL of this board; defaults are left out.
    fn href(&self) -> String {
        let mut params = Vec::new();
        if self.metric != Metric::default() {
            params.push(format!("metric={}", self.metric.as_str()));
        }
        if self.by != RankBy::default() {
            params.push(format!("by={}", self.by.as_str()));
        }
        if self.days != DEFAULT_LEADERBOARD_DAYS {
            params.push(format!("days={}", self.days));
        }
        if !self.date.is_empty() {
            params.push(format!("date={}", self.date));
        }
        if let Some(platform) = self.platform {
            params.push(format!("platform={platform}"));
        }
        if let Some(tag) = &self.tag {
            params.push(format!("tag={}", super::encode_query_value(tag)));
        }
        if self.page > 1 {
            params.push(format!("page={}", self.page));
        }
        if params.is_empty() {
            "/leaderboard".to_owned()
        } else {
            format!("/leaderboard?{}", params.join("&"))
        }
    }

    /// The whole board as a file (every entry, not one page).
    fn export_href(&self, format: &str) -> String {
        let board = self.with(|_| {}).href();
        let query = board.strip_prefix("/leaderboard").unwrap_or_default();
        format!("/api/export/leaderboard.{format}{query}")
    }

    /// This board changed by `change`, from its first page.
    fn with(&self, change: impl FnOnce(&mut Self)) -> Self {
        let mut next = Self {
            page: 1,
            ..self.clone()
        };
        change(&mut next);
        next
    }
}

/// "1y" rather than "365d" on the period buttons.
fn period_label(days: u32) -> String {
    if days == 365 {
        "1y".to_owned()
    } else {
        format!("{days}d")
    }
}

#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| BoardState::from_query(&query.read()));
    let board = Resource::new(
        move || state.get(),
        |s| {
            get_leaderboard(
                Some(s.metric),
                Some(s.by),
                Some(s.days),
                s.date.parse().ok(),
                s.platform,
                None,
                s.tag,
                Some(s.page),
                Some(DEFAULT_PAGE_SIZE),
            )
        },
    );
    let segment = move |label: Signal<String>, active: Signal<bool>, href: Signal<String>| {
        view! {
            <a href=href data-noscroll="true" class:active=active aria-current=move || active.get().then_some("true")>{label}</a>
        }
    };

    view! {
        <Title text="Leaderboard" />
        <h1>"Leaderboard"</h1>
        <div class="toolbar">
            <div class="segmented" role="group" aria-label="Metric" data-testid="board-metric">
                // With one platform, its own names (subscribers, karma…).
                {Metric::ALL.into_iter().map(|m| segment(
                    Signal::derive(move || metric_label(state.get().platform, m)),
                    Signal::derive(move || state.get().metric == m),
                    Signal::derive(move || state.get().with(|s| s.metric = m).href()),
                )).collect_view()}
            </div>
            <div class="segmented" role="group" aria-label="Rank by" data-testid="board-by">
                {RankBy::ALL.into_iter().map(|by| segment(
                    Signal::stored(by.label().to_owned()),
                    Signal::derive(move || state.get().by == by),
                    Signal::derive(move || state.get().with(|s| s.by = by).href()),
                )).collect_view()}
            </div>
            <div class="segmented" role="group" aria-label="Growth period" data-testid="board-days">
                {LEADERBOARD_PERIODS.into_iter().map(|days| segment(
                    Signal::stored(period_label(days)),
                    Signal::derive(move || state.get().days == days),
                    Signal::derive(move || state.get().with(|s| s.days = days).href()),
                )).collect_view()}
            </div>
        </div>
        // A GET form: "Apply" loads the chosen board.
        <form class="filters" method="get" action="/leaderboard">
            <input type="hidden" name="metric" value=move || state.get().metric.as_str() />
            <input type="hidden" name="by" value=move || state.get().by.as_str() />
            <input type="hidden" name="days" value=move || state.get().days />
            <PlatformSelect selected=state.get_untracked().platform />
            <TagSelect selected=state.get_untracked().tag />
            <label>
                "As of "
                <input
                    type="date"
                    name="date"
                    data-testid="board-date"
                    max=chrono::Utc::now().date_naive().to_string()
                    value=state.get_untracked().date
                />
            </label>
            <button class="apply" type="submit">"Apply"</button>
            <span class="export">
                "Download "
                <a href=move || state.get().export_href("csv") download rel="external" data-testid="export-board-csv">"CSV"</a>
                " · "
                <a href=move || state.get().export_href("json") download rel="external">"JSON"</a>
            </span>
        </form>
        <p class="muted" data-testid="board-caption">
            <Transition fallback=|| "\u{a0}">
                {move || Suspend::new(async move {
                    board.await.ok().map(|board| format!(
                        "{} ranked of {} · as of {} · moves since {}",
                        board.ranked,
                        board.entries.total,
                        timestamp(Some(board.as_of)),
                        timestamp(Some(board.previous_as_of)),
                    ))
                })}
            </Transition>
        </p>
        <div class="table-scroll">
        <table class="data leaderboard" data-testid="leaderboard">
            <thead>
                <tr>
                    <th scope="col" class="num">"#"</th>
                    <th scope="col" title="Places gained or lost since the previous period">"Move"</th>
                    <th scope="col">"Account"</th>
                    <th scope="col">"Platform"</th>
                    <th scope="col" class="num">{move || { let s = state.get(); metric_label(s.platform, s.metric) }}</th>
                    <th scope="col" class="num">{move || format!("Growth ({})", period_label(state.get().days))}</th>
                    <th scope="col" class="num">"Growth %"</th>
                </tr>
            </thead>
            <Transition fallback=|| view! { <TableSkeleton rows=DEFAULT_PAGE_SIZE as usize columns=COLUMNS /> }>
                {move || Suspend::new(async move {
                    match board.await {
                        Ok(board) => view! { <Entries board=board.clone() state /> }.into_any(),
                        Err(error) => view! {
                            <TableError what="the leaderboard" columns=COLUMNS error />
                        }.into_any(),
                    }
                })}
            </Transition>
        </table>
        </div>
    }
}

#[component]
fn Entries(board: Leaderboard, state: Memo<BoardState>) -> impl IntoView {
    let page = board.entries.clone();
    let pages = page.page_count();
    let current = page.page;
    let link = move |target: u32| state.get_untracked().with(|s| s.page = target).href();
    let status = page.range_status("accounts");
    let rows = if board.entries.items.is_empty() {
        view! { <tr><td colspan=COLUMNS class="empty">"No account matches."</td></tr> }.into_any()
    } else {
        board
            .entries
            .items
            .into_iter()
            .map(|entry| view! { <EntryRow entry /> })
            .collect_view()
            .into_any()
    };
    view! {
        <tbody>{rows}</tbody>
        <PagerFooter columns=COLUMNS status current pages href=link />
    }
}

#[component]
fn EntryRow(entry: LeaderboardEntry) -> impl IntoView {
    let movement = match (entry.rank, entry.rank_change()) {
        (None, _) => view! { <span class="muted" title="Not ranked: the figure is unknown">"—"</span> }.into_any(),
        (Some(_), None) => view! { <span class="new" title="Not ranked in the previous period">"new"</span> }.into_any(),
        (Some(_), Some(0)) => view! { <span class="muted" title="Same place as in the previous period">"="</span> }.into_any(),
        (Some(_), Some(n)) if n > 0 => view! { <span class="up" title=format!("Up {n} places")>{format!("▲{n}")}</span> }.into_any(),
        (Some(_), Some(n)) => view! { <span class="down" title=format!("Down {} places", -n)>{format!("▼{}", -n)}</span> }.into_any(),
    };
    let rank = entry.rank.map_or_else(|| "—".to_owned(), |r| r.to_string());
    let seen = format!("seen {}", timestamp(entry.value_at));
    view! {
        <tr data-account-id=entry.id data-rank=entry.rank>
            <td class="num rank">{rank}</td>
            <td class="move">{movement}</td>
            <td>
                <Avatar src=entry.avatar.clone() name=entry.handle.clone() platform=entry.platform />
                <a class="handle" href=format!("/accounts/{}", entry.id) title=entry.display_name.clone().unwrap_or_default()>{entry.handle.clone()}</a>
                {entry.is_core.then(|| view! { <span class="core" title="Core account: collected first">"core"</span> })}
            </td>
            <td><span class=format!("badge {}", entry.platform.as_str())>{entry.platform.label()}</span></td>
            <td class="num" title=format!("{} ({seen})", exact(entry.value))>{compact(entry.value)}</td>
            <td class="num change" class:up=entry.change.is_some_and(|n| n > 0) class:down=entry.change.is_some_and(|n| n < 0)
                title=if entry.change.is_some() { exact(entry.change) } else { "unknown: no snapshot at one end of the period".to_owned() }>
                {signed(entry.change)}
            </td>
            <td class="num">{percent(entry.percent)}</td>
        </tr>
    }
}

/// A metric's name on `platform`, or its own name across platforms.
fn metric_label(platform: Option<Platform>, metric: Metric) -> String {
    platform.map_or_else(|| metric.label().to_owned(), |p| p.metric_label(metric))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(query: &str) -> BoardState {
        BoardState::from_query(&crate::pages::query_map(query))
    }

    #[test]
    fn defaults_give_the_bare_path() {
        assert_eq!(state("").href(), "/leaderboard");
    }

    #[test]
    fn state_round_trips_through_the_url() {
        let query =
            "metric=posts&by=percent&days=7&date=2026-10-01&platform=github&tag=news&page=2";
        assert_eq!(state(query).href(), format!("/leaderboard?{query}"));
    }

    #[test]
    fn the_export_has_the_whole_board() {
        assert_eq!(
            state("by=change&days=7&page=4").export_href("csv"),
            "/api/export/leaderboard.csv?by=change&days=7"
        );
    }

    #[test]
    fn bad_values_fall_back_and_changes_reset_the_page() {
        let s = state("days=12&by=magic&date=yesterday&page=3");
        assert_eq!(
            (s.days, s.by, s.date.as_str(), s.page),
            (DEFAULT_LEADERBOARD_DAYS, RankBy::Value, "", 3)
        );
        assert_eq!(s.with(|s| s.by = RankBy::Change).page, 1);
    }
}
