//! Faults, caused on purpose: a collection killed with `kill -9`, backups
//! taken while a collection writes, reads served while a run writes to
//! SQLite, and PostgreSQL cut off and back. (Redis killed during reads is in
//! `cache.rs`; platforms answering 429, 5xx, garbage or nothing in
//! `collection.rs`; SIGTERM in `cli.rs`.)

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use app::model::Platform;
use app::ssr::cache::Cache;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, EntityTrait, Statement};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    reads_never_fail_while_a_run_writes,
    an_unreachable_database_fails_fast_and_recovers,
);

fn reach(database_url: &str, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_reach"));
    command
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .env("RUST_LOG", "warn");
    command
}

fn succeeded(output: Output) -> String {
    assert!(
        output.status.success(),
        "reach failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index(0)
        .unwrap()
}

#[test]
fn a_killed_collection_is_recorded_as_interrupted_and_its_accounts_return() {
    const ACCOUNTS: i64 = 16;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let fake = runtime.block_on(async {
        let fake = MockServer::start().await;
        let body = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/github_user.json"
        ))
        .unwrap();
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(body, "application/json")
                    .set_delay(Duration::from_millis(300)),
            )
            .mount(&fake)
            .await;
        fake
    });
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/killed.db", dir.path().display());
    for i in 0..ACCOUNTS {
        succeeded(
            reach(&url, &["account", "add", "github", &format!("user{i}")])
                .output()
                .unwrap(),
        );
    }
    let collect = || {
        let mut command = reach(&url, &["collect"]);
        command
            .env("REACH_GITHUB_URL", fake.uri())
            .env("REACH_WORKERS", "2")
            // Without a token GitHub allows 60 requests an hour.
            .env("REACH_RATE_LIMITS", "github=100000/1h")
            .env("REACH_RUN_HEARTBEAT", "200ms");
        command
    };
    let db = runtime.block_on(Database::connect(&url)).unwrap();

    let mut first = collect().spawn().unwrap();
    let started = Instant::now();
    while runtime.block_on(count(&db, "SELECT COUNT(*) FROM snapshots")) < 2 {
        assert!(started.elapsed() < Duration::from_secs(30), "no snapshot");
        std::thread::sleep(Duration::from_millis(20));
    }
    first.kill().unwrap(); // SIGKILL: no handler, no clean-up
    first.wait().unwrap();

    // Left as the kill left it: a "running" run holding leases, and every
    // stored snapshot whole, with its result.
    let leased = runtime.block_on(count(
        &db,
        "SELECT COUNT(*) FROM accounts WHERE lease_owner IS NOT NULL",
    ));
    assert!(leased > 0, "the dead run held claims");
    assert_eq!(
        runtime.block_on(count(
            &db,
            "SELECT COUNT(*) FROM collection_runs WHERE status = 'running'"
        )),
        1
    );
    let stored = runtime.block_on(count(&db, "SELECT COUNT(*) FROM snapshots"));
    let results = runtime.block_on(count(
        &db,
        "SELECT COUNT(*) FROM run_results WHERE outcome = 'ok'",
    ));
    assert_eq!(stored, results);
    assert!(stored < ACCOUNTS, "killed mid-run: {stored} stored");

    // Restarted once the dead run has been silent for four heartbeats: it is
    // recorded as interrupted, and the accounts it claimed are collected now
    // rather than when their 10-minute leases lapse.
    std::thread::sleep(Duration::from_millis(1_000));
    succeeded(collect().output().unwrap());
    let runs = runtime
        .block_on(db.query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT status, accounts_ok, finished_at IS NOT NULL FROM collection_runs ORDER BY id",
        )))
        .unwrap();
    let runs: Vec<(String, i32, bool)> = runs
        .iter()
        .map(|row| {
            (
                row.try_get_by_index(0).unwrap(),
                row.try_get_by_index(1).unwrap(),
                row.try_get_by_index(2).unwrap(),
            )
        })
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert_eq!(runs[0].0, "interrupted", "{runs:?}");
    assert!(runs[0].2, "the dead run has an end: {runs:?}");
    assert_eq!(
        (runs[1].0.as_str(), i64::from(runs[1].1)),
        ("finished", ACCOUNTS),
        "every account, the dead run's claims included"
    );
    // No partial or duplicate snapshot: one per stored result, and at most
    // one per account and run.
    assert_eq!(
        runtime.block_on(count(&db, "SELECT COUNT(*) FROM snapshots")),
        runtime.block_on(count(
            &db,
            "SELECT COUNT(*) FROM run_results WHERE outcome = 'ok'"
        ))
    );
    assert_eq!(
        runtime.block_on(count(
            &db,
            "SELECT COUNT(*) FROM (SELECT run_id, account_id FROM run_results \
             GROUP BY run_id, account_id HAVING COUNT(*) > 1) AS twice"
        )),
        0
    );
    assert_eq!(
        runtime.block_on(count(
            &db,
            "SELECT COUNT(*) FROM accounts WHERE lease_owner IS NOT NULL"
        )),
        0
    );
}

