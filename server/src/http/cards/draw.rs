//! A share card's picture as SVG, 1200 × 630 (the size Open Graph and
//! X's large summary cards show): who, the headline counter or the state
//! that replaces it, its change, a chart of what was stored, and when.
//! The same SVG is rasterised to PNG ([`super::png`]); its text is drawn in
//! DejaVu Sans, the one font the rasteriser has.

use std::fmt::Write;

use chrono::{DateTime, Utc};

/// The card's size in pixels.
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 630;

/// Colours: the dashboard's text, muted text, accent, up and down.
const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const ACCENT: &str = "#2f6feb";
const UP: &str = "#1a7f37";
const DOWN: &str = "#cf222e";

/// What a card says.
#[derive(Clone, Debug, PartialEq)]
pub struct Card {
    /// Above the title: the platform, or "Brand".
    pub kind: String,
    pub title: String,
    /// Below the title: `@handle`, or a brand's accounts and platforms.
    pub subtitle: String,
    pub headline: Headline,
    /// The headline counter's change and over how many days.
    pub change: Option<(i64, u32)>,
    pub chart: Chart,
    /// When the newest figure shown was collected.
    pub collected_at: Option<DateTime<Utc>>,
    /// Demo data: simulated counters, said so on the card.
    pub demo: bool,
}

/// The big text.
#[derive(Clone, Debug, PartialEq)]
pub enum Headline {
    /// A stored counter and what the platform calls it.
    Count { value: i64, label: String },
    /// No number: `suspended`, `hidden`, `not collected yet`…
    State(String),
}

/// The lower half.
#[derive(Clone, Debug, PartialEq)]
pub enum Chart {
    /// A counter over time, oldest first: seconds since the epoch, value.
    Line {
        points: Vec<(i64, i64)>,
        label: String,
    },
    /// One bar per item (a brand's accounts), biggest first.
    Bars(Vec<(String, Option<i64>)>),
}

/// `text` XML-escaped, cut to `max` characters (with an ellipsis).
fn text(value: &str, max: usize) -> String {
    let cut: String = if value.chars().count() > max {
        let mut cut: String = value.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        value.to_owned()
    };
    html_escape::encode_safe(&cut).into_owned()
}

/// The card as an SVG document.
pub fn svg(card: &Card) -> String {
    let mut out = String::with_capacity(8 << 10);
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="DejaVu Sans">"##
    );
    let _ = write!(
        out,
        r##"<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/><rect width="{WIDTH}" height="10" fill="{ACCENT}"/>"##
    );
    let _ = write!(
        out,
        r##"<text x="60" y="78" font-size="28" fill="{MUTED}">{}</text>"##,
        text(&card.kind, 40)
    );
    let _ = write!(
        out,
        r##"<text x="60" y="142" font-size="54" font-weight="bold" fill="{INK}">{}</text>"##,
        text(&card.title, 34)
    );
    let _ = write!(
        out,
        r##"<text x="60" y="190" font-size="28" fill="{MUTED}">{}</text>"##,
        text(&card.subtitle, 64)
    );
    headline(&mut out, card);
    match &card.chart {
        Chart::Line { points, label } => line(&mut out, points, label),
        Chart::Bars(bars) => bar_chart(&mut out, bars),
    }
    let mut footer = String::from("Reach");
    if let Some(at) = card.collected_at {
        let _ = write!(footer, " · collected {}", at.format("%-d %b %Y, %H:%M UTC"));
    }
    let _ = write!(
        out,
        r##"<text x="60" y="604" font-size="22" fill="{MUTED}">{}</text>"##,
        text(&footer, 90)
    );
    if card.demo {
        let _ = write!(
            out,
            r##"<rect x="960" y="578" width="180" height="36" rx="6" fill="#fff1e5" stroke="#bc4c00"/><text x="1050" y="603" font-size="20" text-anchor="middle" fill="#bc4c00">demo data</text>"##
        );
    }
    out.push_str("</svg>");
    out
}

/// The headline counter (or the state instead of one) and its change.
fn headline(out: &mut String, card: &Card) {
    match &card.headline {
        Headline::Count { value, label } => {
            // One text: the label flows after the number, whatever its width.
            let _ = write!(
                out,
                r##"<text x="60" y="300" fill="{INK}"><tspan font-size="96" font-weight="bold">{}</tspan><tspan dx="20" font-size="32" fill="{MUTED}">{}</tspan></text>"##,
                text(&app::format::compact(Some(*value)), 12),
                text(label, 30)
            );
        }
        Headline::State(state) => {
            let _ = write!(
                out,
                r##"<text x="60" y="290" font-size="64" font-weight="bold" fill="{MUTED}">{}</text>"##,
                text(state, 30)
            );
        }
    }
    if let Some((change, days)) = card.change {
        let colour = match change {
            c if c > 0 => UP,
            c if c < 0 => DOWN,
            _ => MUTED,
        };
        let _ = write!(
            out,
            r##"<text x="60" y="348" font-size="30" fill="{colour}">{} in {days} days</text>"##,
            text(&app::format::signed(Some(change)), 20)
        );
    }
}

