//! The demo data set: N plausible accounts spread over every platform (one in
//! ten core, tags spread) with D days of simulated daily history and the
//! matching run history.
//!
//! Deterministic and idempotent: the same N gives the same accounts, and the
//! daily snapshots sit at midnight UTC, so seeding twice on the same day adds
//! nothing.

use std::collections::{BTreeMap, HashSet};

use anyhow::Context;
use app::model::{Platform, RunStatus};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use db::entities::{account, account_tag, collection_run};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};

use db::generations::{self, Domain, Writer};

use super::GrowthModel;
use db::audience::AudienceDay;
use db::bulk::{SnapshotRow, load_snapshots};
use db::snapshots::{refresh_changes, set_latest_all};

const ADJECTIVES: [&str; 20] = [
    "quiet", "bright", "lunar", "rusty", "swift", "cosmic", "golden", "hidden", "urban", "wild",
    "tiny", "electric", "velvet", "paper", "neon", "solar", "coastal", "crimson", "silent",
    "happy",
];
const NOUNS: [&str; 20] = [
    "fox", "studio", "kitchen", "garden", "lab", "pixel", "river", "atlas", "echo", "harbor",
    "orbit", "canvas", "forge", "signal", "maple", "comet", "wave", "summit", "lantern", "journal",
];
const TAGS: [&str; 8] = [
    "tech", "music", "gaming", "news", "science", "art", "sports", "food",
];
const MASTODON_INSTANCES: [&str; 3] = ["mastodon.social", "fosstodon.org", "hachyderm.io"];
const STACK_EXCHANGE_SITES: [&str; 3] = ["stackoverflow", "superuser", "math"];

/// Accounts, tags or runs per INSERT statement: well under SQLite's
/// bind-variable limit.
const INSERT_CHUNK: usize = 500;
/// Events judged before they are stored, a few statements' worth.
const EVENT_CHUNK: usize = 2_000;
/// Brands in the demo data set (three accounts each).
const DEMO_BRANDS: usize = 5;

/// What seeding did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub accounts: usize,
    pub snapshots: u64,
    pub runs: usize,
}

/// One generated demo account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoAccount {
    pub platform: Platform,
    pub handle: String,
    pub display_name: String,
    pub is_core: bool,
    pub tags: Vec<&'static str>,
}

