//! The history chart: an ECharts line chart built with charming.
//!
//! The server renders an empty, fixed-size container (so nothing shifts);
//! in the browser, ECharts is loaded from `/vendor/echarts.min.js` the first
//! time a chart is drawn, so pages without charts never download it.

use leptos::prelude::*;

use crate::model::{HistoryPoint, Metric};

/// A line chart of one metric of an account's history.
#[component]
pub fn HistoryChart(
    /// The snapshots to draw, oldest first.
    points: Signal<Vec<HistoryPoint>>,
    metric: Signal<Metric>,
) -> impl IntoView {
    let element_id = "history-chart";
    #[cfg(feature = "hydrate")]
    browser::draw_on_change(element_id, points, metric);
    #[cfg(not(feature = "hydrate"))]
    let _ = (points, metric);

    view! {
        <div class="chart" id=element_id data-chart="history" aria-label="History chart"></div>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use charming::component::{Axis, DataZoom, DataZoomType, Grid};
    use charming::element::{AreaStyle, AxisType, Tooltip, Trigger};
    use charming::series::Line;
    use charming::{Chart, Echarts, WasmRenderer};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use crate::model::{HistoryPoint, Metric};

    const ECHARTS_URL: &str = "/vendor/echarts.min.js";
    const SCRIPT_ID: &str = "echarts-script";
    const HEIGHT: u32 = 360;

    /// Draws the chart once the data is known and redraws it when the data or
    /// the metric changes, reusing the ECharts instance.
    pub fn draw_on_change(
        element_id: &'static str,
        points: Signal<Vec<HistoryPoint>>,
        metric: Signal<Metric>,
    ) {
        let instance = StoredValue::new_local(None::<Echarts>);
        Effect::new(move |_| {
            let chart = build(&points.get(), metric.get());
            spawn_local(async move {
                if let Err(error) = load_echarts().await {
                    leptos::logging::error!("could not load ECharts: {error:?}");
                    return;
                }
                instance.update_value(|slot| match slot {
                    Some(echarts) => WasmRenderer::update(echarts, &chart),
                    None => {
                        match WasmRenderer::new_opt(None, Some(HEIGHT)).render(element_id, &chart) {
                            Ok(echarts) => *slot = Some(echarts),
                            Err(error) => leptos::logging::error!("chart failed: {error:?}"),
                        }
                    }
                });
            });
        });
    }

    fn build(points: &[HistoryPoint], metric: Metric) -> Chart {
        let data: Vec<Vec<f64>> = points
            .iter()
            .filter_map(|p| {
                let value = p.counters.get(metric)?;
                Some(vec![p.captured_at.timestamp_millis() as f64, value as f64])
            })
            .collect();
        Chart::new()
            .grid(Grid::new().left("64").right("24").top("24").bottom("64"))
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .x_axis(Axis::new().type_(AxisType::Time))
            .y_axis(Axis::new().type_(AxisType::Value).scale(true))
            .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
            .data_zoom(DataZoom::new().type_(DataZoomType::Slider))
            .series(
                Line::new()
                    .name(metric.label())
                    .show_symbol(false)
                    .area_style(AreaStyle::new().opacity(0.15))
                    .data(data),
            )
    }

    /// Resolves once `window.echarts` exists, adding its script tag at most once.
    async fn load_echarts() -> Result<(), JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        if js_sys::Reflect::has(&window, &JsValue::from_str("echarts"))? {
            return Ok(());
        }
        let document = window.document().ok_or("no document")?;
        let script: web_sys::HtmlScriptElement = match document.get_element_by_id(SCRIPT_ID) {
            Some(existing) => existing.dyn_into()?,
            None => {
                let script: web_sys::HtmlScriptElement =
                    document.create_element("script")?.dyn_into()?;
                script.set_id(SCRIPT_ID);
                script.set_src(ECHARTS_URL);
                document.head().ok_or("no head")?.append_child(&script)?;
                script
            }
        };
        let loaded = js_sys::Promise::new(&mut |resolve, reject| {
            let _ = script.add_event_listener_with_callback("load", &resolve);
            let _ = script.add_event_listener_with_callback("error", &reject);
        });
        // The script may have finished between the check above and now.
        if js_sys::Reflect::has(&window, &JsValue::from_str("echarts"))? {
            return Ok(());
        }
        wasm_bindgen_futures::JsFuture::from(loaded)
            .await
            .map(|_| ())
    }
}
