//! A digest report in words: its sections as lines of plain text, then
//! written out as plain text and as HTML (e-mail, Matrix). The chat
//! services' own formats are built from the same sections
//! ([`super::chat`]), so every channel says the same thing.
//!
//! Only what the report holds is said: an account without a stored value
//! at either end of the period is "no data", never 0; demo accounts are
//! marked.

use app::format::{grouped, percent};
use app::model::{DigestChange, DigestPeriod, DigestReport, EventRow};
use chrono::Duration;

/// A titled list of lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub lines: Vec<String>,
}

/// The digest in words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Words {
    /// "Reach digest: weekly news, 23–29 Nov 2026".
    pub subject: String,
    /// "12 accounts, tag news, week of …": the first line.
    pub summary: String,
    /// The sections with something to say, in order; the full table of
    /// accounts last.
    pub sections: Vec<Section>,
    /// Where the dashboard is, when the server knows its public address.
    pub link: Option<String>,
}

/// The period as people say it: `Thu 3 Dec 2026`, `30 Nov – 6 Dec 2026`,
/// `November 2026` (UTC).
pub fn period_label(period: DigestPeriod, report: &DigestReport) -> String {
    let last_day = (report.end - Duration::days(1)).date_naive();
    match period {
        DigestPeriod::Daily => report.start.format("%a %-d %b %Y").to_string(),
        DigestPeriod::Weekly => format!(
            "{} – {}",
            report.start.format("%-d %b"),
            last_day.format("%-d %b %Y")
        ),
        DigestPeriod::Monthly => report.start.format("%B %Y").to_string(),
    }
}

/// `@gargron@mastodon.social on Mastodon (demo)`.
fn who(platform: app::model::Platform, handle: &str, simulated: bool) -> String {
    let demo = if simulated { " (demo data)" } else { "" };
    format!("{handle} on {}{demo}", platform.label())
}

fn change_line(c: &DigestChange) -> String {
    let metric = c.metric.as_str();
    let state = c
        .state
        .map(|s| format!(" [{}]", s.as_str()))
        .unwrap_or_default();
    match (c.change, c.to) {
        (Some(change), Some(to)) => format!(
            "{}: {}{} {metric} ({}), now {}{state}",
            who(c.platform, &c.handle, c.simulated),
            if change > 0 { "+" } else { "" },
            grouped(change),
            percent(c.percent),
            grouped(to),
        ),
        (None, Some(to)) => format!(
            "{}: {} {metric}, no value stored before the period{state}",
            who(c.platform, &c.handle, c.simulated),
            grouped(to)
        ),
        _ => format!(
            "{}: no {metric} stored{state}",
            who(c.platform, &c.handle, c.simulated)
        ),
    }
}

fn event_line(e: &EventRow) -> String {
    format!("{}: {}", e.occurred_at.format("%-d %b %H:%M"), e.message)
}

/// The report in words.
pub fn words(report: &DigestReport, public_url: Option<&str>) -> Words {
    let label = period_label(report.period, report);
    let accounts = match report.accounts {
        1 => "1 account".to_owned(),
        n => format!("{} accounts", grouped(n as i64)),
    };
    let summary = format!(
        "{accounts} ({}), {} {label} (UTC).",
        report.scope.label(),
        match report.period {
            DigestPeriod::Daily => "on",
            DigestPeriod::Weekly => "in the week",
            DigestPeriod::Monthly => "in",
        }
    );
    let mut sections = Vec::new();
    let mut push = |title, lines: Vec<String>| {
        if !lines.is_empty() {
            sections.push(Section { title, lines });
        }
    };
    push(
        "Top growers",
        report.growers.iter().map(change_line).collect(),
    );
    push(
        "Largest losses",
        report.losers.iter().map(change_line).collect(),
    );
    push(
        "Milestones crossed",
        report.milestones.iter().map(event_line).collect(),
    );
    push(
        "Unusual changes",
        report.unusual.iter().map(event_line).collect(),
    );
    push(
        "Failures and changes of state",
        report.trouble.iter().map(event_line).collect(),
    );
    push(
        "Next milestones",
        report
            .projections
            .iter()
            .map(|p| {
                format!(
                    "{}: {} {} around {}",
                    who(p.platform, &p.handle, false),
                    grouped(p.milestone),
                    p.metric.as_str(),
                    p.at.format("%-d %b %Y")
                )
            })
            .collect(),
    );
    let mut every: Vec<String> = report.changes.iter().map(change_line).collect();
    if report.unlisted > 0 {
        every.push(format!("… and {} more", grouped(report.unlisted as i64)));
    }
    push("Every account", every);
    if sections.is_empty() {
        sections.push(Section {
            title: "Nothing to report",
            lines: vec!["No account in this digest's scope.".to_owned()],
        });
    }
    Words {
        subject: format!("Reach digest: {}, {label}", report.name),
        summary,
        sections,
        link: public_url.map(|url| format!("{}/", url.trim_end_matches('/'))),
    }
}

