//! A real Reach server for tests: a fresh database (a SQLite file or a new
//! PostgreSQL database), the demo data set, and the application built by the
//! same code as `main`, listening on a random port.
//!
//! Over 500 lines by a little: the test server, the engine against fakes
//! and the database per test (SQLite file or PostgreSQL database) are one
//! harness every test file uses.

use reach::http::serve::HttpLimits;
use std::sync::atomic::{AtomicU32, Ordering};

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::model::Platform;
use app::ssr::cache::{Cache, CacheSettings};
use app::ssr::metrics::Metrics;
use app::ssr::state::{AccessSettings, AppState, CollectTrigger, SharingSettings};
use chrono::{DateTime, TimeZone, Utc};
use leptos::prelude::LeptosOptions;
use reach::collect::engine::{Engine, EngineSettings};
use reach::collect::platforms::{Budget, Collectors, PlatformSettings, Upstream};
use reach::config::DatabaseConfig;
use reach::http::Application;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// Accounts and days of the data set every test starts with.
pub const ACCOUNTS: u32 = 30;
pub const DAYS: u32 = 40;

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// The server's database, for the test's own reads and writes: a
    /// write through it stands for one the server made (a form, its
    /// collector), so it is on the server's next read, as theirs are
    /// (`db::generations::LocalWrites`). A write from another process goes
    /// through [`TestApp::connect`].
    pub db: DatabaseConnection,
    /// The server's database as its collector has it: not telling the
    /// cache of anything, which the engine does itself.
    engine_db: DatabaseConnection,
    /// The cache of this server (the first instance).
    pub cache: Cache,
    /// Where the database is, for more instances on it.
    database_url: String,
    /// When the seeded history ends.
    pub seeded_at: DateTime<Utc>,
    cleanup: Cleanup,
}

/// What to remove when the test ends, even when it fails.
enum Cleanup {
    /// The directory of the SQLite file, deleted when dropped.
    Sqlite {
        _dir: tempfile::TempDir,
    },
    Postgres {
        admin_url: String,
        database: String,
    },
}

