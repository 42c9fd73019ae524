//! Collection runs: the history with each run's figures and progress, a
//! "Collect now" button, each platform's status (the platforms panel), and
//! one run's per-platform timings and per-account outcomes.
//!
//! The runs table is an island: while a run is under way it asks again
//! every second, so its progress moves without a reload; the button is a
//! plain form, so it works before the WASM loads, too. A run's own page is
//! rendered on the server and reloads itself while the run is under way.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{CollectNow, get_run, list_runs};
use crate::components::pager::PagerFooter;
use crate::components::platforms::PlatformsPanel;
use crate::components::session::Session;
use crate::components::status::{ErrorPanel, TableError, TableSkeleton};
use crate::components::time::LocalTime;
use crate::format::grouped;
use crate::model::{CollectAnswer, Outcome, Page, RunDetail, RunStatus, RunSummary};
use crate::pages::poll_while;

const RUNS_PER_PAGE: u32 = 20;
const RESULTS_PER_PAGE: u32 = 50;
/// Where "Collect now" posts without the WASM.
const COLLECT_PATH: &str = <CollectNow as server_fn::ServerFn>::PATH;
/// How often the runs table asks for news while a run is under way.
const PROGRESS_POLL_MS: u32 = 1_000;
/// How often a run's own page reloads while the run is under way.
const RUN_REFRESH_SECONDS: &str = "2";

fn page_from(query: &leptos_router::params::ParamsMap) -> u32 {
    query
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p > 0)
        .unwrap_or(1)
}

#[component]
pub fn RunsPage() -> impl IntoView {
    let query = use_query_map();
    let page = page_from(&query.read_untracked());
    let session = Session::expect();
    view! {
        <Title text="Collection runs" />
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let admin = matches!(session.me.await, Ok(Some(_)));
                view! { <RunsBoard page admin /> }
            })}
        </Suspense>
        <PlatformsPanel />
    }
}

/// The runs table with its "Collect now" button: an island, so that a run
/// asked for here shows as soon as it exists and its progress moves without
/// a reload. `admin` is whether the reader may start one (the server
/// decides again when asked).
#[island(lazy)]
fn RunsBoard(page: u32, admin: bool) -> impl IntoView {
    crate::preload::island("RunsBoard");
    let runs = Resource::new(
        move || (),
        move |_| list_runs(Some(page), Some(RUNS_PER_PAGE)),
    );
    let collect = ServerAction::<CollectNow>::new();

    // A run asked for here appears a moment later, and one under way moves
    // on: look again until the new run has shown up and none is running.
    let newest_id = move |runs: Option<Result<Page<RunSummary>, _>>| {
        runs.and_then(Result::ok)
            .and_then(|page| page.items.first().map(|run| run.id))
            .unwrap_or(0)
    };
    let awaiting_run_after = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        if collect.input().get().is_some() {
            awaiting_run_after.set(Some(newest_id(runs.get_untracked())));
        }
    });
    Effect::new(move |_| {
        if collect.version().get() > 0 {
            runs.refetch();
        }
    });
    let in_progress = Memo::new(move |_| {
        runs.get().and_then(Result::ok).is_some_and(|page| {
            page.items
                .iter()
                .any(|run| run.status == RunStatus::Running)
        })
    });
    let in_progress = move || in_progress.get();
    let awaiting = move || {
        let refused = matches!(collect.value().get(), Some(Err(_)));
        !refused
            && awaiting_run_after
                .get()
                .is_some_and(|before| newest_id(runs.get()) <= before)
    };
    poll_while(
        PROGRESS_POLL_MS,
        move || in_progress() || awaiting(),
        move || runs.refetch(),
    );

    view! {
        <div class="heading">
            <h1>"Collection runs"</h1>
            {if admin {
                // A plain form (it works before the WASM has loaded), sent
                // by the action once live: `ActionForm` would bring a form
                // decoder into the WASM for a form without fields.
                view! {
                    <form method="post" action=COLLECT_PATH class="collect-now" on:submit=move |ev| {
                        ev.prevent_default();
                        collect.dispatch(CollectNow {});
                    }>
                        <button type="submit" data-testid="collect-now" disabled=move || collect.pending().get()>
                            "Collect now"
                        </button>
                    </form>
                }.into_any()
            } else {
                view! { <a href="/login" class="muted" data-testid="sign-in-to">"Sign in to collect now"</a> }.into_any()
            }}
        </div>
        <p class="status-line" role="status" data-testid="collect-answer">
            // Says what is true now: asked for, then under way (the run is in
            // the table), then nothing once it has finished.
            {move || match collect.value().get() {
                Some(Ok(CollectAnswer::Started)) if awaiting() => {
                    "Collection requested: its run appears in a moment.".to_owned()
                }
                Some(Ok(CollectAnswer::Started)) if in_progress() => format!(
                    "Run #{} is under way.",
                    newest_id(runs.get())
                ),
                Some(Ok(CollectAnswer::Started)) => String::new(),
                Some(Ok(CollectAnswer::AlreadyRunning)) => {
                    "A collection is already running; it collects everything due.".to_owned()
                }
                Some(Err(error)) => format!("Could not start a collection: {}", error.message),
                None => String::new(),
            }}
        </p>
        <div class="table-scroll">
        <table class="data runs">
            <thead>
                <tr>
                    <th>"Run"</th>
                    <th>"Started"</th>
                    <th>"Collectors"</th>
                    <th>"Instance"</th>
                    <th>"Status"</th>
                    <th class="num">"OK"</th>
                    <th class="num">"Failed"</th>
                    <th class="num">"Not configured"</th>
                    <th class="num">"Duration"</th>
                </tr>
            </thead>
            <Transition fallback=|| view! { <TableSkeleton rows=10 columns=9 /> }>
                {move || Suspend::new(async move {
                    match runs.await {
                        Ok(page) => view! { <RunRows page /> }.into_any(),
                        Err(error) => view! {
                            <TableError what="the runs" columns=9 error />
                        }.into_any(),
                    }
                })}
            </Transition>
        </table>
        </div>
    }
}

