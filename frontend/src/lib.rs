//! The browser entry point. cargo-leptos compiles this crate to WASM; the
//! generated JS calls `hydrate` once the server-rendered page has loaded, and
//! from then on the dashboard is reactive.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