/// The server every PostgreSQL test database is created on.
fn postgres_admin_url() -> String {
    std::env::var("REACH_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

impl TestApp {
    /// A server on the demo data set.
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::start(backend, true, CacheSettings::default(), unlimited_access()).await
    }

    /// A server on an empty database.
    pub async fn empty(backend: Backend) -> TestApp {
        Self::start(backend, false, CacheSettings::default(), unlimited_access()).await
    }

    /// An empty database and no server (no collector either): for tests
    /// that start `reach` processes of their own on it. `address` is empty.
    pub async fn database_only(backend: Backend) -> TestApp {
        Self::create(backend, false, CacheSettings::default(), None).await
    }

    /// A server on the demo data set with the cache set up as given.
    pub async fn with_cache(backend: Backend, cache: CacheSettings) -> TestApp {
        Self::start(backend, true, cache, unlimited_access()).await
    }

    /// A server on the demo data set with who-may-do-what as given.
    pub async fn with_access(backend: Backend, access: AccessSettings) -> TestApp {
        Self::start(backend, true, CacheSettings::default(), access).await
    }

    /// A server on the demo data set where reading needs an admin
    /// (`REACH_PUBLIC_READ=false`), without rate limits.
    pub async fn private(backend: Backend) -> TestApp {
        let access = AccessSettings {
            public_read: false,
            ..unlimited_access()
        };
        Self::with_access(backend, access).await
    }

    /// A server on the demo data set with the client timeouts given.
    pub async fn with_limits(backend: Backend, limits: HttpLimits) -> TestApp {
        Self::start_with(
            backend,
            true,
            CacheSettings::default(),
            unlimited_access(),
            limits,
        )
        .await
    }

    async fn start(
        backend: Backend,
        seed: bool,
        cache: CacheSettings,
        access: AccessSettings,
    ) -> TestApp {
        Self::start_with(backend, seed, cache, access, test_limits()).await
    }

    async fn start_with(
        backend: Backend,
        seed: bool,
        cache: CacheSettings,
        access: AccessSettings,
        limits: HttpLimits,
    ) -> TestApp {
        Self::create(backend, seed, cache, Some((access, limits))).await
    }

    async fn create(
        backend: Backend,
        seed: bool,
        cache: CacheSettings,
        server: Option<(AccessSettings, HttpLimits)>,
    ) -> TestApp {
        reach::telemetry::init("warn", reach::telemetry::LogFormat::Text);
        let (url, cleanup) = match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary directory");
                let url = format!("sqlite://{}/reach.db", dir.path().display());
                (url, Cleanup::Sqlite { _dir: dir })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let database = unique_database_name();
                let admin = Database::connect(&admin_url).await.expect(
                    "PostgreSQL must run at REACH_TEST_POSTGRES_URL (default 127.0.0.1:5432)",
                );
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {database}"))
                    .await
                    .expect("create the test database");
                admin.close().await.ok();
                let base = admin_url.rsplit_once('/').expect("a database URL").0;
                (
                    format!("{base}/{database}"),
                    Cleanup::Postgres {
                        admin_url,
                        database,
                    },
                )
            }
        };
        let db = connect(&url).await;
        let seeded_at = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        if seed {
            reach::collect::demo::seed(&db, ACCOUNTS, DAYS, seeded_at)
                .await
                .expect("seed the test data");
        }

        // As `reach serve` does: the versions on a pool of their own.
        let versions = reach::database::open(&DatabaseConfig {
            url: url.clone(),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(5),
        })
        .await
        .expect("open the versions' pool");
        let cache = Cache::new(&cache)
            .expect("a cache")
            .reading_versions_on(versions);
        let address = match server {
            Some((access, limits)) => {
                serve_with_limits(
                    db.clone(),
                    cache.clone(),
                    Metrics::default(),
                    access,
                    limits,
                    SharingSettings::default(),
                )
                .await
            }
            None => String::new(),
        };

        let engine_db = db.clone();
        let mut db = db;
        let local_writes = cache.local_writes();
        db.set_metric_callback(move |_| local_writes.wrote());
        TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            engine_db,
            cache,
            database_url: url,
            seeded_at,
            cleanup,
        }
    }

    /// Another server on the same database and cache, with the sharing
    /// settings given; returns its address.
    pub async fn server_sharing(&self, sharing: SharingSettings) -> String {
        serve_with_limits(
            connect(&self.database_url).await,
            self.cache.clone(),
            Metrics::default(),
            unlimited_access(),
            test_limits(),
            sharing,
        )
        .await
    }

    /// Another instance on the same database, with its own pool and cache;
    /// returns its address.
    pub async fn another_instance(&self, cache: &Cache) -> String {
        serve(connect(&self.database_url).await, cache.clone()).await
    }

    /// For PostgreSQL, the database URL and the server's TCP address (to
    /// put a proxy between them); `None` for SQLite.
    pub fn database_behind_tcp(&self) -> Option<(String, String, std::net::SocketAddr)> {
        let rest = self.database_url.strip_prefix("postgres://")?;
        let host = rest.split('@').next_back()?.split('/').next()?;
        let address = std::net::ToSocketAddrs::to_socket_addrs(host)
            .ok()?
            .next()?;
        Some((self.database_url.clone(), host.to_owned(), address))
    }

    /// Where this server's database is, for other processes.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// A connection of its own to this server's database.
    pub async fn connect(&self) -> DatabaseConnection {
        connect(&self.database_url).await
    }

    /// A collection engine whose platforms all live at `upstream` (a fake
    /// server), with short timeouts and backoff so failures are quick.
    /// Its runs are on the server's next read, as those of `reach serve`'s
    /// collector are.
    pub fn engine(&self, upstream: &str) -> Engine {
        engine(self.engine_db.clone(), upstream, |_| {})
            .with_local_writes(self.cache.local_writes())
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.address))
            .send()
            .await
            .expect("the server answers")
    }

    /// The demo set's account with the most followers, as the API lists it.
    pub async fn largest_account(&self) -> app::model::AccountRow {
        let rows: app::model::Page<app::model::AccountRow> =
            self.get_json("/api/accounts?per_page=1").await;
        rows.items.into_iter().next().expect("an account")
    }

    /// Tracks a new account (not core, without tags); returns its id.
    pub async fn add_account(&self, platform: Platform, handle: &str) -> i64 {
        let request = reach::config::AddAccount {
            platform,
            handle: handle.to_owned(),
            core: false,
            tags: vec![],
        };
        reach::accounts::add(&self.db, &request)
            .await
            .expect("add an account")
            .id
    }

    /// Creates an admin and an API token acting for them; returns the token.
    pub async fn admin_token(&self) -> String {
        self.token(app::model::TokenScope::Api).await
    }

    /// Creates an admin (if need be) and a token of `scope`; returns it.
    pub async fn token(&self, scope: app::model::TokenScope) -> String {
        let username = "tester";
        if db::access::create_admin(&self.db, username, ADMIN_PASSWORD)
            .await
            .is_err()
        {
            // Created by an earlier call of this test.
        }
        let admin = db::access::find_admin(&self.db, username)
            .await
            .expect("the admins table answers")
            .expect("the admin exists");
        db::access::create_token(&self.db, admin.id, &admin.username, "tests", scope)
            .await
            .expect("create a token")
            .token
    }

    /// Signs the tests' admin in (creating them if need be); returns the
    /// session cookie, `reach_session=…`. Writes with it need `Origin`:
    /// [`Self::address`].
    pub async fn admin_session(&self) -> String {
        self.admin_token().await;
        let response = self
            .client
            .post(format!("{}/api/login", self.address))
            .form(&[("username", "tester"), ("password", ADMIN_PASSWORD)])
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "sign in");
        let cookie = response.headers()["set-cookie"].to_str().unwrap();
        cookie.split(';').next().unwrap().to_owned()
    }

    /// POSTs an empty form to an API path as an admin (with a token).
    pub async fn post_as_admin(&self, path: &str) -> reqwest::Response {
        let token = self.admin_token().await;
        self.client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .bearer_auth(token)
            .send()
            .await
            .expect("the server answers")
    }

    /// GETs an API path and decodes the JSON body, asserting a 200.
    pub async fn get_json<T: serde::de::DeserializeOwned>(&self, path_and_query: &str) -> T {
        let response = self.get(path_and_query).await;
        let status = response.status();
        let body = response.text().await.expect("a body");
        assert_eq!(status, 200, "GET {path_and_query}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}: {body}"))
    }
}