#[component]
fn RunRows(page: Page<RunSummary>) -> impl IntoView {
    let pages = page.page_count();
    let current = page.page;
    if page.items.is_empty() {
        return view! {
            <tbody><tr><td colspan="9" class="empty">"No collection has run yet."</td></tr></tbody>
        }
        .into_any();
    }
    view! {
        <tbody>
            {page.items.into_iter().map(|run| view! {
                <tr data-testid="run-row">
                    <td><a href=format!("/runs/{}", run.id)>{format!("#{}", run.id)}</a></td>
                    <td><LocalTime at=Some(run.started_at) /></td>
                    <td>{run.mode.clone()}</td>
                    <td class="instance">{run.instance.clone().unwrap_or_else(|| "—".to_owned())}</td>
                    <td><RunState run=run.clone() /></td>
                    <td class="num">{grouped(run.accounts_ok.into())}</td>
                    <td class="num">{grouped(run.accounts_failed.into())}</td>
                    <td class="num">{grouped(run.accounts_skipped.into())}</td>
                    <td class="num">{duration(run.duration_ms)}</td>
                </tr>
            }).collect_view()}
        </tbody>
        <PagerFooter
            columns=9
            status=format!("page {current} of {pages}")
            current
            pages
            href=|page| format!("/runs?page={page}")
            labels=("← Newer", "Older →")
        />
    }
    .into_any()
}

/// A run's status, with a progress bar while it runs.
#[component]
fn RunState(run: RunSummary) -> impl IntoView {
    match run.status {
        RunStatus::Running => view! {
            <span class="running" data-testid="run-progress">
                <progress max=run.accounts_total.max(1) value=run.accounts_done></progress>
                {format!(" {} / {} accounts", run.accounts_done, run.accounts_total)}
            </span>
        }
        .into_any(),
        RunStatus::Finished => view! { <span class="ok">"finished"</span> }.into_any(),
        RunStatus::Interrupted => view! { <span class="failed">"interrupted"</span> }.into_any(),
    }
}

fn duration(ms: Option<i64>) -> String {
    match ms {
        None => "—".to_owned(),
        Some(ms) if ms < 1_000 => format!("{ms} ms"),
        Some(ms) if ms < 60_000 => format!("{:.1} s", ms as f64 / 1_000.0),
        Some(ms) => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1_000),
    }
}