/// Backs the database of `url` up to `path` with `reach backup`.
fn backup(url: &str, path: &Path) -> String {
    succeeded(
        reach(url, &["backup", path.to_str().unwrap()])
            .output()
            .unwrap(),
    )
}

#[test]
fn a_backup_of_a_live_database_is_consistent_and_restores() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/live.db", dir.path().display());
    succeeded(
        reach(&url, &["seed", "--accounts", "200", "--days", "30"])
            .output()
            .unwrap(),
    );
    // A collection writes while the backup is taken.
    let mut writer = reach(&url, &["collect"]).spawn().unwrap();
    let copy = dir.path().join("copy.db");
    backup(&url, &copy);
    assert!(writer.wait().unwrap().success());
    let again = reach(&url, &["backup", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success(), "a backup never overwrites");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let copied = runtime
        .block_on(Database::connect(format!("sqlite://{}", copy.display())))
        .unwrap();
    // Consistent: the stored snapshot count (kept by triggers in the same
    // transactions) matches the rows, and every run's counts match its results.
    let (kept, rows, accounts) = runtime.block_on(async {
        (
            count(
                &copied,
                "SELECT row_count FROM row_counts WHERE table_name = 'snapshots'",
            )
            .await,
            count(&copied, "SELECT COUNT(*) FROM snapshots").await,
            count(&copied, "SELECT COUNT(*) FROM accounts").await,
        )
    });
    assert_eq!(kept, rows);
    assert_eq!(accounts, 200);
    drop(copied);

    // Restored over another database, which it replaces whole.
    let other = format!("sqlite://{}/other.db", dir.path().display());
    succeeded(
        reach(&other, &["seed", "--accounts", "3", "--days", "2"])
            .output()
            .unwrap(),
    );
    succeeded(
        reach(&other, &["restore", copy.to_str().unwrap()])
            .output()
            .unwrap(),
    );
    assert!(
        dir.path().join("other.bak").exists(),
        "the replaced database is kept aside"
    );
    let restored = runtime.block_on(Database::connect(&other)).unwrap();
    let (restored_rows, restored_accounts, marks) = runtime.block_on(async {
        (
            count(&restored, "SELECT COUNT(*) FROM snapshots").await,
            count(&restored, "SELECT COUNT(*) FROM accounts").await,
            count(
                &restored,
                "SELECT COUNT(DISTINCT account_id) FROM leaderboard_marks",
            )
            .await,
        )
    });
    assert_eq!((restored_rows, restored_accounts), (rows, 200));
    assert_eq!(marks, 200, "the leaderboard's marks are refreshed");

    // What is not a sound Reach database is refused, and nothing replaced.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let refused = reach(&other, &["restore", junk.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert_eq!(
        runtime.block_on(count(&restored, "SELECT COUNT(*) FROM accounts")),
        200
    );
}

