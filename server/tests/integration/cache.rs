//! The read cache through the real server: writes are visible on the next
//! read, concurrent misses load once, two instances share Redis, and Redis
//! dying, stalling or starting late never fails a request.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use app::model::{AccountDetail, AccountRow, CacheBackend, CacheStats, Counters, Overview, Page};
use app::ssr::cache::{Cache, CacheSettings};
use app::ssr::metrics::Metrics;
use chrono::Utc;
use db::generations::{self, Domain};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_write_is_visible_on_the_next_read,
    concurrent_misses_load_once,
    redis_killed_and_restarted_during_reads_fails_no_request,
    redis_down_at_start_up_and_slow_redis_fail_no_request,
    the_in_process_level_is_bounded_in_bytes,
);

/// The counters of one kind of answer.
fn counters(stats: &CacheStats, kind: &str) -> app::model::CacheKindStats {
    stats
        .kinds
        .iter()
        .find(|k| k.kind == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no kind {kind}"))
}

async fn a_write_is_visible_on_the_next_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let page: Page<AccountRow> = app.get_json("/api/accounts?per_page=1").await;
    let id = page.items[0].id;
    let path = format!("/api/account?id={id}");
    let before: AccountDetail = app.get_json(&path).await;
    let again: AccountDetail = app.get_json(&path).await;
    assert_eq!(before, again);
    assert_eq!(counters(&app.cache.stats().await, "account").local_hits, 1);
    let overview: Overview = app.get_json("/api/overview").await;

    // A newer observation, written as the collector writes it.
    let followers = before.account.latest.followers.unwrap_or(0) + 12_345;
    db::snapshots::record(
        &app.db,
        id,
        Utc::now(),
        Counters {
            followers: Some(followers),
            ..before.account.latest
        },
    )
    .await
    .expect("a write");

    let after: AccountDetail = app.get_json(&path).await;
    assert_eq!(after.account.latest.followers, Some(followers));
    assert_eq!(after.snapshot_count, before.snapshot_count + 1);
    let overview_after: Overview = app.get_json("/api/overview").await;
    assert_eq!(overview_after.snapshots, overview.snapshots + 1);
}

async fn concurrent_misses_load_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // How many statements one load of the overview sends.
    let statements = Arc::new(AtomicU64::new(0));
    let mut db = app.db.clone();
    let counter = statements.clone();
    db.set_metric_callback(move |_| {
        counter.fetch_add(1, Ordering::Relaxed);
    });
    db::overview::overview(&db).await.expect("the overview");
    let per_load = statements.load(Ordering::Relaxed);
    assert!(per_load > 0);

    // A server whose every statement is counted by its own metrics.
    let metrics = Metrics::default();
    let address =
        crate::common::serve_with_metrics(app.db.clone(), Cache::in_process(), metrics.clone())
            .await;
    let client = reqwest::Client::new();
    let requests = (0..50).map(|_| {
        let client = client.clone();
        let url = format!("{address}/api/overview");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| matches!(s, Ok(s) if *s == 200)),
        "{statuses:?}"
    );
    // Every request reads the data generations; only one loads the answer.
    let loads: u64 = metrics
        .queries()
        .iter()
        .filter(|q| q.name != "SELECT data_generations")
        .map(|q| q.count)
        .sum();
    assert_eq!(
        loads, per_load,
        "50 concurrent requests for one missing answer loaded it once"
    );
}

async fn the_in_process_level_is_bounded_in_bytes(backend: Backend) {
    let limit = 16 * 1024;
    let app = TestApp::with_cache(
        backend,
        CacheSettings {
            capacity_bytes: limit,
            ..CacheSettings::default()
        },
    )
    .await;
    for id in 1..=30 {
        let _: Vec<app::model::HistoryPoint> = app
            .get_json(&format!("/api/history?id={id}&range=all"))
            .await;
    }
    let stats = app.cache.stats().await;
    assert!(stats.entries > 0, "{stats:?}");
    assert!(stats.entries < 30, "older answers were evicted: {stats:?}");
    assert!(stats.memory_bytes <= limit, "{stats:?}");
}

/// A private `redis-server` on a free port, killed when dropped.
pub(crate) struct RedisServer {
    port: u16,
    dir: tempfile::TempDir,
    process: Option<Child>,
}

