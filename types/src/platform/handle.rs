//! Handles: each platform's own rules for its account names, and the form
//! Reach stores them in.

use super::Platform;

impl Platform {
    /// Checks a handle against the platform's own rules and returns it in
    /// the form Reach stores: without a leading `@` (YouTube keeps its `@`,
    /// which tells a handle from a channel id) or `u/`, domains lowercased.
    /// The error says what the platform's handles look like.
    pub fn normalize_handle(self, text: &str) -> Result<String, String> {
        let text = text.trim();
        let bare = text.trim_start_matches('@');
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let sized = |t: &str, min: usize, max: usize| (min..=max).contains(&t.len());
        let ok = match self {
            Platform::X => sized(bare, 1, 15) && bare.chars().all(word),
            Platform::Instagram => sized(bare, 1, 30) && bare.chars().all(|c| word(c) || c == '.'),
            Platform::Tiktok => sized(bare, 2, 24) && bare.chars().all(|c| word(c) || c == '.'),
            Platform::Twitch => {
                sized(bare, 4, 25)
                    && bare.chars().all(word)
                    && bare.starts_with(|c: char| c.is_ascii_alphanumeric())
            }
            Platform::Github => {
                sized(bare, 1, 39)
                    && bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !bare.starts_with('-')
                    && !bare.ends_with('-')
                    && !bare.contains("--")
            }
            Platform::Reddit => {
                let bare = bare.trim_start_matches('/');
                if let Some(subreddit) = bare.strip_prefix("r/") {
                    return (sized(subreddit, 3, 21) && subreddit.chars().all(word))
                        .then(|| format!("r/{subreddit}"))
                        .ok_or_else(|| {
                            "a subreddit is r/ and 3 to 21 letters, digits or `_`".into()
                        });
                }
                let name = bare.trim_start_matches("u/");
                return (sized(name, 3, 20) && name.chars().all(|c| word(c) || c == '-'))
                    .then(|| name.to_owned())
                    .ok_or_else(|| {
                        "a Reddit name is 3 to 20 letters, digits, `_` or `-` (or r/name for a subreddit)".into()
                    });
            }
            Platform::Youtube => {
                let channel_id = bare.len() == 24
                    && bare.starts_with("UC")
                    && bare.chars().all(|c| word(c) || c == '-');
                if channel_id && !text.starts_with('@') {
                    return Ok(bare.to_owned());
                }
                return (sized(bare, 3, 30)
                    && bare.chars().all(|c| word(c) || c == '.' || c == '-'))
                .then(|| format!("@{bare}"))
                .ok_or_else(|| {
                    "a YouTube handle is @ and 3 to 30 letters, digits, `_`, `.` or `-`, or a channel id (UC and 22 more)".into()
                });
            }
            Platform::Mastodon => {
                let (user, instance) = bare.split_once('@').unwrap_or((bare, ""));
                return (sized(user, 1, 30) && user.chars().all(word) && is_domain(instance))
                    .then(|| format!("{user}@{}", instance.to_ascii_lowercase()))
                    .ok_or_else(|| {
                        "a Mastodon handle is user@instance, e.g. Gargron@mastodon.social".into()
                    });
            }
            Platform::Hackernews => {
                // The profile page's address names the user: `user?id=pg`.
                let name = text.rsplit_once("user?id=").map_or(bare, |(_, id)| id);
                // Case matters: `pg` and `PG` are different users.
                return (sized(name, 2, 15)
                    && name.chars().all(|c| word(c) || c == '-')
                    && !name.starts_with('-'))
                .then(|| name.to_owned())
                .ok_or_else(|| {
                    "a Hacker News name is 2 to 15 letters, digits, `_` or `-` (case matters)"
                        .into()
                });
            }
            Platform::Stackexchange => {
                return stack_exchange_handle(bare).ok_or_else(|| {
                    "a Stack Exchange user is id@site, e.g. 22656@stackoverflow or 42@math (the number in the profile's address)".into()
                });
            }
            Platform::Lemmy => {
                return lemmy_handle(text).ok_or_else(|| {
                    "a Lemmy community is !name@instance (e.g. !asklemmy@lemmy.world), a user name@instance".into()
                });
            }
            Platform::Peertube => {
                return peertube_handle(text).ok_or_else(|| {
                    "a PeerTube channel is c/name@host, an account a/name@host (or their links)"
                        .into()
                });
            }
            Platform::Misskey => {
                let (user, host) = bare.split_once('@').unwrap_or((bare, ""));
                return (sized(user, 1, 20) && user.chars().all(word) && is_domain(host))
                    .then(|| format!("{user}@{}", host.to_ascii_lowercase()))
                    .ok_or_else(|| "a Misskey user is name@server, e.g. syuilo@misskey.io".into());
            }
            Platform::Telegram => {
                // A channel's link names it: `t.me/name`.
                let name = link(text)
                    .filter(|(host, _)| matches!(*host, "t.me" | "telegram.me"))
                    .map_or(bare, |(_, path)| path);
                return (sized(name, 4, 32)
                    && name.chars().all(word)
                    && name.starts_with(|c: char| c.is_ascii_alphabetic()))
                .then(|| name.to_owned())
                .ok_or_else(|| {
                    "a Telegram channel is its public name (4 to 32 letters, digits or `_`, from a letter) or its t.me link".into()
                });
            }
            Platform::Discord => {
                return discord_invite(text).ok_or_else(|| {
                    "a Discord server is its invite code or link, e.g. discord.gg/rust-lang (2 to 32 letters, digits or `-`)".into()
                });
            }
            Platform::Bluesky => {
                return is_atproto_handle(bare)
                    .then(|| bare.to_ascii_lowercase())
                    .ok_or_else(|| {
                        "a Bluesky handle is a domain name whose last part starts with a letter, e.g. name.bsky.social".into()
                    });
            }
        };
        if ok {
            Ok(bare.to_owned())
        } else {
            Err(match self {
                Platform::X => "an X handle is 1 to 15 letters, digits or `_`",
                Platform::Instagram => "an Instagram handle is 1 to 30 letters, digits, `_` or `.`",
                Platform::Tiktok => "a TikTok handle is 2 to 24 letters, digits, `_` or `.`",
                Platform::Twitch => "a Twitch name is 4 to 25 letters, digits or `_`",
                _ => "a GitHub login is 1 to 39 letters, digits or single inner `-`",
            }
            .into())
        }
    }
}

