//! The accounts table: server-side pagination, sorting and filtering, with
//! all of its state in the query string so every view is a shareable URL
//! and back/forward work.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use serde::Serialize;

use super::encode_query_value;
use crate::api::list_accounts;
use crate::components::avatar::Avatar;
use crate::components::filters::{PlatformSelect, TagSelect};
use crate::components::manage::AddAccountForm;
use crate::components::pager::PagerFooter;
use crate::components::session::AdminOnly;
use crate::components::sparkline::Sparkline;
use crate::components::status::{TableError, TableSkeleton};
use crate::components::time::LocalTime;
use crate::format::{age, compact, exact, grouped, percent, signed};
use crate::model::{
    AccountRow, AccountSort, DEFAULT_PAGE_SIZE, Metric, Outcome, Page, Platform, SortDirection,
    percent_change,
};

/// The table's columns.
const COLUMNS: usize = 12;

/// The table's state as read from (and written to) the URL. Values the
/// server would reject fall back to defaults here: a bad link still shows a table.
#[derive(Clone, Debug, PartialEq, Serialize)]
struct TableState {
    page: u32,
    sort: AccountSort,
    direction: SortDirection,
    search: String,
    platform: Option<Platform>,
    core: Option<bool>,
    tag: Option<String>,
}

impl TableState {
    fn from_query(query: &ParamsMap) -> Self {
        let sort = query
            .get("sort")
            .and_then(|s| s.parse().ok())
            .unwrap_or_default();
        Self {
            page: query
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p > 0)
                .unwrap_or(1),
            sort,
            direction: query
                .get("dir")
                .and_then(|d| d.parse().ok())
                .unwrap_or_else(|| AccountSort::natural_direction(sort)),
            search: query.get("q").unwrap_or_default(),
            platform: query.get("platform").and_then(|p| p.parse().ok()),
            core: match query.get("core").as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            },
            tag: query.get("tag").filter(|t| !t.is_empty()),
        }
    }

    /// The filters' query parameters (platform, core, tag).
    fn filter_params(&self) -> Vec<String> {
        let mut params = Vec::new();
        if let Some(platform) = self.platform {
            params.push(format!("platform={platform}"));
        }
        if let Some(core) = self.core {
            params.push(format!("core={core}"));
        }
        if let Some(tag) = &self.tag {
            params.push(format!("tag={}", encode_query_value(tag)));
        }
        params
    }

    /// The URL of this state; defaults are left out to keep links short.
    fn href(&self) -> String {
        let mut params = self.filter_params();
        if !self.search.is_empty() {
            params.push(format!("q={}", encode_query_value(&self.search)));
        }
        if self.sort != AccountSort::default() || self.direction != self.sort.natural_direction() {
            params.push(format!("sort={}", self.sort.as_str()));
            params.push(format!("dir={}", self.direction.as_str()));
        }
        if self.page > 1 {
            params.push(format!("page={}", self.page));
        }
        if params.is_empty() {
            "/accounts".to_owned()
        } else {
            format!("/accounts?{}", params.join("&"))
        }
    }

    /// The export of the accounts these filters let through (search, sort
    /// and page do not apply: an export has every matching account).
    fn export_href(&self, format: &str) -> String {
        let params = self.filter_params();
        let query = if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        };
        format!("/api/export/accounts.{format}{query}")
    }

    /// Clicking a header sorts by it; clicking the current one flips the order.
    fn sorted_by(&self, sort: AccountSort) -> Self {
        let direction = if self.sort == sort {
            self.direction.flipped()
        } else {
            sort.natural_direction()
        };
        Self {
            sort,
            direction,
            page: 1,
            ..self.clone()
        }
    }
}

