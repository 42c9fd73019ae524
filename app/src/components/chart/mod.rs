//! The charts: ECharts line, bar and area charts built with charming.
//!
//! A chart is a lazy island: the server works out its lines and renders an
//! empty container of the chart's final size (so nothing shifts), shown as a
//! skeleton until drawn, with the lines as the island's props. Only pages
//! with a chart fetch its code (a WASM chunk of its own, with charming). In
//! the browser the chart is drawn only once its container comes near the
//! viewport (IntersectionObserver), and ECharts itself is loaded then, the
//! first time: pages without a chart in view never download it. Charts
//! follow the window's size and the light/dark theme.
//!
//! The server also builds the chart's ECharts options (`options`, with
//! charming), so the browser's chunk carries no charming: it parses the
//! options, adds the label and tooltip formatters and draws (`browser`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::theme::page_is_dark;
use crate::model::{HistoryPoint, Metric, Platform, ProjectedValue};

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "ssr")]
mod options;

/// One line of a chart: `(milliseconds since the epoch, value)` pairs,
/// oldest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartLine {
    pub name: String,
    pub points: Vec<(i64, f64)>,
    pub stroke: Stroke,
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Stroke {
    /// Observed data: solid.
    Observed,
    /// Predicted values: dashed.
    Projected,
    /// The edges of a prediction's band: dotted and thin.
    Band,
    /// Marks on points imported from a file rather than observed.
    Imported,
    /// Bars: a change per day, gains and losses in their colours.
    Bars,
    /// Shaded areas stacked on each other (parts of a total).
    Stacked,
}

impl ChartLine {
    pub fn observed(name: impl Into<String>, points: Vec<(i64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
            stroke: Stroke::Observed,
        }
    }
}

/// A line chart of one metric of an account's history, with its projection
/// (dashed, between the dotted edges of its band) when there is one.
#[component]
pub fn HistoryChart(
    /// The snapshots to draw, oldest first.
    points: Vec<HistoryPoint>,
    metric: Metric,
    /// The account's platform, whose names the lines take.
    platform: Platform,
    /// Predicted values to draw after the history, oldest first.
    projection: Vec<ProjectedValue>,
) -> impl IntoView {
    let value_at = |p: &HistoryPoint| {
        let value = p.counters.get(metric)?;
        Some((p.captured_at.timestamp_millis(), value as f64))
    };
    let observed = points.iter().filter_map(value_at).collect();
    let imported: Vec<(i64, f64)> = points
        .iter()
        .filter(|p| p.imported)
        .filter_map(value_at)
        .collect();
    let mut lines = vec![ChartLine::observed(platform.metric_label(metric), observed)];
    if !imported.is_empty() {
        lines.push(ChartLine {
            name: "Imported".to_owned(),
            points: imported,
            stroke: Stroke::Imported,
        });
    }
    if !projection.is_empty() {
        let line = |name: &str, stroke, value: fn(&ProjectedValue) -> i64| ChartLine {
            name: name.to_owned(),
            points: projection
                .iter()
                .map(|p| (p.at.timestamp_millis(), value(p) as f64))
                .collect(),
            stroke,
        };
        lines.push(line("Projection", Stroke::Projected, |p| p.value));
        // The lower edge first: the band stacks on it.
        lines.push(line("Band low", Stroke::Band, |p| p.low));
        lines.push(line("Band high", Stroke::Band, |p| p.high));
    }
    let label = format!("History chart of {}", platform.metric_name(metric));
    view! { <Chart element_id="history-chart" kind="history" lines label /> }
}

/// A time-axis chart of one or more lines, with its options made on the
/// server.
#[component]
pub fn Chart(
    /// The container's id (one chart of a kind per page).
    element_id: &'static str,
    /// `data-chart` of the container, for tests and styles.
    kind: &'static str,
    lines: Vec<ChartLine>,
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let options = options::json(&lines, chrono::Utc::now().timestamp_millis());
    #[cfg(not(feature = "ssr"))]
    let options = String::new();
    view! { <LineChart element_id kind lines options label /> }
}

/// The chart in the browser: a lazy island whose props are its lines and
/// options.
#[island(lazy)]
pub fn LineChart(
    /// The container's id (one chart of a kind per page).
    #[prop(into)]
    element_id: String,
    /// `data-chart` of the container, for tests and styles.
    #[prop(into)]
    kind: String,
    /// The lines, for the tooltips (each point's change from the one
    /// before it).
    lines: Vec<ChartLine>,
    /// The ECharts options, as JSON, made on the server ([`options::json`]).
    options: String,
    /// What the chart shows, for screen readers.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    crate::preload::island("LineChart");
    // `Some(dark)` once drawn, with the theme it was drawn in.
    let drawn = RwSignal::new(None::<bool>);
    let dark = page_is_dark();
    #[cfg(feature = "hydrate")]
    browser::draw_when_visible(element_id.clone(), options, lines, dark, drawn);
    #[cfg(not(feature = "hydrate"))]
    let _ = (options, lines, dark);

    view! {
        <div
            class="chart"
            class:skeleton=move || drawn.get().is_none()
            id=element_id
            data-chart=kind
            data-drawn=move || drawn.get().is_some().to_string()
            data-chart-theme=move || drawn.get().map(|dark| if dark { "dark" } else { "light" })
            role="img"
            aria-label=label
        ></div>
    }
}

impl ChartLine {
    /// The name a reader sees for a line (the band's upper edge is the band).
    pub(crate) fn display_name(&self) -> String {
        if self.stroke == Stroke::Band && self.name != BAND_LOW {
            "Likely range".to_owned()
        } else {
            self.name.clone()
        }
    }
}

/// The lower edge of a projection's band, drawn as the base the band
/// stacks on.
pub(crate) const BAND_LOW: &str = "Band low";
