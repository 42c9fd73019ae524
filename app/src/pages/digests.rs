//! `/digests`: the admins' scheduled summaries, each with how it was last
//! delivered, a form to make one, and per digest "send now" and "delete"
//! (islands; after a write the page is loaded anew). The same as
//! `reach digest` and `/api/digests`.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{CreateDigest, DeleteDigest, SendDigest, list_digests};
use crate::components::session::AdminOnly;
use crate::components::status::TableError;
use crate::model::{DeliveryStatus, DigestChannel, DigestPeriod, DigestRow};

const COLUMNS: usize = 6;

#[component]
pub fn DigestsPage() -> impl IntoView {
    view! {
        <Title text="Digests" />
        <h1>"Digests"</h1>
        <p class="muted">
            "A summary of a day, an ISO week or a month (UTC) of every account, a tag's or a brand's: each account's change, the top growers and losers, milestones, unusual changes, failures and the next milestones. Sent when its period ends, once, by e-mail (with "
            <code>"REACH_SMTP_URL"</code>
            ") or to Slack, Discord, Matrix, ntfy or any JSON webhook. Also "
            <code>"reach digest"</code>
            "."
        </p>
        <AdminOnly action="manage digests">
            <NewDigestForm />
            <DigestTable />
        </AdminOnly>
    }
}

#[component]
fn DigestTable() -> impl IntoView {
    let digests = Resource::new(|| (), |_| list_digests());
    view! {
        <div class="table-scroll">
            <table class="data" data-testid="digests-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Period"</th>
                        <th scope="col">"Accounts"</th>
                        <th scope="col">"Sent to"</th>
                        <th scope="col">"Last delivery"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match digests.await {
                            Ok(rows) if rows.is_empty() => view! {
                                <tbody><tr><td colspan=COLUMNS class="empty">"No digests yet."</td></tr></tbody>
                            }.into_any(),
                            Ok(rows) => view! {
                                <tbody>{rows.into_iter().map(|digest| view! { <DigestLine digest /> }).collect_view()}</tbody>
                            }.into_any(),
                            Err(error) => view! { <TableError what="the digests" columns=COLUMNS error /> }.into_any(),
                        }
                    })}
                </Transition>
            </table>
        </div>
    }
}

#[component]
fn DigestLine(digest: DigestRow) -> impl IntoView {
    let last = match &digest.last_delivery {
        None => "never".to_owned(),
        Some(d) => {
            let when = crate::format::timestamp(Some(d.sent_at.unwrap_or(d.created_at)));
            match (d.status, &d.error) {
                (DeliveryStatus::Sent, _) => format!("sent {when}"),
                (DeliveryStatus::Pending, None) => "sending…".to_owned(),
                (DeliveryStatus::Pending, Some(error)) => {
                    format!("retrying (attempt {} failed: {error})", d.attempts)
                }
                (DeliveryStatus::Failed, error) => {
                    format!("failed: {}", error.as_deref().unwrap_or("unknown"))
                }
            }
        }
    };
    view! {
        <tr data-testid="digest-row">
            <td>{digest.name}</td>
            <td>{digest.period.as_str()}</td>
            <td>{digest.scope.label()}</td>
            <td>{format!("{}: {}", digest.channel.as_str(), digest.target)}</td>
            <td data-testid="digest-last">{last}</td>
            <td><DigestActions id=digest.id /></td>
        </tr>
    }
}

/// Loads `/digests` anew, showing what a write changed.
fn reload() {
    #[cfg(feature = "hydrate")]
    let _ = window().location().assign("/digests");
}

/// "Send now" (its last complete period) and "Delete".
#[island(lazy)]
fn DigestActions(id: i64) -> impl IntoView {
    crate::preload::island("DigestActions");
    let send = ServerAction::<SendDigest>::new();
    let delete = ServerAction::<DeleteDigest>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            reload();
        }
    });
    // The sender is woken at once; a moment later the page shows how it went.
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(Ok(_)) = send.value().get() {
            leptos::task::spawn_local(async {
                gloo_timers::future::TimeoutFuture::new(1500).await;
                reload();
            });
        }
    });
    view! {
        <ActionForm action=send attr:class="inline-form">
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" data-testid="digest-send" disabled=move || send.pending().get()>"Send now"</button>
        </ActionForm>
        <ActionForm action=delete attr:class="inline-form">
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="danger" data-testid="digest-delete" disabled=move || delete.pending().get()>"Delete"</button>
        </ActionForm>
        <span role="status" class="muted" data-testid="digest-answer">
            {move || match (send.value().get(), delete.value().get()) {
                (_, Some(Err(error))) | (Some(Err(error)), _) => error.message,
                (Some(Ok(_)), _) => "Queued; sending…".to_owned(),
                _ => String::new(),
            }}
        </span>
    }
}

/// "Make a digest": name, period, scope, channel, target, token.
#[island(lazy)]
fn NewDigestForm() -> impl IntoView {
    crate::preload::island("NewDigestForm");
    let create = ServerAction::<CreateDigest>::new();
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            reload();
        }
    });
    view! {
        <details class="manage">
            <summary data-testid="add-digest">"Make a digest"</summary>
            <ActionForm action=create attr:class="manage-form">
                <label>
                    "Name "
                    <input type="text" name="name" required maxlength="64" data-testid="digest-name" />
                </label>
                <label>
                    "Period "
                    <select name="period" data-testid="digest-period">
                        {DigestPeriod::ALL
                            .into_iter()
                            .map(|p| view! { <option value=p.as_str() selected=p == DigestPeriod::Weekly>{p.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Accounts "
                    <input type="text" name="scope" value="all" placeholder="all, tag:news, brand:Acme" data-testid="digest-scope" />
                </label>
                <label>
                    "Channel "
                    <select name="channel" data-testid="digest-channel">
                        {DigestChannel::ALL
                            .into_iter()
                            .map(|c| view! { <option value=c.as_str()>{c.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Send to "
                    <input
                        type="text"
                        name="target"
                        required
                        placeholder="you@example.org, or the webhook's address"
                        data-testid="digest-target"
                    />
                </label>
                <label>
                    "Token (Matrix, ntfy) "
                    <input type="password" name="secret" autocomplete="off" data-testid="digest-secret" />
                </label>
                <button type="submit" data-testid="digest-submit" disabled=move || create.pending().get()>
                    "Make"
                </button>
            </ActionForm>
            <p class="status-line" role="status" data-testid="digest-form-answer">
                {move || match create.value().get() {
                    Some(Err(error)) => error.message,
                    _ => String::new(),
                }}
            </p>
        </details>
    }
}