/// `user_id@site`: the user's number on one Stack Exchange site and the
/// site's API name (`stackoverflow`, `math`, `ru.stackoverflow`), lower case.
fn stack_exchange_handle(text: &str) -> Option<String> {
    let (id, site) = text.split_once('@')?;
    // A site's domain (`math.stackexchange.com`) names it too.
    let mut site = site.trim().to_ascii_lowercase();
    while let Some(shorter) = [".com", ".stackexchange"]
        .iter()
        .find_map(|suffix| site.strip_suffix(suffix))
    {
        site = shorter.to_owned();
    }
    let id_ok = (1..=10).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_digit())
        && !id.starts_with('0')
        && id.parse::<i32>().is_ok();
    let site_ok = (1..=60).contains(&site.len())
        && site.split(['.', '-']).all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        });
    (id_ok && site_ok).then(|| format!("{id}@{site}"))
}

/// `name@host` with a name of letters, digits or `_` (the fediverse
/// servers' local names), the host lowercased.
fn name_at_host(text: &str, min: usize, max: usize) -> Option<String> {
    let (name, host) = text.split_once('@')?;
    ((min..=max).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && is_domain(host))
    .then(|| format!("{name}@{}", host.to_ascii_lowercase()))
}

/// The path of a profile link (`https://host/c/name` → (`host`, `c/name`)).
fn link(text: &str) -> Option<(&str, &str)> {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/')?;
    Some((host, path.trim_end_matches('/')))
}

/// A Lemmy community, `!name@instance`, or user, `name@instance` (or
/// `@name@instance`), or their links (`https://instance/c/name`, `/u/name`).
/// A person and a community may share a name: the `!` tells them apart.
fn lemmy_handle(text: &str) -> Option<String> {
    let (community, rest) = match link(text) {
        Some((host, path)) => match path.split_once('/')? {
            ("c", name) => (true, format!("{name}@{host}")),
            ("u", name) => (false, format!("{name}@{host}")),
            _ => return None,
        },
        None => match text.strip_prefix('!') {
            Some(rest) => (true, rest.to_owned()),
            None => (false, text.trim_start_matches('@').to_owned()),
        },
    };
    let stored = name_at_host(&rest, 2, 50)?;
    Some(if community {
        format!("!{stored}")
    } else {
        stored
    })
}

