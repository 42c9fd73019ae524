//! Cached against uncached reads at the demo data size (60 accounts with a
//! year of daily history), two ways:
//! - over HTTP: two servers built as `main` builds them on one SQLite file,
//!   one with the in-process cache and one with `REACH_NO_CACHE`, asked the
//!   same requests one after another;
//! - the read path alone, in process: the query against the cache lookup
//!   that replaces it (the generations read, the key, the in-process hit);
//! - the encoding of the values Redis holds: JSON against postcard, in bytes
//!   and decoding time.
//!
//! Run: `cargo bench -p reach --bench cache` (release build).

use std::time::{Duration, Instant};

use app::error::ApiError;
use app::model::{AccountFilter, AccountSort, HistoryRange, Metric, SortDirection};
use app::ssr::cache::{Cache, CacheSettings, Kind};
use app::ssr::metrics::Metrics;
use app::ssr::state::{AccessSettings, AppState, CollectTrigger};
use db::accounts::AccountQuery;
use hdrhistogram::Histogram;
use leptos::prelude::LeptosOptions;
use reach::config::{DatabaseConfig, SeedConfig};
use reach::http::Application;
use sea_orm::DatabaseConnection;

const WARM_UP: usize = 20;
const REQUESTS: usize = 500;

fn main() -> anyhow::Result<()> {
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = reach::database::connect(&DatabaseConfig {
        url: format!("sqlite://{}/bench.db", dir.path().display()),
        max_connections: 8,
        acquire_timeout: Duration::from_secs(10),
    })
    .await?;
    let SeedConfig { accounts, days } = SeedConfig::DEFAULT;
    reach::collect::demo::seed(&db, accounts, days, chrono::Utc::now()).await?;

    let cached = serve(db.clone(), CacheSettings::default()).await?;
    let uncached = serve(
        db.clone(),
        CacheSettings {
            disabled: true,
            ..CacheSettings::default()
        },
    )
    .await?;
    let client = reqwest::Client::new();

    println!(
        "| request | uncached p50 (µs) | uncached p99 (µs) | cached p50 (µs) | cached p99 (µs) | p50 speed-up |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut totals = (Duration::ZERO, Duration::ZERO);
    for path in [
        // No database and no cache: the floor of any answer over HTTP.
        "/api/cache",
        "/api/overview",
        "/api/accounts",
        "/api/accounts?sort=followers&dir=asc&page=2",
        "/api/accounts?q=fox",
        "/api/account?id=7",
        "/api/history?id=7&range=1y",
        "/api/history?id=7&range=all",
        "/api/runs",
    ] {
        let (slow, slow_total) = measure(&client, &uncached, path).await?;
        let (fast, fast_total) = measure(&client, &cached, path).await?;
        totals.0 += slow_total;
        totals.1 += fast_total;
        let micros = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1_000.0;
        println!(
            "| `{path}` | {:.0} | {:.0} | {:.0} | {:.0} | {:.1}× |",
            micros(&slow, 0.5),
            micros(&slow, 0.99),
            micros(&fast, 0.5),
            micros(&fast, 0.99),
            slow.value_at_quantile(0.5) as f64 / fast.value_at_quantile(0.5) as f64,
        );
    }
    println!(
        "| all of the above, total time | {:.0} ms | | {:.0} ms | | {:.1}× |",
        totals.0.as_secs_f64() * 1_000.0,
        totals.1.as_secs_f64() * 1_000.0,
        totals.0.as_secs_f64() / totals.1.as_secs_f64(),
    );

    println!();
    println!("| read path, in process | query p50 (µs) | cache hit p50 (µs) | speed-up |");
    let mut encodings = Vec::new();
    println!("|---|---:|---:|---:|");
    let cache = Cache::in_process();
    let accounts = AccountQuery {
        page: 1,
        per_page: 25,
        sort: AccountSort::Followers,
        direction: SortDirection::Desc,
        filter: AccountFilter::default(),
    };
    let overview = in_process(&db, "overview", &cache, Kind::Overview, &[], &(), || {
        db::overview::overview(&db)
    })
    .await?;
    encodings.push(encoding("overview", &overview)?);
    let page = in_process(&db, "accounts", &cache, Kind::Accounts, &[], &1, || {
        db::accounts::list(&db, &accounts)
    })
    .await?;
    encodings.push(encoding("accounts", &page)?);
    let detail = in_process(&db, "account", &cache, Kind::Account, &[7], &7, || {
        db::accounts::detail(&db, 7)
    })
    .await?;
    encodings.push(encoding("account", &detail)?);
    let history = in_process(&db, "history 1y", &cache, Kind::History, &[7], &7, || {
        db::history::history(&db, 7, HistoryRange::Year, Metric::Followers)
    })
    .await?;
    encodings.push(encoding("history 1y", &history)?);

    // What every cached read pays before the lookup: the data generations.
    let mut generations = Histogram::<u64>::new(3)?;
    for round in 0..WARM_UP + REQUESTS {
        let started = Instant::now();
        db::generations::current(&db).await?;
        if round >= WARM_UP {
            generations.record(started.elapsed().as_nanos() as u64)?;
        }
    }
    println!(
        "| (the generations read alone) | {:.0} | | |",
        generations.value_at_quantile(0.5) as f64 / 1_000.0
    );

    println!();
    println!(
        "| value in Redis | JSON bytes | JSON decode p50 (µs) | postcard bytes | postcard decode p50 (µs) |"
    );
    println!("|---|---:|---:|---:|---:|");
    for line in encodings {
        println!("{line}");
    }
    Ok(())
}

/// One row of the encoding table: `value` as JSON (what Redis holds) and
/// as postcard, sizes and decoding times.
fn encoding<T>(name: &str, value: &T) -> anyhow::Result<String>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    fn decode_p50<T>(decode: impl Fn() -> anyhow::Result<T>) -> anyhow::Result<f64> {
        let mut histogram = Histogram::<u64>::new(3)?;
        for round in 0..WARM_UP + REQUESTS {
            let started = Instant::now();
            std::hint::black_box(decode()?);
            if round >= WARM_UP {
                histogram.record(started.elapsed().as_nanos() as u64)?;
            }
        }
        Ok(histogram.value_at_quantile(0.5) as f64 / 1_000.0)
    }
    let json = serde_json::to_vec(value)?;
    let json_decode = decode_p50(|| Ok(serde_json::from_slice::<T>(&json)?))?;
    // Postcard is not self-describing: it cannot write `#[serde(flatten)]`
    // fields, nor read back fields skipped when empty.
    let postcard = match postcard::to_allocvec(value) {
        Ok(bytes) => match decode_p50(|| Ok(postcard::from_bytes::<T>(&bytes)?)) {
            Ok(micros) => format!("{} | {micros:.1}", bytes.len()),
            Err(error) => format!("{} | cannot decode: {error}", bytes.len()),
        },
        Err(error) => format!("cannot encode: {error} | "),
    };
    Ok(format!(
        "| {name} | {} | {json_decode:.1} | {postcard} |",
        json.len()
    ))
}

