//! The command tree: `reach`'s commands and their arguments (the
//! settings each takes are in the sibling modules).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::*;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the API (the default), collecting on a schedule.
    Serve(ServeConfig),
    /// Create demo accounts with a simulated history.
    Seed(SeedConfig),
    /// Run one collection now and exit.
    Collect,
    /// List each platform: live, failing (its last error), not configured
    /// (what to set) or without a collector; its accounts, budget and how
    /// long a full pass over them takes.
    Platforms {
        /// Also make one cheap request to each configured platform, to see
        /// whether it answers with the credentials given.
        #[arg(long)]
        check: bool,
    },
    /// Add or remove tracked accounts.
    #[command(subcommand)]
    Account(AccountCommand),
    /// Write accounts, snapshots or a leaderboard as CSV or JSON, e.g.
    /// `reach export snapshots --id 3 --from 2026-01-01 --output history.csv`.
    Export(ExportCommand),
    /// Group accounts into brands (one creator's or company's accounts
    /// across platforms).
    #[command(subcommand)]
    Brand(BrandCommand),
    /// Compact every day older than the retention period (`--keep-raw`) now;
    /// runs do it for the days that just passed it.
    Compact,
    /// Read accounts or historical snapshots from a CSV file; all or nothing.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Manage the admins, who may change what Reach tracks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Manage API tokens, with which programs act for an admin.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Scheduled summaries of a period, by e-mail or to a chat webhook.
    #[command(subcommand)]
    Digest(DigestCommand),
    /// Copy a live SQLite database to PATH, consistently, while Reach runs.
    Backup {
        /// Where the copy goes; it must not exist yet.
        path: PathBuf,
    },
    /// Replace the SQLite database with a backup (stop Reach first).
    Restore {
        /// A file made by `reach backup`.
        path: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create an admin; the password is read from standard input (one line)
    /// or `REACH_ADMIN_PASSWORD`, never from the command line.
    Add { username: String },
    /// Remove an admin, their sessions and their API tokens.
    Remove { username: String },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token acting for an admin; prints its secret, once.
    Create {
        /// The admin the token acts for (or, with `--embed`, who made it).
        #[arg(long)]
        admin: String,
        /// What the token is for, e.g. `grafana`.
        name: String,
        /// Make a token that only opens badges and share cards, in their
        /// address (`?token=`), when reading is not public: one made to be
        /// published.
        #[arg(long)]
        embed: bool,
    },
    /// List the tokens (never their secrets).
    List,
    /// Revoke a token at once.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DigestCommand {
    /// List the digests and how each was last delivered.
    List,
    /// Make a digest, e.g. `reach digest add news --period weekly --scope
    /// tag:news --channel slack --target https://hooks.slack.com/services/…`.
    /// A Matrix access token or an ntfy token is read from
    /// `REACH_DIGEST_TOKEN`, never from the command line.
    Add {
        /// Unique, e.g. `weekly-news`.
        name: String,
        /// daily, weekly (ISO weeks) or monthly; UTC.
        #[arg(long, default_value = "weekly")]
        period: app::model::DigestPeriod,
        /// all, tag:<name> or brand:<name>.
        #[arg(long, default_value = "all")]
        scope: String,
        /// email, slack, discord, matrix, ntfy or json.
        #[arg(long)]
        channel: app::model::DigestChannel,
        /// E-mail addresses (comma-separated), the webhook's address, or a
        /// Matrix room as https://<homeserver>/<room id>.
        #[arg(long)]
        target: String,
    },
    /// Remove a digest and its record of deliveries.
    Remove { id: i64 },
    /// Print what a digest says about its last complete period, without
    /// sending it.
    Preview {
        id: i64,
        /// The report as JSON (what the `json` channel sends).
        #[arg(long)]
        json: bool,
    },
    /// Send a digest now (its last complete period), with anything else due.
    Send { id: i64 },
    /// Send what is due (each digest's last complete period, once across
    /// instances) and what was asked for, then exit.
    Run,
}

#[derive(Debug, Args)]
pub struct ExportCommand {
    pub dataset: crate::export::Dataset,
    #[arg(long, value_enum, default_value_t)]
    pub format: crate::export::Format,
    /// The file to write; standard output when absent.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: crate::export::ExportOptions,
}

#[derive(Debug, Subcommand)]
pub enum BrandCommand {
    /// Put accounts in a brand, created if it does not exist, e.g.
    /// `reach brand assign "Cosmic Kitchen" 3 17 42`.
    Assign {
        name: String,
        #[arg(required = true)]
        accounts: Vec<i64>,
    },
    /// Take accounts out of their brand.
    Unassign {
        #[arg(required = true)]
        accounts: Vec<i64>,
    },
    /// Delete a brand; its accounts stay, without one.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Accounts to track: a CSV with the columns platform, handle and
    /// optionally display_name, core (true/false), tags (separated by `;`)
    /// and brand (created if needed).
    Accounts { file: PathBuf },
    /// History of tracked accounts: a CSV with the columns platform, handle,
    /// captured_at (RFC 3339 or a date) and any of followers, following,
    /// posts, views, likes, score, online, listed (empty: unknown). Marked
    /// as imported.
    Snapshots { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Track an account, e.g. `reach account add mastodon Gargron@mastodon.social --core`.
    Add(AddAccount),
    /// Stop tracking an account and delete its history.
    Remove { id: i64 },
}

#[derive(Clone, Debug, Args)]
pub struct AddAccount {
    /// One of youtube, x, instagram, tiktok, mastodon, bluesky, reddit, github, twitch,
    /// hackernews, stackexchange, discord, lemmy, peertube, misskey, telegram.
    pub platform: app::model::Platform,
    /// The handle in the platform's form: user@instance (Mastodon),
    /// name.bsky.social (Bluesky), login (GitHub), name (Reddit, Twitch),
    /// @handle or channel id (YouTube).
    pub handle: String,
    /// Collect this account before the others.
    #[arg(long)]
    pub core: bool,
    /// Tags, repeatable: `--tag tech --tag news`.
    #[arg(long = "tag")]
    pub tags: Vec<String>,
}

#[derive(Clone, Debug, Args)]
pub struct SeedConfig {
    /// How many demo accounts to create.
    #[arg(long, env = "REACH_SEED_ACCOUNTS", default_value_t = SeedConfig::DEFAULT.accounts, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub accounts: u32,

    /// Days of daily history for each demo account.
    #[arg(long, env = "REACH_SEED_DAYS", default_value_t = SeedConfig::DEFAULT.days, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub days: u32,
}

impl SeedConfig {
    /// The demo data set: 60 accounts with a year of history.
    pub const DEFAULT: SeedConfig = SeedConfig {
        accounts: 60,
        days: 365,
    };
}