/// The chart's area.
const LEFT: f64 = 60.0;
const RIGHT: f64 = 1140.0;
const TOP: f64 = 385.0;
const BOTTOM: f64 = 550.0;

fn line(out: &mut String, points: &[(i64, i64)], label: &str) {
    if points.len() < 2 {
        let _ = write!(
            out,
            r##"<text x="60" y="470" font-size="26" fill="{MUTED}">Not enough history for a chart yet.</text>"##
        );
        return;
    }
    let (first, last) = (points[0].0, points[points.len() - 1].0);
    let low = points.iter().map(|p| p.1).min().unwrap_or(0);
    let high = points.iter().map(|p| p.1).max().unwrap_or(0);
    // A flat line sits in the middle rather than on an edge.
    let (low, high) = if low == high {
        (low - 1, high + 1)
    } else {
        (low, high)
    };
    let x = |t: i64| LEFT + (t - first) as f64 / (last - first).max(1) as f64 * (RIGHT - LEFT);
    let y = |v: i64| BOTTOM - (v - low) as f64 / (high - low) as f64 * (BOTTOM - TOP);
    let mut path = String::new();
    for (i, (t, v)) in points.iter().enumerate() {
        let _ = write!(
            path,
            "{}{:.1},{:.1}",
            if i == 0 { "M" } else { " L" },
            x(*t),
            y(*v)
        );
    }
    let _ = write!(
        out,
        r##"<path d="{path} L{RIGHT:.1},{BOTTOM:.1} L{LEFT:.1},{BOTTOM:.1} Z" fill="{ACCENT}" fill-opacity="0.12"/><path d="{path}" fill="none" stroke="{ACCENT}" stroke-width="4" stroke-linejoin="round"/>"##
    );
    let _ = write!(
        out,
        r##"<text x="{RIGHT}" y="375" font-size="20" text-anchor="end" fill="{MUTED}">{} – {}</text>"##,
        text(&app::format::axis_value(low as f64), 12),
        text(&app::format::axis_value(high as f64), 12),
    );
    let _ = write!(
        out,
        r##"<text x="60" y="375" font-size="20" fill="{MUTED}">{}</text>"##,
        text(label, 60)
    );
}

fn bar_chart(out: &mut String, bars: &[(String, Option<i64>)]) {
    let shown = &bars[..bars.len().min(4)];
    let widest = shown.iter().filter_map(|b| b.1).max().unwrap_or(0).max(1);
    for (i, (label, value)) in shown.iter().enumerate() {
        let top = TOP + i as f64 * 42.0;
        let width = value.map_or(0.0, |v| v.max(0) as f64 / widest as f64 * 560.0);
        let _ = write!(
            out,
            r##"<text x="60" y="{:.0}" font-size="22" fill="{INK}">{}</text><rect x="480" y="{:.0}" width="{width:.1}" height="24" rx="4" fill="{ACCENT}"/><text x="{:.0}" y="{:.0}" font-size="22" fill="{MUTED}">{}</text>"##,
            top + 20.0,
            text(label, 30),
            top + 2.0,
            480.0 + width + 12.0,
            top + 20.0,
            text(&app::format::compact(*value), 12),
        );
    }
    if bars.len() > shown.len() {
        let _ = write!(
            out,
            r##"<text x="60" y="{:.0}" font-size="20" fill="{MUTED}">and {} more</text>"##,
            TOP + shown.len() as f64 * 42.0 + 18.0,
            bars.len() - shown.len()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(headline: Headline) -> Card {
        Card {
            kind: "GitHub".to_owned(),
            title: "<Rust & co>".to_owned(),
            subtitle: "@rust-lang".to_owned(),
            headline,
            change: Some((-1200, 30)),
            chart: Chart::Line {
                points: vec![(0, 10), (86_400, 20), (172_800, 15)],
                label: "followers, 90 days".to_owned(),
            },
            collected_at: None,
            demo: true,
        }
    }

    #[test]
    fn text_is_escaped_and_numbers_are_the_stored_ones() {
        let svg = svg(&card(Headline::Count {
            value: 123_456,
            label: "followers".to_owned(),
        }));
        assert!(svg.contains("&lt;Rust &amp; co&gt;"), "{svg}");
        assert!(!svg.contains("<Rust"));
        assert!(svg.contains(">123K<"));
        assert!(svg.contains(">-1,200 in 30 days<"));
        assert!(svg.contains("demo data"));
    }

    #[test]
    fn a_state_replaces_the_number() {
        let svg = svg(&card(Headline::State("suspended".to_owned())));
        assert!(svg.contains(">suspended<"));
        assert!(!svg.contains("123K"));
    }

    #[test]
    fn long_text_is_cut() {
        assert_eq!(text("abcdef", 4), "abc…");
        assert_eq!(text("abc", 4), "abc");
    }
}
