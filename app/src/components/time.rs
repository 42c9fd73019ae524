//! Moments as people read them. Reach stores and computes in UTC; the
//! server renders UTC (it does not know the reader's zone, nor when the
//! page will be read), and once the page is live a recent moment reads
//! relative ("2 h ago", kept current by a clock ticking each half minute)
//! and an older one in the browser's local time, with its offset, which
//! follows daylight saving at that moment. The exact local time is always
//! in the tooltip.

use chrono::{DateTime, FixedOffset, Utc};
use leptos::prelude::*;

use crate::format::timestamp;

/// The browser's "now", ticking every 30 s, shared by every moment shown.
#[derive(Clone, Copy)]
pub struct Clock(
    // Read only in the browser: the server renders absolute times.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))] ReadSignal<DateTime<Utc>>,
);

impl Clock {
    /// Starts the clock (in the browser; the server renders absolute times).
    pub fn provide() {
        let (now, set_now) = signal(Utc::now());
        #[cfg(feature = "hydrate")]
        {
            let tick =
                gloo_timers::callback::Interval::new(30_000, move || set_now.set(Utc::now()));
            // The clock lives as long as the page.
            tick.forget();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = set_now;
        provide_context(Clock(now));
    }
}

/// A moment: UTC from the server; once hydrated relative when recent, local
/// time otherwise; the exact local time in the tooltip and UTC in the
/// `datetime` attribute.
#[component]
pub fn LocalTime(at: Option<DateTime<Utc>>) -> impl IntoView {
    let Some(at) = at else {
        return view! { <span>"never"</span> }.into_any();
    };
    let utc = timestamp(Some(at));
    let text = RwSignal::new(utc.clone());
    let title = RwSignal::new(utc);
    #[cfg(feature = "hydrate")]
    {
        let clock = use_context::<Clock>();
        Effect::new(move |_| {
            // Minutes west of UTC at that moment, as JavaScript counts them.
            let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(
                at.timestamp_millis() as f64
            ));
            let local = local_text(at, date.get_timezone_offset() as i32);
            let now = clock.map_or_else(Utc::now, |c| c.0.get());
            text.set(crate::format::relative(at, now).unwrap_or_else(|| local.clone()));
            title.set(local);
        });
    }
    view! {
        <time datetime=at.to_rfc3339() title=move || title.get()>{move || text.get()}</time>
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
