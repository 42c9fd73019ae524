//! Digests to chat services, each in its own documented format (sources
//! in `docs/research/issue-24.md`):
//!
//! - Slack incoming webhook: `text` (the notification's fallback) and
//!   Block Kit `blocks`; `&`, `<`, `>` escaped, sections within 3,000
//!   characters; success is any 2xx (Slack answers `ok`).
//! - Discord webhook, `?wait=true` so a message that is not saved is an
//!   error: one embed within Discord's limits, no mentions parsed.
//! - Matrix: `PUT …/rooms/{room}/send/m.room.message/{txnId}` with the
//!   access token; the transaction id is the delivery's, so a retry after
//!   a lost answer is the same message, not a second one.
//! - ntfy: the text as the body (within 4,096 bytes, past which ntfy makes
//!   an attachment of it), the subject as `Title`.
//! - JSON: the report as [`DigestReport`] JSON, for any receiver.
//!
//! Every request carries `X-Reach-Delivery`, the delivery's id, for
//! receivers that dedupe. An answer is sorted into sent, worth retrying
//! (429, 408, 5xx, no answer: after `Retry-After` or the service's own
//! hint) or not (other 4xx: the target or token is wrong).

use std::time::Duration;

use app::model::{DigestChannel, DigestReport};
use base64::Engine;
use serde_json::{Value, json};

use super::render::Words;

/// Why an attempt failed, and whether (after how long) to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub error: String,
    /// `None`: do not retry. `Some(None)`: retry after the usual backoff.
    pub retry: Option<Option<Duration>>,
}

impl Failure {
    fn permanent(error: impl Into<String>) -> Self {
        Self {
            error: error.into(),
            retry: None,
        }
    }
}

/// Longest `Retry-After` honoured; a longer one waits this long.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// What to send to one chat target.
pub struct ChatMessage<'a> {
    pub channel: DigestChannel,
    pub target: &'a str,
    pub secret: Option<&'a str>,
    pub delivery_id: i64,
    pub words: &'a Words,
    pub report: &'a DigestReport,
}

/// Sends `message` once.
pub async fn send(client: &reqwest::Client, message: ChatMessage<'_>) -> Result<(), Failure> {
    let url = reqwest::Url::parse(message.target.trim())
        .map_err(|e| Failure::permanent(format!("the target is not an address: {e}")))?;
    let request = match message.channel {
        DigestChannel::Slack => client.post(url).json(&slack(message.words)),
        DigestChannel::Discord => {
            let mut url = url;
            url.query_pairs_mut().append_pair("wait", "true");
            client.post(url).json(&discord(message.words))
        }
        DigestChannel::Matrix => {
            let url = matrix_url(&url, message.delivery_id)?;
            let token = message
                .secret
                .ok_or_else(|| Failure::permanent("a Matrix digest needs an access token"))?;
            client.put(url).bearer_auth(token).json(&json!({
                "msgtype": "m.notice",
                "body": message.words.text(),
                "format": "org.matrix.custom.html",
                "formatted_body": message.words.html(None),
            }))
        }
        DigestChannel::Ntfy => {
            let mut request = client
                .post(url)
                .header("Title", header_text(&message.words.subject))
                .header("Tags", "bar_chart")
                .body(truncate_bytes(&message.words.text(), NTFY_BYTES).to_owned());
            if let Some(link) = &message.words.link {
                request = request.header("Click", link.as_str());
            }
            if let Some(token) = message.secret {
                request = request.bearer_auth(token);
            }
            request
        }
        DigestChannel::Json => client.post(url).json(message.report),
        DigestChannel::Email => return Err(Failure::permanent("e-mail is not a chat service")),
    };
    let answer = request
        .header("X-Reach-Delivery", message.delivery_id.to_string())
        .send()
        .await
        .map_err(|e| Failure {
            error: format!("no answer: {}", without_url(e)),
            retry: Some(None),
        })?;
    judge(answer).await
}

/// Sorts an answer: 2xx sent; 429, 408 and 5xx retried; the rest not.
async fn judge(answer: reqwest::Response) -> Result<(), Failure> {
    let status = answer.status();
    if status.is_success() {
        return Ok(());
    }
    let header_wait = answer
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok());
    let body = answer.text().await.unwrap_or_default();
    // Discord's `retry_after` (seconds) and Matrix' `retry_after_ms`.
    let body_wait = serde_json::from_str::<Value>(&body).ok().and_then(|v| {
        v.get("retry_after").and_then(Value::as_f64).or_else(|| {
            v.get("retry_after_ms")
                .and_then(Value::as_f64)
                .map(|ms| ms / 1000.0)
        })
    });
    let excerpt: String = body.chars().take(200).collect();
    let error = format!("HTTP {}: {}", status.as_u16(), excerpt.trim());
    let retry = match status.as_u16() {
        429 => Some(
            header_wait
                .or(body_wait)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s).min(MAX_RETRY_AFTER)),
        ),
        408 | 500..=599 => Some(None),
        _ => None,
    };
    Err(Failure { error, retry })
}