#[component]
pub fn AccountsPage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| TableState::from_query(&query.read()));
    let rows = Resource::new(
        move || state.get(),
        |s| {
            list_accounts(
                Some(s.page),
                Some(DEFAULT_PAGE_SIZE),
                Some(s.sort),
                Some(s.direction),
                Some(s.search).filter(|q| !q.is_empty()),
                s.platform,
                s.core,
                s.tag,
            )
        },
    );

    // A counter's column takes the platform's name for it when the table
    // shows one platform (subscribers, karma…).
    let named = move |metric: Metric| {
        Signal::derive(move || {
            state
                .get()
                .platform
                .map_or_else(|| metric.label().to_owned(), |p| p.metric_label(metric))
        })
    };
    let fixed = |label: &'static str| Signal::stored(label.to_owned());
    let header = move |sort: AccountSort, label: Signal<String>, numeric: bool| {
        let indicator = move || {
            let s = state.get();
            match (s.sort == sort, s.direction) {
                (false, _) => "",
                (true, SortDirection::Asc) => " ▲",
                (true, SortDirection::Desc) => " ▼",
            }
        };
        let aria = move || {
            let s = state.get();
            match (s.sort == sort, s.direction) {
                (false, _) => "none",
                (true, SortDirection::Asc) => "ascending",
                (true, SortDirection::Desc) => "descending",
            }
        };
        view! {
            <th class:num=numeric aria-sort=aria>
                <a href=move || state.get().sorted_by(sort).href() data-sort=sort.as_str()>
                    {label}{indicator}
                </a>
            </th>
        }
    };

    let initial = state.get_untracked();
    view! {
        <Title text="Accounts" />
        <h1>"Accounts"</h1>
        <AdminOnly action="add accounts">
            <AddAccountForm />
        </AdminOnly>
        // A GET form: "Apply" (or Enter in the search) loads the filtered page.
        <form class="filters" method="get" action="/accounts">
            <label>
                "Search "
                <input
                    type="search"
                    name="q"
                    placeholder="handle or name"
                    autocomplete="off"
                    value=initial.search.clone()
                />
            </label>
            <PlatformSelect selected=initial.platform />
            <label>
                "Core "
                <select name="core">
                    <option value="" selected=initial.core.is_none()>"All accounts"</option>
                    <option value="true" selected=initial.core == Some(true)>"Core only"</option>
                    <option value="false" selected=initial.core == Some(false)>"Not core"</option>
                </select>
            </label>
            <TagSelect selected=initial.tag.clone() />
            <button class="apply" type="submit">"Apply"</button>
            <span class="export">
                "Download "
                <a href=move || state.get().export_href("csv") download rel="external" data-testid="export-accounts-csv">"CSV"</a>
                " · "
                <a href=move || state.get().export_href("json") download rel="external">"JSON"</a>
            </span>
        </form>
        <div class="table-scroll">
        <table class="data accounts" data-testid="accounts-table">
            <thead>
                <tr>
                    {header(AccountSort::Handle, fixed("Account"), false)}
                    {header(AccountSort::Platform, fixed("Platform"), false)}
                    {header(AccountSort::Followers, named(Metric::Followers), true)}
                    {header(AccountSort::Change7d, fixed("7 days"), true)}
                    {header(AccountSort::Change30d, fixed("30 days"), true)}
                    <th scope="col">"Trend"</th>
                    {header(AccountSort::Following, named(Metric::Following), true)}
                    {header(AccountSort::Posts, named(Metric::Posts), true)}
                    {header(AccountSort::Views, named(Metric::Views), true)}
                    {header(AccountSort::Likes, named(Metric::Likes), true)}
                    {header(AccountSort::Score, named(Metric::Score), true)}
                    {header(AccountSort::LastCollected, fixed("Last collected"), false)}
                </tr>
            </thead>
            <Transition fallback=|| view! { <TableSkeleton rows=DEFAULT_PAGE_SIZE as usize columns=COLUMNS /> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(page) => view! { <Rows page=page.clone() /> <Pager page state /> }.into_any(),
                        Err(error) => view! {
                            <TableError what="the accounts" columns=COLUMNS error />
                        }.into_any(),
                    }
                })}
            </Transition>
        </table>
        </div>
    }
}