/// A PeerTube channel, `c/name@host`, or account, `a/name@host`, or their
/// links (`https://host/c/name`, `/video-channels/name`, `/a/name`,
/// `/accounts/name`): one server's accounts and channels share their
/// names, so the kind is part of the handle.
fn peertube_handle(text: &str) -> Option<String> {
    let (kind, rest) = match link(text) {
        Some((host, path)) => {
            let (kind, name) = path.split_once('/')?;
            (kind, format!("{name}@{host}"))
        }
        None => {
            let (kind, rest) = text.split_once('/')?;
            (kind, rest.to_owned())
        }
    };
    let kind = match kind {
        "c" | "video-channels" => "c",
        "a" | "accounts" => "a",
        _ => return None,
    };
    let (name, host) = rest.split_once('@')?;
    let name_ok = (1..=50).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    (name_ok && is_domain(host)).then(|| format!("{kind}/{name}@{}", host.to_ascii_lowercase()))
}

/// A Discord invite code, from the code itself or an invite link
/// (`discord.gg/CODE`, `discord.com/invite/CODE`). Case is kept.
fn discord_invite(text: &str) -> Option<String> {
    let text = text.split(['?', '#']).next().unwrap_or_default();
    let text = text
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_start_matches("www.");
    let code = [
        "discord.gg/",
        "discord.com/invite/",
        "discordapp.com/invite/",
    ]
    .iter()
    .find_map(|prefix| text.strip_prefix(prefix))
    .unwrap_or(text)
    .trim_end_matches('/');
    ((2..=32).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .then(|| code.to_owned())
}

/// A DNS name of two or more labels (letters, digits, inner `-`), at most
/// 253 characters: Mastodon instances and Bluesky handles.
fn is_domain(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    text.len() <= 253
        && labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()))
}

/// The atproto handle syntax (atproto.com/specs/handle): a domain name
/// whose last label starts with a letter, outside the top-level domains
/// that never resolve. Bluesky refuses a whole `getProfiles` request over
/// one handle that breaks it, so it is checked before it is stored.
pub fn is_atproto_handle(text: &str) -> bool {
    const NEVER_RESOLVE: [&str; 8] = [
        "alt",
        "arpa",
        "example",
        "internal",
        "invalid",
        "local",
        "localhost",
        "onion",
    ];
    is_domain(text)
        && text.rsplit('.').next().is_some_and(|tld| {
            tld.starts_with(|c: char| c.is_ascii_alphabetic())
                && !NEVER_RESOLVE.contains(&tld.to_ascii_lowercase().as_str())
        })
}

