//! An account's picture, from Reach's own copy, or its initial on the
//! platform's colour when Reach keeps none.

use leptos::prelude::*;

use crate::model::Platform;

/// `src` is the address lists give (`/avatars/{id}?v=…`); `name` gives the
/// initial of the placeholder. Decorative: the handle beside it says who.
#[component]
pub fn Avatar(
    src: Option<String>,
    name: String,
    platform: Platform,
    /// Shown this many pixels wide and high.
    #[prop(default = 24)]
    size: u32,
) -> impl IntoView {
    match src {
        Some(src) => view! {
            <img class="avatar" src=src width=size height=size alt="" loading="lazy" decoding="async" />
        }
        .into_any(),
        None => {
            let initial = name
                .trim_start_matches(['@', '!'])
                .chars()
                .find(|c| c.is_alphanumeric())
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default();
            view! {
                <span
                    class=format!("avatar placeholder {}", platform.as_str())
                    style=format!("width:{size}px;height:{size}px;line-height:{size}px")
                    aria-hidden="true"
                >
                    {initial}
                </span>
            }
            .into_any()
        }
    }
}
