//! A list of events (milestones, unusual changes, failing collections), as
//! the overview and the account page show them.

use leptos::prelude::*;

use crate::model::{EventKind, EventRow};

/// Events, newest first; `with_account` links each to its account.
#[component]
pub fn EventList(events: Vec<EventRow>, with_account: bool) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted" data-testid="no-events">"No events yet."</p> }.into_any();
    }
    view! {
        <ul class="events" data-testid="events">
            {events.into_iter().map(|e| {
                let marker = match e.kind {
                    EventKind::Milestone => "★",
                    EventKind::UnusualChange => "⚡",
                    EventKind::Failing => "⚠",
                    EventKind::StateChanged => "⛔",
                    EventKind::Restored => "✔",
                    EventKind::Renamed => "✎",
                };
                view! {
                    <li class=format!("event {}", e.kind.as_str()) data-kind=e.kind.as_str()>
                        <span class="marker" aria-hidden="true">{marker}</span>
                        <span class="kind">{e.kind.label()}</span>
                        " "
                        {if with_account {
                            view! { <a href=format!("/accounts/{}", e.account_id)>{e.message}</a> }.into_any()
                        } else {
                            view! { <span>{e.message}</span> }.into_any()
                        }}
                        <small class="muted">{format!(" · {}", e.occurred_at.format("%Y-%m-%d"))}</small>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