/// Latencies (in nanoseconds) of `REQUESTS` sequential GETs, and their sum.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    path: &str,
) -> anyhow::Result<(Histogram<u64>, Duration)> {
    let url = format!("{base}{path}");
    for _ in 0..WARM_UP {
        get(client, &url).await?;
    }
    let mut histogram = Histogram::<u64>::new(3)?;
    let mut total = Duration::ZERO;
    for _ in 0..REQUESTS {
        let started = Instant::now();
        get(client, &url).await?;
        let elapsed = started.elapsed();
        total += elapsed;
        histogram.record(elapsed.as_nanos() as u64)?;
    }
    Ok((histogram, total))
}

async fn get(client: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    let response = client.get(url).send().await?;
    anyhow::ensure!(response.status() == 200, "{url}: {}", response.status());
    response.bytes().await?;
    Ok(())
}

/// p50 of `load` run directly against p50 of the same answer from the
/// cache; returns the answer.
async fn in_process<T, E, F, Fut>(
    db: &DatabaseConnection,
    name: &str,
    cache: &Cache,
    kind: Kind,
    // The accounts the answer is about, for the kinds keyed by them.
    accounts: &[i64],
    arguments: &impl serde::Serialize,
    load: F,
) -> anyhow::Result<T>
where
    T: Clone + serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    E: Into<ApiError> + std::error::Error + Send + Sync + 'static,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut direct = Histogram::<u64>::new(3)?;
    let mut cached = Histogram::<u64>::new(3)?;
    for round in 0..WARM_UP + REQUESTS {
        let started = Instant::now();
        load().await?;
        let query = started.elapsed();
        let started = Instant::now();
        if kind.per_account() {
            cache
                .get_or_load_for(db, kind, accounts, arguments, &load)
                .await?;
        } else {
            cache.get_or_load(db, kind, arguments, &load).await?;
        }
        let hit = started.elapsed();
        if round >= WARM_UP {
            direct.record(query.as_nanos() as u64)?;
            cached.record(hit.as_nanos() as u64)?;
        }
    }
    println!(
        "| {name} | {:.0} | {:.0} | {:.1}× |",
        direct.value_at_quantile(0.5) as f64 / 1_000.0,
        cached.value_at_quantile(0.5) as f64 / 1_000.0,
        direct.value_at_quantile(0.5) as f64 / cached.value_at_quantile(0.5) as f64,
    );
    Ok(load().await?)
}

async fn serve(db: DatabaseConnection, cache: CacheSettings) -> anyhow::Result<String> {
    // The collectors as an unconfigured `reach serve` has them.
    let defaults = <reach::config::Cli as clap::Parser>::try_parse_from(["reach"])?;
    let engine = reach::cli::engine(
        db.clone(),
        &defaults.collect,
        &defaults.cache,
        defaults.collect.instance_name(),
        Metrics::default(),
    )?;
    let app = Application::build(
        AppState {
            leptos_options: LeptosOptions::builder()
                .output_name("reach")
                .site_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
                .build(),
            db,
            cache: Cache::new(&cache)?,
            collect: CollectTrigger::default(),
            metrics: Metrics::default(),
            // No rate limits: tests and benchmarks send many requests from one address.
            access: AccessSettings {
                login_per_minute: 0,
                api_per_second: 0,
                ..AccessSettings::default()
            },
            sharing: app::ssr::state::SharingSettings::default(),
            digests: app::ssr::state::DigestsHandle::default(),
            live: app::ssr::live::Live::default(),
            collectors: app::ssr::state::CollectorsView(std::sync::Arc::new(engine.status())),
            assets: app::ssr::state::Assets::default(),
        },
        defaults.serve.http.limits(),
    )
    .await?;
    let address = format!("http://{}", app.local_addr());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    Ok(address)
}
