//! Reach's own performance (`/api/performance`): latency per endpoint and
//! per kind of database query, the cache, the pool, the collectors and the
//! process. The page is live: it asks again every few seconds, and is never
//! served from the browser's cache.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::get_performance;
use crate::components::status::{CardSkeleton, ErrorPanel, TableSkeleton};
use crate::format::{grouped, timestamp};
use crate::model::{CacheBackend, CacheStats, CollectorStats, Performance, SeriesStats};
use crate::pages::poll_while;

/// How often the figures are asked for again.
const REFRESH_MS: u32 = 5_000;

#[component]
pub fn PerformancePage() -> impl IntoView {
    view! {
        <Title text="Performance" />
        <h1>"Performance"</h1>
        <p class="muted">"This instance's own figures, refreshed every 5 seconds. Latencies are measured in the server, from request to response headers."</p>
        <PerformanceLive />
    }
}

/// The figures: an island, so they are asked for again every few seconds
/// without reloading the page.
#[island(lazy)]
fn PerformanceLive() -> impl IntoView {
    crate::preload::island("PerformanceLive");
    let performance = Resource::new(|| (), |_| get_performance());
    poll_while(
        REFRESH_MS,
        move || performance.get().is_some(),
        move || performance.refetch(),
    );
    view! {
        <Transition fallback=|| view! {
            <div class="cards"><CardSkeleton /><CardSkeleton /><CardSkeleton /><CardSkeleton /></div>
            <table class="data"><TableSkeleton rows=8 columns=8 /></table>
        }>
            {move || Suspend::new(async move {
                match performance.await {
                    Ok(data) => view! { <PerformanceBody data /> }.into_any(),
                    Err(error) => view! { <ErrorPanel what="the performance figures" error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PerformanceBody(data: Performance) -> impl IntoView {
    let window = format!("last {} min", data.window_seconds / 60);
    let hits: u64 = data
        .cache
        .kinds
        .iter()
        .map(|k| k.local_hits + k.redis_hits)
        .sum();
    let misses: u64 = data.cache.kinds.iter().map(|k| k.misses).sum();
    let cards = view! {
        <div class="cards" data-testid="process">
            <div class="card">
                <span class="label">"Version"</span>
                <span class="value">{data.version.clone()}</span>
                <span class="sub" data-testid="instance">{format!("{}, up {}", data.instance, uptime(data.uptime_seconds))}</span>
            </div>
            <div class="card">
                <span class="label">"Memory"</span>
                <span class="value">{data.rss_bytes.map_or_else(|| "—".to_owned(), |b| format!("{} MB", b / 1_000_000))}</span>
                <span class="sub">"resident"</span>
            </div>
            <div class="card">
                <span class="label">"Cache hit rate"</span>
                <span class="value" data-testid="hit-rate">{hit_rate(hits, misses)}</span>
                <span class="sub">{format!("{} · {} hits, {} misses", backend(data.cache.backend), grouped(hits as i64), grouped(misses as i64))}</span>
            </div>
            <div class="card">
                <span class="label">"Database"</span>
                <span class="value">{data.database.backend.clone()}</span>
                <span class="sub">{format!("pool: {} open, {} idle", data.database.pool_size, data.database.pool_idle)}</span>
            </div>
        </div>
    }
    .into_any();
    let endpoints = view! {
        <h2>"Endpoints"</h2>
        <SeriesTable series=data.endpoints window=window.clone() testid="endpoints" what="requests" />
    }
    .into_any();
    let queries = view! {
        <h2>"Database queries"</h2>
        <SeriesTable series=data.database.queries window testid="queries" what="statements" />
    }
    .into_any();
    let cache = view! { <CacheTable cache=data.cache /> }.into_any();
    let collectors = view! { <CollectorTable collectors=data.collectors /> }.into_any();
    view! { {cards} {endpoints} {queries} {cache} {collectors} }
}

/// Latency series as a table, each row with a bar of its p99 (recent)
/// against the slowest row's.
#[component]
fn SeriesTable(
    series: Vec<SeriesStats>,
    window: String,
    testid: &'static str,
    what: &'static str,
) -> impl IntoView {
    let slowest = series
        .iter()
        .map(|s| s.recent.p99_ms)
        .fold(0.0_f64, f64::max)
        .max(0.001);
    view! {
        <div class="table-scroll">
            <table class="data" data-testid=testid>
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col" class="num">{what}</th>
                        <th scope="col" class="num">"errors"</th>
                        <th scope="col" class="num">{format!("p50, {window}")}</th>
                        <th scope="col" class="num">"p95"</th>
                        <th scope="col" class="num">"p99"</th>
                        <th scope="col">"p99 (bar)"</th>
                        <th scope="col" class="num">"p99 since start"</th>
                        <th scope="col" class="num">"max"</th>
                    </tr>
                </thead>
                <tbody>
                    {series.is_empty().then(|| view! {
                        <tr><td colspan="9" class="empty">"Nothing measured yet."</td></tr>
                    })}
                    {series.into_iter().map(|s| {
                        let width = format!("width: {:.1}%", s.recent.p99_ms / slowest * 100.0);
                        let failed = s.errors > 0;
                        view! {
                            <tr>
                                <td><code>{s.name}</code></td>
                                <td class="num">{grouped(s.count as i64)}</td>
                                <td class="num" class:failed=failed>{grouped(s.errors as i64)}</td>
                                <td class="num">{ms(s.recent.p50_ms, s.recent.count)}</td>
                                <td class="num">{ms(s.recent.p95_ms, s.recent.count)}</td>
                                <td class="num">{ms(s.recent.p99_ms, s.recent.count)}</td>
                                <td class="bar-cell"><span class="bar" style=width></span></td>
                                <td class="num">{ms(s.overall.p99_ms, s.overall.count)}</td>
                                <td class="num">{ms(s.overall.max_ms, s.overall.count)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CacheTable(cache: CacheStats) -> impl IntoView {
    view! {
        <h2>"Read cache"</h2>
        <p class="muted">{format!(
            "Backend: {}. {} answers held in this instance ({} KB).",
            backend(cache.backend),
            cache.entries,
            cache.memory_bytes / 1024
        )}</p>
        <div class="table-scroll">
            <table class="data" data-testid="cache">
                <thead>
                    <tr>
                        <th scope="col">"Kind"</th>
                        <th scope="col" class="num">"hit rate"</th>
                        <th scope="col" class="num">"hits in process"</th>
                        <th scope="col" class="num">"hits in Redis"</th>
                        <th scope="col" class="num">"misses"</th>
                        <th scope="col" class="num">"errors"</th>
                        <th scope="col" class="num">"fallbacks"</th>
                    </tr>
                </thead>
                <tbody>
                    {cache.kinds.into_iter().map(|k| view! {
                        <tr>
                            <td>{k.kind}</td>
                            <td class="num">{hit_rate(k.local_hits + k.redis_hits, k.misses)}</td>
                            <td class="num">{grouped(k.local_hits as i64)}</td>
                            <td class="num">{grouped(k.redis_hits as i64)}</td>
                            <td class="num">{grouped(k.misses as i64)}</td>
                            <td class="num">{grouped(k.errors as i64)}</td>
                            <td class="num">{grouped(k.fallbacks as i64)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn CollectorTable(collectors: Option<CollectorStats>) -> impl IntoView {
    let Some(collectors) = collectors else {
        return view! {
            <h2>"Collectors"</h2>
            <p class="muted">"No collection run has finished yet."</p>
        }
        .into_any();
    };
    view! {
        <h2>"Collectors"</h2>
        <p class="muted">
            "In the latest finished run, "
            <a href=format!("/runs/{}", collectors.run.id)>{format!("#{}", collectors.run.id)}</a>
            {format!(" ({}), started {}.", collectors.run.mode, timestamp(Some(collectors.run.started_at)))}
        </p>
        <div class="table-scroll">
            <table class="data" data-testid="collectors">
                <thead>
                    <tr>
                        <th scope="col">"Platform"</th>
                        <th scope="col" class="num">"accounts"</th>
                        <th scope="col" class="num">"ok"</th>
                        <th scope="col" class="num">"failed"</th>
                        <th scope="col" class="num">"skipped"</th>
                        <th scope="col" class="num">"mean per account"</th>
                        <th scope="col" class="num">"slowest"</th>
                    </tr>
                </thead>
                <tbody>
                    {collectors.platforms.into_iter().map(|p| {
                        let failed = p.failed > 0;
                        view! {
                        <tr>
                            <td>{p.platform.label()}</td>
                            <td class="num">{p.accounts}</td>
                            <td class="num">{p.ok}</td>
                            <td class="num" class:failed=failed>{p.failed}</td>
                            <td class="num">{p.skipped}</td>
                            <td class="num">{format!("{:.1} ms", p.mean_ms)}</td>
                            <td class="num">{format!("{} ms", p.max_ms)}</td>
                        </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

fn backend(backend: CacheBackend) -> &'static str {
    match backend {
        CacheBackend::Redis => "Redis",
        CacheBackend::InProcess => "in process",
        CacheBackend::Degraded => "degraded (Redis unreachable)",
    }
}

/// `97.5%`, or a dash before any read.
fn hit_rate(hits: u64, misses: u64) -> String {
    let total = hits + misses;
    if total == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", hits as f64 * 100.0 / total as f64)
    }
}

/// A latency, or a dash when nothing was measured in its window.
fn ms(value: f64, count: u64) -> String {
    if count == 0 {
        "—".to_owned()
    } else if value < 10.0 {
        format!("{value:.2} ms")
    } else {
        format!("{value:.0} ms")
    }
}

/// `3 d 4 h`, `2 h 5 min`, `40 s`.
fn uptime(seconds: u64) -> String {
    let (days, hours, minutes) = (seconds / 86_400, seconds / 3_600 % 24, seconds / 60 % 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(hit_rate(0, 0), "—");
        assert_eq!(hit_rate(39, 1), "97.5%");
        assert_eq!(ms(0.0, 0), "—");
        assert_eq!(ms(0.237, 3), "0.24 ms");
        assert_eq!(ms(120.4, 3), "120 ms");
        assert_eq!(uptime(40), "40 s");
        assert_eq!(uptime(7_500), "2 h 5 min");
        assert_eq!(uptime(3 * 86_400 + 4 * 3_600), "3 d 4 h");
    }
}
