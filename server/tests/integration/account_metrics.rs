//! `/metrics/accounts`: what it answers against what the API says of the
//! same accounts, its bound, its access, a real Prometheus (Debian's, the
//! one `scripts/setup.sh --tests` installs) scraping it with a token, and
//! the example Grafana dashboard's queries run by that Prometheus.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::model::{AccountRow, Page};
use serde_json::Value;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    each_account_has_its_stored_counters_and_none_invented,
    the_bound_keeps_core_accounts_and_counts_the_rest,
);

/// `name{labels} value` lines of one family, by their `platform` and
/// `handle` labels (`github/octocat`).
fn samples(text: &str, family: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter_map(|line| line.strip_prefix(family)?.strip_prefix('{'))
        .map(|rest| {
            let (labels, value) = rest.rsplit_once("} ").expect("labels, then a value");
            let label = |name: &str| {
                labels
                    .split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|v| v.split('"').next())
                    .unwrap_or_else(|| panic!("a {name} label"))
                    .to_owned()
            };
            (
                format!("{}/{}", label("platform"), label("handle")),
                value.parse().expect("a number"),
            )
        })
        .collect()
}

async fn each_account_has_its_stored_counters_and_none_invented(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // A real account not collected yet: listed nowhere with a number.
    app.add_account(app::model::Platform::Github, "not-collected-yet")
        .await;
    let answer = app.get("/metrics/accounts").await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.text().await.unwrap();
    let rows: Page<AccountRow> = app.get_json("/api/accounts?per_page=100").await;
    assert_eq!(rows.items.len() as u64, rows.total, "one page has them all");

    for metric in app::model::Metric::ALL {
        let family = format!("reach_account_{}", metric.as_str());
        let exported = samples(&text, &family);
        let stored: BTreeMap<String, f64> = rows
            .items
            .iter()
            .filter_map(|row| {
                let value = row.latest.get(metric)? as f64;
                Some((format!("{}/{}", row.platform.as_str(), row.handle), value))
            })
            .collect();
        assert_eq!(exported, stored, "{family}: the stored counters, no others");
    }
    assert!(
        !text.contains("handle=\"not-collected-yet\""),
        "an account never collected has no sample"
    );
    assert!(text.contains(&format!(
        "\nreach_account_metrics_accounts {}\n",
        rows.total
    )));
    assert!(text.contains("\nreach_account_metrics_omitted_accounts 0\n"));
    // The demo accounts say what they are.
    assert!(text.contains("simulated=\"true\""));
    assert!(!text.contains("simulated=\"false\""));
}

async fn the_bound_keeps_core_accounts_and_counts_the_rest(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let total = crate::common::ACCOUNTS as u64;
    let exported = db::accounts::exported(&app.db, 2).await.unwrap();
    assert_eq!(exported.accounts.len(), 2);
    assert_eq!(exported.omitted, total - 2);
    assert!(exported.accounts.iter().all(|a| a.account.is_core));
    let all = db::accounts::exported(&app.db, 1000).await.unwrap();
    assert_eq!((all.accounts.len() as u64, all.omitted), (total, 0));
    let tagged = all.accounts.iter().find(|a| !a.tags.is_empty());
    assert!(
        tagged.is_some(),
        "the demo set has tags, loaded with the rows"
    );
}

/// Anonymous scrapes are refused where reading needs an admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_public_reading_the_scrape_needs_a_token() {
    let app = TestApp::private(Backend::Sqlite).await;
    let anonymous = app.get("/metrics/accounts").await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.headers()["content-type"], "application/json");
    let token = app.admin_token().await;
    let with_token = app
        .client
        .get(format!("{}/metrics/accounts", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), 200);
}

fn repository() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// The example dashboard's query expressions, its variables given their
/// "All" values.
fn dashboard_queries() -> Vec<String> {
    let text = std::fs::read_to_string(repository().join("deploy/grafana/reach-accounts.json"))
        .expect("the dashboard");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    assert_eq!(dashboard["uid"], "reach-accounts");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 6, "accounts, platforms, brands, health");
    panels
        .iter()
        .flat_map(|panel| {
            assert_eq!(
                panel["datasource"]["uid"], "prometheus",
                "the provisioned source"
            );
            panel["targets"].as_array().expect("targets").clone()
        })
        .map(|target| {
            target["expr"]
                .as_str()
                .expect("an expression")
                .replace("$platform", ".*")
                .replace("$brand", ".*")
                .replace("$tag", "")
        })
        .collect()
}

