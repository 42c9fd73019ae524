//! Where the platforms are and the credentials Reach holds for them, as
//! settings of the command line and the environment (flattened into the
//! collection settings). Endpoints are settings so that tests, proxies and
//! GitHub Enterprise can point elsewhere. Each default is written once, in
//! a constant both the setting and [`Default`] use.

use clap::Args;
use secrecy::SecretString;

const BLUESKY_URL: &str = "https://public.api.bsky.app";
const REDDIT_URL: &str = "https://oauth.reddit.com";
const REDDIT_AUTH_URL: &str = "https://www.reddit.com/api/v1/access_token";
const GITHUB_URL: &str = "https://api.github.com";
const YOUTUBE_URL: &str = "https://www.googleapis.com/youtube/v3";
const TWITCH_URL: &str = "https://api.twitch.tv/helix";
const TWITCH_AUTH_URL: &str = "https://id.twitch.tv/oauth2/token";
const HACKERNEWS_URL: &str = "https://hacker-news.firebaseio.com/v0";
const STACKEXCHANGE_URL: &str = "https://api.stackexchange.com/2.3";
const DISCORD_URL: &str = "https://discord.com/api/v10";
const X_URL: &str = "https://api.x.com";
const TELEGRAM_URL: &str = "https://api.telegram.org";
/// The Graph API version is part of the address: a new one is a choice.
const INSTAGRAM_URL: &str = "https://graph.facebook.com/v26.0";
const TIKTOK_URL: &str = "https://open.tiktokapis.com";

/// A credential: held as a `SecretString`, so that no `Debug` of the
/// settings (a log line, a panic) ever shows it.
pub fn secret(text: &str) -> Result<SecretString, String> {
    Ok(SecretString::from(text))
}

/// Credentials and endpoints of the platforms.
#[derive(Clone, Debug, Args)]
pub struct PlatformSettings {
    /// GitHub token: 5,000 requests an hour instead of 60.
    #[arg(long, env = "GITHUB_TOKEN", hide_env_values = true, value_parser = secret, global = true)]
    pub github_token: Option<SecretString>,
    /// YouTube Data API key; YouTube accounts are "not configured" without it.
    #[arg(long, env = "YOUTUBE_API_KEY", hide_env_values = true, value_parser = secret, global = true)]
    pub youtube_api_key: Option<SecretString>,
    /// Twitch application id; Twitch accounts need it and the secret.
    #[arg(long, env = "TWITCH_CLIENT_ID", global = true)]
    pub twitch_client_id: Option<String>,
    #[arg(long, env = "TWITCH_CLIENT_SECRET", hide_env_values = true, value_parser = secret, global = true)]
    pub twitch_client_secret: Option<SecretString>,

    /// Reddit OAuth app ("script" or "web app") id: Reddit answers no
    /// anonymous request since May 2026, so Reddit accounts need it and
    /// the secret.
    #[arg(long, env = "REDDIT_CLIENT_ID", global = true)]
    pub reddit_client_id: Option<String>,
    #[arg(long, env = "REDDIT_CLIENT_SECRET", hide_env_values = true, value_parser = secret, global = true)]
    pub reddit_client_secret: Option<SecretString>,
    /// The Reddit user who registered the app, named in the User-Agent as
    /// Reddit's rules ask.
    #[arg(long, env = "REDDIT_USERNAME", global = true)]
    pub reddit_username: Option<String>,

    /// X app-only bearer token (developer console); X accounts are "not
    /// configured" without it. X bills each user read.
    #[arg(long, env = "X_BEARER_TOKEN", hide_env_values = true, value_parser = secret, global = true)]
    pub x_bearer_token: Option<SecretString>,

    /// Telegram bot token (from @BotFather): Telegram channels are "not
    /// configured" without it. It is part of every request's URL.
    #[arg(long, env = "TELEGRAM_BOT_TOKEN", hide_env_values = true, value_parser = secret, global = true)]
    pub telegram_bot_token: Option<SecretString>,

    /// An access token of "Instagram API with Facebook Login" for your own
    /// professional account, and that account's id: Instagram accounts are
    /// "not configured" without both.
    #[arg(long, env = "INSTAGRAM_ACCESS_TOKEN", hide_env_values = true, value_parser = secret, global = true)]
    pub instagram_access_token: Option<SecretString>,
    #[arg(long, env = "INSTAGRAM_USER_ID", global = true)]
    pub instagram_user_id: Option<String>,