#[cfg(test)]
mod handle_tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_handles_are_accepted_in_their_stored_form() {
        let cases = [
            (
                Platform::Mastodon,
                "@Gargron@Mastodon.Social",
                "Gargron@mastodon.social",
            ),
            (Platform::Bluesky, "@Jay.Bsky.Team", "jay.bsky.team"),
            (Platform::Github, "rust-lang", "rust-lang"),
            (Platform::Reddit, "/u/spez", "spez"),
            (Platform::Twitch, "shroud", "shroud"),
            (Platform::Youtube, "mkbhd", "@mkbhd"),
            (
                Platform::Youtube,
                "UCBJycsmduvYEL83R_U4JriQ",
                "UCBJycsmduvYEL83R_U4JriQ",
            ),
            (Platform::X, "@rustlang", "rustlang"),
            (Platform::Instagram, "nasa.gov_", "nasa.gov_"),
            (Platform::Tiktok, "khaby.lame", "khaby.lame"),
            (Platform::Hackernews, "pg", "pg"),
            (
                Platform::Hackernews,
                "https://news.ycombinator.com/user?id=MrZongle2",
                "MrZongle2",
            ),
            (
                Platform::Stackexchange,
                "22656@stackoverflow",
                "22656@stackoverflow",
            ),
            (
                Platform::Stackexchange,
                "42@Math.StackExchange.com",
                "42@math",
            ),
            (
                Platform::Stackexchange,
                "123@ru.stackoverflow",
                "123@ru.stackoverflow",
            ),
            (
                Platform::Discord,
                "https://discord.gg/rust-lang",
                "rust-lang",
            ),
            (
                Platform::Discord,
                "discord.com/invite/jvuBeT38?event=1",
                "jvuBeT38",
            ),
            (
                Platform::Lemmy,
                "!asklemmy@Lemmy.World",
                "!asklemmy@lemmy.world",
            ),
            (
                Platform::Lemmy,
                "@dessalines@lemmy.ml",
                "dessalines@lemmy.ml",
            ),
            (
                Platform::Lemmy,
                "https://feddit.org/c/main",
                "!main@feddit.org",
            ),
            (
                Platform::Lemmy,
                "https://lemmy.ml/u/nutomic",
                "nutomic@lemmy.ml",
            ),
            (
                Platform::Peertube,
                "c/documentary_channel@kolektiva.media",
                "c/documentary_channel@kolektiva.media",
            ),
            (
                Platform::Peertube,
                "https://framatube.org/a/framasoft",
                "a/framasoft@framatube.org",
            ),
            (
                Platform::Peertube,
                "https://framatube.org/video-channels/joinpeertube",
                "c/joinpeertube@framatube.org",
            ),
            (Platform::Misskey, "@syuilo@Misskey.io", "syuilo@misskey.io"),
            (Platform::Telegram, "@durov", "durov"),
            (Platform::Telegram, "https://t.me/telegram", "telegram"),
        ];
        for (platform, given, stored) in cases {
            assert_eq!(
                platform.normalize_handle(given).as_deref(),
                Ok(stored),
                "{given}"
            );
        }
        for (platform, bad) in [
            (Platform::Mastodon, "Gargron"),
            (Platform::Mastodon, "a@b"),
            (Platform::Bluesky, "bsky"),
            (Platform::Github, "-rust"),
            (Platform::Github, "a--b"),
            (Platform::Reddit, "ab"),
            (Platform::Twitch, "abc"),
            (Platform::X, "sixteen_chars_xx"),
            (Platform::Instagram, "a b"),
            (Platform::Youtube, "@a"),
            (Platform::Hackernews, "a"),
            (Platform::Hackernews, "john.doe"),
            (Platform::Hackernews, "-foo"),
            (Platform::Stackexchange, "22656"),
            (Platform::Stackexchange, "jon-skeet@stackoverflow"),
            (Platform::Stackexchange, "0@stackoverflow"),
            (Platform::Stackexchange, "9999999999@stackoverflow"),
            (Platform::Discord, "foo_bar"),
            (Platform::Discord, "discord.gg/"),
            (Platform::Lemmy, "asklemmy"),
            (Platform::Lemmy, "!ask lemmy@lemmy.world"),
            (Platform::Peertube, "framasoft@framatube.org"),
            (Platform::Peertube, "x/framasoft@framatube.org"),
            (Platform::Misskey, "syuilo"),
            (Platform::Telegram, "abc"),
            (Platform::Telegram, "1channel"),
        ] {
            assert!(
                platform.normalize_handle(bad).is_err(),
                "{platform:?} {bad}"
            );
        }
    }

    proptest! {
        // Whatever the text, the check answers (never panics), and what it
        // accepts is stored as a fixed point: short, printable ASCII, and
        // accepted again unchanged.
        #[test]
        fn normalizing_is_total_and_idempotent(text in "\\PC{0,80}", index in 0usize..Platform::ALL.len()) {
            let platform = Platform::ALL[index];
            if let Ok(stored) = platform.normalize_handle(&text) {
                prop_assert!(stored.len() <= 253);
                prop_assert!(stored.chars().all(|c| c.is_ascii_graphic()));
                prop_assert_eq!(platform.normalize_handle(&stored), Ok(stored.clone()));
            }
        }

        #[test]
        fn well_formed_mastodon_handles_pass(
            user in "[A-Za-z0-9_]{1,30}",
            host in "[a-z0-9]{1,20}",
            tld in "[a-z]{2,10}",
        ) {
            let handle = format!("{user}@{host}.{tld}");
            prop_assert_eq!(Platform::Mastodon.normalize_handle(&handle), Ok(handle.clone()));
        }
    }
}
