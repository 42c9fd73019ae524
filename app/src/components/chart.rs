//! The history chart: an ECharts line chart built with charming.
//!
//! The server renders an empty container of the chart's final size (so
//! nothing shifts), shown as a skeleton until drawn. In the browser the chart
//! is drawn only once its container comes near the viewport
//! (IntersectionObserver), and ECharts itself, `/vendor/echarts.min.js`, is
//! loaded then, the first time: pages without a chart in view never
//! download it. Charts follow the window's size and the light/dark theme.
//!
//! Over 500 lines: the browser half (drawing, the options of each kind of
//! line, the label and tooltip formatters) reads one model of lines; the
//! formatters and tooltips are the part to move to a file of their own.

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
            // The lower edge first: the band stacks on it.
            lines.push(line("Band low", Stroke::Band, |p| p.low));
            lines.push(line("Band high", Stroke::Band, |p| p.high));
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
    use std::rc::Rc;

    use charming::component::{Axis, DataZoom, DataZoomType, Grid, Legend};
    use charming::element::{
        AreaStyle, AxisType, ItemStyle, Label, LineStyle, LineStyleType, MarkLine, MarkLineData,
        MarkLineVariant, Symbol, Tooltip, Trigger,
    };
    use charming::series::{Bar, Line, Scatter};
    use charming::theme::Theme;
    use charming::{Chart, Echarts, WasmRenderer};
    use leptos::prelude::*;
    use leptos::task::spawn_local;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;

    use super::{ChartLine, Stroke};

    /// The `<meta>` in which the server names ECharts' file.
    const ECHARTS_META: &str = "meta[name=\"reach-echarts\"]";
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
        // The formatters of the options last set (ECharts calls them).
        let formatters = StoredValue::new_local(None::<Formatters>);
        Effect::new(move |_| {
            if !visible.get() {
                return;
            }
            let lines = Rc::new(lines.get());
            let chart = build(&lines);
            let dark = dark.get();
            spawn_local(async move {
                if let Err(error) = load_echarts().await {
                    leptos::logging::error!("could not load ECharts: {error:?}");
                    return;
                }
                instance.update_value(|slot| {
                    if slot.as_ref().is_none_or(|current| current.dark != dark) {
                        if let Some(old) = slot.take() {
                            dispose(&old.echarts);
                        }
                        let theme = if dark { Theme::Dark } else { Theme::Default };
                        match WasmRenderer::new_opt(None, Some(HEIGHT))
                            .theme(theme)
                            .render(element_id, &Chart::new())
                        {
                            Ok(echarts) => *slot = Some(Drawn { echarts, dark }),
                            Err(error) => leptos::logging::error!("chart failed: {error:?}"),
                        }
                    }
                    if let Some(current) = slot {
                        let (options, made) = with_formatters(&chart, lines.clone());
                        set_options(&current.echarts, &options);
                        formatters.set_value(Some(made));
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
        on_cleanup(move || {
            resize.remove();
            // The chart goes before its formatters: a live ECharts instance
            // would call them (on a resize, a frame) after they are dropped.
            instance.try_update_value(|slot| {
                if let Some(old) = slot.take() {
                    dispose(&old.echarts);
                }
            });
            formatters.try_update_value(|made| made.take());
        });
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

    /// Sets a chart's options, replacing (not merging with) the previous
    /// ones: a series that is gone leaves nothing behind (an area, a band).
    fn set_options(echarts: &Echarts, options: &JsValue) {
        let method = js_sys::Reflect::get(echarts.as_ref(), &JsValue::from_str("setOption"));
        if let Ok(function) = method.and_then(|m| m.dyn_into::<js_sys::Function>()) {
            let replace = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&replace, &"notMerge".into(), &JsValue::TRUE);
            if let Err(error) = function.call2(echarts.as_ref(), options, &replace) {
                leptos::logging::error!("chart options refused: {error:?}");
            }
        }
    }

    /// The functions ECharts calls to write the axis labels and tooltips
    /// (Rust closures: the page's CSP allows no JavaScript made from text).
    struct Formatters {
        _axis: Closure<dyn Fn(JsValue) -> JsValue>,
        _tooltip: Closure<dyn Fn(JsValue) -> JsValue>,
    }

    /// The chart's options as ECharts takes them, with Reach's formatters.
    fn with_formatters(chart: &Chart, lines: Rc<Vec<ChartLine>>) -> (JsValue, Formatters) {
        let options = serde_json::to_string(chart)
            .ok()
            .and_then(|json| js_sys::JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL);
        let axis = Closure::<dyn Fn(JsValue) -> JsValue>::new(|value: JsValue| {
            JsValue::from_str(&crate::format::axis_value(value.as_f64().unwrap_or(0.0)))
        });
        let tooltip = Closure::<dyn Fn(JsValue) -> JsValue>::new(move |params: JsValue| {
            JsValue::from_str(&tooltip_html(&lines, &params))
        });
        let set = |target: &JsValue, path: &[&str], value: &JsValue| {
            let mut object = target.clone();
            for key in &path[..path.len() - 1] {
                let key = JsValue::from_str(key);
                let next = js_sys::Reflect::get(&object, &key).unwrap_or(JsValue::UNDEFINED);
                let next = if next.is_object() {
                    next
                } else {
                    let made: JsValue = js_sys::Object::new().into();
                    let _ = js_sys::Reflect::set(&object, &key, &made);
                    made
                };
                object = next;
            }
            let _ = js_sys::Reflect::set(&object, &JsValue::from_str(path[path.len() - 1]), value);
        };
        // One axis is an object, several an array.
        let each_axis = |name: &str, path: &[&str], value: &JsValue| {
            if let Ok(axes) = js_sys::Reflect::get(&options, &name.into()) {
                if js_sys::Array::is_array(&axes) {
                    for one in js_sys::Array::from(&axes).iter() {
                        set(&one, path, value);
                    }
                } else if axes.is_object() {
                    set(&axes, path, value);
                }
            }
        };
        each_axis("yAxis", &["axisLabel", "formatter"], axis.as_ref());
        // On a phone the dates would run into each other (a month's name
        // over its neighbours): ECharts drops the ones that would overlap.
        each_axis("xAxis", &["axisLabel", "hideOverlap"], &JsValue::TRUE);
        set(&options, &["tooltip", "formatter"], tooltip.as_ref());
        (
            options,
            Formatters {
                _axis: axis,
                _tooltip: tooltip,
            },
        )
    }

    /// A tooltip: the moment in the reader's zone, then each line's value
    /// and its change from the line's previous point (the band as a range).
    fn tooltip_html(lines: &[ChartLine], params: &JsValue) -> String {
        let get = |object: &JsValue, key: &str| {
            js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        };
        let mut html = String::new();
        let mut moment = None;
        // Daily figures: the date says it all.
        let daily = lines
            .iter()
            .any(|l| matches!(l.stroke, Stroke::Bars | Stroke::Stacked));
        let mut total = None::<f64>;
        for item in js_sys::Array::from(params).iter() {
            let Some(series) = get(&item, "seriesName").as_string() else {
                continue;
            };
            let index = get(&item, "dataIndex").as_f64().unwrap_or(-1.0);
            let Some(line) = lines.iter().find(|l| display_name(l) == series) else {
                continue;
            };
            if index < 0.0 || line.stroke == Stroke::Imported {
                continue;
            }
            let index = index as usize;
            let Some(&(at, value)) = line.points.get(index) else {
                continue;
            };
            moment.get_or_insert(at);
            let marker = get(&item, "marker").as_string().unwrap_or_default();
            let text = match line.stroke {
                Stroke::Band if line.name == BAND_LOW => continue,
                Stroke::Band => {
                    let low = lines
                        .iter()
                        .find(|l| l.name == BAND_LOW)
                        .and_then(|l| l.points.get(index))
                        .map_or(value, |p| p.1);
                    format!(
                        "likely between {} and {}",
                        crate::format::precise(low),
                        crate::format::precise(value)
                    )
                }
                Stroke::Bars => crate::format::precise_signed(value),
                Stroke::Stacked => {
                    *total.get_or_insert(0.0) += value;
                    crate::format::precise(value)
                }
                _ => {
                    let change = index
                        .checked_sub(1)
                        .and_then(|i| line.points.get(i))
                        .map(|previous| value - previous.1);
                    match change {
                        Some(change) => format!(
                            "{} ({})",
                            crate::format::precise(value),
                            crate::format::precise_signed(change)
                        ),
                        None => crate::format::precise(value),
                    }
                }
            };
            html.push_str(&format!(
                "<br>{marker}{}: <b>{text}</b>",
                escape(&display_name(line))
            ));
        }
        if let Some(total) = total {
            html.push_str(&format!(
                "<br>Total: <b>{}</b>",
                crate::format::precise(total)
            ));
        }
        let when = moment.map(|at| local_moment(at, daily)).unwrap_or_default();
        format!("{}{html}", escape(&when))
    }

    /// The name a reader sees for a line (the band's upper edge is the band).
    fn display_name(line: &ChartLine) -> String {
        if line.stroke == Stroke::Band && line.name != BAND_LOW {
            "Likely range".to_owned()
        } else {
            line.name.clone()
        }
    }

    /// A moment in the reader's zone and language: "30 Nov 2026, 14:05".
    fn local_moment(at: i64, date_only: bool) -> String {
        let date = js_sys::Date::new(&JsValue::from_f64(at as f64));
        let options = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
        if !date_only {
            let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
        }
        String::from(date.to_locale_string("default", &options))
    }

    /// Names come from accounts (anyone's text): never HTML.
    fn escape(text: &str) -> String {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }

    /// The lower edge of a projection's band, drawn as the base the band
    /// stacks on.
    const BAND_LOW: &str = "Band low";

    fn build(lines: &[ChartLine]) -> Chart {
        let observed = lines
            .iter()
            .filter(|l| l.stroke == Stroke::Observed)
            .count();
        let bars = lines.iter().any(|l| l.stroke == Stroke::Bars);
        let projected = lines.iter().any(|l| l.stroke == Stroke::Projected);
        let single = observed == 1 && !projected;
        let stacked = lines.iter().any(|l| l.stroke == Stroke::Stacked);
        let legend: Vec<String> = lines
            .iter()
            .filter(|l| l.name != BAND_LOW && l.stroke != Stroke::Imported)
            .map(display_name)
            .collect();
        let mut chart = Chart::new()
            // The page's background shows through, in either theme.
            .background_color("transparent")
            .grid(
                Grid::new()
                    .left("56")
                    .right("24")
                    .top(if single { "24" } else { "48" })
                    .bottom("64"),
            )
            .tooltip(Tooltip::new().trigger(Trigger::Axis))
            .x_axis(Axis::new().type_(AxisType::Time))
            .y_axis(Axis::new().type_(AxisType::Value).scale(!bars && !stacked))
            .data_zoom(DataZoom::new().type_(DataZoomType::Inside))
            .data_zoom(DataZoom::new().type_(DataZoomType::Slider));
        if !single && !bars {
            chart = chart.legend(Legend::new().data(legend));
        }
        // "Today", where the observed history meets the projection.
        let today = projected.then(js_sys::Date::now);
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
                Stroke::Projected => {
                    let mut series = line_series()
                        .line_style(LineStyle::new().type_(LineStyleType::Dashed).width(2));
                    if let Some(today) = today {
                        series = series.mark_line(
                            MarkLine::new()
                                .silent(true)
                                .symbol(vec![Symbol::None, Symbol::None])
                                .label(Label::new().formatter("today"))
                                .line_style(
                                    LineStyle::new().type_(LineStyleType::Solid).opacity(0.5),
                                )
                                .data(vec![MarkLineVariant::Simple(
                                    MarkLineData::new().x_axis(today),
                                )]),
                        );
                    }
                    chart.series(series)
                }
                // One muted band: the lower edge as an invisible base, the
                // upper edge stacked on it as the width, shaded.
                Stroke::Band => {
                    let low = lines.iter().find(|l| l.name == BAND_LOW);
                    let width: Vec<Vec<f64>> = if line.name == BAND_LOW {
                        data.clone()
                    } else {
                        line.points
                            .iter()
                            .enumerate()
                            .map(|(i, (at, high))| {
                                let base = low.and_then(|l| l.points.get(i)).map_or(*high, |p| p.1);
                                vec![*at as f64, high - base]
                            })
                            .collect()
                    };
                    let mut series = Line::new()
                        .name(display_name(line))
                        .show_symbol(false)
                        .stack("band")
                        .line_style(LineStyle::new().opacity(0.0))
                        .data(width);
                    if line.name != BAND_LOW {
                        series = series.area_style(AreaStyle::new().color("#7f8aa3").opacity(0.22));
                    }
                    chart.series(series)
                }
                Stroke::Stacked => chart.series(
                    line_series()
                        .stack("total")
                        .area_style(AreaStyle::new().opacity(0.6)),
                ),
                Stroke::Bars => {
                    let part = |keep: fn(f64) -> bool| -> Vec<Vec<f64>> {
                        line.points
                            .iter()
                            .map(|(at, v)| vec![*at as f64, if keep(*v) { *v } else { 0.0 }])
                            .collect()
                    };
                    chart
                        .series(
                            Bar::new()
                                .name(line.name.as_str())
                                .stack("change")
                                .item_style(ItemStyle::new().color("#12b76a"))
                                .data(part(|v| v >= 0.0)),
                        )
                        .series(
                            Bar::new()
                                .name(format!("{} (loss)", line.name))
                                .stack("change")
                                .item_style(ItemStyle::new().color("#f04438"))
                                .data(part(|v| v < 0.0)),
                        )
                }
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
                let url = document
                    .query_selector(ECHARTS_META)?
                    .and_then(|meta| meta.get_attribute("content"))
                    .ok_or("the server names no ECharts file: run scripts/setup.sh")?;
                script.set_src(&url);
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