#[component]
fn Rows(page: Page<AccountRow>) -> impl IntoView {
    if page.items.is_empty() {
        return view! {
            <tbody>
                <tr><td colspan=COLUMNS class="empty">{if page.total > 0 { "No accounts on this page: see the last page below." } else { "No account matches." }}</td></tr>
            </tbody>
        }
        .into_any();
    }
    let now = chrono::Utc::now();
    view! {
        <tbody>
            {page.items.into_iter().map(|a| {
                let title = a.display_name.clone().unwrap_or_default();
                let cell = move |v: Option<i64>| view! {
                    <td class="num" title=exact(v)>{compact(v)}</td>
                };
                let failed = a.last_outcome.is_some_and(|o| o != Outcome::Ok);
                let sparkline_label = format!("{} followers over 30 days", a.handle);
                view! {
                    <tr data-account-id=a.id>
                        <td>
                            <Avatar src=a.avatar.clone() name=a.handle.clone() platform=a.platform />
                            <a class="handle" href=format!("/accounts/{}", a.id) title=title>{a.handle.clone()}</a>
                            <span class="phone-only">{a.platform.label()}</span>
                            {a.is_core.then(|| view! { <span class="core" title="Core account: collected first">"core"</span> })}
                            {a.simulated.then(|| view! { <span class="simulated" title="A demo account: simulated counters">"simulated"</span> })}
                            {a.last_outcome.filter(|o| *o != Outcome::Ok).map(|o| view! {
                                <span class="outcome" title=a.last_error.clone().unwrap_or_default()>{o.as_str()}</span>
                            })}
                        </td>
                        <td><span class=format!("badge {}", a.platform.as_str())>{a.platform.label()}</span></td>
                        {cell(a.latest.followers)}
                        <ChangeCell change=a.change_7d current=a.latest.followers days=7 />
                        <ChangeCell change=a.change_30d current=a.latest.followers days=30 />
                        <td><Sparkline values=a.sparkline label=sparkline_label /></td>
                        {cell(a.latest.following)}
                        {cell(a.latest.posts)}
                        {cell(a.latest.views)}
                        {cell(a.latest.likes)}
                        {cell(a.latest.score)}
                        <td class="muted">
                            <LocalTime at=a.last_collected_at />
                            {failed.then(|| {
                                let data_age = a.last_collected_at.map_or_else(
                                    || "no data yet".to_owned(),
                                    |at| format!("data {} old", age(at, now)),
                                );
                                view! {
                                    <small class="stale" title=a.last_error.clone().unwrap_or_default()>{data_age}</small>
                                }
                            })}
                        </td>
                    </tr>
                }
            }).collect_view()}
        </tbody>
    }
    .into_any()
}

/// A follower change over `days`, absolute and as a percentage.
#[component]
fn ChangeCell(change: Option<i64>, current: Option<i64>, days: u32) -> impl IntoView {
    let title = match change {
        Some(n) => format!("{} followers in {days} days", grouped(n)),
        None => format!("unknown: less than {days} days of history"),
    };
    view! {
        <td class="num change" class:up=change.is_some_and(|n| n > 0) class:down=change.is_some_and(|n| n < 0) title=title>
            {signed(change)}
            <small>{percent(percent_change(change, current))}</small>
        </td>
    }
}

#[component]
fn Pager(page: Page<AccountRow>, state: Memo<TableState>) -> impl IntoView {
    let pages = page.page_count();
    let current = page.page;
    let link = move |target: u32| {
        TableState {
            page: target,
            ..state.get_untracked()
        }
        .href()
    };
    let status = page.range_status("accounts");
    view! { <PagerFooter columns=COLUMNS status current pages href=link /> }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(query: &str) -> TableState {
        TableState::from_query(&crate::pages::query_map(query))
    }

    #[test]
    fn defaults_give_the_bare_path() {
        assert_eq!(state("").href(), "/accounts");
    }

    #[test]
    fn state_round_trips_through_the_url() {
        let s = state("platform=github&core=true&tag=news&q=fox&sort=change_7d&dir=asc&page=3");
        assert_eq!(s.page, 3);
        assert_eq!(s.platform, Some(Platform::Github));
        assert_eq!(s.core, Some(true));
        assert_eq!(s.sort, AccountSort::Change7d);
        assert_eq!(
            s.href(),
            "/accounts?platform=github&core=true&tag=news&q=fox&sort=change_7d&dir=asc&page=3"
        );
    }

    #[test]
    fn bad_values_fall_back_to_defaults() {
        let s = state("page=-4&sort=nonsense&platform=myspace");
        assert_eq!(
            (s.page, s.sort, s.platform),
            (1, AccountSort::Followers, None)
        );
    }

    #[test]
    fn sorting_the_current_column_flips_and_resets_the_page() {
        let s = state("page=2");
        let by_followers = s.sorted_by(AccountSort::Followers);
        assert_eq!(
            (by_followers.direction, by_followers.page),
            (SortDirection::Asc, 1)
        );
        let by_handle = s.sorted_by(AccountSort::Handle);
        assert_eq!(by_handle.direction, SortDirection::Asc);
    }

    #[test]
    fn the_export_keeps_the_filters_only() {
        let s = state("platform=github&tag=news&q=fox&sort=posts&page=3");
        assert_eq!(
            s.export_href("csv"),
            "/api/export/accounts.csv?platform=github&tag=news"
        );
        assert_eq!(state("").export_href("json"), "/api/export/accounts.json");
    }

    #[test]
    fn search_text_is_encoded() {
        assert_eq!(encode_query_value("a b&c"), "a%20b%26c");
    }
}
