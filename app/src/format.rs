//! Human-friendly numbers and dates, for the dashboard and for event
//! messages (the server's). The same text is produced on the server
//! and in the browser, so hydration never sees a difference (no "3 min ago").
//!
//! Not in `types`, where the server could reach it without the app: there
//! the release WASM bundle was 1.6 KB larger (measured with the same
//! toolchain), and the bundle must not grow.

use chrono::{DateTime, Utc};

/// Below 10,000 every digit (`9,999`); above, three significant digits
/// and no trailing zeros (`12.3K`, `123K`, `1.23M`, `10M`); unknown stays a
/// dash, never a zero.
pub fn compact(value: Option<i64>) -> String {
    let Some(n) = value else {
        return "—".to_owned();
    };
    let sign = if n < 0 { "-" } else { "" };
    let abs = n.unsigned_abs();
    if abs < 10_000 {
        return format!("{sign}{}", grouped(abs as i64));
    }
    const UNITS: [(f64, &str); 4] = [(1e3, "K"), (1e6, "M"), (1e9, "B"), (1e12, "T")];
    let abs = abs as f64;
    let mut unit = UNITS
        .iter()
        .rposition(|(size, _)| abs >= *size)
        .unwrap_or(0);
    let mut text = three_digits(abs / UNITS[unit].0);
    // 999,999 rounds to "1000K": that is "1M".
    if text == "1000" && unit + 1 < UNITS.len() {
        unit += 1;
        text = three_digits(abs / UNITS[unit].0);
    }
    format!("{sign}{text}{}", UNITS[unit].1)
}

/// `x` (1 ≤ x < 1000) to three significant digits, without trailing zeros.
fn three_digits(x: f64) -> String {
    let decimals = match x {
        x if x >= 99.95 => 0,
        x if x >= 9.995 => 1,
        _ => 2,
    };
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

/// A chart's axis label: compact above 10,000 (`4M`, not `4,000,000`),
/// whole numbers grouped, an index with one decimal.
pub fn axis_value(value: f64) -> String {
    if value.abs() >= 10_000.0 {
        compact(Some(value.round() as i64))
    } else {
        precise(value)
    }
}

/// A chart's exact value for a tooltip: whole numbers grouped (`2,931,204`),
/// others (an index) with one decimal (`101.9`), never a float's tail.
pub fn precise(value: f64) -> String {
    if value.fract() == 0.0 || value.abs() >= 1_000.0 {
        grouped(value.round() as i64)
    } else {
        format!("{value:.1}")
    }
}

/// [`precise`] with its sign: `+1,234`, `-0.4`, `0`.
pub fn precise_signed(value: f64) -> String {
    if value > 0.0 {
        format!("+{}", precise(value))
    } else {
        precise(value)
    }
}

/// A change: `+1.2K`, `-300`, `0`; unknown stays a dash.
pub fn signed(value: Option<i64>) -> String {
    match value {
        Some(n) if n > 0 => format!("+{}", compact(Some(n))),
        other => compact(other),
    }
}

/// A percentage change with the precision it needs: `+3.4%`, `+26%`, and
/// `+<0.1%` for a real but tiny change (+78 on 2.9 million), never `+0.0%`;
/// unknown stays a dash.
pub fn percent(value: Option<f64>) -> String {
    match value {
        None => "—".to_owned(),
        Some(0.0) => "0%".to_owned(),
        Some(p) if p.abs() < 0.1 => format!("{}<0.1%", if p > 0.0 { "+" } else { "-" }),
        Some(p) if p.abs() < 10.0 => format!("{p:+.1}%"),
        Some(p) => format!("{p:+.0}%"),
    }
}

/// How long before or after `now` a moment is, as people say it: `just
/// now`, `5 min ago`, `2 h ago`, `3 days ago`, `in 10 min`; `None` beyond a
/// week, where a date says more.
pub fn relative(at: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let seconds = (now - at).num_seconds();
    let (amount, future) = (seconds.unsigned_abs(), seconds < 0);
    let text = match amount {
        0..45 => return Some("just now".to_owned()),
        45..3_600 => format!("{} min", (amount + 30) / 60),
        3_600..86_400 => format!("{} h", (amount + 1_800) / 3_600),
        86_400..172_800 => "1 day".to_owned(),
        172_800..604_800 => format!("{} days", amount / 86_400),
        _ => return None,
    };
    Some(if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    })
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
        |t| format!("{} UTC", minute(&t.naive_utc())),
    )
}

/// `2026-11-24 06:00`. Written out rather than through chrono's `format`,
/// whose pattern parser would weigh on the browser's WASM for two uses.
pub fn minute(at: &chrono::NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
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
        assert_eq!(compact(Some(10_000)), "10K");
        assert_eq!(compact(Some(12_345)), "12.3K");
        assert_eq!(compact(Some(22_000)), "22K");
        assert_eq!(compact(Some(123_456)), "123K");
        assert_eq!(compact(Some(1_234_567)), "1.23M");
        assert_eq!(compact(Some(10_000_000)), "10M");
        assert_eq!(compact(Some(345_000_000)), "345M");
        assert_eq!(compact(Some(-2_500_000)), "-2.5M");
        assert_eq!(compact(Some(3_000_000_000)), "3B");
        // Rounding up to the next unit.
        assert_eq!(compact(Some(999_999)), "1M");
        assert_eq!(compact(Some(99_999)), "100K");
        assert_eq!(compact(Some(9_999_999)), "10M");
    }

    #[test]
    fn chart_values() {
        assert_eq!(axis_value(4_000_000.0), "4M");
        assert_eq!(axis_value(2_500.0), "2,500");
        assert_eq!(axis_value(101.5), "101.5");
        assert_eq!(precise(101.96201823294822), "102.0");
        assert_eq!(precise(2_931_204.0), "2,931,204");
        assert_eq!(precise_signed(1_234.0), "+1,234");
        assert_eq!(precise_signed(-0.4), "-0.4");
        assert_eq!(precise_signed(0.0), "0");
    }

    #[test]
    fn relative_moments() {
        let now = Utc::now();
        let ago = |s: i64| relative(now - chrono::Duration::seconds(s), now);
        assert_eq!(ago(10).as_deref(), Some("just now"));
        assert_eq!(ago(-10).as_deref(), Some("just now"));
        assert_eq!(ago(5 * 60).as_deref(), Some("5 min ago"));
        assert_eq!(ago(-10 * 60).as_deref(), Some("in 10 min"));
        assert_eq!(ago(2 * 3_600 + 100).as_deref(), Some("2 h ago"));
        assert_eq!(ago(30 * 3_600).as_deref(), Some("1 day ago"));
        assert_eq!(ago(3 * 86_400 + 5).as_deref(), Some("3 days ago"));
        assert_eq!(ago(8 * 86_400), None);
    }

    #[test]
    fn changes_carry_their_sign() {
        assert_eq!(signed(Some(1_234)), "+1,234");
        assert_eq!(signed(Some(-25_000)), "-25K");
        assert_eq!(signed(Some(0)), "0");
        assert_eq!(signed(None), "—");
        assert_eq!(percent(Some(3.456)), "+3.5%");
        assert_eq!(percent(Some(26.7)), "+27%");
        assert_eq!(percent(Some(-0.04)), "-<0.1%");
        assert_eq!(percent(Some(78.0 / 2_900_000.0 * 100.0)), "+<0.1%");
        assert_eq!(percent(Some(0.0)), "0%");
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
