//! The browser entry point. cargo-leptos compiles this crate to WASM; the
//! generated JS calls `hydrate` once the server-rendered page has loaded, and
//! from then on the dashboard is reactive.

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Asynchronous: the page's own code is a chunk of its own (see
    // `app::routes`), fetched (preloaded by the page's `<head>`) before its
    // part of the page can hydrate.
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        leptos::mount::hydrate_from_async(body, app::App)
            .await
            .forget();
        app::mark_hydrated();
    });
}