#[component]
pub fn RunPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let request = Memo::new(move |_| {
        let id = params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok());
        (id, page_from(&query.read()))
    });
    let detail = Resource::new(
        move || request.get(),
        |(id, page)| async move {
            match id {
                Some(id) => get_run(id, None, Some(page), Some(RESULTS_PER_PAGE)).await,
                None => Err(crate::error::ApiError::not_found("no such run")),
            }
        },
    );
    view! {
        <p><a href="/runs">"← All runs"</a></p>
        <Transition fallback=|| view! {
            <h1>"Run"</h1>
            <table class="data"><TableSkeleton rows=6 columns=7 /></table>
        }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(detail) => view! { <RunBody detail /> }.into_any(),
                    Err(error) => {
                        #[cfg(feature = "ssr")]
                        if error.kind == crate::error::ErrorKind::NotFound
                            && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
                        {
                            response.set_status(axum::http::StatusCode::NOT_FOUND);
                        }
                        view! { <ErrorPanel what="the run" error /> }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn RunBody(detail: RunDetail) -> impl IntoView {
    let RunDetail {
        run,
        platforms,
        results,
    } = detail;
    let id = run.id;
    let pages = results.page_count();
    let current = results.page;
    // A run under way is shown again every second or two until it ends:
    // the page is rendered on the server, so it asks the server again.
    let running = run.status == RunStatus::Running;
    view! {
        <Title text=format!("Run #{id}") />
        {running.then(|| view! { <Meta http_equiv="refresh" content=RUN_REFRESH_SECONDS /> })}
        <h1>{format!("Run #{id}")}</h1>
        <p class="run">
            "Started "
            <LocalTime at=Some(run.started_at) />
            {format!(
                " · {} collectors{} · {} ok, {} failed, {} not configured · {}",
                run.mode,
                run.instance.as_deref().map(|name| format!(" on {name}")).unwrap_or_default(),
                run.accounts_ok,
                run.accounts_failed,
                run.accounts_skipped,
                duration(run.duration_ms),
            )}
            " "
            <RunState run=run.clone() />
        </p>
        <h2>"By platform"</h2>
        <div class="table-scroll">
        <table class="data" data-testid="run-platforms">
            <thead>
                <tr>
                    <th>"Platform"</th>
                    <th class="num">"Accounts"</th>
                    <th class="num">"OK"</th>
                    <th class="num">"Failed"</th>
                    <th class="num">"Not configured"</th>
                    <th class="num">"Mean per account"</th>
                    <th class="num">"Slowest"</th>
                    <th class="num">"Done after"</th>
                </tr>
            </thead>
            <tbody>
                {platforms.into_iter().map(|p| view! {
                    <tr>
                        <td><span class=format!("badge {}", p.platform.as_str())>{p.platform.label()}</span></td>
                        <td class="num">{p.accounts}</td>
                        <td class="num">{p.ok}</td>
                        <td class="num">{p.failed}</td>
                        <td class="num">{p.skipped}</td>
                        <td class="num">{format!("{:.0} ms", p.mean_ms)}</td>
                        <td class="num">{duration(Some(p.max_ms))}</td>
                        <td class="num">{duration(Some(p.finished_after_ms))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        </div>
        <h2>"Accounts"</h2>
        <div class="table-scroll">
        <table class="data" data-testid="run-results">
            <thead>
                <tr>
                    <th>"Account"</th>
                    <th>"Platform"</th>
                    <th>"Outcome"</th>
                    <th>"Error"</th>
                    <th class="num">"Time"</th>
                </tr>
            </thead>
            <tbody>
                {results.items.into_iter().map(|r| {
                    let class = if r.outcome == Outcome::Ok { "ok" } else { "failed" };
                    view! {
                        <tr>
                            <td><a href=format!("/accounts/{}", r.account_id)>{r.handle}</a></td>
                            <td>{r.platform.label()}</td>
                            <td><span class=class>{r.outcome.as_str()}</span></td>
                            <td>{r.error.unwrap_or_default()}</td>
                            <td class="num">{duration(Some(r.duration_ms))}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
            <PagerFooter
                columns=5
                status=format!("{} accounts · page {current} of {pages}", results.total)
                current
                pages
                href=move |page| format!("/runs/{id}?page={page}")
            />
        </table>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(None), "—");
        assert_eq!(duration(Some(42)), "42 ms");
        assert_eq!(duration(Some(4_200)), "4.2 s");
        assert_eq!(duration(Some(125_000)), "2 min 5 s");
    }
}
