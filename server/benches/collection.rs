//! Collection throughput: N accounts against a local fake platform that
//! answers after a fixed latency, under a request budget R.
//!
//! The engine cannot beat min(R, workers / latency) accounts per second;
//! this reports how close it gets, and the CPU time it spends per account.
//! Run: `cargo bench -p reach --bench collection` (release build, SQLite in
//! a temporary directory). The fake platform runs on threads of its own,
//! whose CPU time is counted apart: "engine CPU" is everything else (the
//! HTTP client, JSON decoding, scheduling, rate limiting, SQLite writes).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::model::Platform;
use axum::Router;
use axum::extract::Path;
use axum::routing::get;
use chrono::Utc;
use reach::collect::engine::{Engine, EngineSettings};
use reach::collect::platforms::{Budget, Collectors, PlatformSettings, Upstream};
use reach::config::{AddAccount, DatabaseConfig};

const LATENCY: Duration = Duration::from_millis(50);

struct Scenario {
    accounts: u32,
    workers: usize,
    /// Requests per second allowed by the platform.
    rate: u32,
}

/// The name of the fake platform's threads, to tell their CPU time apart.
const FAKE_THREAD: &str = "fake-platform";

fn main() -> anyhow::Result<()> {
    let upstream = fake_platform()?;
    tokio::runtime::Runtime::new()?.block_on(run_all(&upstream))
}

async fn run_all(upstream: &str) -> anyhow::Result<()> {
    println!(
        "| accounts | workers | rate limit R (req/s) | bound min(R, workers/latency) (acc/s) | achieved (acc/s) | of bound | engine CPU per account | with fake platform |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for scenario in [
        Scenario {
            accounts: 500,
            workers: 8,
            rate: 100,
        },
        Scenario {
            accounts: 500,
            workers: 8,
            rate: 1_000,
        },
        Scenario {
            accounts: 1_000,
            workers: 32,
            rate: 500,
        },
    ] {
        run(upstream, &scenario).await?;
    }
    Ok(())
}

/// A GitHub look-alike: `GET /users/{login}` answers after `LATENCY`, served
/// by a runtime on threads of its own.
fn fake_platform() -> anyhow::Result<String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(FAKE_THREAD)
        .enable_all()
        .build()?;
    let address = runtime.block_on(serve_fake_platform())?;
    // Lives as long as the benchmark.
    std::mem::forget(runtime);
    Ok(address)
}

async fn serve_fake_platform() -> anyhow::Result<String> {
    let body = include_str!("../tests/fixtures/github_user.json");
    let app = Router::new().route(
        "/users/{login}",
        get(move |Path(login): Path<String>| async move {
            tokio::time::sleep(LATENCY).await;
            (
                [("content-type", "application/json")],
                body.replace("\"octocat\"", &format!("\"{login}\"")),
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{address}"))
}

async fn run(upstream_url: &str, scenario: &Scenario) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = reach::database::connect(&DatabaseConfig {
        url: format!("sqlite://{}/bench.db", dir.path().display()),
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
    })
    .await?;
    for i in 0..scenario.accounts {
        let add = AddAccount {
            platform: Platform::Github,
            handle: format!("user{i}"),
            core: i % 10 == 0,
            tags: vec![],
        };
        reach::accounts::add(&db, &add).await?;
    }

    let budget = Budget::new(scenario.rate, Duration::from_secs(1)).expect("a budget");
    let upstream = Upstream::new(
        Duration::from_secs(5),
        "reach-bench",
        HashMap::from([(Platform::Github, budget)]),
    )?;
    let settings = PlatformSettings {
        github_url: upstream_url.to_owned(),
        ..PlatformSettings::default()
    };
    let engine = Engine::new(
        db,
        Collectors::new(&settings),
        Arc::new(upstream),
        EngineSettings {
            workers: scenario.workers,
            ..EngineSettings::default()
        },
    );

    let (cpu_before, fake_before) = (process_cpu_time(), fake_platform_cpu_time());
    let started = Instant::now();
    let run = engine.run(Utc::now()).await?;
    let elapsed = started.elapsed();
    let cpu = process_cpu_time() - cpu_before;
    let fake = fake_platform_cpu_time() - fake_before;
    assert_eq!(
        run.accounts_ok as u32, scenario.accounts,
        "every account collected: {run:?}"
    );

    let bound = f64::from(scenario.rate).min(scenario.workers as f64 / LATENCY.as_secs_f64());
    let achieved = f64::from(scenario.accounts) / elapsed.as_secs_f64();
    let per_account = |cpu: Duration| cpu.as_secs_f64() * 1_000.0 / f64::from(scenario.accounts);
    println!(
        "| {} | {} | {} | {:.0} | {:.1} | {:.1}% | {:.3} ms | {:.3} ms |",
        scenario.accounts,
        scenario.workers,
        scenario.rate,
        bound,
        achieved,
        100.0 * achieved / bound,
        per_account(cpu.saturating_sub(fake)),
        per_account(cpu),
    );
    Ok(())
}

/// User plus system CPU time of this process so far (Linux).
fn process_cpu_time() -> Duration {
    cpu_time(&std::fs::read_to_string("/proc/self/stat").unwrap_or_default())
}

/// User plus system CPU time of the fake platform's threads so far (Linux).
fn fake_platform_cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("stat")).ok())
        // The thread's name is the second field, in parentheses (truncated
        // to 15 bytes by the kernel).
        .filter(|stat| stat.contains(&format!("({FAKE_THREAD}")))
        .map(|stat| cpu_time(&stat))
        .sum()
}

/// The utime + stime of a `/proc/…/stat` line.
fn cpu_time(stat: &str) -> Duration {
    // Fields after the command name (which may contain spaces) start at ")".
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after ")".
    const TICKS_PER_SECOND: u64 = 100;
    Duration::from_millis((ticks(11) + ticks(12)) * 1_000 / TICKS_PER_SECOND)
}
