//! Live updates in the browser: one `/api/live` stream per page
//! (server-sent events, reconnected by the browser itself), and when it
//! says the stored data changed, the page's `<main>` is fetched again and
//! swapped in place, without a reload: the same server-rendered HTML a
//! reload would give, so what is shown is always what the reads answer.
//!
//! Islands in the new `<main>` whose component and props are unchanged
//! keep their live element (a chart keeps its state, a form its input);
//! the others are hydrated anew. A refresh waits while the reader types in
//! a field of the page or the tab is hidden, and comes at most every
//! [`MIN_GAP_MS`]: a run publishes its writes every few seconds.

use leptos::prelude::*;

/// The fewest milliseconds between two refreshes of a page.
#[cfg(feature = "hydrate")]
const MIN_GAP_MS: f64 = 5_000.0;

/// Pages that never refresh themselves: forms an admin is filling in.
#[cfg(feature = "hydrate")]
const STILL_PAGES: [&str; 2] = ["/login", "/digests"];

/// The page's live status in the top bar: "Live" once the stream is open;
/// `data-updates` counts the refreshes (for tests and the curious).
#[island]
pub fn LiveUpdates() -> impl IntoView {
    let state = RwSignal::new("off");
    let updates = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| browser::start(state, updates));
    view! {
        <span
            class="live-status"
            data-testid="live-status"
            data-state=move || state.get()
            data-updates=move || updates.get()
            title=move || match state.get() {
                "on" => "Live: this page updates itself when new data is stored",
                "connecting" => "Reconnecting to live updates",
                _ => "Live updates are off",
            }
        >
            {move || match state.get() {
                "on" => "● Live",
                "connecting" => "○ Live",
                _ => "",
            }}
        </span>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::Cell;
    use std::rc::Rc;

    use leptos::prelude::*;
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{MIN_GAP_MS, STILL_PAGES};
    use crate::model::{LIVE_EVENT, LiveChange};

    /// What the page's refreshes share.
    #[derive(Default)]
    struct Refresher {
        /// A refresh is under way or waiting for its turn.
        busy: Cell<bool>,
        /// A change arrived while busy: refresh once more after.
        again: Cell<bool>,
        /// When the last refresh ended (`performance.now()`).
        last: Cell<f64>,
    }

    pub fn start(state: RwSignal<&'static str>, updates: RwSignal<u32>) {
        let path = window().location().pathname().unwrap_or_default();
        if STILL_PAGES.contains(&path.as_str()) {
            return;
        }
        let Ok(source) = web_sys::EventSource::new("/api/live") else {
            return;
        };
        state.set("connecting");
        let on_ready = Closure::<dyn Fn()>::new(move || state.set("on"));
        let on_error = Closure::<dyn Fn()>::new(move || state.set("connecting"));
        let refresher = Rc::new(Refresher::default());
        let on_change =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
                let change = event
                    .data()
                    .as_string()
                    .and_then(|data| serde_json::from_str::<LiveChange>(&data).ok());
                if change.is_some_and(|change| !change.domains.is_empty()) {
                    schedule(refresher.clone(), updates);
                }
            });
        let _ = source.add_event_listener_with_callback("ready", on_ready.as_ref().unchecked_ref());
        let _ =
            source.add_event_listener_with_callback(LIVE_EVENT, on_change.as_ref().unchecked_ref());
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The stream and its handlers live as long as the page.
        on_ready.forget();
        on_change.forget();
        on_error.forget();
        std::mem::forget(source);
    }

    fn now() -> f64 {
        window().performance().map(|p| p.now()).unwrap_or_default()
    }

    /// Refreshes once the gap since the last one has passed, the tab is
    /// visible and no field of the page has the focus.
    fn schedule(refresher: Rc<Refresher>, updates: RwSignal<u32>) {
        if refresher.busy.replace(true) {
            refresher.again.set(true);
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                let wait = refresher.last.get() + MIN_GAP_MS - now();
                if wait > 0.0 {
                    gloo_timers::future::TimeoutFuture::new(wait.ceil() as u32).await;
                }
                while document().hidden() || typing() {
                    gloo_timers::future::TimeoutFuture::new(1_000).await;
                }
                refresher.again.set(false);
                match refresh().await {
                    Ok(()) => updates.update(|n| *n += 1),
                    Err(error) => leptos::logging::warn!("live update: {error:?}"),
                }
                refresher.last.set(now());
                if !refresher.again.get() {
                    break;
                }
            }
            refresher.busy.set(false);
        });
    }

    /// Whether the reader is typing in a field of the page.
    fn typing() -> bool {
        document().active_element().is_some_and(|element| {
            matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                && element.closest("#main").ok().flatten().is_some()
        })
    }

    /// Fetches this page again and swaps its `<main>` in.
    async fn refresh() -> Result<(), JsValue> {
        let href = window().location().href()?;
        let init = web_sys::RequestInit::new();
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let answer: web_sys::Response =
            JsFuture::from(window().fetch_with_str_and_init(&href, &init))
                .await?
                .dyn_into()?;
        if !answer.ok() {
            return Err(JsValue::from_str(&format!("HTTP {}", answer.status())));
        }
        let html = JsFuture::from(answer.text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        let parsed = web_sys::DomParser::new()?
            .parse_from_string(&html, web_sys::SupportedType::TextHtml)?;
        let (Some(fresh), Some(main)) = (
            parsed.get_element_by_id("main"),
            document().get_element_by_id("main"),
        ) else {
            return Err(JsValue::from_str("no <main> to refresh"));
        };
        keep_unchanged_islands(&main, &fresh)?;
        // The fresh nodes move into this document (appending adopts them).
        let children = fresh.child_nodes();
        let moved: Vec<web_sys::Node> = (0..children.length())
            .filter_map(|i| children.item(i))
            .collect();
        main.set_inner_html("");
        for node in moved {
            main.append_child(&node)?;
        }
        hydrate_new_islands(&main)?;
        document().set_title(&parsed.title());
        crate::components::live::refresh_moments();
        Ok(())
    }

    /// Islands outside any other island, in document order.
    fn outer_islands(root: &web_sys::Element) -> Vec<web_sys::Element> {
        let Ok(all) = root.query_selector_all("leptos-island") else {
            return Vec::new();
        };
        (0..all.length())
            .filter_map(|i| {
                all.item(i)
                    .and_then(|node| node.dyn_into::<web_sys::Element>().ok())
            })
            .filter(|island| {
                island
                    .parent_element()
                    .and_then(|parent| parent.closest("leptos-island").ok().flatten())
                    .is_none()
            })
            .collect()
    }

    /// What makes two islands the same: their component and props.
    fn identity(island: &web_sys::Element) -> (Option<String>, Option<String>) {
        (
            island.get_attribute("data-component"),
            island.get_attribute("data-props"),
        )
    }

    /// Puts each old island whose identity the fresh `<main>` repeats in
    /// place of its fresh copy, marked so it is not hydrated again.
    fn keep_unchanged_islands(
        main: &web_sys::Element,
        fresh: &web_sys::Element,
    ) -> Result<(), JsValue> {
        let mut old = outer_islands(main);
        for island in outer_islands(fresh) {
            let same = identity(&island);
            if let Some(at) = old.iter().position(|kept| identity(kept) == same) {
                let kept = old.remove(at);
                kept.set_attribute("data-kept", "")?;
                island.replace_with_with_node_1(&kept)?;
            }
        }
        Ok(())
    }

    /// Hydrates the islands that came with the fresh `<main>`, through the
    /// hook Leptos' island loader leaves (`window.__hydrateIsland`).
    fn hydrate_new_islands(main: &web_sys::Element) -> Result<(), JsValue> {
        let hook = js_sys::Reflect::get(&window(), &JsValue::from_str("__hydrateIsland"))?;
        let Ok(hook) = hook.dyn_into::<js_sys::Function>() else {
            return Err(JsValue::from_str("Leptos' island loader is not there"));
        };
        for island in outer_islands(main) {
            if island.has_attribute("data-kept") {
                island.remove_attribute("data-kept")?;
                continue;
            }
            let component = island.get_attribute("data-component").unwrap_or_default();
            hook.call2(&JsValue::NULL, &island, &JsValue::from_str(&component))?;
        }
        Ok(())
    }
}
