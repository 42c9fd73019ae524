//! Live updates (`GET /api/live`): a stream opens with `ready`, hears a
//! run's writes as a `change`, follows the read access rules; and with
//! Redis, a collector's announcement reaches another instance's watcher at
//! once, long before its own next check.

use std::time::Duration;

use app::model::LiveChange;
use app::ssr::live::Live;
use db::generations::{self, Domain};

use crate::cache::RedisServer;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    a_stream_hears_a_run_s_writes,
    a_stream_needs_what_reading_needs,
);

/// An open `/api/live` stream, read event by event.
struct Stream {
    answer: reqwest::Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp) -> Self {
        let answer = app.get("/api/live").await;
        assert_eq!(answer.status(), 200);
        assert_eq!(
            answer.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        assert!(
            answer.headers().get("etag").is_none(),
            "an endless answer is not tagged"
        );
        Self {
            answer,
            buffer: String::new(),
        }
    }

    /// The next event's name and data (comments skipped).
    async fn next(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|line| line.strip_prefix(name))
                        .map(|value| value.trim().to_owned())
                };
                if let Some(event) = field("event:") {
                    return (event, field("data:").unwrap_or_default());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.answer.chunk())
                .await
                .expect("an event within 20 s")
                .expect("a chunk")
                .expect("the stream goes on");
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

async fn a_stream_hears_a_run_s_writes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut stream = Stream::open(&app).await;
    assert_eq!(stream.next().await.0, "ready");
    // The watcher takes its starting point once the stream is open.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.engine("http://127.0.0.1:9")
        .run(chrono::Utc::now())
        .await
        .expect("a run");
    let mut heard = Vec::new();
    while !heard.iter().any(|d| d == "snapshots") {
        let (event, data) = stream.next().await;
        assert_eq!(event, "change");
        let change: LiveChange = serde_json::from_str(&data).unwrap();
        heard.extend(change.domains);
    }
    assert!(heard.iter().any(|d| d == "runs"), "{heard:?}");
}

async fn a_stream_needs_what_reading_needs(backend: Backend) {
    let app = TestApp::private(backend).await;
    assert_eq!(app.get("/api/live").await.status(), 401);
    let token = app.admin_token().await;
    let answer = app
        .client
        .get(format!("{}/api/live", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

/// Two instances on one database and one Redis: instance B checks the
/// database only every hour, yet hears A's collector at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_carries_a_collector_s_announcement_to_every_instance() {
    let app = TestApp::empty(Backend::Sqlite).await;
    let redis = RedisServer::start();
    let live = Live::default();
    let _watcher = AbortOnDrop(tokio::spawn(reach::live::watch(
        app.db.clone(),
        live.clone(),
        Duration::from_secs(3600),
        Duration::ZERO,
    )));
    let _listener = AbortOnDrop(tokio::spawn(reach::live::listen(redis.url(), live.clone())));
    let mut stream = live.subscribe().unwrap();
    // Its starting point, read when the stream opened; and the subscriber
    // connected (a message sent before would be lost, as Redis' are).
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    let announcer = reach::live::Announcer::connect(&redis.url(), Duration::from_secs(1)).unwrap();
    let change = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            generations::publish(&app.db, &[Domain::Snapshots])
                .await
                .unwrap();
            announcer.announce(&[Domain::Snapshots]);
            if let Ok(Ok(change)) =
                tokio::time::timeout(Duration::from_millis(500), stream.changes.recv()).await
            {
                return change;
            }
        }
    })
    .await
    .expect("the announcement arrives long before the hourly check");
    assert_eq!(change.domains, ["snapshots"]);
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