async fn reads_never_fail_while_a_run_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // More accounts, so that each run writes for a while.
    for i in 0..300 {
        app.add_account(Platform::X, &format!("writer{i}")).await;
    }
    // Demo accounts: simulated counters, so every run writes all of them.
    db::entities::account::Entity::update_many()
        .col_expr(
            db::entities::account::Column::Simulated,
            sea_orm::sea_query::Expr::value(true),
        )
        .exec(&app.db)
        .await
        .unwrap();
    let writing = Arc::new(AtomicBool::new(true));
    let (reads, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let readers: Vec<_> = (0..8)
        .map(|reader| {
            let (client, address) = (app.client.clone(), app.address.clone());
            let (writing, reads, failures) = (writing.clone(), reads.clone(), failures.clone());
            tokio::spawn(async move {
                let paths = [
                    "/api/overview",
                    "/api/accounts?sort=followers",
                    "/api/leaderboard",
                    "/api/runs",
                    "/accounts",
                ];
                let mut turn = reader;
                while writing.load(Ordering::Acquire) {
                    let path = paths[turn % paths.len()];
                    turn += 1;
                    let response = client.get(format!("{address}{path}")).send().await;
                    reads.fetch_add(1, Ordering::Relaxed);
                    match response {
                        Ok(response) if response.status().is_success() => {}
                        Ok(response) => {
                            let status = response.status();
                            let body = response.text().await.unwrap_or_default();
                            eprintln!("GET {path}: {status} {body}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(error) => {
                            eprintln!("GET {path}: {error}");
                            failures.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    let engine = app.engine("http://127.0.0.1:9");
    for _ in 0..3 {
        let run = engine.run(chrono::Utc::now()).await.expect("a run");
        assert!(run.accounts_ok >= 300, "{run:?}");
    }
    writing.store(false, Ordering::Release);
    for reader in readers {
        reader.await.unwrap();
    }
    let reads = reads.load(Ordering::Relaxed);
    assert!(reads > 20, "only {reads} reads");
    assert_eq!(failures.load(Ordering::Relaxed), 0, "of {reads} reads");
}

/// A TCP proxy to the database that can be cut (every connection dropped,
/// new ones refused) and mended.
struct Proxy {
    address: std::net::SocketAddr,
    open: Arc<AtomicBool>,
    generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Proxy {
    async fn start(upstream: std::net::SocketAddr) -> Proxy {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let open = Arc::new(AtomicBool::new(true));
        let generation = Arc::new(tokio::sync::watch::channel(0u64).0);
        let (accepting, cuts) = (open.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !accepting.load(Ordering::Acquire) {
                    continue; // dropped: the client sees the connection close
                }
                let mut cut = cuts.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Proxy {
            address,
            open,
            generation,
        }
    }

    fn cut(&self) {
        self.open.store(false, Ordering::Release);
        self.generation.send_modify(|g| *g += 1);
    }

    fn mend(&self) {
        self.open.store(true, Ordering::Release);
    }
}

async fn an_unreachable_database_fails_fast_and_recovers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Some((url, host, upstream)) = app.database_behind_tcp() else {
        // SQLite is a file: it cannot become unreachable over the network.
        return;
    };
    let proxy = Proxy::start(upstream).await;
    let proxied = url.replacen(&host, &proxy.address.to_string(), 1);
    let config = reach::config::DatabaseConfig {
        url: proxied,
        max_connections: 4,
        acquire_timeout: Duration::from_secs(2),
    };
    let db = reach::database::connect(&config).await.unwrap();
    let address = crate::common::serve(db, Cache::in_process()).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let get = |path: &'static str| {
        let (client, address) = (client.clone(), address.clone());
        async move {
            let started = Instant::now();
            let response = client
                .get(format!("{address}{path}"))
                .send()
                .await
                .expect("an answer, not a hang");
            (response, started.elapsed())
        }
    };
    assert_eq!(get("/api/overview").await.0.status(), 200);

    proxy.cut();
    for path in [
        "/api/overview",
        "/api/accounts",
        "/api/leaderboard",
        "/readyz",
    ] {
        let (response, took) = get(path).await;
        assert_eq!(response.status(), 503, "{path}");
        assert!(took < Duration::from_secs(10), "{path} took {took:?}");
        let body: serde_json::Value = response.json().await.expect("a JSON answer");
        if path.starts_with("/api/") {
            assert_eq!(body["error"], "unavailable", "{path}: {body}");
        }
    }
    assert_eq!(get("/healthz").await.0.status(), 200, "the process lives");

    proxy.mend();
    let started = Instant::now();
    loop {
        let (response, _) = get("/api/overview").await;
        if response.status() == 200 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "still {} after the database came back",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
