//! A chart's ECharts options, built on the server with charming: the
//! browser's chunk then needs no charming, only the options as JSON.

use charming::Chart;
use charming::component::{Axis, DataZoom, DataZoomType, Grid, Legend};
use charming::element::{
    AreaStyle, AxisType, ItemStyle, Label, LineStyle, LineStyleType, MarkLine, MarkLineData,
    MarkLineVariant, Symbol, Tooltip, Trigger,
};
use charming::series::{Bar, Line, Scatter};

use super::{BAND_LOW, ChartLine, Stroke};

/// The options of a chart of `lines`, as JSON; `now_ms` is where "today"
/// is marked on a projection.
pub fn json(lines: &[ChartLine], now_ms: i64) -> String {
    serde_json::to_string(&build(lines, now_ms)).unwrap_or_else(|_| "{}".to_owned())
}

fn build(lines: &[ChartLine], now_ms: i64) -> Chart {
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
        .map(ChartLine::display_name)
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
    let today = projected.then_some(now_ms as f64);
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
                            .line_style(LineStyle::new().type_(LineStyleType::Solid).opacity(0.5))
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
                    .name(line.display_name())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(name: &str, stroke: Stroke) -> ChartLine {
        ChartLine {
            name: name.to_owned(),
            points: vec![(1_000, 10.0), (2_000, 12.0)],
            stroke,
        }
    }

    #[test]
    fn a_projection_is_dashed_with_today_marked_and_one_shaded_band() {
        let options: serde_json::Value = serde_json::from_str(&json(
            &[
                line("Followers", Stroke::Observed),
                line("Projection", Stroke::Projected),
                line(BAND_LOW, Stroke::Band),
                line("Band high", Stroke::Band),
            ],
            1_500,
        ))
        .unwrap();
        let series = options["series"].as_array().unwrap();
        let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            ["Followers", "Projection", "Band low", "Likely range"]
        );
        assert_eq!(series[1]["lineStyle"]["type"], "dashed");
        assert_eq!(series[1]["markLine"]["data"][0]["xAxis"], 1_500.0);
        assert!(series[3]["areaStyle"].is_object());
        assert!(series[2]["areaStyle"].is_null());
    }

    #[test]
    fn daily_changes_are_gain_and_loss_bars() {
        let mut changes = line("Followers per day", Stroke::Bars);
        changes.points = vec![(1_000, 5.0), (2_000, -3.0)];
        let options: serde_json::Value = serde_json::from_str(&json(&[changes], 0)).unwrap();
        let series = options["series"].as_array().unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0]["data"][1][1], 0.0);
        assert_eq!(series[1]["data"][1][1], -3.0);
    }
}