/// The `index`-th demo account: the same index always gives the same account.
pub fn demo_account(index: u32) -> DemoAccount {
    let i = index as usize;
    let adjective = ADJECTIVES[i % ADJECTIVES.len()];
    let noun = NOUNS[(i / ADJECTIVES.len()) % NOUNS.len()];
    let round = i / (ADJECTIVES.len() * NOUNS.len());
    let suffix = if round == 0 {
        String::new()
    } else {
        round.to_string()
    };
    let platform = Platform::ALL[i % Platform::ALL.len()];
    let handle = match platform {
        Platform::Mastodon => format!(
            "{adjective}{noun}{suffix}@{}",
            MASTODON_INSTANCES[i % MASTODON_INSTANCES.len()]
        ),
        Platform::Bluesky => format!("{adjective}{noun}{suffix}.bsky.social"),
        Platform::Youtube => format!("@{}{}{suffix}", capitalize(adjective), capitalize(noun)),
        Platform::Github => format!("{adjective}-{noun}{suffix}"),
        Platform::Reddit | Platform::Tiktok => format!("{adjective}_{noun}{suffix}"),
        Platform::Instagram => format!("{adjective}.{noun}{suffix}"),
        Platform::Twitch => format!("{adjective}{noun}{suffix}"),
        Platform::Discord => format!("{adjective}-{noun}{suffix}"),
        Platform::Telegram => format!("{adjective}_{noun}{suffix}"),
        // Communities: Lemmy users have no subscribers to simulate.
        Platform::Lemmy => format!("!{adjective}_{noun}{suffix}@lemmy.world"),
        Platform::Peertube => format!("c/{adjective}_{noun}{suffix}@framatube.org"),
        Platform::Misskey => format!("{adjective}_{noun}{suffix}@misskey.io"),
        // A user's number on a site.
        Platform::Stackexchange => format!(
            "{}@{}",
            100_000 + i,
            STACK_EXCHANGE_SITES[i % STACK_EXCHANGE_SITES.len()]
        ),
        // X and Hacker News allow 15 characters: longer names keep five
        // letters of each word.
        Platform::X | Platform::Hackernews => {
            let full = format!("{adjective}{noun}{suffix}");
            if full.len() <= 15 {
                full
            } else {
                let five = |word: &str| word[..word.len().min(5)].to_owned();
                format!("{}{}{suffix}", five(adjective), five(noun))
            }
        }
    };
    let mut tags = vec![TAGS[i % TAGS.len()]];
    let second = TAGS[(i / 3) % TAGS.len()];
    if i.is_multiple_of(3) && !tags.contains(&second) {
        tags.push(second);
    }
    DemoAccount {
        platform,
        handle,
        display_name: format!("{} {}", capitalize(adjective), capitalize(noun)),
        is_core: i.is_multiple_of(10),
        tags,
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Creates `accounts` demo accounts with `days` days of history ending today.
pub async fn seed(
    db: &DatabaseConnection,
    accounts: u32,
    days: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<SeedReport> {
    let demo: Vec<DemoAccount> = (0..accounts).map(demo_account).collect();
    let ids = insert_accounts(db, &demo, now).await?;

    let midnight = now.date_naive().and_time(NaiveTime::MIN).and_utc();
    let days_back = |day: u32| midnight - Duration::days(i64::from(days - 1 - day));
    let mut inserted = 0;
    // The audience chart's history: the same simulated values, summed.
    let mut audience: BTreeMap<(NaiveDate, Platform), (i32, i64)> = BTreeMap::new();
    let batch = db::bulk::batch_rows(db);
    let mut rows = Vec::with_capacity(batch);
    let mut latest = Vec::with_capacity(demo.len());
    let started = std::time::Instant::now();
    // Events are judged on the histories as they are generated: reading a
    // year of 100,000 accounts back took longer than writing it.
    let mut events = Vec::new();
    let mut new_events = 0;
    let mut history = Vec::with_capacity(days as usize);
    let txn = db::write::begin(db).await?;
    for (account, id) in demo.iter().zip(&ids) {
        let model = GrowthModel::for_account(account.platform, &account.handle);
        history.clear();
        for day in 0..days {
            let at = days_back(day);
            let counters = model.counters_at(at);
            history.push((at, counters));
            if let Some(followers) = counters.followers {
                let day = audience
                    .entry((at.date_naive(), account.platform))
                    .or_default();
                *day = (day.0 + 1, day.1 + followers);
            }
            rows.push(SnapshotRow {
                account_id: *id,
                captured_at: at,
                counters,
            });
            if rows.len() == batch {
                inserted += load_snapshots(db, &txn, &rows)
                    .await
                    .context("cannot insert demo snapshots")?;
                rows.clear();
            }
            if day + 1 == days {
                latest.push((*id, at, counters));
            }
        }
        let subject = crate::events::Subject {
            id: *id,
            platform: account.platform,
            handle: &account.handle,
        };
        events.extend(crate::events::history_events(
            subject,
            &history,
            usize::MAX,
            now,
        ));
        if events.len() >= EVENT_CHUNK {
            new_events += crate::events::store(&txn, &events, Writer::Other).await?;
            events.clear();
        }
    }
    new_events += crate::events::store(&txn, &events, Writer::Other).await?;
    inserted += load_snapshots(db, &txn, &rows)
        .await
        .context("cannot insert demo snapshots")?;
    set_latest_all(&txn, &latest).await?;
    tracing::info!(
        snapshots = inserted,
        seconds = started.elapsed().as_secs_f64(),
        "seeded the snapshots"
    );
    if days > 0 {
        refresh_changes(&txn, &ids, days_back(days - 1)).await?;
    }
    // Marks are for the board of the real today, whatever `now` is.
    db::marks::refresh_marks(&txn, &ids, Utc::now().date_naive()).await?;
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        "seeded the changes and the leaderboard's marks"
    );
    let audience: Vec<AudienceDay> = audience
        .into_iter()
        .map(|((day, platform), (accounts, followers))| AudienceDay {
            day,
            platform,
            accounts,
            followers,
        })
        .collect();
    db::audience::fill_days(&txn, &audience).await?;
    generations::bump(&txn, &[Domain::Accounts, Domain::Snapshots]).await?;
    txn.commit().await?;

    let runs = insert_runs(db, (0..days).map(days_back), demo.len() as i32).await?;
    // A few brands, three accounts on different platforms each.
    for (group, members) in ids.chunks(3).take(DEMO_BRANDS).enumerate() {
        if members.len() == 3 {
            let name = format!("{} Media", demo[group * 3].display_name);
            db::brands::assign(db, &name, members).await?;
        }
    }
    tracing::info!(
        seconds = started.elapsed().as_secs_f64(),
        events = new_events,
        "seeded the runs, brands and events"
    );
    db::leaderboard::kept::keep(db, &db::write::NoRest).await?;
    Ok(SeedReport {
        accounts: demo.len(),
        snapshots: inserted,
        runs,
    })
}

/// Inserts the accounts that do not exist yet and returns every demo
/// account's id, in order.
async fn insert_accounts(
    db: &DatabaseConnection,
    demo: &[DemoAccount],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<i64>> {
    let txn = db::write::begin(db).await?;
    for chunk in demo.chunks(INSERT_CHUNK) {
        account::Entity::insert_many(chunk.iter().map(|a| account::ActiveModel {
            platform: Set(a.platform),
            handle: Set(a.handle.clone()),
            platform_id: Set(None),
            display_name: Set(Some(a.display_name.clone())),
            is_core: Set(a.is_core),
            created_at: Set(now),
            updated_at: Set(now),
            last_collected_at: Set(None),
            last_error: Set(None),
            followers: Set(None),
            following: Set(None),
            posts: Set(None),
            views: Set(None),
            likes: Set(None),
            simulated: Set(true),
            ..Default::default()
        }))
        .on_conflict(
            OnConflict::columns([account::Column::Platform, account::Column::Handle])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .context("cannot insert demo accounts")?;
    }

    let existing = db::accounts::ids_by_handle(&txn).await?;
    let ids = demo
        .iter()
        .map(|a| {
            existing
                .get(&(a.platform, a.handle.clone()))
                .copied()
                .with_context(|| format!("demo account {} was not stored", a.handle))
        })
        .collect::<anyhow::Result<Vec<i64>>>()?;

    let tags = demo.iter().zip(&ids).flat_map(|(a, id)| {
        a.tags.iter().map(move |tag| account_tag::ActiveModel {
            account_id: Set(*id),
            tag: Set((*tag).to_owned()),
        })
    });
    let tags: Vec<_> = tags.collect();
    for chunk in tags.chunks(INSERT_CHUNK) {
        account_tag::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([account_tag::Column::AccountId, account_tag::Column::Tag])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await
            .context("cannot insert demo tags")?;
    }
    generations::bump(&txn, &Domain::ALL).await?;
    txn.commit().await?;
    Ok(ids)
}

/// One finished run per seeded day, skipping days that already have one.
async fn insert_runs(
    db: &DatabaseConnection,
    days: impl Iterator<Item = DateTime<Utc>>,
    accounts: i32,
) -> anyhow::Result<usize> {
    let days: Vec<DateTime<Utc>> = days.collect();
    let existing: HashSet<DateTime<Utc>> = collection_run::Entity::find()
        .select_only()
        .column(collection_run::Column::StartedAt)
        .filter(collection_run::Column::StartedAt.is_in(days.iter().copied()))
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let runs: Vec<_> = days
        .into_iter()
        .filter(|at| !existing.contains(at))
        .map(|at| collection_run::ActiveModel {
            started_at: Set(at),
            finished_at: Set(Some(at + Duration::seconds(2))),
            mode: Set(super::MODE.to_owned()),
            status: Set(RunStatus::Finished),
            accounts_ok: Set(accounts),
            accounts_failed: Set(0),
            accounts_skipped: Set(0),
            duration_ms: Set(Some(2_000)),
            ..Default::default()
        })
        .collect();
    let count = runs.len();
    for chunk in runs.chunks(INSERT_CHUNK) {
        collection_run::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await
            .context("cannot insert demo runs")?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_accounts_are_unique_and_spread() {
        let accounts: Vec<_> = (0..2_000).map(demo_account).collect();
        let keys: HashSet<_> = accounts
            .iter()
            .map(|a| (a.platform, a.handle.clone()))
            .collect();
        assert_eq!(keys.len(), accounts.len());
        let core = accounts.iter().filter(|a| a.is_core).count();
        assert_eq!(core, 200);
        for platform in Platform::ALL {
            assert!(accounts.iter().any(|a| a.platform == platform));
        }
        assert_eq!(demo_account(7), demo_account(7));
    }

    #[test]
    fn handles_follow_each_platform_form() {
        let by_platform = |p: Platform| {
            (0..40)
                .map(demo_account)
                .find(|a| a.platform == p)
                .unwrap()
                .handle
        };
        assert!(by_platform(Platform::Mastodon).contains('@'));
        assert!(by_platform(Platform::Bluesky).ends_with(".bsky.social"));
        assert!(by_platform(Platform::Youtube).starts_with('@'));
    }

    #[test]
    fn handles_are_valid_and_distinct_on_their_platforms() {
        let mut seen = std::collections::HashSet::new();
        for account in (0..25_000).map(demo_account) {
            assert_eq!(
                account.platform.normalize_handle(&account.handle).as_ref(),
                Ok(&account.handle),
                "{account:?}"
            );
            assert!(seen.insert((account.platform, account.handle.clone())));
        }
    }
}