    /// An approved TikTok Research API client's key and secret: TikTok
    /// accounts are "not configured" without both.
    #[arg(long, env = "TIKTOK_CLIENT_KEY", global = true)]
    pub tiktok_client_key: Option<String>,
    #[arg(long, env = "TIKTOK_CLIENT_SECRET", hide_env_values = true, value_parser = secret, global = true)]
    pub tiktok_client_secret: Option<SecretString>,

    /// Stack Exchange app key (stackapps.com): 10,000 requests a day
    /// instead of 300. Not a secret: Stack Exchange says it may be shown.
    #[arg(long, env = "STACKEXCHANGE_KEY", global = true)]
    pub stackexchange_key: Option<String>,

    /// Reach every Mastodon server at this URL instead of https://{host}; a
    /// `{host}` in it is replaced by the server's host.
    #[arg(long, env = "REACH_MASTODON_URL", global = true)]
    pub mastodon_url: Option<String>,
    /// The same for Lemmy, PeerTube and Misskey servers.
    #[arg(long, env = "REACH_LEMMY_URL", global = true)]
    pub lemmy_url: Option<String>,
    #[arg(long, env = "REACH_PEERTUBE_URL", global = true)]
    pub peertube_url: Option<String>,
    #[arg(long, env = "REACH_MISSKEY_URL", global = true)]
    pub misskey_url: Option<String>,
    #[arg(long, env = "REACH_BLUESKY_URL", default_value = BLUESKY_URL, global = true)]
    pub bluesky_url: String,
    #[arg(long, env = "REACH_REDDIT_URL", default_value = REDDIT_URL, global = true)]
    pub reddit_url: String,
    #[arg(long, env = "REACH_REDDIT_AUTH_URL", default_value = REDDIT_AUTH_URL, global = true)]
    pub reddit_auth_url: String,
    #[arg(long, env = "REACH_GITHUB_URL", default_value = GITHUB_URL, global = true)]
    pub github_url: String,
    #[arg(long, env = "REACH_YOUTUBE_URL", default_value = YOUTUBE_URL, global = true)]
    pub youtube_url: String,
    #[arg(long, env = "REACH_TWITCH_URL", default_value = TWITCH_URL, global = true)]
    pub twitch_url: String,
    #[arg(long, env = "REACH_TWITCH_AUTH_URL", default_value = TWITCH_AUTH_URL, global = true)]
    pub twitch_auth_url: String,
    #[arg(long, env = "REACH_HACKERNEWS_URL", default_value = HACKERNEWS_URL, global = true)]
    pub hackernews_url: String,
    #[arg(long, env = "REACH_STACKEXCHANGE_URL", default_value = STACKEXCHANGE_URL, global = true)]
    pub stackexchange_url: String,
    #[arg(long, env = "REACH_DISCORD_URL", default_value = DISCORD_URL, global = true)]
    pub discord_url: String,
    #[arg(long, env = "REACH_X_URL", default_value = X_URL, global = true)]
    pub x_url: String,
    #[arg(long, env = "REACH_TELEGRAM_URL", default_value = TELEGRAM_URL, global = true)]
    pub telegram_url: String,
    #[arg(long, env = "REACH_INSTAGRAM_URL", default_value = INSTAGRAM_URL, global = true)]
    pub instagram_url: String,
    #[arg(long, env = "REACH_TIKTOK_URL", default_value = TIKTOK_URL, global = true)]
    pub tiktok_url: String,
}

impl Default for PlatformSettings {
    fn default() -> Self {
        Self {
            github_token: None,
            youtube_api_key: None,
            twitch_client_id: None,
            twitch_client_secret: None,
            reddit_client_id: None,
            reddit_client_secret: None,
            reddit_username: None,
            stackexchange_key: None,
            x_bearer_token: None,
            telegram_bot_token: None,
            instagram_access_token: None,
            instagram_user_id: None,
            tiktok_client_key: None,
            tiktok_client_secret: None,
            mastodon_url: None,
            lemmy_url: None,
            peertube_url: None,
            misskey_url: None,
            bluesky_url: BLUESKY_URL.into(),
            reddit_url: REDDIT_URL.into(),
            reddit_auth_url: REDDIT_AUTH_URL.into(),
            github_url: GITHUB_URL.into(),
            youtube_url: YOUTUBE_URL.into(),
            twitch_url: TWITCH_URL.into(),
            twitch_auth_url: TWITCH_AUTH_URL.into(),
            hackernews_url: HACKERNEWS_URL.into(),
            stackexchange_url: STACKEXCHANGE_URL.into(),
            discord_url: DISCORD_URL.into(),
            x_url: X_URL.into(),
            telegram_url: TELEGRAM_URL.into(),
            instagram_url: INSTAGRAM_URL.into(),
            tiktok_url: TIKTOK_URL.into(),
        }
    }
}
