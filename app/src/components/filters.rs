//! The filter controls several pages share: platform and tag selects. Each
//! has a `name`: inside a GET form, "Apply" loads the filtered page.

use leptos::prelude::*;

use crate::api::list_tags;
use crate::model::Platform;

/// Every platform, or one.
#[component]
pub fn PlatformSelect(selected: Option<Platform>) -> impl IntoView {
    view! {
        <label>
            "Platform "
            <select name="platform">
                <option value="">"All platforms"</option>
                {Platform::ALL
                    .into_iter()
                    .map(|p| view! {
                        <option value=p.as_str() selected=selected == Some(p)>{p.label()}</option>
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// Every tag, or one: the tags in use, loaded once.
#[component]
pub fn TagSelect(selected: Option<String>) -> impl IntoView {
    let tags = Resource::new(|| (), |_| list_tags());
    let selected = StoredValue::new(selected);
    view! {
        <label>
            "Tag "
            <select name="tag">
                <option value="">"All tags"</option>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        tags.await
                            .unwrap_or_default()
                            .into_iter()
                            .map(|t| {
                                let chosen = selected.with_value(|s| s.as_deref() == Some(t.tag.as_str()));
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
