//! The history chart: an ECharts line chart built with charming.
//!
//! The server renders an empty container of the chart's final size (so
//! nothing shifts), shown as a skeleton until drawn. In the browser the chart
//! is drawn only once its container comes near the viewport
//! (IntersectionObserver), and ECharts itself, `/vendor/echarts.min.js`, is
//! loaded then, the first time: pages without a chart in view never
//! download it. Charts follow the window's size and the light/dark theme.

use leptos::prelude::*;

use crate::components::theme::ThemeState;
use crate::model::{HistoryPoint, Metric, Platform, ProjectedValue};

/// One line of a chart: `(milliseconds since the epoch, value)` pairs,
/// oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartLine {
    pub name: String,
    pub points: Vec<(i64, f64)>,
    pub stroke: Stroke,
}

/// How a line is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stroke {
    /// Observed data: solid.
    Observed,
    /// Predicted values: dashed.
    Projected,
    /// The edges of a prediction's band: dotted and thin.
    Band,
    /// Marks on points imported from a file rather than observed.
    Imported,
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
    points: Signal<Vec<HistoryPoint>>,
    metric: Signal<Metric>,
    /// The account's platform, whose names the lines take.
    platform: Platform,
    /// Predicted values to draw after the history, oldest first.
    projection: Signal<Vec<ProjectedValue>>,
) -> impl IntoView {
    let lines = Signal::derive(move || {
        let metric = metric.get();
        let observed = points.with(|points| {
            points
                .iter()
                .filter_map(|p| {
                    let value = p.counters.get(metric)?;
                    Some((p.captured_at.timestamp_millis(), value as f64))
                })
                .collect()
        });
        let imported: Vec<(i64, f64)> = points.with(|points| {
            points
                .iter()
                .filter(|p| p.imported)
                .filter_map(|p| {
                    let value = p.counters.get(metric)?;
                    Some((p.captured_at.timestamp_millis(), value as f64))
                })
                .collect()
        });
        let mut lines = vec![ChartLine::observed(platform.metric_label(metric), observed)];
        if !imported.is_empty() {
            lines.push(ChartLine {
                name: "Imported".to_owned(),
                points: imported,
                stroke: Stroke::Imported,
            });
        }
        projection.with(|projected| {
            if projected.is_empty() {
                return;
            }
            let line = |name: &str, stroke, value: fn(&ProjectedValue) -> i64| ChartLine {
                name: name.to_owned(),
                points: projected
                    .iter()
                    .map(|p| (p.at.timestamp_millis(), value(p) as f64))
                    .collect(),
                stroke,
            };
            lines.push(line("Projection", Stroke::Projected, |p| p.value));
            lines.push(line("Band high", Stroke::Band, |p| p.high));
            lines.push(line("Band low", Stroke::Band, |p| p.low));
        });
        lines
    });
    let label =
        Signal::derive(move || format!("History chart of {}", platform.metric_name(metric.get())));
    view! { <LineChart element_id="history-chart" kind="history" lines label /> }
}