impl Words {
    /// Plain text: the e-mail's text part, ntfy's body, Matrix's `body`.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n{}\n", self.subject, self.summary);
        for section in &self.sections {
            out.push_str(&format!("\n{}\n", section.title));
            for line in &section.lines {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Some(link) = &self.link {
            out.push_str(&format!("\nDashboard: {link}\n"));
        }
        out
    }

    /// HTML with every user string escaped: the e-mail's HTML part (with
    /// `chart` as the `cid:` of an inline picture), and Matrix's
    /// `formatted_body` (tags from the subset clients render).
    pub fn html(&self, chart: Option<&str>) -> String {
        use html_escape::encode_text as esc;
        let mut out = format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            esc(&self.subject),
            esc(&self.summary)
        );
        if let Some(cid) = chart {
            out.push_str(&format!(
                "<p><img src=\"cid:{cid}\" alt=\"The period's largest gains and losses\" width=\"600\"></p>\n"
            ));
        }
        for section in &self.sections {
            out.push_str(&format!("<h3>{}</h3>\n<ul>\n", esc(section.title)));
            for line in &section.lines {
                out.push_str(&format!("<li>{}</li>\n", esc(line)));
            }
            out.push_str("</ul>\n");
        }
        if let Some(link) = &self.link {
            out.push_str(&format!(
                "<p><a href=\"{}\">Open the dashboard</a></p>\n",
                html_escape::encode_double_quoted_attribute(link)
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use app::model::{DigestScope, Metric, Platform};
    use chrono::{DateTime, Utc};

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn change(handle: &str, from: Option<i64>, to: Option<i64>) -> DigestChange {
        let change = to.zip(from).map(|(t, f)| t - f);
        DigestChange {
            account_id: 1,
            platform: Platform::Mastodon,
            handle: handle.to_owned(),
            display_name: None,
            metric: Metric::Followers,
            from,
            to,
            change,
            percent: app::model::percent_change(change, to),
            simulated: false,
            state: None,
        }
    }

    fn report() -> DigestReport {
        let grower = change("<b>grower</b>@example.social", Some(1000), Some(1100));
        DigestReport {
            name: "weekly".into(),
            period: DigestPeriod::Weekly,
            scope: DigestScope::Tag("news".into()),
            start: at("2026-11-23T00:00:00Z"),
            end: at("2026-11-30T00:00:00Z"),
            accounts: 2,
            changes: vec![grower.clone(), change("new@example.social", None, Some(5))],
            unlisted: 0,
            growers: vec![grower],
            losers: vec![],
            milestones: vec![],
            unusual: vec![],
            trouble: vec![],
            projections: vec![],
        }
    }

    #[test]
    fn says_the_period_the_changes_and_never_invents_a_value() {
        let words = words(&report(), Some("https://reach.example.org/"));
        assert_eq!(words.subject, "Reach digest: weekly, 23 Nov – 29 Nov 2026");
        assert_eq!(
            words.summary,
            "2 accounts (tag news), in the week 23 Nov – 29 Nov 2026 (UTC)."
        );
        let text = words.text();
        assert!(
            text.contains(
                "<b>grower</b>@example.social on Mastodon: +100 followers (+10%), now 1,100"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "new@example.social on Mastodon: 5 followers, no value stored before the period"
            ),
            "{text}"
        );
        assert!(
            !text.contains("Largest losses"),
            "empty sections are left out"
        );
        assert!(text.ends_with("Dashboard: https://reach.example.org/\n"));
    }

    #[test]
    fn html_escapes_what_accounts_are_called() {
        let html = words(&report(), None).html(Some("chart"));
        assert!(html.contains("&lt;b&gt;grower&lt;/b&gt;"), "{html}");
        assert!(!html.contains("<b>grower"));
        assert!(html.contains("src=\"cid:chart\""));
    }
}
