//! What makes a server-rendered page live once its WASM has run: the
//! moments on it read relative and in local time, kept current, and
//! `<body data-hydrated>` says the page is interactive.

use leptos::prelude::*;

/// How often the moments on a page are brought up to date.
#[cfg(feature = "hydrate")]
const TICK_MS: u32 = 30_000;

/// The last island of every page: islands hydrate in the page's order (a
/// lazy one once its chunk has arrived), so when this one runs every island
/// before it is live. It then marks `<body data-hydrated>` (for tests, and
/// for the styles of a live page) and rewrites the page's moments
/// ([`crate::components::time::LocalTime`]) every half minute.
#[island]
pub fn PageLive() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        browser::update_moments();
        let tick = gloo_timers::callback::Interval::new(TICK_MS, browser::update_moments);
        // The page's clock lives as long as the page.
        tick.forget();
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Rewrites the page's moments now: after live updates swapped new ones in.
#[cfg(feature = "hydrate")]
pub fn refresh_moments() {
    browser::update_moments();
}

#[cfg(feature = "hydrate")]
mod browser {
    use chrono::{DateTime, Utc};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};

    use crate::components::time::live_text;

    /// Rewrites every `<time data-live>` from its moment.
    pub fn update_moments() {
        let Ok(moments) = document().query_selector_all("time[data-live]") else {
            return;
        };
        let now = Utc::now();
        for i in 0..moments.length() {
            let Some(element) = moments
                .item(i)
                .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
            else {
                continue;
            };
            // The moment in milliseconds (the `datetime` attribute's
            // RFC 3339 would need a date parser in the WASM).
            let Some(at) = element
                .get_attribute("data-live")
                .and_then(|text| text.parse::<i64>().ok())
                .and_then(DateTime::<Utc>::from_timestamp_millis)
            else {
                continue;
            };
            // Minutes west of UTC at that moment, as JavaScript counts them.
            let date = js_sys::Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
            let (text, title) = live_text(at, now, date.get_timezone_offset() as i32);
            if element.text_content().as_deref() != Some(text.as_str()) {
                element.set_text_content(Some(&text));
            }
            let _ = element.set_attribute("title", &title);
        }
    }
}
