//! The filter controls several pages share: platform and tag selects. Each
//! has a `name`, so inside a GET form it also works before hydration.

use leptos::prelude::*;

use crate::api::list_tags;
use crate::client_cache::cached_resource;
use crate::model::Platform;

/// Every platform, or one.
#[component]
pub fn PlatformSelect(
    #[prop(into)] selected: Signal<Option<Platform>>,
    on_change: impl Fn(Option<Platform>) + 'static,
) -> impl IntoView {
    view! {
        <label>
            "Platform "
            <select
                name="platform"
                on:change=move |ev| on_change(event_target_value(&ev).parse().ok())
                prop:value=move || selected.get().map(|p| p.as_str()).unwrap_or_default()
            >
                <option value="">"All platforms"</option>
                {Platform::ALL
                    .into_iter()
                    .map(|p| view! {
                        <option value=p.as_str() selected=move || selected.get() == Some(p)>{p.label()}</option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Every tag, or one: the tags in use, loaded once.
#[component]
pub fn TagSelect(
    #[prop(into)] selected: Signal<Option<String>>,
    on_change: impl Fn(Option<String>) + Send + Sync + 'static,
) -> impl IntoView {
    let tags = cached_resource("tags", || (), |_| list_tags());
    view! {
        <label>
            "Tag "
            <select
                name="tag"
                on:change=move |ev| {
                    let tag = event_target_value(&ev);
                    on_change(Some(tag).filter(|t| !t.is_empty()))
                }
                prop:value=move || selected.get().unwrap_or_default()
            >
                <option value="">"All tags"</option>
                <Transition fallback=move || {
                    // Until the list arrives, keep the chosen tag selectable.
                    selected.get_untracked().map(|t| view! { <option value=t.clone()>{t.clone()}</option> })
                }>
                    {move || Suspend::new(async move {
                        tags.await
                            .unwrap_or_default()
                            .into_iter()
                            .map(|t| {
                                let chosen = selected.get_untracked().as_deref() == Some(t.tag.as_str());
                                view! {
                                    <option value=t.tag.clone() selected=chosen>
                                        {format!("{} ({})", t.tag, t.accounts)}
                                    </option>
                                }
                            })
                            .collect_view()
                    })}
                </Transition>
            </select>
        </label>
    }
}
