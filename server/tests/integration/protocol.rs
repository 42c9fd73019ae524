//! HTTP as an outside client meets it: `HEAD` for every `GET`, the JSON
//! error for every refusal (405, 413, 414, 431, 404 under `/api/`), the
//! rules of query strings, and the time limits that close slow clients.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    head_answers_as_get_without_a_body,
    refusals_are_the_json_error,
    query_strings_follow_the_rules,
    an_empty_csv_export_has_its_header,
);

async fn head_answers_as_get_without_a_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::new();
    // A page, an API read, an export and a file.
    for path in [
        "/",
        "/api/overview",
        "/api/accounts?per_page=3",
        "/api/export/accounts.csv",
        "/api/openapi.json",
        "/healthz",
    ] {
        let url = format!("{}{path}", app.address);
        let get = client.get(&url).send().await.unwrap();
        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(head.status(), 200, "HEAD {path}");
        for name in [
            "content-type",
            "etag",
            "cache-control",
            "content-disposition",
        ] {
            assert_eq!(
                head.headers().get(name),
                get.headers().get(name),
                "HEAD {path}: {name}"
            );
        }
        assert!(head.bytes().await.unwrap().is_empty(), "HEAD {path}");
    }
}

/// The status and the JSON error of a response.
async fn error_of(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    assert_eq!(
        headers.get("content-type").and_then(|v| v.to_str().ok()),
        Some("application/json"),
        "{status}"
    );
    let body: Value = response.json().await.expect("a JSON error");
    assert!(body["message"].is_string(), "{body}");
    (status, headers, body)
}

async fn refusals_are_the_json_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let url = |path: &str| format!("{}{path}", app.address);

    // A read asked with another method, and a write asked with GET.
    let (status, headers, body) =
        error_of(client.put(url("/api/overview")).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (405, Some("method_not_allowed"))
    );
    assert_eq!(headers["allow"], "GET, HEAD");
    let (status, headers, _) = error_of(client.get(url("/api/login")).send().await.unwrap()).await;
    assert_eq!(status, 405);
    assert_eq!(headers["allow"], "POST");

    // A body over the limit, announced by its length.
    let (status, _, body) = error_of(
        client
            .post(url("/api/login"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; 1 << 20])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (413, Some("payload_too_large"))
    );

    // An address and headers larger than Reach reads.
    let long = url(&format!("/api/accounts?q={}", "a".repeat(9 << 10)));
    let (status, _, body) = error_of(client.get(long).send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (414, Some("uri_too_long"))
    );
    let mut many = client.get(url("/api/overview"));
    for i in 0..80 {
        many = many.header(format!("x-header-{i}"), "1");
    }
    let (status, _, body) = error_of(many.send().await.unwrap()).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (431, Some("headers_too_large"))
    );

    // No such endpoint under /api/.
    let (status, _, body) = error_of(client.get(url("/api/nothing")).send().await.unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
}

async fn query_strings_follow_the_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (query, says) in [
        ("/api/accounts?sort=", "empty"),
        ("/api/accounts?q=", "empty"),
        ("/api/accounts?page=1&page=2", "given twice"),
        ("/api/accounts?q=%FF%FE", "not UTF-8"),
        ("/api/export/accounts.csv?tag=%C3", "not UTF-8"),
        ("/api/export/accounts.csv?nope=1", "unknown argument"),
    ] {
        let (status, _, body) = error_of(app.get(query).await).await;
        assert_eq!(status, 400, "{query}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
    // Spaces as `+` and UTF-8 as percent escapes are fine.
    assert_eq!(app.get("/api/accounts?q=caf%C3%A9+x").await.status(), 200);
}

async fn an_empty_csv_export_has_its_header(backend: Backend) {
    let app = TestApp::empty(backend).await;
    for (file, first_column) in [
        ("accounts.csv", "id,platform,handle"),
        ("snapshots.csv", "account_id,platform,handle"),
        ("leaderboard.csv", "rank,previous_rank,account_id"),
    ] {
        let response = app.get(&format!("/api/export/{file}")).await;
        assert_eq!(response.status(), 200, "{file}");
        let text = response.text().await.unwrap();
        assert!(text.starts_with(first_column), "{file}: {text:?}");
        assert_eq!(text.lines().count(), 1, "{file}: {text:?}");
    }
}

/// Connections that send half a request head are closed when the header
/// time is up, and hundreds of them leave the server answering others.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off() {
    let app = TestApp::with_limits(
        Backend::Sqlite,
        reach::http::serve::HttpLimits {
            header_read_timeout: Duration::from_secs(1),
            request_timeout: Duration::from_secs(2),
        },
    )
    .await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut slow = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(&address).await.unwrap();
        stream
            .write_all(b"GET /api/overview HTTP/1.1\r\nHost: reach\r\nX-Slow: ")
            .await
            .unwrap();
        slow.push(stream);
    }
    // Served while they hang.
    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    // Each is closed by the server: a read ends (the bound only keeps a
    // broken server from hanging the test; it is not a measure).
    for mut stream in slow {
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut rest))
            .await
            .expect("the server closes a connection that never finishes its head");
        assert!(ended.is_ok() || rest.is_empty());
    }

    // A body that never arrives: the request times out with the JSON 408.
    let mut stream = TcpStream::connect(&address).await.unwrap();
    stream
        .write_all(
            b"POST /api/login HTTP/1.1\r\nHost: reach\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer))
        .await
        .expect("the server answers a request whose body stalls")
        .ok();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"error\":\"request_timeout\""), "{answer}");
}
