//! The `reach` command line itself: the binary, run as a user runs it.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `reach` on the SQLite database in `dir` with `args`.
fn reach(dir: &Path, database: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_reach"))
        .arg("--database-url")
        .arg(format!("sqlite://{}/{database}", dir.display()))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run reach")
}

pub(crate) fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "reach failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn export_and_import_move_a_history_between_databases() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&reach(
        dir.path(),
        "a.db",
        &["seed", "--accounts", "3", "--days", "5"],
    ));
    let accounts = dir.path().join("accounts.csv");
    let snapshots = dir.path().join("snapshots.csv");
    stdout(&reach(
        dir.path(),
        "a.db",
        &["export", "accounts", "--output", accounts.to_str().unwrap()],
    ));
    stdout(&reach(
        dir.path(),
        "a.db",
        &[
            "export",
            "snapshots",
            "--output",
            snapshots.to_str().unwrap(),
        ],
    ));
    // Without --output, the export goes to standard output.
    let json = stdout(&reach(
        dir.path(),
        "a.db",
        &["export", "snapshots", "--format", "json", "--id", "1"],
    ));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 5);

    let imported = stdout(&reach(
        dir.path(),
        "b.db",
        &["import", "accounts", accounts.to_str().unwrap()],
    ));
    assert!(imported.contains("imported 3 accounts"), "{imported}");
    let imported = stdout(&reach(
        dir.path(),
        "b.db",
        &["import", "snapshots", snapshots.to_str().unwrap()],
    ));
    assert!(imported.contains("imported 15 snapshots"), "{imported}");
    let again = stdout(&reach(
        dir.path(),
        "b.db",
        &["import", "snapshots", snapshots.to_str().unwrap()],
    ));
    assert!(
        again.contains("imported 0 snapshots") && again.contains("15 already there"),
        "{again}"
    );
}

#[test]
fn a_bad_import_names_its_lines_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "platform,handle\ngithub,octocat\nfriendster,tom\n").unwrap();
    let output = reach(
        dir.path(),
        "c.db",
        &["import", "accounts", file.to_str().unwrap()],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("1 bad row; nothing was imported")
            && stderr.contains("line 3: unknown platform `friendster`"),
        "{stderr}"
    );
}

#[test]
fn compact_thins_days_past_the_retention() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&reach(
        dir.path(),
        "d.db",
        &["seed", "--accounts", "2", "--days", "10"],
    ));
    let done = stdout(&reach(
        dir.path(),
        "d.db",
        &["--keep-raw", "3days", "compact"],
    ));
    // Daily snapshots: every old day already has one, nothing is removed.
    assert!(done.contains("0 raw snapshots removed"), "{done}");
    assert!(!done.starts_with("compacted 0 "), "{done}");
    let output = reach(dir.path(), "d.db", &["--keep-raw", "2h", "compact"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("kept for a day at least"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn brands_are_managed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    stdout(&reach(
        dir.path(),
        "e.db",
        &["seed", "--accounts", "20", "--days", "3"],
    ));
    let assigned = stdout(&reach(
        dir.path(),
        "e.db",
        &["brand", "assign", "Night Owls", "16", "17"],
    ));
    assert!(
        assigned.contains("brand Night Owls") && assigned.contains("2 accounts assigned"),
        "{assigned}"
    );
    let missing = reach(dir.path(), "e.db", &["brand", "assign", "Ghosts", "404"]);
    assert!(!missing.status.success());
    stdout(&reach(dir.path(), "e.db", &["brand", "unassign", "17"]));
    let removed = stdout(&reach(
        dir.path(),
        "e.db",
        &["brand", "remove", "Night Owls"],
    ));
    assert!(removed.contains("its accounts stay"), "{removed}");
}

#[test]
fn tokens_are_made_listed_and_revoked_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let added = Command::new(env!("CARGO_BIN_EXE_reach"))
        .arg("--database-url")
        .arg(format!("sqlite://{}/t.db", dir.path().display()))
        .args(["admin", "add", "ada"])
        .env("REACH_ADMIN_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    stdout(&added);
    let api = stdout(&reach(
        dir.path(),
        "t.db",
        &["token", "create", "--admin", "ada", "ci"],
    ));
    let embed = stdout(&reach(
        dir.path(),
        "t.db",
        &["token", "create", "--admin", "ada", "--embed", "readme"],
    ));
    for secret in [&api, &embed] {
        assert!(secret.trim().starts_with("reach_"), "{secret}");
    }
    let listed = stdout(&reach(dir.path(), "t.db", &["token", "list"]));
    let rows: Vec<Vec<&str>> = listed.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 2, "{listed}");
    assert_eq!(rows[0][1..4], ["readme", "embed", "ada"], "{listed}");
    assert_eq!(rows[1][1..4], ["ci", "api", "ada"], "{listed}");
    assert_eq!(rows[0][4], "never used");
    stdout(&reach(dir.path(), "t.db", &["token", "revoke", rows[0][0]]));
    let listed = stdout(&reach(dir.path(), "t.db", &["token", "list"]));
    assert!(
        listed.lines().next().unwrap().contains("revoked"),
        "{listed}"
    );
}

#[test]
fn logs_can_be_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let output = reach(
        dir.path(),
        "f.db",
        &[
            "--log-format",
            "json",
            "--log",
            "debug",
            "seed",
            "--accounts",
            "1",
            "--days",
            "1",
        ],
    );
    stdout(&output);
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(!lines.is_empty(), "debug logging says something");
    for line in lines {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry["level"].is_string() && entry["timestamp"].is_string(),
            "{line}"
        );
    }
}