impl Drop for TestApp {
    /// Drops the PostgreSQL database, on success and on failure alike. Drop
    /// cannot be async, so the cleanup runs on a runtime of its own.
    fn drop(&mut self) {
        let Cleanup::Postgres {
            admin_url,
            database,
        } = &self.cleanup
        else {
            return;
        };
        let (admin_url, database) = (admin_url.clone(), database.clone());
        let statement = format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin.execute_unprepared(&statement).await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("could not drop the test database {database}");
        }
    }
}

async fn connect(url: &str) -> DatabaseConnection {
    let config = DatabaseConfig {
        url: url.to_owned(),
        max_connections: 8,
        acquire_timeout: Duration::from_secs(5),
    };
    reach::database::connect(&config)
        .await
        .expect("open the test database")
}

/// The client timeouts of test servers: the defaults, but a request time
/// far above them. Debug builds on a shared two-core machine, with a
/// hundred tests in parallel, once rendered a page in over 30 s; a test of
/// something else must not fail on that. The timeouts themselves are tested
/// with limits of their own (`protocol::slow_clients_are_cut_off`).
pub fn test_limits() -> HttpLimits {
    HttpLimits {
        request_timeout: Duration::from_secs(300),
        ..HttpLimits::default()
    }
}

/// The password of the admins tests create.
pub const ADMIN_PASSWORD: &str = "correct horse battery staple";

