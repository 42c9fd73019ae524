//! Human-friendly numbers and dates, for the dashboard and for event
//! messages (the server's). The same text is produced on the server
//! and in the browser, so hydration never sees a difference (no "3 min ago").
//!
//! Not in `types`, where the server could reach it without the app: there
//! the release WASM bundle was 1.6 KB larger (measured with the same
//! toolchain), and the bundle must not grow.

use chrono::{DateTime, Utc};

/// `1234567` → `1.2M`; unknown stays a dash, never a zero.
pub fn compact(value: Option<i64>) -> String {
    let Some(n) = value else {
        return "—".to_owned();
    };
    let abs = n.unsigned_abs() as f64;
    let sign = if n < 0 { "-" } else { "" };
    let (scaled, suffix) = match abs {
        a if a >= 1e9 => (a / 1e9, "B"),
        a if a >= 1e6 => (a / 1e6, "M"),
        a if a >= 1e4 => (a / 1e3, "K"),
        a => return format!("{sign}{}", grouped(a as i64)),
    };
    let digits = if scaled >= 100.0 { 0 } else { 1 };
    format!("{sign}{scaled:.digits$}{suffix}")
}

/// A change: `+1.2K`, `-300`, `0`; unknown stays a dash.
pub fn signed(value: Option<i64>) -> String {
    match value {
        Some(n) if n > 0 => format!("+{}", compact(Some(n))),
        other => compact(other),
    }
}

/// A percentage change: `+3.4%`, `-0.2%`; unknown stays a dash.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |p| format!("{p:+.1}%"))
}

/// How old data captured at `at` is at `now`, coarsely (`3 days`, `5 hours`),
/// so a page rendered on the server reads the same once hydrated.
pub fn age(at: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let hours = (now - at).num_hours().max(0);
    match hours {
        0 => "less than an hour".to_owned(),
        1 => "1 hour".to_owned(),
        2..48 => format!("{hours} hours"),
        _ => format!("{} days", hours / 24),
    }
}

/// `1234567` → `1,234,567`.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The full value for a tooltip.
pub fn exact(value: Option<i64>) -> String {
    value.map_or_else(|| "unknown".to_owned(), grouped)
}

/// `2026-11-24 06:00 UTC`, or a dash for never.
pub fn timestamp(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "never".to_owned(),
        |t| t.format("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(None), "—");
        assert_eq!(compact(Some(0)), "0");
        assert_eq!(compact(Some(9_999)), "9,999");
        assert_eq!(compact(Some(12_345)), "12.3K");
        assert_eq!(compact(Some(1_234_567)), "1.2M");
        assert_eq!(compact(Some(345_000_000)), "345M");
        assert_eq!(compact(Some(-2_500_000)), "-2.5M");
        assert_eq!(compact(Some(3_000_000_000)), "3.0B");
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(signed(Some(1_234)), "+1,234");
        assert_eq!(signed(Some(-25_000)), "-25.0K");
        assert_eq!(signed(Some(0)), "0");
        assert_eq!(signed(None), "—");
        assert_eq!(percent(Some(3.456)), "+3.5%");
        assert_eq!(percent(Some(-0.04)), "-0.0%");
        assert_eq!(percent(None), "—");
    }

    #[test]
    fn ages_are_coarse() {
        let now = Utc::now();
        assert_eq!(age(now, now), "less than an hour");
        assert_eq!(age(now - chrono::Duration::minutes(90), now), "1 hour");
        assert_eq!(age(now - chrono::Duration::hours(30), now), "30 hours");
        assert_eq!(
            age(now - chrono::Duration::hours(24 * 5 + 3), now),
            "5 days"
        );
        // A clock a little behind the data's does not make it negative.
        assert_eq!(
            age(now + chrono::Duration::minutes(5), now),
            "less than an hour"
        );
    }

    #[test]
    fn grouped_numbers() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
    }
}
