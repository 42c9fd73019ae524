//! Human-friendly numbers and dates. The same text is produced on the server
//! and in the browser, so hydration never sees a difference (no "3 min ago").

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
    fn grouped_numbers() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
    }
}
