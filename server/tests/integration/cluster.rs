//! Three `reach serve` processes on one PostgreSQL database and one Redis,
//! collecting from a fake GitHub that logs every request and refuses what
//! goes over a budget counted per address, as GitHub does: a budget that
//! holds for the whole cluster, each account asked once per cycle, a
//! "collect now" that every instance takes part in, and a `kill -9`'d
//! instance's accounts taken over within the documented bound, none stored
//! twice. Prints the figures README quotes ("Run several instances").

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::model::{InstanceRow, Platform};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use wiremock::{MockServer, Request, Respond, ResponseTemplate};

use crate::cache::RedisServer;
use crate::common::{Backend, TestApp};

const ACCOUNTS: usize = 60;
/// Requests a second the fake allows from everyone together.
const BUDGET: usize = 10;
/// The instances' heartbeat: a run silent for four is dead.
const HEARTBEAT: Duration = Duration::from_millis(500);
/// A user's id at the fake: this plus the number in its login.
const FIRST_ID: u64 = 1_000_000;

/// One request as the fake saw it.
#[derive(Clone, Debug)]
struct Seen {
    at: Duration,
    login: String,
    refused: bool,
}

/// GitHub's `GET /users/{login}` and `GET /user/{id}`, answered after a
/// short delay, with a budget of [`BUDGET`] a second for all callers.
#[derive(Clone)]
struct FakeGithub {
    started: Instant,
    log: Arc<Mutex<Vec<Seen>>>,
}

impl Respond for FakeGithub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path();
        let login = if let Some(login) = path.strip_prefix("/users/") {
            login.to_owned()
        } else if let Some(id) = path.strip_prefix("/user/") {
            let id: u64 = id.parse().unwrap_or_default();
            format!("user{}", id.saturating_sub(FIRST_ID))
        } else {
            return ResponseTemplate::new(404);
        };
        let at = self.started.elapsed();
        let mut log = self.log.lock().unwrap();
        // Arrivals within the last second, as a sliding window.
        let recent = log
            .iter()
            .filter(|seen| !seen.refused && at.saturating_sub(seen.at) < Duration::from_secs(1))
            .count();
        let refused = recent >= BUDGET;
        log.push(Seen {
            at,
            login: login.clone(),
            refused,
        });
        if refused {
            // GitHub's primary limit: 403, nothing remaining, the reset.
            let reset = chrono::Utc::now().timestamp() + 1;
            return ResponseTemplate::new(403)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .set_body_json(serde_json::json!({
                    "message": "API rate limit exceeded for 127.0.0.1.",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
                }));
        }
        let number: u64 = login.trim_start_matches("user").parse().unwrap_or_default();
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({
                "login": login,
                "id": FIRST_ID + number,
                "type": "User",
                "name": null,
                "public_repos": 8,
                "public_gists": 8,
                "followers": 21871,
                "following": 9,
                "created_at": "2011-01-25T18:44:36Z",
                "updated_at": "2025-10-07T11:19:53Z"
            }))
            .set_delay(Duration::from_millis(100))
    }
}

impl FakeGithub {
    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }
}

/// The most requests that arrived in any second of `seen`.
fn peak_per_second(seen: &[Seen]) -> usize {
    let times: Vec<Duration> = seen.iter().map(|s| s.at).collect();
    (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|at| **at - times[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// A `reach serve` process, killed when dropped.
struct Instance {
    name: &'static str,
    address: String,
    process: Child,
    log: Arc<Mutex<Vec<String>>>,
}

impl Instance {
    fn start(name: &'static str, database: &str, redis: &str, github: &str) -> Self {
        let mut process = Command::new(env!("CARGO_BIN_EXE_reach"))
            .args(["--database-url", database, "serve"])
            .env("REDIS_URL", redis)
            .env("REACH_GITHUB_URL", github)
            .env("REACH_RATE_LIMITS", format!("github={BUDGET}/1s"))
            .env(
                "REACH_RUN_HEARTBEAT",
                format!("{}ms", HEARTBEAT.as_millis()),
            )
            .env("REACH_INSTANCE", name)
            // A cycle boundary never falls within the test.
            .env("REACH_COLLECT_INTERVAL", "7days")
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env(
                "REACH_LEPTOS_CONFIG",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
            )
            .env("RUST_LOG", "warn,reach=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start reach serve");
        let mut lines = BufReader::new(process.stderr.take().unwrap()).lines();
        let address = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.split("Reach is listening on ")
                    .nth(1)
                    .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
            })
            .expect("the server starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                kept.lock().unwrap().push(line);
            }
        });
        Instance {
            name,
            address,
            process,
            log,
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.process.kill().ok();
        self.process.wait().ok();
    }
}

/// The one number `sql` selects (a count, or an INT column).
async fn number(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .unwrap()
}

