//! A sparkline: a tiny inline SVG line of recent values, drawn on the server
//! and needing no script (and no ECharts) in the browser.

use leptos::prelude::*;

const WIDTH: f64 = 96.0;
const HEIGHT: f64 = 24.0;
/// Room for the stroke at the top and bottom.
const PAD: f64 = 2.0;

/// Recent values as a line; fewer than two values draw a dash.
#[component]
pub fn Sparkline(values: Vec<i64>, label: String) -> impl IntoView {
    if values.len() < 2 {
        return view! { <span class="sparkline none" title="not enough history">"—"</span> }
            .into_any();
    }
    let rising = values.last() >= values.first();
    view! {
        <svg
            class="sparkline"
            class:falling=!rising
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            width=WIDTH
            height=HEIGHT
            role="img"
            aria-label=label
        >
            <polyline points=points(&values, WIDTH, HEIGHT) />
        </svg>
    }
    .into_any()
}

/// SVG polyline points spreading `values` over `width`, scaled between
/// their minimum (bottom) and maximum (top); a flat series sits mid-height.
fn points(values: &[i64], width: f64, height: f64) -> String {
    let min = values.iter().copied().min().unwrap_or_default();
    let max = values.iter().copied().max().unwrap_or_default();
    let span = (max - min) as f64;
    let step = width / (values.len().max(2) - 1) as f64;
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let y = if span == 0.0 {
                height / 2.0
            } else {
                PAD + (height - 2.0 * PAD) * (1.0 - (v - min) as f64 / span)
            };
            format!("{:.1},{:.1}", i as f64 * step, y)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_span_the_box() {
        assert_eq!(
            points(&[0, 5, 10], 100.0, 24.0),
            "0.0,22.0 50.0,12.0 100.0,2.0"
        );
    }

    #[test]
    fn a_flat_series_sits_mid_height() {
        assert_eq!(points(&[7, 7], 10.0, 24.0), "0.0,12.0 10.0,12.0");
    }
}
