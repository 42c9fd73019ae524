//! The browser entry point. cargo-leptos compiles this crate to WASM; the
//! page's script calls `hydrate` once the server-rendered page is idle, then
//! hydrates each island (`<leptos-island>`) in the page, in document order,
//! loading a lazy island's code (its own WASM chunk) when the page has one.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Links the app, whose islands are the WASM's exports.
    app::islands_linked();
    leptos::mount::hydrate_islands();
}