#[test]
fn the_dashboard_queries_only_series_the_endpoint_answers() {
    let known = reach::http::account_metrics::series_names();
    for query in dashboard_queries() {
        let names = query
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|word| word.starts_with("reach_"));
        for name in names {
            assert!(known.contains(&name), "{query}: {name} is not answered");
        }
    }
}

/// Debian's Prometheus on a free port, scraping `target` every second;
/// killed when dropped.
struct Prometheus {
    process: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    fn start(target: &str, token: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let config = format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: reach-accounts\n    metrics_path: /metrics/accounts\n    authorization:\n      type: Bearer\n      credentials: {token}\n    static_configs:\n      - targets: [\"{target}\"]\n"
        );
        std::fs::write(dir.path().join("prometheus.yml"), config).unwrap();
        let binary = std::env::var("PROMETHEUS").unwrap_or_else(|_| "prometheus".to_owned());
        let process = Command::new(binary)
            .arg(format!(
                "--config.file={}",
                dir.path().join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus runs (scripts/setup.sh --tests installs Debian's)");
        Self {
            process,
            url: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// Waits until it answers queries (`/-/ready`).
    async fn ready(&self, client: &reqwest::Client) {
        for _ in 0..120 {
            let answer = client.get(format!("{}/-/ready", self.url)).send().await;
            if answer.is_ok_and(|a| a.status() == 200) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("prometheus was not ready in 30 s");
    }

    /// The result vector of an instant query (the query must succeed).
    async fn query(&self, client: &reqwest::Client, query: &str) -> Vec<Value> {
        let answer: Value = client
            .get(format!("{}/api/v1/query", self.url))
            .query(&[("query", query)])
            .send()
            .await
            .expect("prometheus answers")
            .json()
            .await
            .expect("JSON");
        assert_eq!(answer["status"], "success", "{query}: {answer}");
        answer["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.process.kill().ok();
        self.process.wait().ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_the_accounts_and_the_dashboard_finds_them() {
    let app = TestApp::private(Backend::Sqlite).await;
    let token = app.admin_token().await;
    let target = app.address.trim_start_matches("http://");
    let prometheus = Prometheus::start(target, &token);
    let client = reqwest::Client::new();
    prometheus.ready(&client).await;
    let rows: Page<AccountRow> = app
        .client
        .get(format!("{}/api/accounts?per_page=100", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let with_followers = rows
        .items
        .iter()
        .filter(|row| row.latest.followers.is_some())
        .count();

    // Discovery is throttled: the first scrape comes some seconds after
    // start. Two scrapes, for the dashboard's changes over time.
    let mut scraped = Vec::new();
    for _ in 0..120 {
        if prometheus.query(&client, "up").await.len() == 1 {
            scraped = prometheus
                .query(
                    &client,
                    "count_over_time(reach_account_metrics_accounts[1m])",
                )
                .await;
            if scraped.first().is_some_and(|s| {
                s["value"][1]
                    .as_str()
                    .unwrap_or("0")
                    .parse::<u32>()
                    .unwrap_or(0)
                    >= 2
            }) {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        !scraped.is_empty(),
        "Prometheus scraped /metrics/accounts twice in 60 s"
    );
    let up = prometheus.query(&client, "up").await;
    assert_eq!(
        up[0]["value"][1], "1",
        "the scrape (with the token) succeeded"
    );

    let followers = prometheus.query(&client, "reach_account_followers").await;
    assert_eq!(followers.len(), with_followers);
    let row = rows
        .items
        .iter()
        .find(|row| row.latest.followers.is_some())
        .unwrap();
    let series = followers
        .iter()
        .find(|s| s["metric"]["handle"] == row.handle.as_str())
        .expect("the account's series");
    assert_eq!(
        series["value"][1].as_str().unwrap(),
        row.latest.followers.unwrap().to_string()
    );
    assert_eq!(series["metric"]["platform"], row.platform.as_str());

    // Every query of the dashboard runs, and finds data but the one that
    // lists failures (the demo's collections all succeeded).
    for query in dashboard_queries() {
        let result = prometheus.query(&client, &query).await;
        if !query.contains("== 0") {
            assert!(!result.is_empty(), "{query} found nothing");
        }
    }
}