/// Every setting has an environment variable, and `--help` names them all.
#[test]
fn help_lists_every_environment_variable() {
    let config = [
        include_str!("../../src/config/mod.rs"),
        include_str!("../../src/config/commands.rs"),
        include_str!("../../src/config/database.rs"),
        include_str!("../../src/config/collect.rs"),
        include_str!("../../src/config/cache.rs"),
        include_str!("../../src/config/serve.rs"),
    ]
    .concat();
    let variables: Vec<&str> = config
        .split("env = \"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(variables.len() > 30, "{variables:?}");
    let dir = tempfile::tempdir().unwrap();
    let help: String = [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["seed", "--help"],
    ]
    .iter()
    .map(|args| stdout(&reach(dir.path(), "g.db", args)))
    .collect();
    for variable in variables {
        assert!(
            help.contains(&format!("[env: {variable}")),
            "{variable} is not in --help"
        );
    }
}

#[test]
fn help_never_shows_a_secret_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_reach"))
        .arg("--help")
        .env("DATABASE_URL", "postgres://reach:hunter2@db/reach")
        .env("REDIS_URL", "redis://:hunter2@cache")
        .env("GITHUB_TOKEN", "hunter2")
        .env("REACH_WEBHOOK_URLS", "https://hooks.example/hunter2")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let help = stdout(&output);
    assert!(help.contains("DATABASE_URL"));
    assert!(!help.contains("hunter2"), "{help}");
}

type LogLines = std::io::Lines<std::io::BufReader<std::process::ChildStderr>>;

/// Starts `reach serve` with `args` on the SQLite database `file` in `dir`
/// and waits until it listens; the rest of its log is returned with it.
fn serve(dir: &Path, file: &str, args: &[&str]) -> (std::process::Child, LogLines) {
    use std::io::{BufRead, BufReader};
    let mut server = Command::new(env!("CARGO_BIN_EXE_reach"))
        .arg("--database-url")
        .arg(format!("sqlite://{}/{file}", dir.display()))
        .arg("serve")
        .args(args)
        .env("RUST_LOG", "info")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env(
            "REACH_LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start reach serve");
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    let listening = log
        .by_ref()
        .map_while(Result::ok)
        .any(|line| line.contains("Reach is listening"));
    assert!(listening, "the server starts");
    (server, log)
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, log) = serve(dir.path(), "h.db", &["--no-collect"]);
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let rest: Vec<String> = log.map_while(Result::ok).collect();
    let status = server.wait().unwrap();
    assert!(status.success(), "exit {status:?}: {rest:?}");
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");
}

