//! Digests: what one says about a fixed data set, its delivery to local
//! fakes of the chat services (in their documented formats) and to a real
//! SMTP server (aiosmtpd, Debian's, started here), retries, and two
//! instances sending a period once.
//!
//! Over 500 lines: one fixture and its expectations serve every channel's
//! test, and the SMTP server's harness is the last part (the one to move
//! out if it grows).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::model::{
    Counters, DeliveryRow, DeliveryStatus, DigestReport, DigestRow, EventKind, Platform,
};
use chrono::{DateTime, Duration as Days, Utc};
use db::entities::{account_tag, event};
use reach::config::DigestConfig;
use reach::digests::{Sender, SenderSetup};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;
use wiremock::matchers::{header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_digest_says_what_was_stored_in_its_period_and_scope,
    each_chat_service_gets_its_own_format,
    two_instances_send_a_period_once,
    failures_are_retried_within_bounds,
);

/// The fixed data set: in `tag:news`, `grower` (+100), `loser` (-250) and
/// `silent` (never collected); outside it, `other` (+10). Yesterday (UTC)
/// is the period a daily digest reports.
struct Fixture {
    grower: i64,
    other: i64,
    start: DateTime<Utc>,
}

async fn fixture(app: &TestApp) -> Fixture {
    let (start, _) = app::model::DigestPeriod::Daily.last_complete(Utc::now());
    let grower = app
        .add_account(Platform::Mastodon, "grower@news.example")
        .await;
    let loser = app
        .add_account(Platform::Mastodon, "loser@news.example")
        .await;
    let silent = app
        .add_account(Platform::Mastodon, "silent@news.example")
        .await;
    let other = app.add_account(Platform::Github, "other-dev").await;
    account_tag::Entity::insert_many([grower, loser, silent].map(|id| account_tag::ActiveModel {
        account_id: Set(id),
        tag: Set("news".to_owned()),
    }))
    .exec(&app.db)
    .await
    .unwrap();
    let followers = |n| Counters {
        followers: Some(n),
        ..Counters::default()
    };
    let before = start - Days::hours(12);
    let during = start + Days::hours(12);
    db::snapshots::insert_snapshots(
        &app.db,
        [
            (grower, before, 1_000),
            (grower, during, 1_100),
            (loser, before, 5_000),
            (loser, during, 4_750),
            (other, before, 10),
            (other, during, 20),
        ]
        .map(|(id, at, n)| db::snapshots::snapshot_row(id, at, followers(n))),
    )
    .await
    .unwrap();
    let happened = |id: i64, kind: EventKind, message: &str| event::ActiveModel {
        account_id: Set(id),
        kind: Set(kind),
        metric: Set(Some("followers".to_owned())),
        occurred_at: Set(during),
        detected_at: Set(during),
        message: Set(message.to_owned()),
        dedupe_key: Set(format!("test:{id}:{}", kind.as_str())),
        delivery_attempts: Set(0),
        ..Default::default()
    };
    event::Entity::insert_many([
        happened(grower, EventKind::Milestone, "grower crossed 1K followers"),
        happened(
            other,
            EventKind::Failing,
            "other-dev failed 3 runs in a row",
        ),
    ])
    .exec(&app.db)
    .await
    .unwrap();
    Fixture {
        grower,
        other,
        start,
    }
}

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.admin_token().await;
    app.client
        .post(format!("{}/api/digests/create", app.address))
        .header("accept", "application/json")
        .bearer_auth(token)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn made(app: &TestApp, fields: &[(&str, &str)]) -> DigestRow {
    let answer = create(app, fields).await;
    assert_eq!(answer.status(), 200, "{:?}", answer.text().await);
    answer.json().await.unwrap()
}

