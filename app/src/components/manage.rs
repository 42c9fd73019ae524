//! The admins' controls over what Reach tracks: the form that adds an
//! account (on the accounts page) and the one that edits or deletes one
//! (on its page). Each write drops the browser's cached answers, so no page
//! shows what the write changed as it was before.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::{AddAccount, DeleteAccount, UpdateAccount};
use crate::client_cache;
use crate::model::{AccountRow, Platform};

/// "Add an account": platform, handle, core, tags. A new account opens its
/// page.
#[component]
pub fn AddAccountForm() -> impl IntoView {
    let add = ServerAction::<AddAccount>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(added)) = add.value().get() {
            client_cache::clear();
            navigate(
                &format!("/accounts/{}", added.account.id),
                Default::default(),
            );
        }
    });
    view! {
        <details class="manage">
            <summary data-testid="add-account">"Add an account"</summary>
            <ActionForm action=add attr:class="manage-form">
                <label>
                    "Platform "
                    <select name="platform" data-testid="new-platform">
                        {Platform::ALL
                            .into_iter()
                            .map(|p| view! { <option value=p.as_str()>{p.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Handle "
                    <input
                        type="text"
                        name="handle"
                        required
                        placeholder="user@instance, name.bsky.social, @channel…"
                        data-testid="new-handle"
                    />
                </label>
                <label>
                    <input type="checkbox" name="core" value="true" data-testid="new-core" />
                    " core (collected first)"
                </label>
                <label>
                    "Tags "
                    <input type="text" name="tags" placeholder="tech, news" data-testid="new-tags" />
                </label>
                <button type="submit" data-testid="add-submit" disabled=move || add.pending().get()>
                    "Add"
                </button>
            </ActionForm>
            <p class="status-line" role="status" data-testid="add-answer">
                {move || match add.value().get() {
                    Some(Err(error)) => error.message,
                    _ => String::new(),
                }}
            </p>
        </details>
    }
}

/// Edit the core flag and tags of `account`, or delete it. `on_saved`
/// runs after a saved edit (to read the account again).
#[component]
pub fn AccountAdmin(account: AccountRow, on_saved: Callback<()>) -> impl IntoView {
    let update = ServerAction::<UpdateAccount>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let confirming = RwSignal::new(false);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            client_cache::clear();
            on_saved.run(());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            client_cache::clear();
            navigate("/accounts", Default::default());
        }
    });
    let id = account.id;
    view! {
        <section class="manage" data-testid="account-admin">
            <h2>"Manage"</h2>
            <ActionForm action=update attr:class="manage-form">
                <input type="hidden" name="id" value=id.to_string() />
                <label>
                    <input
                        type="checkbox"
                        name="core"
                        value="true"
                        checked=account.is_core
                        data-testid="edit-core"
                    />
                    " core (collected first)"
                </label>
                <label>
                    "Tags "
                    <input
                        type="text"
                        name="tags"
                        value=account.tags.join(", ")
                        data-testid="edit-tags"
                    />
                </label>
                <button type="submit" data-testid="save-account" disabled=move || update.pending().get()>
                    "Save"
                </button>
            </ActionForm>
            <p class="status-line" role="status" data-testid="manage-answer">
                {move || match (update.value().get(), delete.value().get()) {
                    (_, Some(Err(error))) | (Some(Err(error)), _) => error.message,
                    (Some(Ok(_)), _) => "Saved.".to_owned(),
                    _ => String::new(),
                }}
            </p>
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button type="button" class="danger" data-testid="delete-account" on:click=move |_| confirming.set(true)>
                        "Delete this account…"
                    </button>
                }
            >
                <ActionForm action=delete attr:class="manage-form">
                    <input type="hidden" name="id" value=move || id.to_string() />
                    <span>"Its whole history goes with it. "</span>
                    <button type="submit" class="danger" data-testid="confirm-delete" disabled=move || delete.pending().get()>
                        "Delete for good"
                    </button>
                    <button type="button" on:click=move |_| confirming.set(false)>"Keep it"</button>
                </ActionForm>
            </Show>
        </section>
    }
}