/// Signing in, creating and using a token, with every log line on: none of
/// the secrets shows in the log.
#[test]
fn secrets_never_reach_the_log() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/s.db", dir.path().display());
    let password = "a password nobody logs";
    let added = Command::new(env!("CARGO_BIN_EXE_reach"))
        .args(["--database-url", &url, "admin", "add", "ada"])
        .env("REACH_ADMIN_PASSWORD", password)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    assert!(added.status.success());
    assert!(!String::from_utf8_lossy(&added.stderr).contains(password));
    let mut server = Command::new(env!("CARGO_BIN_EXE_reach"))
        .args(["--database-url", &url, "serve", "--no-collect"])
        .env("RUST_LOG", "debug")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env(
            "REACH_LEPTOS_CONFIG",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../Leptos.toml"),
        )
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start reach serve");
    let mut log = BufReader::new(server.stderr.take().unwrap()).lines();
    let address = log
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("Reach is listening on ")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        })
        .expect("the server starts");
    // The rest of the log, read while the requests run.
    let rest = std::thread::spawn(move || log.map_while(Result::ok).collect::<Vec<_>>());

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let secrets = runtime.block_on(async {
        let client = reqwest::Client::new();
        let signed_in = client
            .post(format!("{address}/api/login"))
            .form(&[("username", "ada"), ("password", password)])
            .send()
            .await
            .unwrap();
        assert_eq!(signed_in.status(), 200);
        let cookie = signed_in.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        let session = cookie.split(';').next().unwrap().to_owned();
        let created: serde_json::Value = client
            .post(format!("{address}/api/tokens/create"))
            .header("cookie", &session)
            .header("origin", &address)
            .form(&[("name", "logs")])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = created["token"].as_str().unwrap().to_owned();
        let collected = client
            .post(format!("{address}/api/collect"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(collected.status(), 200);
        let refused = client
            .post(format!("{address}/api/login"))
            .form(&[("username", "ada"), ("password", "a wrong password!")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);
        vec![
            password.to_owned(),
            "a wrong password!".to_owned(),
            session.split_once('=').unwrap().1.to_owned(),
            token,
        ]
    });
    Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    server.wait().unwrap();
    let lines = rest.join().unwrap();
    assert!(
        lines.iter().any(|l| l.contains("signed in")),
        "the sign-in itself is logged: {lines:?}"
    );
    for secret in &secrets {
        assert!(
            !lines.iter().any(|line| line.contains(secret.as_str())),
            "a secret is in the log"
        );
    }
}

/// The nice value of every thread of the process `pid`, by thread name.
fn thread_priorities(pid: u32) -> Vec<(String, i32)> {
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).unwrap();
    tasks
        .filter_map(|task| {
            let task = task.ok()?.path();
            let name = std::fs::read_to_string(task.join("comm")).ok()?;
            let stat = std::fs::read_to_string(task.join("stat")).ok()?;
            // Fields after the name in parentheses: the state is the 3rd
            // field of the line, the nice value the 19th.
            let nice = stat.rsplit_once(')')?.1.split_whitespace().nth(16)?;
            Some((name.trim().to_owned(), nice.parse().ok()?))
        })
        .collect()
}

/// The collector of `reach serve` runs below the server's CPU priority, on
/// its own threads and SQLite connections; the server's threads keep theirs.
#[test]
fn collection_runs_below_the_servers_cpu_priority() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, _log) = serve(dir.path(), "p.db", &["--collect-nice", "12"]);
    // The test's own priority is the server's (CI may run everything niced).
    let own = thread_priorities(std::process::id())[0].1;
    let lowered = own.max(12);
    let threads = thread_priorities(server.id());
    server.kill().unwrap();
    server.wait().unwrap();
    let named = |prefix: &str| -> Vec<i32> {
        threads
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, nice)| *nice)
            .collect()
    };
    let collector = named("collector");
    assert!(!collector.is_empty(), "{threads:?}");
    assert!(collector.iter().all(|nice| *nice == lowered), "{threads:?}");
    let serving = named("tokio-rt");
    assert!(!serving.is_empty(), "{threads:?}");
    assert!(serving.iter().all(|nice| *nice == own), "{threads:?}");
    // SQLite runs each connection on a thread: the collector's pool at its
    // priority, the server's at the server's.
    let sqlite = named("sqlx-sqlite");
    assert!(
        sqlite.contains(&lowered) && sqlite.contains(&own),
        "{threads:?}"
    );
}