impl RedisServer {
    pub(crate) fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Self {
            port,
            dir: tempfile::tempdir().expect("a directory"),
            process: None,
        };
        server.restart();
        server
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// Starts it (again) on its port, and waits until it accepts connections.
    fn restart(&mut self) {
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "redis-server".to_owned());
        let process = Command::new(binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            // For DEBUG SLEEP, which stalls the server.
            .args(["--enable-debug-command", "local"])
            .arg("--dir")
            .arg(PathBuf::from(self.dir.path()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server runs (it is installed on these machines)");
        self.process = Some(process);
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("redis-server did not start on port {}", self.port);
    }

    pub(crate) fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().ok();
            process.wait().ok();
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn redis_settings(redis: &RedisServer) -> CacheSettings {
    CacheSettings {
        redis_url: Some(redis.url()),
        ..CacheSettings::default()
    }
}

/// Waits (generously) until `cache` reports `backend`.
async fn until_backend(cache: &Cache, backend: CacheBackend) {
    for _ in 0..200 {
        if cache.backend() == backend {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the cache never became {backend:?}: {:?}", cache.backend());
}

/// The number of keys in the Redis at `port` (a raw `DBSIZE`).
fn redis_keys(port: u16) -> u64 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("Redis is up");
    stream.write_all(b"DBSIZE\r\n").expect("a command");
    let mut answer = [0u8; 32];
    let read = stream.read(&mut answer).expect("an answer");
    // ":<n>\r\n"
    std::str::from_utf8(&answer[1..read])
        .ok()
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("DBSIZE answered {:?}", &answer[..read]))
}

async fn redis_killed_and_restarted_during_reads_fails_no_request(backend: Backend) {
    let mut redis = RedisServer::start();
    let app = TestApp::with_cache(backend, redis_settings(&redis)).await;
    until_backend(&app.cache, CacheBackend::Redis).await;

    let stop = Arc::new(AtomicBool::new(false));
    // Writes keep making every key new, so reads keep asking Redis (or
    // finding it dead) instead of settling in the in-process level.
    let writer = {
        let (db, stop) = (app.db.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                generations::bump(&db, &Domain::ALL).await.expect("a write");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let (failures, reads) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let readers: Vec<_> = [
        "/api/overview",
        "/api/accounts?page=2",
        "/api/runs",
        "/api/account?id=3",
    ]
    .into_iter()
    .map(|path| {
        let (failures, reads, stop) = (failures.clone(), reads.clone(), stop.clone());
        let (client, url) = (app.client.clone(), format!("{}{path}", app.address));
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(response) if response.status() == 200 => {}
                    other => {
                        eprintln!("{url}: {other:?}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
                reads.fetch_add(1, Ordering::Relaxed);
            }
        })
    })
    .collect();

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(redis_keys(redis.port) > 0, "answers are stored in Redis");
    redis.kill();
    until_backend(&app.cache, CacheBackend::Degraded).await;
    // An answer never read before must be computed without Redis (the
    // readers' own may all be in memory by now, the writer's bumps
    // notwithstanding): at least one fallback, whatever the timing.
    assert_eq!(app.get("/api/account?id=4").await.status(), 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stats_while_down = app.cache.stats().await;
    redis.restart();
    until_backend(&app.cache, CacheBackend::Redis).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for task in readers.into_iter().chain([writer]) {
        task.await.expect("a reader or the writer");
    }

    assert!(reads.load(Ordering::Relaxed) > 0);
    assert_eq!(failures.load(Ordering::Relaxed), 0, "no request failed");
    let fallbacks: u64 = stats_while_down.kinds.iter().map(|k| k.fallbacks).sum();
    assert!(fallbacks > 0, "{stats_while_down:?}");
    assert!(
        redis_keys(redis.port) > 0,
        "back on Redis: the restarted, empty server holds answers again"
    );
}

async fn redis_down_at_start_up_and_slow_redis_fail_no_request(backend: Backend) {
    // Nothing listens on this port yet.
    let mut redis = RedisServer::start();
    redis.kill();
    let app = TestApp::with_cache(backend, redis_settings(&redis)).await;
    assert_eq!(app.cache.backend(), CacheBackend::Degraded);
    let overview: Overview = app.get_json("/api/overview").await;
    assert!(overview.accounts > 0);

    // Redis arrives late: Reach connects by itself.
    redis.restart();
    until_backend(&app.cache, CacheBackend::Redis).await;
    let _: Page<AccountRow> = app.get_json("/api/accounts?page=3").await;
    assert!(redis_keys(redis.port) > 0);

    // Redis stalls for a second (DEBUG SLEEP): requests go on without it.
    let port = redis.port;
    let stall = std::thread::spawn(move || {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("Redis");
        stream.write_all(b"DEBUG SLEEP 1\r\n").expect("a command");
        // "+OK" once the second is over.
        let mut answer = [0u8; 5];
        stream.read_exact(&mut answer).ok();
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    generations::bump(&app.db, &Domain::ALL)
        .await
        .expect("a write");
    let without_redis =
        |stats: CacheStats| -> u64 { stats.kinds.iter().map(|k| k.errors + k.fallbacks).sum() };
    let before = without_redis(app.cache.stats().await);
    let _: Page<AccountRow> = app.get_json("/api/accounts?page=4").await;
    let after = without_redis(app.cache.stats().await);
    assert!(
        after > before,
        "the request went on without the stalled Redis"
    );
    stall.join().expect("the stall ends");
}

async fn two_instances_share_redis_and_see_each_others_writes() {
    let redis = RedisServer::start();
    let first = TestApp::with_cache(Backend::Postgres, redis_settings(&redis)).await;
    let second_cache = Cache::new(&redis_settings(&redis)).expect("a cache");
    let second = first.another_instance(&second_cache).await;
    until_backend(&first.cache, CacheBackend::Redis).await;
    until_backend(&second_cache, CacheBackend::Redis).await;
    let client = reqwest::Client::new();
    let get = |base: String, path: &'static str| {
        let client = client.clone();
        async move {
            let response = client
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("an answer");
            assert_eq!(response.status(), 200);
            response.json::<AccountDetail>().await.expect("JSON")
        }
    };

    // The first instance computes the answer; the second finds it in Redis.
    let computed = get(first.address.clone(), "/api/account?id=2").await;
    let shared = get(second.clone(), "/api/account?id=2").await;
    assert_eq!(computed, shared);
    assert_eq!(
        counters(&second_cache.stats().await, "account").redis_hits,
        1
    );
    assert_eq!(counters(&second_cache.stats().await, "account").misses, 0);

    // A write on one side is seen on the other's next read.
    db::snapshots::record(
        &first.db,
        2,
        Utc::now(),
        Counters {
            followers: Some(777),
            ..computed.account.latest
        },
    )
    .await
    .expect("a write");
    // The other instance's reading of the revisions answers for
    // `fresh_for` after it began; the writer's own, on its next read.
    tokio::time::sleep(CacheSettings::DEFAULT.fresh_for).await;
    let after = get(second.clone(), "/api/account?id=2").await;
    assert_eq!(after.account.latest.followers, Some(777));
    let after_first = get(first.address.clone(), "/api/account?id=2").await;
    assert_eq!(after_first.account.latest.followers, Some(777));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_postgres_share_redis() {
    two_instances_share_redis_and_see_each_others_writes().await;
}

/// Starts `reach serve` on a fresh SQLite file with `REDIS_URL` set, and
/// returns the process and the address it announced.
fn serve_binary_with_redis(redis_url: &str, dir: &std::path::Path) -> (Child, String) {
    use std::io::{BufRead, BufReader};
    let url = format!("sqlite://{}/r.db", dir.display());
    let mut server = Command::new(env!("CARGO_BIN_EXE_reach"))
        .args(["--database-url", &url, "serve", "--no-collect"])
        .env("REDIS_URL", redis_url)
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env(
            "REACH_LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start reach serve");
    let log = BufReader::new(server.stderr.take().expect("its log"));
    let mut lines = log.lines().map_while(Result::ok);
    let address = lines
        .find_map(|line| {
            line.split("Reach is listening on ")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the server starts");
    // Keep draining the log, so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (server, address)
}

/// `/readyz` of a `reach serve` (see [`serve_binary_with_redis`]) asked
/// as soon as it says it is listening; the server is stopped after.
async fn readiness_at_start(redis_url: &str, dir: &std::path::Path) -> serde_json::Value {
    let (mut server, address) = serve_binary_with_redis(redis_url, dir);
    let ready = reqwest::get(format!("{address}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    server.kill().ok();
    server.wait().ok();
    ready
}

/// `reach serve` with Redis up connects to it before it says it is
/// listening: its first reads use the shared cache. With Redis down it
/// still starts, on the in-process cache.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_connects_to_redis_before_it_listens() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let ready = readiness_at_start(&redis.url(), dir.path()).await;
    assert_eq!(ready["cache"], "redis", "{ready}");

    let mut down = RedisServer::start();
    down.kill();
    let dir = tempfile::tempdir().unwrap();
    let ready = readiness_at_start(&down.url(), dir.path()).await;
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(ready["cache"], "degraded", "{ready}");
}