/// A time-axis line chart of one or more lines.
#[component]
pub fn LineChart(
    /// The container's id (one chart of a kind per page).
    element_id: &'static str,
    /// `data-chart` of the container, for tests and styles.
    kind: &'static str,
    lines: Signal<Vec<ChartLine>>,
    /// What the chart shows, for screen readers.
    label: Signal<String>,
) -> impl IntoView {
    // `Some(dark)` once drawn, with the theme it was drawn in.
    let drawn = RwSignal::new(None::<bool>);
    let dark = expect_context::<ThemeState>().dark;
    #[cfg(feature = "hydrate")]
    browser::draw_when_visible(element_id, lines, dark, drawn);
    #[cfg(not(feature = "hydrate"))]
    let _ = (lines, dark);

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

#[cfg(feature = "hydrate")]
mod browser {
    use charming::component::{Axis, DataZoom, DataZoomType, Grid, Legend};
    use charming::element::{AreaStyle, AxisType, LineStyle, LineStyleType, Tooltip, Trigger};
    use charming::series::{Line, Scatter};
    use charming::theme::Theme;
    use charming::{Chart, Echarts, WasmRenderer};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::{ChartLine, Stroke};

    const ECHARTS_URL: &str = "/vendor/echarts.min.js";
    const SCRIPT_ID: &str = "echarts-script";
    const HEIGHT: u32 = 360;
    /// How near the viewport a chart starts loading.
    const LOOK_AHEAD: &str = "200px";

    /// A drawn chart and the theme it was drawn with.
    struct Drawn {
        echarts: Echarts,
        dark: bool,
    }

    /// Draws the chart once its container is near the viewport, then redraws
    /// it when the data or the metric changes (reusing the ECharts instance)
    /// or the theme changes (a new instance: themes are set at creation).
    pub fn draw_when_visible(
        element_id: &'static str,
        lines: Signal<Vec<ChartLine>>,
        dark: Signal<bool>,
        drawn: RwSignal<Option<bool>>,
    ) {
        let visible = RwSignal::new(false);
        let observer = StoredValue::new_local(None::<Observer>);
        Effect::new(move |_| match Observer::watch(element_id, visible) {
            Ok(watching) => observer.set_value(Some(watching)),
            Err(error) => {
                leptos::logging::error!("cannot watch the chart: {error:?}");
                visible.set(true);
            }
        });

        let instance = StoredValue::new_local(None::<Drawn>);
        Effect::new(move |_| {
            if !visible.get() {
                return;
            }
            let chart = lines.with(|lines| build(lines));
            let dark = dark.get();
            spawn_local(async move {
                if let Err(error) = load_echarts().await {
                    leptos::logging::error!("could not load ECharts: {error:?}");
                    return;
                }
                instance.update_value(|slot| match slot {
                    Some(current) if current.dark == dark => {
                        WasmRenderer::update(&current.echarts, &chart)
                    }
                    _ => {
                        if let Some(old) = slot.take() {
                            dispose(&old.echarts);
                        }
                        let theme = if dark { Theme::Dark } else { Theme::Default };
                        match WasmRenderer::new_opt(None, Some(HEIGHT))
                            .theme(theme)
                            .render(element_id, &chart)
                        {
                            Ok(echarts) => *slot = Some(Drawn { echarts, dark }),
                            Err(error) => leptos::logging::error!("chart failed: {error:?}"),
                        }
                    }
                });
                drawn.set(instance.with_value(|slot| slot.as_ref().map(|current| current.dark)));
            });
        });

        let resize = window_event_listener(leptos::ev::resize, move |_| {
            instance.with_value(|slot| {
                if let Some(current) = slot {
                    current.echarts.resize(JsValue::UNDEFINED);
                }
            })
        });
        on_cleanup(move || resize.remove());
    }

    /// An IntersectionObserver that sets `visible` once, then stops.
    struct Observer {
        observer: web_sys::IntersectionObserver,
        // Called by the observer: lives as long as it does.
        _callback: Closure<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>,
    }

    impl Observer {
        fn watch(element_id: &str, visible: RwSignal<bool>) -> Result<Self, JsValue> {
            let element = document()
                .get_element_by_id(element_id)
                .ok_or("no chart container")?;
            let callback = Closure::<dyn FnMut(js_sys::Array, web_sys::IntersectionObserver)>::new(
                move |entries: js_sys::Array, observer: web_sys::IntersectionObserver| {
                    let near = entries.iter().any(|entry| {
                        entry
                            .unchecked_into::<web_sys::IntersectionObserverEntry>()
                            .is_intersecting()
                    });
                    if near {
                        visible.set(true);
                        observer.disconnect();
                    }
                },
            );
            let options = web_sys::IntersectionObserverInit::new();
            options.set_root_margin(LOOK_AHEAD);
            let observer = web_sys::IntersectionObserver::new_with_options(
                callback.as_ref().unchecked_ref(),
                &options,
            )?;
            observer.observe(&element);
            Ok(Self {
                observer,
                _callback: callback,
            })
        }
    }

    impl Drop for Observer {
        fn drop(&mut self) {
            self.observer.disconnect();
        }
    }

    /// Frees an ECharts instance (charming has no binding for it).
    fn dispose(echarts: &Echarts) {
        let method = js_sys::Reflect::get(echarts.as_ref(), &JsValue::from_str("dispose"));
        if let Ok(function) = method.and_then(|m| m.dyn_into::<js_sys::Function>()) {
            let _ = function.call0(echarts.as_ref());
        }
    }

    fn build(lines: &[ChartLine]) -> Chart {
        let observed = lines
            .iter()
            .filter(|l| l.stroke == Stroke::Observed)
            .count();
        let single = observed == 1;
        let mut chart = Chart::new()
            // The page's background shows through, in either theme.
            .background_color("transparent")
            .grid(
                Grid::new()
                    .left("64")
                    .right("24")
                    .top(if single { "24" } else { "48" })
                    .bottom("64"),
            )
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .x_axis(Axis::new().type_(AxisType::Time))
            .y_axis(Axis::new().type_(AxisType::Value).scale(true))
            .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
            .data_zoom(DataZoom::new().type_(DataZoomType::Slider));
        if !single {
            chart = chart.legend(Legend::new());
        }
        for line in lines {
            let data: Vec<Vec<f64>> = line
                .points
                .iter()
                .map(|(at, value)| vec![*at as f64, *value])
                .collect();
            let line_series = || {
                Line::new()
                    .name(line.name.as_str())
                    .show_symbol(false)
                    .data(data.clone())
            };
            chart = match line.stroke {
                Stroke::Observed if single => {
                    chart.series(line_series().area_style(AreaStyle::new().opacity(0.15)))
                }
                Stroke::Observed => chart.series(line_series()),
                Stroke::Projected => chart.series(
                    line_series()
                        .line_style(LineStyle::new().type_(LineStyleType::Dashed).width(2)),
                ),
                Stroke::Band => chart.series(
                    line_series().line_style(
                        LineStyle::new()
                            .type_(LineStyleType::Dotted)
                            .width(1)
                            .opacity(0.7),
                    ),
                ),
                // Marks only: dots on the imported points.
                Stroke::Imported => chart.series(
                    Scatter::new()
                        .name(line.name.as_str())
                        .symbol_size(6)
                        .data(data.clone()),
                ),
            };
        }
        chart
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
