//! Where digests are sent from: the SMTP server of e-mail digests (its
//! address, with any credentials, held as a secret) and the sender's
//! address, and how often an instance looks for digests to send.

use std::time::Duration;

use clap::Args;
use secrecy::SecretString;

/// The digests' settings.
#[derive(Clone, Debug, Args)]
pub struct DigestConfig {
    /// The SMTP server of e-mail digests: `smtps://user:password@host`
    /// (TLS, port 465), `smtp://user:password@host:587?tls=required`
    /// (STARTTLS) or `smtp://host:25` (plain, for a relay on the same
    /// network). Without it, digests go to chat webhooks only.
    #[arg(long, env = "REACH_SMTP_URL", hide_env_values = true, value_parser = crate::collect::platforms::secret, global = true)]
    pub smtp_url: Option<SecretString>,

    /// The address e-mail digests come from, e.g. `Reach <reach@example.org>`.
    #[arg(long, env = "REACH_SMTP_FROM", value_parser = parse_mailbox, global = true)]
    pub smtp_from: Option<lettre::message::Mailbox>,

    /// How often an instance looks for digests that are due (a "send now"
    /// on this instance wakes it at once).
    #[arg(long, env = "REACH_DIGEST_CHECK", default_value = "60s", value_parser = parse_check, global = true)]
    pub digest_check: Duration,
}

fn parse_mailbox(text: &str) -> Result<lettre::message::Mailbox, String> {
    text.parse()
        .map_err(|e| format!("`{text}` is not an e-mail address: {e}"))
}

fn parse_check(text: &str) -> Result<Duration, String> {
    let every = humantime::parse_duration(text).map_err(|e| e.to_string())?;
    if (Duration::from_secs(1)..=Duration::from_secs(3600)).contains(&every) {
        Ok(every)
    } else {
        Err("between 1s and 1h".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::config::Cli;

    #[test]
    fn the_smtp_address_is_never_printed() {
        let cli = Cli::try_parse_from([
            "reach",
            "--smtp-url",
            "smtps://reach:hunter2hunter2@mail.example.org",
            "--smtp-from",
            "Reach <reach@example.org>",
        ])
        .unwrap();
        let printed = format!("{:?}", cli.digests);
        assert!(!printed.contains("hunter2"), "{printed}");
        assert_eq!(
            cli.digests.smtp_from.unwrap().email.to_string(),
            "reach@example.org"
        );
        assert!(Cli::try_parse_from(["reach", "--smtp-from", "not an address"]).is_err());
        assert!(Cli::try_parse_from(["reach", "--digest-check", "0s"]).is_err());
    }
}