/// Waits until `sql` counts at least `wanted`; returns how long it took.
async fn until_count(
    db: &DatabaseConnection,
    sql: &str,
    wanted: i64,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        let now = number(db, sql).await;
        if now >= wanted {
            return started.elapsed();
        }
        if started.elapsed() > within {
            dump(db).await;
            panic!("{sql}: {now} of {wanted} after {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the runs and results say, when a wait fails.
async fn dump(db: &DatabaseConnection) {
    let rows = |sql: &'static str| async move {
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await
            .unwrap()
    };
    for row in rows("SELECT CAST(id AS BIGINT), instance, status, CAST(accounts_ok AS BIGINT), CAST(accounts_total AS BIGINT), CAST(accounts_done AS BIGINT) FROM collection_runs ORDER BY id").await {
        eprintln!(
            "run {:?} {:?} {:?} ok {:?} total {:?} done {:?}",
            row.try_get_by_index::<i64>(0),
            row.try_get_by_index::<Option<String>>(1),
            row.try_get_by_index::<String>(2),
            row.try_get_by_index::<i64>(3),
            row.try_get_by_index::<i64>(4),
            row.try_get_by_index::<i64>(5)
        );
    }
    for row in rows(
        "SELECT outcome, CAST(COUNT(*) AS BIGINT), MIN(error) FROM run_results GROUP BY outcome",
    )
    .await
    {
        eprintln!(
            "outcome {:?} {:?} {:?}",
            row.try_get_by_index::<String>(0),
            row.try_get_by_index::<i64>(1),
            row.try_get_by_index::<Option<String>>(2)
        );
    }
    for row in rows("SELECT handle, lease_owner, last_outcome FROM accounts WHERE lease_owner IS NOT NULL OR id NOT IN (SELECT account_id FROM run_results WHERE outcome = 'ok' GROUP BY account_id HAVING COUNT(*) >= 3)").await {
        eprintln!(
            "account {:?} {:?} {:?}",
            row.try_get_by_index::<String>(0),
            row.try_get_by_index::<Option<String>>(1),
            row.try_get_by_index::<Option<String>>(2)
        );
    }
}

const OK_RESULTS: &str = "SELECT COUNT(*) FROM run_results WHERE outcome = 'ok'";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_share_the_budget_split_the_work_and_take_over_a_killed_one() {
    let app = TestApp::database_only(Backend::Postgres).await;
    let redis = RedisServer::start();
    let fake = FakeGithub {
        started: Instant::now(),
        log: Arc::default(),
    };
    let server = MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    for i in 0..ACCOUNTS {
        app.add_account(Platform::Github, &format!("user{i}")).await;
    }
    let token = app.admin_token().await;
    let client = reqwest::Client::new();
    let start = |name| Instance::start(name, app.database_url(), &redis.url(), &server.uri());

    // 1. One instance: its start-up run collects every account.
    let first = start("c1");
    let took = until_count(
        &app.db,
        OK_RESULTS,
        ACCOUNTS as i64,
        Duration::from_secs(60),
    )
    .await;
    let one = fake.seen();
    let peak_one = peak_per_second(&one);

    println!(
        "1 instance: {} accounts in {:.1} s, {} requests, peak {peak_one}/s of a budget of {BUDGET}/s",
        ACCOUNTS,
        took.as_secs_f64(),
        one.len()
    );

    // 2. Three instances, one "collect now": every instance takes part.
    let second = start("c2");
    let third = start("c3");
    let instances = || async {
        client
            .get(format!("{}/api/instances", second.address))
            .send()
            .await
            .unwrap()
            .json::<Vec<InstanceRow>>()
            .await
            .unwrap()
    };
    let waited = Instant::now();
    while instances().await.len() < 3 {
        assert!(
            waited.elapsed() < Duration::from_secs(20),
            "{:?}",
            instances().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The newcomers' start-up runs found nothing due; let them end.
    until_count(
        &app.db,
        "SELECT COUNT(*) FROM collection_runs WHERE status <> 'running'",
        3,
        Duration::from_secs(20),
    )
    .await;
    let collect = |instance: &Instance| {
        client
            .post(format!("{}/api/collect", instance.address))
            .bearer_auth(&token)
            .send()
    };
    let answer: serde_json::Value = collect(&second).await.unwrap().json().await.unwrap();
    assert_eq!(answer["status"], "started", "{answer}");
    let took = until_count(
        &app.db,
        OK_RESULTS,
        2 * ACCOUNTS as i64,
        Duration::from_secs(60),
    )
    .await;
    let seen = fake.seen();
    let three: Vec<Seen> = seen[one.len()..].to_vec();
    let peak_three = peak_per_second(&three);
    // Counted from the results: a run's own counts come at its end.
    let shares: Vec<i64> = {
        let mut shares = Vec::new();
        for name in ["c1", "c2", "c3"] {
            shares.push(
                number(
                    &app.db,
                    &format!(
                        "SELECT COUNT(*) FROM run_results r JOIN collection_runs c ON c.id = r.run_id WHERE c.instance = '{name}' AND r.outcome = 'ok'"
                    ),
                )
                .await,
            );
        }
        shares[0] -= ACCOUNTS as i64;
        shares
    };
    println!(
        "3 instances: {} accounts in {:.1} s, {} requests, peak {peak_three}/s of a budget of {BUDGET}/s, split {shares:?}",
        ACCOUNTS,
        took.as_secs_f64(),
        three.len()
    );
    assert!(
        shares.iter().all(|share| *share > 0),
        "every instance took part: {shares:?}"
    );

    // 3. Another "collect now"; one instance is killed mid-way. The results
    // are stored before each instance closes its run, and an instance is
    // busy a moment after its run's row says finished: until then a request
    // is rightly refused as already running.
    until_count(
        &app.db,
        "SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM collection_runs WHERE status = 'running'",
        1,
        Duration::from_secs(20),
    )
    .await;
    let before = fake.seen().len();
    let asked = Instant::now();
    loop {
        let answer: serde_json::Value = collect(&first).await.unwrap().json().await.unwrap();
        if answer["status"] == "started" {
            break;
        }
        assert_eq!(answer["status"], "already_running", "{answer}");
        assert!(asked.elapsed() < Duration::from_secs(5), "{answer}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until_count(
        &app.db,
        "SELECT COUNT(*) FROM accounts WHERE lease_owner LIKE 'c3#%'",
        1,
        Duration::from_secs(20),
    )
    .await;
    let mut third = third;
    third.process.kill().unwrap();
    third.process.wait().unwrap();
    let killed = Instant::now();
    let released = until_count(
        &app.db,
        "SELECT CASE WHEN COUNT(*) = 0 THEN 1 ELSE 0 END FROM accounts WHERE lease_owner LIKE 'c3#%'",
        1,
        Duration::from_secs(30),
    )
    .await;
    until_count(
        &app.db,
        OK_RESULTS,
        3 * ACCOUNTS as i64,
        Duration::from_secs(60),
    )
    .await;
    let collected = killed.elapsed();
    println!(
        "kill -9 of an instance mid-run: its accounts back in {:.1} s (bound: {:.1} s), every account collected {:.1} s after the kill",
        released.as_secs_f64(),
        reach::collect::cluster::takeover_bound(HEARTBEAT).as_secs_f64(),
        collected.as_secs_f64(),
    );
    assert!(
        released <= reach::collect::cluster::takeover_bound(HEARTBEAT) + Duration::from_secs(1),
        "{released:?}"
    );

    // Each account asked once per cycle, stored once per cycle, never refused.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let seen = fake.seen();
    let refused = seen.iter().filter(|s| s.refused).count();
    let mut per_login = std::collections::HashMap::<&str, usize>::new();
    for s in &seen {
        *per_login.entry(s.login.as_str()).or_default() += 1;
    }
    let duplicates = number(
        &app.db,
        "SELECT COUNT(*) FROM (SELECT account_id FROM run_results WHERE outcome = 'ok' GROUP BY account_id HAVING COUNT(*) <> 3) AS d",
    )
    .await;
    let peak_last = peak_per_second(&seen[before..]);
    println!(
        "requests per account per cycle: {:?} (3 cycles), refused by the fake: {refused}, accounts stored other than once a cycle: {duplicates}, peak during the takeover {peak_last}/s",
        {
            let mut counts: Vec<usize> = per_login.values().copied().collect();
            counts.sort_unstable();
            counts.dedup();
            counts
        }
    );
    assert_eq!(refused, 0, "the budget held for the cluster");
    assert!(
        peak_one <= BUDGET && peak_three <= BUDGET,
        "{peak_one} {peak_three}"
    );
    assert_eq!(per_login.len(), ACCOUNTS);
    assert!(per_login.values().all(|n| *n == 3), "{per_login:?}");
    assert_eq!(duplicates, 0);

    // The dead run is finished by one survivor, with what it stored.
    let dead_ok = number(
        &app.db,
        "SELECT accounts_ok FROM collection_runs WHERE instance = 'c3' AND status = 'interrupted' ORDER BY id DESC LIMIT 1",
    )
    .await;
    let dead_stored = number(
        &app.db,
        "SELECT COUNT(*) FROM run_results WHERE outcome = 'ok' AND run_id = (SELECT MAX(id) FROM collection_runs WHERE instance = 'c3')",
    )
    .await;
    assert_eq!(dead_ok, dead_stored);
    let recorded: usize = [&first, &second]
        .iter()
        .map(|instance| {
            instance
                .log()
                .iter()
                .filter(|line| line.contains("recorded as interrupted"))
                .count()
        })
        .sum();
    assert_eq!(recorded, 1, "one survivor records the dead run");
    for instance in [&first, &second] {
        let log = instance.log();
        assert!(
            !log.iter().any(|line| line.contains("duplicate key")),
            "{}: {log:#?}",
            instance.name
        );
    }
}
