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

/// The theme, as context for whatever draws colours itself (charts).
#[derive(Clone, Copy)]
pub struct ThemeState {
    pub choice: RwSignal<ThemeChoice>,
    /// Whether the page is dark now, the system setting included.
    pub dark: Signal<bool>,
}

impl ThemeState {
    pub fn provide() -> Self {
        let choice = RwSignal::new(ThemeChoice::of_this_page());
        let system_dark = system_prefers_dark();
        let dark = Signal::derive(move || match choice.get() {
            ThemeChoice::System => system_dark.get(),
            ThemeChoice::Light => false,
            ThemeChoice::Dark => true,
        });
        let state = Self { choice, dark };
        provide_context(state);
        state
    }
}

/// The system's dark setting, followed live in the browser; on the server
/// it is unknown and taken as light (charts are drawn in the browser only).
fn system_prefers_dark() -> RwSignal<bool> {
    let dark = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let Ok(Some(query)) = window().match_media("(prefers-color-scheme: dark)") else {
            return;
        };
        dark.set(query.matches());
        let on_change = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
            if let Some(query) = event
                .target()
                .and_then(|t| t.dyn_into::<web_sys::MediaQueryList>().ok())
            {
                dark.set(query.matches());
            }
        });
        let _ =
            query.add_event_listener_with_callback("change", on_change.as_ref().unchecked_ref());
        // One listener for the page's life: the App is never unmounted.
        on_change.forget();
    });
    dark
}

/// The button that switches between system, light and dark.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let state = expect_context::<ThemeState>();
    let toggle = move |_| {
        let next = state.choice.get_untracked().next();
        state.choice.set(next);
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
            {move || state.choice.get().label()}
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
