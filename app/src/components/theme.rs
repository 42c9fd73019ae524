//! Light and dark themes. By default the system's setting decides (CSS
//! `prefers-color-scheme`); a toggle overrides it, remembered in a cookie so
//! that the server renders the chosen theme at once (no flash of the other
//! one, and no inline script).

use leptos::prelude::*;

/// The cookie that keeps the user's choice.
const COOKIE: &str = "reach-theme";

/// What the user chose.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    /// The value of `<html data-theme>`; none follows the system.
    pub fn attribute(self) -> Option<&'static str> {
        match self {
            ThemeChoice::System => None,
            ThemeChoice::Light => Some("light"),
            ThemeChoice::Dark => Some("dark"),
        }
    }

    fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "Theme: system",
            ThemeChoice::Light => "Theme: light",
            ThemeChoice::Dark => "Theme: dark",
        }
    }

    /// The toggle's order: system, light, dark, system…
    fn next(self) -> Self {
        match self {
            ThemeChoice::System => ThemeChoice::Light,
            ThemeChoice::Light => ThemeChoice::Dark,
            ThemeChoice::Dark => ThemeChoice::System,
        }
    }

    /// The choice kept in a `Cookie` header, if any.
    pub fn from_cookie_header(header: &str) -> Self {
        header
            .split(';')
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(name, _)| *name == COOKIE)
            .map_or(ThemeChoice::System, |(_, value)| match value {
                "light" => ThemeChoice::Light,
                "dark" => ThemeChoice::Dark,
                _ => ThemeChoice::System,
            })
    }

    /// The choice this page was rendered with: from the request's cookie on
    /// the server, from `<html data-theme>` in the browser.
    pub fn of_this_page() -> Self {
        #[cfg(feature = "ssr")]
        {
            use_context::<axum::http::request::Parts>()
                .and_then(|parts| {
                    let header = parts.headers.get(axum::http::header::COOKIE)?;
                    Some(Self::from_cookie_header(header.to_str().ok()?))
                })
                .unwrap_or_default()
        }
        #[cfg(not(feature = "ssr"))]
        {
            #[cfg(feature = "hydrate")]
            let attribute = document()
                .document_element()
                .and_then(|html| html.get_attribute("data-theme"));
            #[cfg(not(feature = "hydrate"))]
            let attribute = None::<String>;
            match attribute.as_deref() {
                Some("light") => ThemeChoice::Light,
                Some("dark") => ThemeChoice::Dark,
                _ => ThemeChoice::System,
            }
        }
    }
}

/// The event the toggle sends on `window` after changing the theme, for
/// whatever draws colours itself (the charts, islands of their own).
#[cfg(feature = "hydrate")]
pub const THEME_CHANGED: &str = "reach-theme";

/// Whether the page is dark now (the choice, or the system's setting),
/// followed live: for a chart drawing in the browser. On the server it is
/// unknown and taken as light (charts are drawn in the browser only).
pub fn page_is_dark() -> Signal<bool> {
    let dark = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let system = window()
            .match_media("(prefers-color-scheme: dark)")
            .ok()
            .flatten();
        let now = {
            let system = system.clone();
            move || match ThemeChoice::of_this_page() {
                ThemeChoice::System => system.as_ref().is_some_and(|query| query.matches()),
                ThemeChoice::Light => false,
                ThemeChoice::Dark => true,
            }
        };
        dark.set(now());
        let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
            dark.set(now());
        });
        if let Some(query) = &system {
            let _ = query
                .add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        }
        let _ = window()
            .add_event_listener_with_callback(THEME_CHANGED, on_change.as_ref().unchecked_ref());
        // One listener for the page's life: islands are never unmounted.
        on_change.forget();
    });
    dark.into()
}

/// The button that switches between system, light and dark: an island, the
/// only part of the top bar that runs in the browser.
#[island]
pub fn ThemeToggle() -> impl IntoView {
    let choice = RwSignal::new(ThemeChoice::of_this_page());
    let toggle = move |_| {
        let next = choice.get_untracked().next();
        choice.set(next);
        #[cfg(feature = "hydrate")]
        remember(next);
    };
    view! {
        <button
            type="button"
            class="theme-toggle"
            on:click=toggle
            title="Switch between the system's theme, light and dark"
        >
            {move || choice.get().label()}
        </button>
    }
}

/// Applies `choice` to the page and keeps it in the cookie for a year.
#[cfg(feature = "hydrate")]
fn remember(choice: ThemeChoice) {
    use wasm_bindgen::JsCast;
    if let Some(html) = document().document_element() {
        let _ = match choice.attribute() {
            Some(value) => html.set_attribute("data-theme", value),
            None => html.remove_attribute("data-theme"),
        };
    }
    let cookie = match choice.attribute() {
        Some(value) => format!("{COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax"),
        None => format!("{COOKIE}=; Path=/; Max-Age=0; SameSite=Lax"),
    };
    if let Ok(document) = document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = document.set_cookie(&cookie);
    }
    if let Ok(event) = web_sys::Event::new(THEME_CHANGED) {
        let _ = window().dispatch_event(&event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_is_read_from_the_cookie_header() {
        assert_eq!(
            ThemeChoice::from_cookie_header("a=1; reach-theme=dark; b=2"),
            ThemeChoice::Dark
        );
        assert_eq!(
            ThemeChoice::from_cookie_header("reach-theme=light"),
            ThemeChoice::Light
        );
        assert_eq!(
            ThemeChoice::from_cookie_header("reach-theme=purple"),
            ThemeChoice::System
        );
        assert_eq!(ThemeChoice::from_cookie_header(""), ThemeChoice::System);
    }

    #[test]
    fn the_toggle_cycles_through_the_three() {
        let mut choice = ThemeChoice::System;
        let mut seen = vec![];
        for _ in 0..3 {
            choice = choice.next();
            seen.push(choice);
        }
        assert_eq!(
            seen,
            [ThemeChoice::Light, ThemeChoice::Dark, ThemeChoice::System]
        );
    }
}
