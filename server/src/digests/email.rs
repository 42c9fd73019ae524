//! E-mail digests with lettre over the configured SMTP server
//! (`REACH_SMTP_URL`, lettre's URL form: `smtps://` TLS, `smtp://…
//! ?tls=required` STARTTLS, plain `smtp://` for a relay on the same
//! network). A digest is `multipart/alternative`: a plain-text part, and
//! HTML `multipart/related` with the chart as an inline PNG (`cid:chart`).
//! The Message-ID names the delivery, so a receiver can tell a retry.

use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::chat::Failure;
use super::render::Words;

/// The SMTP server and who digests come from.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: never printed.
        f.debug_struct("Mailer").field("from", &self.from).finish()
    }
}

impl Mailer {
    pub fn new(url: &SecretString, from: Mailbox, timeout: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            // lettre's error names the part it could not read, not the URL.
            .map_err(|e| anyhow::anyhow!("REACH_SMTP_URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        Ok(Self { transport, from })
    }

    /// The message of delivery `delivery_id` to `to` (comma-separated).
    pub fn message(
        &self,
        to: &str,
        words: &Words,
        chart: Option<Vec<u8>>,
        delivery_id: i64,
    ) -> Result<Message, Failure> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(words.subject.clone())
            .message_id(Some(format!(
                "<reach-digest-{delivery_id}@{}>",
                self.from.email.domain()
            )));
        for address in to.split(',').map(str::trim).filter(|a| !a.is_empty()) {
            let mailbox: Mailbox = address.parse().map_err(|e| Failure {
                error: format!("`{address}` is not an e-mail address: {e}"),
                retry: None,
            })?;
            builder = builder.to(mailbox);
        }
        let text = SinglePart::plain(words.text());
        let body = match chart {
            Some(png) => MultiPart::alternative().singlepart(text).multipart(
                MultiPart::related()
                    .singlepart(SinglePart::html(words.html(Some("chart"))))
                    .singlepart(
                        Attachment::new_inline("chart".to_owned())
                            .body(png, ContentType::parse("image/png").expect("a valid type")),
                    ),
            ),
            None => MultiPart::alternative()
                .singlepart(text)
                .singlepart(SinglePart::html(words.html(None))),
        };
        builder.multipart(body).map_err(|e| Failure {
            error: format!("cannot build the message: {e}"),
            retry: None,
        })
    }

    /// Sends once: a permanent SMTP refusal (5xx) is not retried; a
    /// transient one, a timeout or a lost connection is.
    pub async fn send(&self, message: Message) -> Result<(), Failure> {
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(error) => Err(Failure {
                error: format!("SMTP: {error}"),
                retry: (!error.is_permanent()).then_some(None),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Words {
            subject: "Reach digest: weekly, 23 Nov – 29 Nov 2026".into(),
            summary: "2 accounts".into(),
            sections: vec![],
            link: None,
        }
    }

    // The SMTP pool starts a task: a runtime is needed.
    #[tokio::test]
    async fn a_digest_is_text_and_html_with_the_chart_inline() {
        let mailer = Mailer::new(
            &SecretString::from("smtp://127.0.0.1:2525"),
            "Reach <reach@example.org>".parse().unwrap(),
            Duration::from_secs(5),
        )
        .unwrap();
        let message = mailer
            .message(
                "a@example.org, b@example.org",
                &words(),
                Some(b"\x89PNG".to_vec()),
                42,
            )
            .unwrap();
        let raw = String::from_utf8(message.formatted()).unwrap();
        assert!(
            raw.contains("Message-ID: <reach-digest-42@example.org>"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("multipart/related"));
        assert!(raw.contains("Content-ID: <chart>"));
        assert!(raw.contains("To: a@example.org, b@example.org"));
        assert!(format!("{mailer:?}").contains("reach@example.org"));
        let bad = mailer.message("nobody", &words(), None, 1).unwrap_err();
        assert_eq!(bad.retry, None);
    }
}