async fn get_admin<T: serde::de::DeserializeOwned>(app: &TestApp, path: &str) -> T {
    let token = app.admin_token().await;
    let answer = app
        .client
        .get(format!("{}{path}", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{path}");
    answer.json().await.unwrap()
}

async fn send_now(app: &TestApp, id: i64) -> DeliveryRow {
    let token = app.admin_token().await;
    let answer = app
        .client
        .post(format!("{}/api/digests/send", app.address))
        .header("accept", "application/json")
        .bearer_auth(token)
        .form(&[("id", id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

fn sender(db: sea_orm::DatabaseConnection, instance: &str, smtp: Option<u16>) -> Sender {
    let config = DigestConfig {
        smtp_url: smtp.map(|port| format!("smtp://127.0.0.1:{port}").into()),
        smtp_from: smtp.map(|_| "Reach <reach@example.org>".parse().unwrap()),
        digest_check: Duration::from_secs(60),
    };
    Sender::new(
        db,
        SenderSetup {
            config: &config,
            user_agent: "reach-tests",
            timeout: Duration::from_secs(5),
            instance: instance.to_owned(),
            public_url: Some("https://reach.example.org".to_owned()),
        },
    )
    .unwrap()
    .with_backoff(Duration::from_millis(20))
}

async fn a_digest_says_what_was_stored_in_its_period_and_scope(backend: Backend) {
    let app = TestApp::empty(backend).await;
    let fixture = fixture(&app).await;
    let digest = made(
        &app,
        &[
            ("name", "daily news"),
            ("period", "daily"),
            ("scope", "tag:news"),
            ("channel", "json"),
            ("target", "https://hooks.example.org/reach/secret-path"),
        ],
    )
    .await;
    assert_eq!(
        digest.target, "https://hooks.example.org/…",
        "a webhook's path is its secret"
    );
    let report: DigestReport =
        get_admin(&app, &format!("/api/digests/preview?id={}", digest.id)).await;
    assert_eq!(report.start, fixture.start);
    assert_eq!(report.end, fixture.start + Days::days(1));
    assert_eq!(report.accounts, 3, "the tag's accounts only");
    type Change<'a> = (&'a str, Option<i64>, Option<i64>, Option<i64>);
    let changes: Vec<Change> = report
        .changes
        .iter()
        .map(|c| (c.handle.as_str(), c.from, c.to, c.change))
        .collect();
    assert_eq!(
        changes,
        [
            ("grower@news.example", Some(1_000), Some(1_100), Some(100)),
            ("loser@news.example", Some(5_000), Some(4_750), Some(-250)),
            // Never collected: no numbers, not zeros.
            ("silent@news.example", None, None, None),
        ]
    );
    assert_eq!(report.growers.len(), 1);
    assert_eq!(report.growers[0].account_id, fixture.grower);
    assert_eq!(report.losers[0].change, Some(-250));
    assert_eq!(report.milestones.len(), 1);
    assert_eq!(report.milestones[0].message, "grower crossed 1K followers");
    assert!(
        report.trouble.iter().all(|e| e.account_id != fixture.other),
        "another tag's failure is not this digest's"
    );
    // Everything: the other account and its failure are in.
    let all = made(
        &app,
        &[
            ("name", "everything"),
            ("period", "daily"),
            ("channel", "json"),
            ("target", "https://hooks.example.org/x"),
        ],
    )
    .await;
    let report: DigestReport =
        get_admin(&app, &format!("/api/digests/preview?id={}", all.id)).await;
    assert_eq!(report.accounts, 4);
    assert_eq!(report.trouble.len(), 1);

    // Admins only; checked arguments; one name once.
    assert_eq!(app.get("/api/digests").await.status(), 401);
    for bad in [
        vec![
            ("name", "x"),
            ("period", "daily"),
            ("channel", "slack"),
            ("target", "not a url"),
        ],
        vec![
            ("name", "x"),
            ("period", "daily"),
            ("channel", "email"),
            ("target", "nobody"),
        ],
        vec![
            ("name", "x"),
            ("period", "daily"),
            ("channel", "matrix"),
            ("target", "https://m.example.org/!r:m.example.org"),
        ],
        vec![
            ("name", "x"),
            ("period", "daily"),
            ("scope", "team:a"),
            ("channel", "json"),
            ("target", "https://a.example"),
        ],
        vec![
            ("name", "x"),
            ("period", "hourly"),
            ("channel", "json"),
            ("target", "https://a.example"),
        ],
    ] {
        assert_eq!(create(&app, &bad).await.status(), 400, "{bad:?}");
    }
    let again = create(
        &app,
        &[
            ("name", "everything"),
            ("period", "weekly"),
            ("channel", "json"),
            ("target", "https://a.example"),
        ],
    )
    .await;
    assert_eq!(again.status(), 409);
    let listed: Vec<DigestRow> = get_admin(&app, "/api/digests").await;
    assert_eq!(listed.len(), 2);
}

async fn each_chat_service_gets_its_own_format(backend: Backend) {
    let app = TestApp::empty(backend).await;
    fixture(&app).await;
    let fakes = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/T000/B000/XXXX"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("ok", "text/html"))
        .expect(1)
        .mount(&fakes)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/webhooks/123/token"))
        .and(query_param("wait", "true"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "1", "type": 0})),
        )
        .expect(1)
        .mount(&fakes)
        .await;
    Mock::given(method("PUT"))
        .and(path_regex(r"^/_matrix/client/v3/rooms/%21room%3Amatrix\.example/send/m\.room\.message/reach-digest-\d+$"))
        .and(header("authorization", "Bearer syt_matrix_token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"event_id": "$abc"})))
        .expect(1)
        .mount(&fakes)
        .await;
    Mock::given(method("POST"))
        .and(path("/reach-news"))
        .and(header("authorization", "Bearer tk_ntfy"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"id": "n1", "event": "message"})),
        )
        .expect(1)
        .mount(&fakes)
        .await;
    Mock::given(method("POST"))
        .and(path("/json-receiver"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&fakes)
        .await;
    let url = fakes.uri();
    let mut ids = Vec::new();
    for (channel, target, secret) in [
        ("slack", format!("{url}/services/T000/B000/XXXX"), None),
        ("discord", format!("{url}/api/webhooks/123/token"), None),
        (
            "matrix",
            format!("{url}/!room:matrix.example"),
            Some("syt_matrix_token"),
        ),
        ("ntfy", format!("{url}/reach-news"), Some("tk_ntfy")),
        ("json", format!("{url}/json-receiver"), None),
    ] {
        let mut fields = vec![
            ("name", channel.to_owned()),
            ("period", "daily".to_owned()),
            ("scope", "tag:news".to_owned()),
            ("channel", channel.to_owned()),
            ("target", target),
        ];
        if let Some(secret) = secret {
            fields.push(("secret", secret.to_owned()));
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let digest = made(&app, &fields).await;
        assert_eq!(digest.has_secret, secret.is_some());
        ids.push(digest.id);
    }
    for &id in &ids {
        let queued = send_now(&app, id).await;
        assert_eq!(queued.status, DeliveryStatus::Pending);
        assert!(queued.manual);
    }
    let pass = sender(app.db.clone(), "sender", None).pass().await.unwrap();
    assert_eq!(
        (pass.sent, pass.failed, pass.retrying),
        (5, 0, 0),
        "{pass:?}"
    );

    let requests = fakes.received_requests().await.unwrap();
    let body = |prefix: &str| -> &wiremock::Request {
        requests
            .iter()
            .find(|r| r.url.path().starts_with(prefix))
            .expect(prefix)
    };
    let json = |r: &wiremock::Request| serde_json::from_slice::<Value>(&r.body).unwrap();
    let slack = json(body("/services/"));
    assert!(
        slack["text"]
            .as_str()
            .unwrap()
            .starts_with("Reach digest: slack, ")
    );
    let blocks = slack["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert!(
        blocks
            .iter()
            .any(|b| b["text"]["text"].as_str().is_some_and(|t| t
                .starts_with("*Top growers*\n• grower@news.example on Mastodon: +100 followers")))
    );
    let discord = json(body("/api/webhooks/"));
    assert_eq!(discord["allowed_mentions"]["parse"], serde_json::json!([]));
    let embed = &discord["embeds"][0];
    assert!(
        embed["title"]
            .as_str()
            .unwrap()
            .starts_with("Reach digest: discord, ")
    );
    assert!(
        embed["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["name"] == "Largest losses"
                && f["value"].as_str().unwrap().contains("-250 followers"))
    );
    let matrix = json(body("/_matrix/"));
    assert_eq!(matrix["msgtype"], "m.notice");
    assert_eq!(matrix["format"], "org.matrix.custom.html");
    assert!(
        matrix["formatted_body"]
            .as_str()
            .unwrap()
            .contains("<h3>Milestones crossed</h3>")
    );
    assert!(
        matrix["body"]
            .as_str()
            .unwrap()
            .contains("grower crossed 1K followers")
    );
    let ntfy = body("/reach-news");
    assert!(
        ntfy.headers["title"]
            .to_str()
            .unwrap()
            .starts_with("Reach digest: ntfy, ")
    );
    let text = String::from_utf8(ntfy.body.clone()).unwrap();
    assert!(
        text.contains("loser@news.example on Mastodon: -250 followers"),
        "{text}"
    );
    let report: DigestReport = serde_json::from_slice(&body("/json-receiver").body).unwrap();
    assert_eq!(report.accounts, 3);
    // Every receiver can tell a retry: the delivery's id travels along.
    assert!(
        requests
            .iter()
            .all(|r| r.headers.contains_key("x-reach-delivery"))
    );

    let listed: Vec<DigestRow> = get_admin(&app, "/api/digests").await;
    assert!(listed.iter().all(|d| {
        d.last_delivery
            .as_ref()
            .is_some_and(|l| l.status == DeliveryStatus::Sent && l.sent_at.is_some())
    }));
}

async fn two_instances_send_a_period_once(backend: Backend) {
    let app = TestApp::empty(backend).await;
    fixture(&app).await;
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204).set_delay(Duration::from_millis(50)))
        .mount(&receiver)
        .await;
    let digest = made(
        &app,
        &[
            ("name", "daily"),
            ("period", "daily"),
            ("channel", "json"),
            ("target", &format!("{}/hook", receiver.uri())),
        ],
    )
    .await;
    // Made now: the period that just ended is not its first.
    let first = sender(app.db.clone(), "one", None).pass().await.unwrap();
    assert_eq!(first.queued, 0);
    // Made three days ago: yesterday is due.
    db::entities::digest::Entity::update_many()
        .col_expr(
            db::entities::digest::Column::CreatedAt,
            sea_orm::sea_query::Expr::value(Utc::now() - Days::days(3)),
        )
        .filter(db::entities::digest::Column::Id.eq(digest.id))
        .exec(&app.db)
        .await
        .unwrap();
    // Two instances, each with its own pool, three passes each at once.
    let one = sender(app.connect().await, "one", None);
    let two = sender(app.connect().await, "two", None);
    let mut totals = (0, 0);
    for _ in 0..3 {
        let (a, b) = tokio::join!(one.pass(), two.pass());
        let (a, b) = (a.unwrap(), b.unwrap());
        totals.0 += a.queued + b.queued;
        totals.1 += a.sent + b.sent;
    }
    assert_eq!(totals, (1, 1), "queued once, sent once");
    assert_eq!(receiver.received_requests().await.unwrap().len(), 1);
    let deliveries: Vec<DeliveryRow> =
        get_admin(&app, &format!("/api/digests/deliveries?id={}", digest.id)).await;
    assert_eq!(deliveries.len(), 1);
    assert!(!deliveries[0].manual);
    assert_eq!(deliveries[0].attempts, 1);
}

async fn failures_are_retried_within_bounds(backend: Backend) {
    let app = TestApp::empty(backend).await;
    fixture(&app).await;
    let fakes = MockServer::start().await;
    // Down once, then up.
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&fakes)
        .await;
    Mock::given(path("/flaky"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&fakes)
        .await;
    // A webhook that was deleted: not retried.
    Mock::given(path("/gone"))
        .respond_with(ResponseTemplate::new(404).set_body_string("Unknown Webhook"))
        .mount(&fakes)
        .await;
    // Always down: given up after the bounded attempts.
    Mock::given(path("/down"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&fakes)
        .await;
    let mut ids = Vec::new();
    for name in ["flaky", "gone", "down"] {
        let digest = made(
            &app,
            &[
                ("name", name),
                ("period", "daily"),
                ("channel", "json"),
                ("target", &format!("{}/{name}", fakes.uri())),
            ],
        )
        .await;
        send_now(&app, digest.id).await;
        ids.push(digest.id);
    }
    let sender = sender(app.db.clone(), "sender", None);
    let first = sender.pass().await.unwrap();
    assert_eq!(
        (first.sent, first.retrying, first.failed),
        (0, 2, 1),
        "{first:?}"
    );
    let mut sent = 0;
    let mut failed = 1;
    // Backoffs of 20 ms, 100 ms, 500 ms, 2.5 s: the fifth attempt is the last.
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let pass = sender.pass().await.unwrap();
        sent += pass.sent;
        failed += pass.failed;
        if sent == 1 && failed == 2 {
            break;
        }
    }
    assert_eq!((sent, failed), (1, 2));
    let gone: Vec<DeliveryRow> =
        get_admin(&app, &format!("/api/digests/deliveries?id={}", ids[1])).await;
    assert_eq!(gone[0].status, DeliveryStatus::Failed);
    assert_eq!(gone[0].attempts, 1, "a 404 is not retried");
    assert!(
        gone[0]
            .error
            .as_deref()
            .unwrap()
            .contains("HTTP 404: Unknown Webhook")
    );
    let down: Vec<DeliveryRow> =
        get_admin(&app, &format!("/api/digests/deliveries?id={}", ids[2])).await;
    assert_eq!(down[0].status, DeliveryStatus::Failed);
    assert_eq!(down[0].attempts, db::digests::MAX_ATTEMPTS);
    let requests = fakes.received_requests().await.unwrap();
    let to = |p: &str| requests.iter().filter(|r| r.url.path() == p).count();
    assert_eq!((to("/flaky"), to("/gone"), to("/down")), (2, 1, 5));
}

/// E-mail to a real SMTP server: text, HTML and the chart inline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_digest_reaches_a_real_smtp_server() {
    let app = TestApp::empty(Backend::Sqlite).await;
    fixture(&app).await;
    let smtp = Smtp::start();
    let digest = made(
        &app,
        &[
            ("name", "weekly mail"),
            ("period", "daily"),
            ("scope", "tag:news"),
            ("channel", "email"),
            ("target", "ops@example.org, editor@example.org"),
        ],
    )
    .await;
    send_now(&app, digest.id).await;
    let sender = sender(app.db.clone(), "mailer", Some(smtp.port));
    // aiosmtpd may still be starting: the retry covers it.
    let mut sent = 0;
    for _ in 0..50 {
        sent += sender.pass().await.unwrap().sent;
        if sent == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sent, 1);
    let mail = smtp.one_message();
    assert!(
        mail.contains("Subject: Reach digest: weekly mail, "),
        "{mail}"
    );
    assert!(
        mail.contains("X-RcptTo: ops@example.org, editor@example.org"),
        "{mail}"
    );
    assert!(mail.contains("multipart/alternative"));
    assert!(mail.contains("Content-Type: text/plain; charset=utf-8"));
    assert!(mail.contains("Content-Type: text/html; charset=utf-8"));
    assert!(mail.contains("Content-ID: <chart>"));
    assert!(mail.contains("Content-Type: image/png"));
    assert!(mail.contains("Message-ID: <reach-digest-"));
    // The text part, whatever its transfer encoding.
    let parsed = decoded_parts(&mail);
    assert!(
        parsed.contains("grower@news.example on Mastodon: +100 followers (+10%), now 1,100"),
        "{parsed}"
    );
    assert!(parsed.contains("Dashboard: https://reach.example.org/"));
}

/// Debian's aiosmtpd with its Maildir handler on a free port; killed
/// when dropped.
struct Smtp {
    process: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let python = std::env::var("REACH_TEST_PYTHON").unwrap_or_else(|_| {
            if Path::new("/usr/bin/python3").exists() {
                "/usr/bin/python3".to_owned()
            } else {
                "python3".to_owned()
            }
        });
        let process = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("mail"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("aiosmtpd runs (scripts/setup.sh --tests installs python3-aiosmtpd)");
        Self { process, port, dir }
    }

    fn one_message(&self) -> String {
        let new = self.dir.path().join("mail/new");
        let files: Vec<_> = std::fs::read_dir(&new)
            .expect("the Maildir")
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1, "one message");
        std::fs::read_to_string(&files[0]).unwrap()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// The message's text with quoted-printable and base64 parts decoded
/// (lettre picks the encoding a part needs).
fn decoded_parts(mail: &str) -> String {
    use base64::Engine;
    let mut out = String::new();
    for part in mail.split("\r\n\r\n").chain(mail.split("\n\n")) {
        let compact: String = part.split_whitespace().collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&compact)
            && let Ok(text) = String::from_utf8(bytes)
        {
            out.push_str(&text);
        }
        out.push_str(
            &part
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=2C", ","),
        );
    }
    out
}
