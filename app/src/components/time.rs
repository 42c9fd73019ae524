//! Moments as people read them. Reach stores and computes in UTC; the
//! server renders UTC (it does not know the reader's zone, nor when the
//! page will be read), and once the page is live a recent moment reads
//! relative ("2 h ago", kept current each half minute) and an older one in
//! the browser's local time, with its offset, which follows daylight saving
//! at that moment. The exact local time is always in the tooltip.

use chrono::{DateTime, FixedOffset, Utc};
use leptos::prelude::*;

use crate::format::{minute, timestamp};

/// A moment: UTC from the server, with the moment itself in the `datetime`
/// attribute; once the page is live, [`crate::components::live::PageLive`]
/// rewrites every such element (relative when recent, local time otherwise,
/// the exact local time in the tooltip) and keeps them current. Drawn anew
/// inside a live island (the runs table, as it refreshes), it reads live at
/// once; hydrating keeps the server's text until `PageLive` rewrites it.
#[component]
pub fn LocalTime(at: Option<DateTime<Utc>>) -> impl IntoView {
    let Some(at) = at else {
        return view! { <span>"never"</span> }.into_any();
    };
    #[cfg(feature = "hydrate")]
    let (text, title) = {
        // Minutes west of UTC at that moment, as JavaScript counts them.
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        live_text(at, Utc::now(), date.get_timezone_offset() as i32)
    };
    #[cfg(not(feature = "hydrate"))]
    let (text, title) = {
        let utc = timestamp(Some(at));
        (utc.clone(), utc)
    };
    view! {
        <time datetime=at.to_rfc3339() data-live=at.timestamp_millis() title=title>{text}</time>
    }
    .into_any()
}

/// What a moment reads once the page is live: its text and its tooltip.
/// `minutes_west` is the browser's offset from UTC at that moment.
pub fn live_text(at: DateTime<Utc>, now: DateTime<Utc>, minutes_west: i32) -> (String, String) {
    let local = local_text(at, minutes_west);
    let text = crate::format::relative(at, now).unwrap_or_else(|| local.clone());
    (text, local)
}

/// `at` in the zone `minutes_west` of UTC: `2026-03-29 03:30 (UTC+02:00)`;
/// plain UTC where the zone is UTC.
pub fn local_text(at: DateTime<Utc>, minutes_west: i32) -> String {
    match FixedOffset::west_opt(minutes_west * 60) {
        Some(zone) if minutes_west != 0 => {
            let east = -minutes_west;
            format!(
                "{} (UTC{}{:02}:{:02})",
                minute(&at.with_timezone(&zone).naive_local()),
                if east < 0 { '-' } else { '+' },
                east.abs() / 60,
                east.abs() % 60
            )
        }
        _ => timestamp(Some(at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn local_time_follows_the_offset_of_its_moment() {
        // Paris, either side of the change to summer time (29 March 2026,
        // 01:00 UTC): JavaScript says -60, then -120.
        let winter = Utc.with_ymd_and_hms(2026, 3, 29, 0, 30, 0).unwrap();
        let summer = Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap();
        assert_eq!(local_text(winter, -60), "2026-03-29 01:30 (UTC+01:00)");
        assert_eq!(local_text(summer, -120), "2026-03-29 03:30 (UTC+02:00)");
        // New York, west of UTC.
        assert_eq!(local_text(summer, 240), "2026-03-28 21:30 (UTC-04:00)");
        assert_eq!(local_text(summer, 0), "2026-03-29 01:30 UTC");
    }
}
