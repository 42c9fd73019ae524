//! A share card's page: a small HTML document, no script, with the Open
//! Graph and X card tags that link previews read (the title, a sentence of
//! the stored figures, the PNG's absolute address and size), the picture
//! itself, and the same figures as text. `?embed=true` leaves only the
//! picture and the figures, for an `<iframe>`.

use std::fmt::Write;

use super::draw::{Card, HEIGHT, Headline, WIDTH};

/// Where the page and its picture are, absolute (previews need that).
pub struct Addresses {
    /// This page, without `embed`.
    pub page: String,
    /// The PNG (with the page's embed token, if it had one).
    pub image: String,
    /// The account's or brand's page in the dashboard.
    pub dashboard: String,
}

fn escape(value: &str) -> String {
    html_escape::encode_double_quoted_attribute(value).into_owned()
}

/// One sentence of what the card shows, for `og:description` and the
/// image's alternative text: never a number the collectors did not store.
pub fn sentence(card: &Card) -> String {
    let mut text = match &card.headline {
        Headline::Count { value, label } => {
            format!("{} {label}", app::format::grouped(*value))
        }
        Headline::State(state) => state.clone(),
    };
    let _ = write!(text, " on {}", card.kind);
    if let Some((change, days)) = card.change {
        let _ = write!(
            text,
            ", {} in {days} days",
            app::format::signed(Some(change))
        );
    }
    if let Some(at) = card.collected_at {
        let _ = write!(text, " (collected {})", at.format("%-d %b %Y"));
    }
    if card.demo {
        text.push_str(". Demo data, not a real account's");
    }
    text.push('.');
    text
}

/// The page.
pub fn html(card: &Card, at: &Addresses, embed: bool) -> String {
    let title = escape(&format!("{} · {}", card.title, card.kind));
    let description = escape(&sentence(card));
    let image = escape(&at.image);
    let mut out = String::with_capacity(4 << 10);
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>{title} · Reach</title><meta name="description" content="{description}"><meta property="og:type" content="website"><meta property="og:site_name" content="Reach"><meta property="og:title" content="{title}"><meta property="og:description" content="{description}"><meta property="og:url" content="{page}"><meta property="og:image" content="{image}"><meta property="og:image:type" content="image/png"><meta property="og:image:width" content="{WIDTH}"><meta property="og:image:height" content="{HEIGHT}"><meta property="og:image:alt" content="{description}"><meta name="twitter:card" content="summary_large_image"><meta name="twitter:title" content="{title}"><meta name="twitter:description" content="{description}"><meta name="twitter:image" content="{image}">"#,
        page = escape(&at.page),
    );
    out.push_str(
        "<style>body{margin:0;font-family:system-ui,sans-serif;color:#1f2328;background:#f6f8fa}\
         main{max-width:1200px;margin:0 auto;padding:16px}img{width:100%;height:auto;display:block;\
         border-radius:8px;box-shadow:0 1px 3px #0002}p{margin:12px 4px}a{color:#2f6feb}</style></head><body><main>",
    );
    let _ = write!(
        out,
        r#"<img src="{image}" width="{WIDTH}" height="{HEIGHT}" alt="{description}"><p>{description}</p>"#
    );
    let target = if embed { r#" target="_blank""# } else { "" };
    let _ = write!(
        out,
        r#"<p><a href="{}"{target} rel="noopener">Open in Reach</a></p></main></body></html>"#,
        escape(&at.dashboard)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::cards::draw::Chart;

    #[test]
    fn the_page_names_its_picture_for_previews() {
        let card = Card {
            kind: "GitHub".to_owned(),
            title: "Rust \"lang\"".to_owned(),
            subtitle: "@rust-lang".to_owned(),
            headline: Headline::Count {
                value: 12_345,
                label: "followers".to_owned(),
            },
            change: Some((300, 30)),
            chart: Chart::Bars(vec![]),
            collected_at: None,
            demo: false,
        };
        let at = Addresses {
            page: "https://reach.example/card/github/rust-lang".to_owned(),
            image: "https://reach.example/card/github/rust-lang.png?token=reach_x".to_owned(),
            dashboard: "https://reach.example/accounts/1".to_owned(),
        };
        let html = html(&card, &at, false);
        assert!(html.contains(r#"<meta property="og:image" content="https://reach.example/card/github/rust-lang.png?token=reach_x">"#), "{html}");
        assert!(html.contains(r#"content="Rust &quot;lang&quot; · GitHub""#));
        assert!(html.contains("12,345 followers on GitHub, +300 in 30 days."));
        assert!(!html.contains("<script"));
    }
}
