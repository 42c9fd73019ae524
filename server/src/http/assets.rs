//! The built assets: `/pkg/` (cargo-leptos' JS, WASM chunks and CSS) and
//! `/vendor/` (ECharts), sent as they were compressed at build time.
//!
//! `scripts/build.sh` writes a brotli and a gzip copy beside each file;
//! a browser that accepts one gets it as it is (the smallest answer, with
//! no work per request). Without the copies (a debug build, `cargo leptos
//! watch`) the plain file goes out and the compression layer compresses it.
//! Both directories' names carry content hashes, so `caching` marks them
//! immutable.

use std::path::Path;

use axum::Router;
use leptos::prelude::LeptosOptions;
use tower_http::services::ServeDir;

/// Serves `/pkg/` and `/vendor/` from the site directory.
pub fn routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let site = Path::new(options.site_root.as_ref());
    let pkg = options.site_pkg_dir.as_ref();
    Router::new()
        .nest_service(&format!("/{pkg}"), precompressed(&site.join(pkg)))
        .nest_service("/vendor", precompressed(&site.join("vendor")))
}

fn precompressed(dir: &Path) -> ServeDir {
    ServeDir::new(dir).precompressed_br().precompressed_gzip()
}
