//! The picture an e-mail digest carries: the period's largest gains and
//! losses as horizontal bars, drawn as SVG and rasterised on the server
//! ([`crate::raster`]), since mail clients run no scripts.

use std::fmt::Write;

use app::format::grouped;
use app::model::{DigestChange, DigestReport};

const WIDTH: f64 = 1200.0;
const ROW: f64 = 56.0;
const TOP: f64 = 80.0;
/// Where bars start: the labels are left of it.
const AXIS: f64 = 560.0;
const BAR_SPACE: f64 = 460.0;

/// The SVG of the growers and losers; `None` when neither has any.
pub fn svg(report: &DigestReport) -> Option<String> {
    let rows: Vec<&DigestChange> = report.growers.iter().chain(&report.losers).collect();
    if rows.is_empty() {
        return None;
    }
    let largest = rows
        .iter()
        .filter_map(|c| c.change)
        .map(i64::unsigned_abs)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let height = TOP + ROW * rows.len() as f64 + 24.0;
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="DejaVu Sans"><rect width="100%" height="100%" fill="#ffffff"/><text x="32" y="48" font-size="30" font-weight="bold" fill="#1f2937">Largest changes in {metric}</text>"##,
        metric = if rows.iter().all(|c| c.metric == rows[0].metric) {
            rows[0].metric.as_str()
        } else {
            "each account's main counter"
        }
    );
    for (i, c) in rows.iter().enumerate() {
        let change = c.change.unwrap_or_default();
        let y = TOP + ROW * i as f64;
        let length = (change.unsigned_abs() as f64 / largest * BAR_SPACE).max(2.0);
        let colour = if change >= 0 { "#16a34a" } else { "#dc2626" };
        let label: String = c.handle.chars().take(36).collect();
        let _ = write!(
            out,
            r##"<text x="{x}" y="{ty}" font-size="24" text-anchor="end" fill="#374151">{label}</text><rect x="{AXIS}" y="{y}" width="{length:.1}" height="{h}" rx="4" fill="{colour}"/><text x="{vx:.1}" y="{ty}" font-size="22" fill="#111827">{sign}{value}</text>"##,
            x = AXIS - 16.0,
            ty = y + 30.0,
            label = html_escape::encode_text(&label),
            h = ROW - 16.0,
            vx = AXIS + length + 10.0,
            sign = if change > 0 { "+" } else { "" },
            value = grouped(change),
        );
    }
    out.push_str("</svg>");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_to_draw_without_growers_or_losers() {
        let report: DigestReport = serde_json::from_value(serde_json::json!({
            "name": "d", "period": "daily", "scope": {"kind": "all"},
            "start": "2026-12-03T00:00:00Z", "end": "2026-12-04T00:00:00Z",
            "accounts": 0, "changes": [], "unlisted": 0, "growers": [], "losers": [],
            "milestones": [], "unusual": [], "trouble": [], "projections": []
        }))
        .unwrap();
        assert!(svg(&report).is_none());
    }
}
