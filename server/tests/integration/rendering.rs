//! Server rendering holds while other applications start in the same
//! process: Leptos generates an application's routes with resource loading
//! suppressed for the whole process (leptos-rs/leptos#4773), and a page
//! whose data began loading in that window waited forever. Reach generates
//! the routes once per process (`http::routes`).

use std::time::Duration;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(pages_render_while_routes_are_generated);

async fn pages_render_while_routes_are_generated(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let generating = tokio::task::spawn_blocking(|| {
        for _ in 0..200 {
            assert!(!reach::http::routes().is_empty());
        }
    });
    for round in 0..40 {
        let page = tokio::time::timeout(Duration::from_secs(20), app.get("/accounts"))
            .await
            .unwrap_or_else(|_| panic!("round {round}: the page never finished rendering"));
        assert_eq!(page.status(), 200, "round {round}");
    }
    generating.await.unwrap();
}