/// No rate limits: tests send many requests from one address.
pub fn unlimited_access() -> AccessSettings {
    AccessSettings {
        login_per_minute: 0,
        api_per_second: 0,
        ..AccessSettings::default()
    }
}

/// Starts a server, built as `main` builds it, on a random port; returns its address.
pub async fn serve(db: DatabaseConnection, cache: Cache) -> String {
    serve_with_metrics(db, cache, Metrics::default()).await
}

/// [`serve`], with the metrics the server records into.
pub async fn serve_with_metrics(db: DatabaseConnection, cache: Cache, metrics: Metrics) -> String {
    serve_with(db, cache, metrics, unlimited_access()).await
}

/// [`serve`], with the metrics and access settings given.
pub async fn serve_with(
    db: DatabaseConnection,
    cache: Cache,
    metrics: Metrics,
    access: AccessSettings,
) -> String {
    serve_with_limits(
        db,
        cache,
        metrics,
        access,
        test_limits(),
        SharingSettings::default(),
    )
    .await
}

/// [`serve_with`], with the client timeouts and sharing settings given.
pub async fn serve_with_limits(
    db: DatabaseConnection,
    cache: Cache,
    metrics: Metrics,
    access: AccessSettings,
    limits: HttpLimits,
    sharing: SharingSettings,
) -> String {
    let trigger = CollectTrigger::default();
    // Live updates, checked more often than a server does.
    let live = app::ssr::live::Live::default();
    tokio::spawn(reach::live::watch(
        db.clone(),
        live.clone(),
        Duration::from_millis(100),
        CacheSettings::DEFAULT.fresh_for,
    ));
    // Manual runs only, as under `reach serve --no-collect`; the seeded
    // accounts are simulated, so no platform is asked. Its runs are on
    // the server's next read, as under `reach serve`.
    let collector = Arc::new(
        engine(db.clone(), "http://127.0.0.1:9", |config| {
            config.metrics = metrics.clone();
        })
        .with_local_writes(cache.local_writes()),
    );
    let app = Application::build(
        AppState {
            leptos_options: LeptosOptions::builder()
                .output_name("reach")
                .site_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
                .build(),
            db: db.clone(),
            cache,
            collect: trigger.clone(),
            metrics: metrics.clone(),
            access,
            sharing,
            // E-mail digests may be made; the tests send them with a
            // sender of their own (`digests.rs`).
            digests: app::ssr::state::DigestsHandle::new(true),
            live: live.clone(),
            collectors: app::ssr::state::CollectorsView(Arc::new(collector.status())),
            assets: app::ssr::state::Assets::default(),
        },
        limits,
    )
    .await
    .expect("build the app");
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    tokio::spawn(reach::schedule::collect(collector, None, trigger));
    address
}

