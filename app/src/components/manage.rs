//! The admins' controls over what Reach tracks: the form that adds an
//! account (on the accounts page) and the one that edits or deletes one
//! (on its page). Both are lazy islands, shown to admins only; after a
//! write the browser loads the page that shows its result, rendered anew.

use leptos::prelude::*;

use crate::api::{AddAccount, DeleteAccount, UpdateAccount};
use crate::model::Platform;

/// Loads `path` (a page rendered anew with what a write changed).
fn open(path: &str) {
    #[cfg(feature = "hydrate")]
    let _ = window().location().assign(path);
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}

/// "Add an account": platform, handle, core, tags. A new account opens its
/// page.
#[island(lazy)]
pub fn AddAccountForm() -> impl IntoView {
    crate::preload::island("AddAccountForm");
    let add = ServerAction::<AddAccount>::new();
    Effect::new(move |_| {
        if let Some(Ok(added)) = add.value().get() {
            open(&format!("/accounts/{}", added.account.id));
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

/// Edit the core flag and tags of account `id`, watch its live count, or
/// delete it. A saved edit
/// loads the account's page again; a deletion opens the accounts table.
#[island(lazy)]
pub fn AccountAdmin(id: i64, is_core: bool, tags: Vec<String>) -> impl IntoView {
    crate::preload::island("AccountAdmin");
    let update = ServerAction::<UpdateAccount>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let confirming = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = update.value().get() {
            open(&format!("/accounts/{id}"));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = delete.value().get() {
            open("/accounts");
        }
    });
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
                        checked=is_core
                        data-testid="edit-core"
                    />
                    " core (collected first)"
                </label>
                <label>
                    "Tags "
                    <input
                        type="text"
                        name="tags"
                        value=tags.join(", ")
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
            <crate::components::watch::LiveCount id />
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