/// A transport error without its URL (a webhook's address is its secret,
/// and the error is stored and shown), with its causes.
fn without_url(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// Slack's escape: these three only ("don't HTML entity-encode the entire
/// message").
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const SLACK_SECTION: usize = 3000;
const DISCORD_FIELD: usize = 1024;
const DISCORD_DESCRIPTION: usize = 4096;
const DISCORD_TOTAL: usize = 6000;
const NTFY_BYTES: usize = 4096;

fn slack(words: &Words) -> Value {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": truncate_chars(&words.subject, 150)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": slack_escape(&words.summary)}}),
    ];
    for section in &words.sections {
        let mut text = format!("*{}*", section.title);
        for line in &section.lines {
            let next = format!("\n• {}", slack_escape(line));
            if text.chars().count() + next.chars().count() > SLACK_SECTION - 2 {
                text.push_str("\n…");
                break;
            }
            text.push_str(&next);
        }
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    }
    if let Some(link) = &words.link {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("<{}|Open the dashboard>", slack_escape(link))}}));
    }
    json!({"text": format!("{}: {}", words.subject, words.summary), "blocks": blocks})
}

fn discord(words: &Words) -> Value {
    let mut description = words.summary.clone();
    if let Some(link) = &words.link {
        description.push_str(&format!("\n[Open the dashboard]({link})"));
    }
    let title = truncate_chars(&words.subject, 256);
    let description = truncate_chars(&description, DISCORD_DESCRIPTION);
    let mut used = title.chars().count() + description.chars().count();
    let mut fields = Vec::new();
    for section in words.sections.iter().take(25) {
        let mut value = String::new();
        for line in &section.lines {
            let next = format!("{}• {line}", if value.is_empty() { "" } else { "\n" });
            if value.chars().count() + next.chars().count() > DISCORD_FIELD - 2 {
                value.push_str("\n…");
                break;
            }
            value.push_str(&next);
        }
        let size = section.title.chars().count() + value.chars().count();
        if used + size > DISCORD_TOTAL {
            break;
        }
        used += size;
        fields.push(json!({"name": section.title, "value": value, "inline": false}));
    }
    json!({
        "embeds": [{"title": title, "description": description, "fields": fields, "color": 0x25_63_eb}],
        "allowed_mentions": {"parse": []},
    })
}

/// What a room id keeps unencoded in a path: RFC 3986's unreserved.
const ROOM_ID: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `https://hs/!room:hs` → `https://hs/_matrix/client/v3/rooms/%21room%3Ahs/send/m.room.message/reach-digest-<id>`
/// (a homeserver under a path prefix is not supported).
fn matrix_url(target: &reqwest::Url, delivery_id: i64) -> Result<reqwest::Url, Failure> {
    let room = percent_encoding::percent_decode_str(target.path().trim_start_matches('/'))
        .decode_utf8_lossy()
        .into_owned();
    if !room.starts_with('!') {
        return Err(Failure::permanent(
            "a Matrix target is https://<homeserver>/<room id>",
        ));
    }
    // The room id percent-encoded, as the specification asks (`!` and
    // `:` are allowed in a path, but servers are told to expect this).
    let room = percent_encoding::utf8_percent_encode(&room, ROOM_ID);
    let mut url = target.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.set_path(&format!(
        "/_matrix/client/v3/rooms/{room}/send/m.room.message/reach-digest-{delivery_id}"
    ));
    Ok(url)
}

/// A header value: ASCII as it is, anything else RFC 2047-encoded (as
/// ntfy reads it).
fn header_text(text: &str) -> String {
    if text.is_ascii() && !text.chars().any(char::is_control) {
        text.to_owned()
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text)
        )
    }
}

fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut out: String = text.chars().take(max - 1).collect();
        out.push('…');
        out
    }
}

fn truncate_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_matrix_room_is_one_encoded_path_segment() {
        let target = reqwest::Url::parse("https://matrix.example.org/!abc:example.org").unwrap();
        assert_eq!(
            matrix_url(&target, 7).unwrap().as_str(),
            "https://matrix.example.org/_matrix/client/v3/rooms/%21abc%3Aexample.org/send/m.room.message/reach-digest-7"
        );
        let no_room = reqwest::Url::parse("https://matrix.example.org/").unwrap();
        assert!(matrix_url(&no_room, 7).is_err());
    }

    #[test]
    fn slack_escapes_its_three_characters_only() {
        assert_eq!(slack_escape("a<b>&*c*"), "a&lt;b&gt;&amp;*c*");
    }

    #[test]
    fn ntfy_bodies_are_cut_at_a_character_boundary() {
        let text = "é".repeat(3000);
        let cut = truncate_bytes(&text, NTFY_BYTES);
        assert!(cut.len() <= NTFY_BYTES && cut.len() >= NTFY_BYTES - 1);
        assert_eq!(header_text("Reach digest"), "Reach digest");
        assert_eq!(
            header_text("Reach – digest"),
            "=?UTF-8?B?UmVhY2gg4oCTIGRpZ2VzdA==?="
        );
    }
}
