//! Names a lazy island's WASM chunks in the page's `<head>`.
//!
//! A lazy island (`#[island(lazy)]`) is a chunk of its own: cargo-leptos'
//! `--split` cuts the bundle at each one, and the browser would fetch it
//! only once the main WASM had run and found the island in the page, one
//! round trip later. A page that shows one calls [`island`] while it renders
//! on the server, so its chunks download beside the main WASM.

/// Preloads the chunks of the lazy island `name` (its component's name,
/// e.g. `"LineChart"`). Does nothing in the browser.
#[cfg(feature = "ssr")]
pub fn island(name: &str) {
    use leptos::prelude::*;
    use leptos_meta::Link;
    let Some(state) = use_context::<crate::ssr::state::AppState>() else {
        return;
    };
    let chunks = &state.assets.chunks;
    // The split's manifest keys a lazy island by its loader function,
    // `{name}_loader` in snake case, with a hash.
    let prefix = format!("{}_loader_", snake_case(name));
    // Rendered for their effect: leptos_meta moves them into the <head>.
    for url in chunks.of(&prefix) {
        let _ = view! {
            <Link rel="preload" href=url.clone() as_="fetch" type_="application/wasm" crossorigin="anonymous" />
        }
        .to_html();
    }
    if let Some(loader) = &chunks.loader {
        let _ =
            view! { <Link rel="modulepreload" href=loader.to_string() crossorigin="anonymous" /> }
                .to_html();
    }
}

#[cfg(not(feature = "ssr"))]
pub fn island(_name: &str) {}

/// `LineChart` → `line_chart`.
#[cfg(any(feature = "ssr", test))]
fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_island_is_keyed_by_its_snake_case_name() {
        assert_eq!(super::snake_case("LineChart"), "line_chart");
        assert_eq!(super::snake_case("RunsBoard"), "runs_board");
    }
}