/// An engine on `db` with every platform at `upstream`; `tweak` adjusts the
/// budgets and settings.
pub fn engine(
    db: DatabaseConnection,
    upstream: &str,
    tweak: impl FnOnce(&mut EngineConfig),
) -> Engine {
    let mut config = EngineConfig {
        settings: EngineSettings {
            workers: 4,
            retries: 2,
            first_backoff: Duration::from_millis(10),
            // The fakes serve pictures over plain HTTP.
            avatars: reach::collect::avatars::AvatarSettings {
                allow_http: true,
                ..Default::default()
            },
            ..EngineSettings::default()
        },
        // Fake servers have no limits; tests that check limiting set their own.
        budgets: Platform::ALL
            .into_iter()
            .map(|p| {
                (
                    p,
                    Budget::new(1_000, Duration::from_secs(1)).expect("a budget"),
                )
            })
            .collect(),
        timeout: Duration::from_millis(700),
        max_wait: Duration::from_secs(2),
        credentials: true,
        metrics: Metrics::default(),
        mastodon_url: None,
    };
    tweak(&mut config);
    let (key, id, secret) = if config.credentials {
        (
            Some("test-key".into()),
            Some("test-client".to_owned()),
            Some("test-secret".into()),
        )
    } else {
        (None, None, None)
    };
    let platforms = PlatformSettings {
        mastodon_url: Some(
            config
                .mastodon_url
                .clone()
                .unwrap_or_else(|| upstream.to_owned()),
        ),
        bluesky_url: upstream.to_owned(),
        reddit_url: upstream.to_owned(),
        reddit_auth_url: format!("{upstream}/api/v1/access_token"),
        reddit_client_id: id.clone(),
        reddit_client_secret: secret.clone(),
        reddit_username: Some("reach-tests".to_owned()),
        github_url: upstream.to_owned(),
        github_token: None,
        youtube_url: format!("{upstream}/youtube/v3"),
        youtube_api_key: key,
        twitch_url: format!("{upstream}/helix"),
        twitch_auth_url: format!("{upstream}/oauth2/token"),
        twitch_client_id: id,
        twitch_client_secret: secret,
        // Paths of their own, apart from the other platforms' routes.
        hackernews_url: format!("{upstream}/hn/v0"),
        stackexchange_url: format!("{upstream}/se/2.3"),
        stackexchange_key: None,
        discord_url: format!("{upstream}/discord/api/v10"),
        x_url: format!("{upstream}/x"),
        telegram_url: format!("{upstream}/telegram"),
        instagram_url: format!("{upstream}/graph/v26.0"),
        instagram_access_token: config.credentials.then(|| "test-ig-token".into()),
        instagram_user_id: config.credentials.then(|| "17841405309211844".to_owned()),
        tiktok_url: format!("{upstream}/tiktok"),
        tiktok_client_key: config.credentials.then(|| "test-key".to_owned()),
        tiktok_client_secret: config.credentials.then(|| "test-secret".into()),
        telegram_bot_token: config.credentials.then(|| "123:test-bot".into()),
        x_bearer_token: config.credentials.then(|| "test-bearer".into()),
        // Every server of theirs at the fake, under its own host's path.
        lemmy_url: Some(format!("{upstream}/lemmy/{{host}}")),
        peertube_url: Some(format!("{upstream}/peertube/{{host}}")),
        misskey_url: Some(format!("{upstream}/misskey/{{host}}")),
    };
    let upstream = Upstream::new(config.timeout, "reach-tests", config.budgets)
        .expect("an HTTP client")
        .with_max_wait(config.max_wait)
        .with_metrics(config.metrics.clone());
    Engine::new(
        db,
        Collectors::new(&platforms),
        Arc::new(upstream),
        config.settings,
    )
    .with_metrics(config.metrics)
}

/// What a test may change about its engine.
pub struct EngineConfig {
    pub settings: EngineSettings,
    pub budgets: HashMap<Platform, Budget>,
    pub timeout: Duration,
    /// The longest wait for a rate limit before an account is rate limited.
    pub max_wait: Duration,
    /// Whether YouTube, Twitch and Reddit get credentials.
    pub credentials: bool,
    /// Where the engine and its collectors count what they do.
    pub metrics: Metrics,
    /// Mastodon's base URL when not the fake's own (a `{host}` template
    /// tells servers apart).
    pub mastodon_url: Option<String>,
}

fn unique_database_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "reach_test_{}_{}_{}",
        std::process::id(),
        Utc::now().timestamp_millis(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Declares each listed test once per backend: `sqlite::name` and `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
    };
}

/// Counts the rests a piece of the collector's upkeep takes (`db::write::Rest`).
#[derive(Default)]
pub struct CountedRests(std::sync::atomic::AtomicUsize);

impl CountedRests {
    pub fn count(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

impl db::write::Rest for CountedRests {
    async fn after(&self, _started: std::time::Instant) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
