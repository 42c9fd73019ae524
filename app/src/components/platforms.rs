//! The Runs page's platforms panel: for each platform whether it is live,
//! failing (with its last error), not configured (with what to set) or
//! without a collector; its accounts, its budget on this instance and what
//! a full pass over its accounts costs (`/api/platforms`).

use leptos::prelude::*;

use crate::api::get_platforms;
use crate::components::status::{TableError, TableSkeleton};
use crate::format::grouped;
use crate::model::{PlatformBudget, PlatformHealth, PlatformStatus};

const COLUMNS: usize = 6;

#[component]
pub fn PlatformsPanel() -> impl IntoView {
    let platforms = Resource::new(|| (), |_| get_platforms());
    view! {
        <h2>"Platforms"</h2>
        <div class="table-scroll">
        <table class="data platforms" data-testid="platforms">
            <thead>
                <tr>
                    <th>"Platform"</th>
                    <th>"Status"</th>
                    <th class="num">"Accounts"</th>
                    <th class="num">"Failing"</th>
                    <th>"Budget on this instance"</th>
                    <th>"A full pass"</th>
                </tr>
            </thead>
            <Transition fallback=|| view! { <TableSkeleton rows=9 columns=COLUMNS /> }>
                {move || Suspend::new(async move {
                    match platforms.await {
                        Ok(list) => view! {
                            <tbody>
                                {list.into_iter().map(|status| view! { <PlatformRow status /> }).collect_view()}
                            </tbody>
                        }
                        .into_any(),
                        Err(error) => view! {
                            <TableError what="the platforms" columns=COLUMNS error />
                        }
                        .into_any(),
                    }
                })}
            </Transition>
        </table>
        </div>
    }
}

#[component]
fn PlatformRow(status: PlatformStatus) -> impl IntoView {
    let class = match status.health {
        PlatformHealth::Live => "ok",
        PlatformHealth::Failing => "failed",
        PlatformHealth::NotConfigured | PlatformHealth::NoCollector => "muted",
    };
    let note = match status.health {
        PlatformHealth::NotConfigured => status.needs.map(|needs| format!("set {needs}")),
        PlatformHealth::NoCollector => {
            Some("no collector yet: real accounts get no counters".to_owned())
        }
        PlatformHealth::Failing => status.last_error,
        PlatformHealth::Live => None,
    };
    let (budget, pass) = match status.budget {
        Some(budget) => (spent(&budget), pass(&budget)),
        None => ("—".to_owned(), "—".to_owned()),
    };
    view! {
        <tr data-testid="platform-row" data-platform=status.platform.as_str()>
            <td>{status.platform.label()}</td>
            <td>
                <span class=class data-testid="platform-health">{status.health.as_str()}</span>
                {note.map(|note| view! { <div class="muted small">{note}</div> })}
            </td>
            <td class="num">{grouped(status.accounts as i64)}</td>
            <td class="num">{grouped(status.failing as i64)}</td>
            <td>{budget}</td>
            <td>{pass}</td>
        </tr>
    }
}

/// `12 of 55 / 1h spent · next now`.
fn spent(budget: &PlatformBudget) -> String {
    let next = match budget.resumes_in_seconds {
        0 => "next now".to_owned(),
        s => format!("next in {}", span(s)),
    };
    format!(
        "{} of {} / {}{} spent · {next}",
        budget.spent,
        grouped(i64::from(budget.requests)),
        span(budget.period_seconds),
        if budget.per_server { " per server" } else { "" },
    )
}

/// `200 requests, about 3 h`.
fn pass(budget: &PlatformBudget) -> String {
    let time = match budget.pass_seconds {
        0 => "within one window".to_owned(),
        s => format!("about {}", span(s)),
    };
    format!("{} requests, {time}", grouped(budget.pass_requests as i64))
}

/// A length of time in its largest whole unit: `3 d`, `5 h`, `5 min`, `30 s`.
fn span(seconds: u64) -> String {
    match seconds {
        s if s >= 86_400 && s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s >= 3_600 => format!("{} h", s.div_ceil(3_600)),
        s if s >= 60 => format!("{} min", s.div_ceil(60)),
        s => format!("{s} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_in_their_largest_unit() {
        assert_eq!(span(86_400), "1 d");
        assert_eq!(span(3_600), "1 h");
        assert_eq!(span(3 * 3_600 + 5), "4 h");
        assert_eq!(span(300), "5 min");
        assert_eq!(span(42), "42 s");
    }

    #[test]
    fn a_budget_says_what_is_spent_and_when_the_next_request_goes() {
        let budget = PlatformBudget {
            requests: 55,
            period_seconds: 3_600,
            per_server: false,
            spent: 12,
            resumes_in_seconds: 0,
            pass_requests: 200,
            pass_seconds: 3 * 3_600,
        };
        assert_eq!(spent(&budget), "12 of 55 / 1 h spent · next now");
        assert_eq!(pass(&budget), "200 requests, about 3 h");
    }
}
