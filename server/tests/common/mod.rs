//! A real Reach server for tests: a fresh database (a SQLite file or a new
//! PostgreSQL database), the demo data set, and the application built by the
//! same code as `main`, listening on a random port.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone, Utc};
use leptos::prelude::LeptosOptions;
use reach::config::DatabaseConfig;
use reach::startup::Application;
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
    pub db: DatabaseConnection,
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
    pub async fn spawn(backend: Backend) -> TestApp {
        reach::telemetry::init("warn");
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
        let config = DatabaseConfig {
            url,
            max_connections: 8,
            acquire_timeout: std::time::Duration::from_secs(5),
        };
        let db = reach::database::connect(&config)
            .await
            .expect("open the test database");
        let seeded_at = Utc.with_ymd_and_hms(2026, 11, 20, 12, 0, 0).unwrap();
        reach::collect::demo::seed(&db, ACCOUNTS, DAYS, seeded_at)
            .await
            .expect("seed the test data");

        let options = LeptosOptions::builder()
            .output_name("reach")
            .site_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
            .build();
        let app = Application::build(db.clone(), options)
            .await
            .expect("build the app");
        let address = format!("http://{}", app.local_addr());
        tokio::spawn(app.run_until_stopped(std::future::pending()));

        TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            seeded_at,
            cleanup,
        }
    }

    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path_and_query}", self.address))
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
