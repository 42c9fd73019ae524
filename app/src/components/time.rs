//! Moments as people read them. Reach stores and computes in UTC; the
//! server renders UTC (it does not know the reader's zone), and once the
//! page is live each moment is shown in the browser's local time, with its
//! offset, which follows daylight saving at that moment.

use chrono::{DateTime, FixedOffset, Utc};
use leptos::prelude::*;

use crate::format::timestamp;

/// A moment: UTC from the server, local time once hydrated; the UTC value
/// stays in the tooltip and the `datetime` attribute.
#[component]
pub fn LocalTime(at: Option<DateTime<Utc>>) -> impl IntoView {
    let Some(at) = at else {
        return view! { <span>"never"</span> }.into_any();
    };
    let utc = timestamp(Some(at));
    let text = RwSignal::new(utc.clone());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        // Minutes west of UTC at that moment, as JavaScript counts them.
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
            at.timestamp_millis() as f64
        ));
        text.set(local_text(at, date.get_timezone_offset() as i32));
    });
    view! {
        <time datetime=at.to_rfc3339() title=utc>{move || text.get()}</time>
    }
    .into_any()
}

/// `at` in the zone `minutes_west` of UTC: `2026-03-29 03:30 (UTC+02:00)`;
/// plain UTC where the zone is UTC.
pub fn local_text(at: DateTime<Utc>, minutes_west: i32) -> String {
    match FixedOffset::west_opt(minutes_west * 60) {
        Some(zone) if minutes_west != 0 => format!(
            "{} (UTC{zone})",
            at.with_timezone(&zone).format("%Y-%m-%d %H:%M")
        ),
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
