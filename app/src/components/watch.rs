//! The account page's live count (Social Blade's "live" counters): while
//! an admin watches, the browser asks the server every `REACH_WATCH_EVERY`
//! to collect the account again (`POST /api/watch`), each time a run of that
//! one account within its platform's budget. The counters on the page then
//! move through the live updates ([`super::updates`]), which swap in the
//! page as stored: what is shown is always what was collected.
//!
//! A watch asks nothing while the tab is hidden, and ends by itself after
//! [`WATCH_FOR_MS`], so that a forgotten tab does not spend a platform's
//! budget all night.

use leptos::prelude::*;

/// How long one watch lasts before it stops by itself (30 minutes).
pub const WATCH_FOR_MS: u32 = 30 * 60 * 1000;

/// "Watch the live count" for account `id`, with what it is doing: part
/// of the admins' lazy `AccountAdmin` island on the account's page.
///
/// Not an island of its own, and it asks with the browser's own `fetch`
/// (as the live updates do) rather than through a server function's
/// client: as a lazy island of its own it shared so much with the other
/// lazy islands that their chunks split further and the pages loading them
/// grew (the Runs page by 4 KB, past its budget); as an eager one it added
/// 5 KB to every page.
#[component]
pub fn LiveCount(id: i64) -> impl IntoView {
    // Which watch is current: a click that stops or restarts one ends the
    // loop of the one before at its next wake.
    let watch = RwSignal::new(0u32);
    let on = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let toggle = move |_| {
        let next = watch.get_untracked().wrapping_add(1);
        watch.set(next);
        if on.get_untracked() {
            on.set(false);
            status.set("Stopped.".to_owned());
        } else {
            on.set(true);
            status.set("Asking for a collection…".to_owned());
            #[cfg(feature = "hydrate")]
            leptos::task::spawn_local(browser::watch(id, next, watch, on, status));
        }
    };
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
    view! {
        <p class="live-count" data-testid="live-count">
            <button
                type="button"
                aria-pressed=move || on.get().to_string()
                data-testid="live-count-toggle"
                on:click=toggle
            >
                {move || if on.get() { "■ Stop the live count" } else { "● Watch the live count" }}
            </button>
            " "
            <span class="muted" role="status" data-testid="live-count-status">
                {move || status.get()}
            </span>
        </p>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use gloo_timers::future::TimeoutFuture;
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::WATCH_FOR_MS;
    use crate::components::time::live_text;

    /// What the server said: whether it asked for a collection, how often
    /// to ask, and the latest attempt (milliseconds since the epoch).
    struct Answer {
        asked: bool,
        every_secs: f64,
        last_attempt_ms: Option<f64>,
    }

    /// `POST /api/watch` with `id`, as the form the server function reads;
    /// the JSON is read with the browser's parser (serde's code for one
    /// more type would weigh on every page: this island is in the main
    /// module).
    async fn ask(id: i64) -> Result<Answer, String> {
        let failed = |error: JsValue| {
            error
                .as_string()
                .unwrap_or_else(|| "the server cannot be reached".to_owned())
        };
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        init.set_body(&JsValue::from_str(&format!("id={id}")));
        let headers = js_sys::Object::new();
        for (name, value) in [
            ("content-type", "application/x-www-form-urlencoded"),
            ("accept", "application/json"),
        ] {
            js_sys::Reflect::set(&headers, &name.into(), &value.into()).map_err(failed)?;
        }
        init.set_headers(&headers);
        let answer: web_sys::Response =
            JsFuture::from(window().fetch_with_str_and_init("/api/watch", &init))
                .await
                .map_err(failed)?
                .dyn_into()
                .map_err(failed)?;
        let body = JsFuture::from(answer.json().map_err(failed)?)
            .await
            .map_err(failed)?;
        let field = |name: &str| js_sys::Reflect::get(&body, &name.into()).unwrap_or_default();
        if !answer.ok() {
            return Err(field("message")
                .as_string()
                .unwrap_or_else(|| format!("HTTP {}", answer.status())));
        }
        Ok(Answer {
            asked: field("asked").as_bool().unwrap_or(false),
            every_secs: field("every_secs").as_f64().unwrap_or(60.0),
            last_attempt_ms: field("last_attempt_at")
                .as_string()
                .map(|at| js_sys::Date::parse(&at))
                .filter(|ms| ms.is_finite()),
        })
    }

    /// Asks for a collection of `id` every interval the server names while
    /// watch `current` lasts, the tab is visible and the time is not up.
    pub async fn watch(
        id: i64,
        current: u32,
        watch: RwSignal<u32>,
        on: RwSignal<bool>,
        status: RwSignal<String>,
    ) {
        let started = js_sys::Date::now();
        loop {
            if watch.get_untracked() != current {
                return;
            }
            if js_sys::Date::now() - started >= f64::from(WATCH_FOR_MS) {
                on.set(false);
                status.set("Stopped after 30 minutes; watch again to go on.".to_owned());
                return;
            }
            if document().hidden() {
                // Nothing spent for a tab nobody sees; look again soon.
                TimeoutFuture::new(1_000).await;
                continue;
            }
            let wait_ms = match ask(id).await {
                Ok(answer) => {
                    if watch.get_untracked() != current {
                        return;
                    }
                    let last = answer
                        .last_attempt_ms
                        .and_then(|ms| {
                            let at = chrono::DateTime::from_timestamp_millis(ms as i64)?;
                            // Minutes west of UTC then, as JavaScript counts them.
                            let date = js_sys::Date::new(&ms.into());
                            let (text, _) = live_text(
                                at,
                                chrono::Utc::now(),
                                date.get_timezone_offset() as i32,
                            );
                            Some(format!("last collected {text}"))
                        })
                        .unwrap_or_else(|| "not collected yet".to_owned());
                    let doing = if answer.asked {
                        "collecting now"
                    } else {
                        "waiting for the next turn"
                    };
                    status.set(format!(
                        "Live: {doing}, {last}; every {} s within the platform's budget.",
                        answer.every_secs
                    ));
                    (answer.every_secs.max(1.0) * 1_000.0).min(f64::from(u32::MAX)) as u32
                }
                Err(error) => {
                    if watch.get_untracked() != current {
                        return;
                    }
                    on.set(false);
                    status.set(format!("Stopped: {error}"));
                    return;
                }
            };
            // Wakes every second so that a stop ends the loop promptly.
            let until = js_sys::Date::now() + f64::from(wait_ms);
            while js_sys::Date::now() < until {
                if watch.get_untracked() != current {
                    return;
                }
                TimeoutFuture::new(1_000).await;
            }
        }
    }
}
