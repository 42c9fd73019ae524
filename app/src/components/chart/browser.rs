//! The chart in the browser: ECharts loaded once, an instance per chart
//! drawn from the server's options when the chart comes near the screen,
//! Reach's label and tooltip formatters, and the window's size and theme
//! followed.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use super::{BAND_LOW, ChartLine, Stroke};

/// The `<meta>` in which the server names ECharts' file.
const ECHARTS_META: &str = "meta[name=\"reach-echarts\"]";
const SCRIPT_ID: &str = "echarts-script";
const HEIGHT: u32 = 360;
/// How near the viewport a chart starts loading.
const LOOK_AHEAD: &str = "200px";

/// A drawn chart and the theme it was drawn with.
struct Drawn {
    echarts: JsValue,
    dark: bool,
}

/// Draws the chart once its container is near the viewport, then again
/// when the theme changes (a new instance: themes are set at creation).
pub fn draw_when_visible(
    element_id: String,
    options: String,
    lines: Vec<ChartLine>,
    dark: Signal<bool>,
    drawn: RwSignal<Option<bool>>,
) {
    // An island is never unmounted: its container's id lives as long as
    // the page, and the effects below share it.
    let element_id: &'static str = element_id.leak();
    let lines = Rc::new(lines);
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
        let lines = lines.clone();
        let options = options.clone();
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
                    match init(element_id, dark) {
                        Ok(echarts) => *slot = Some(Drawn { echarts, dark }),
                        Err(error) => leptos::logging::error!("chart failed: {error:?}"),
                    }
                }
                if let Some(current) = slot {
                    let (options, made) = with_formatters(&options, lines.clone());
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
                let _ = call(&current.echarts, "resize", &[]);
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

/// Calls `object.method(...arguments)`.
fn call(object: &JsValue, method: &str, arguments: &[&JsValue]) -> Result<JsValue, JsValue> {
    let function: js_sys::Function =
        js_sys::Reflect::get(object, &JsValue::from_str(method))?.dyn_into()?;
    let arguments: js_sys::Array = arguments.iter().copied().collect();
    function.apply(object, &arguments)
}

/// A new ECharts instance in the container `element_id`, in the page's
/// theme (ECharts' own "dark", or its default).
fn init(element_id: &str, dark: bool) -> Result<JsValue, JsValue> {
    let element = document()
        .get_element_by_id(element_id)
        .ok_or("no chart container")?;
    let echarts = js_sys::Reflect::get(&window(), &JsValue::from_str("echarts"))?;
    let theme = if dark {
        JsValue::from_str("dark")
    } else {
        JsValue::NULL
    };
    let size = js_sys::Object::new();
    js_sys::Reflect::set(&size, &"height".into(), &JsValue::from_f64(HEIGHT.into()))?;
    call(&echarts, "init", &[&element, &theme, &size])
}

/// Frees an ECharts instance.
fn dispose(echarts: &JsValue) {
    let _ = call(echarts, "dispose", &[]);
}

/// Sets a chart's options, replacing (not merging with) the previous
/// ones: a series that is gone leaves nothing behind (an area, a band).
fn set_options(echarts: &JsValue, options: &JsValue) {
    let replace = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&replace, &"notMerge".into(), &JsValue::TRUE);
    if let Err(error) = call(echarts, "setOption", &[options, &replace]) {
        leptos::logging::error!("chart options refused: {error:?}");
    }
}

/// The functions ECharts calls to write the axis labels and tooltips
/// (Rust closures: the page's CSP allows no JavaScript made from text).
struct Formatters {
    _axis: Closure<dyn Fn(JsValue) -> JsValue>,
    _tooltip: Closure<dyn Fn(JsValue) -> JsValue>,
}

/// The chart's options as ECharts takes them, with Reach's formatters.
fn with_formatters(options: &str, lines: Rc<Vec<ChartLine>>) -> (JsValue, Formatters) {
    let options = js_sys::JSON::parse(options).unwrap_or(JsValue::NULL);
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
        let Some(line) = lines.iter().find(|l| l.display_name() == series) else {
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
            escape(&line.display_name())
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
