//! The API description's prose as HTML: its text comes from doc comments,
//! which are Markdown (`code`, lists, links) with rustdoc's intra-doc links
//! (`[`crate::model::MAX_PAGE_SIZE`]`), meaningless outside the source.
//! Raw HTML in the text is shown as text, never interpreted.

use pulldown_cmark::{Event, Parser, html};

/// A block of Markdown as HTML paragraphs, lists and code.
pub fn block(text: &str) -> String {
    let text = without_intra_doc_links(text);
    let events = Parser::new(&text).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    html::push_html(&mut out, events);
    out
}

/// One line of Markdown (a table cell, a list item): its HTML without the
/// paragraph around it.
pub fn inline(text: &str) -> String {
    let html = block(text);
    let trimmed = html.trim_end();
    match trimmed
        .strip_prefix("<p>")
        .and_then(|rest| rest.strip_suffix("</p>"))
    {
        Some(inner) if !inner.contains("<p>") => inner.to_owned(),
        _ => trimmed.to_owned(),
    }
}

/// `[`a::b::NAME`]` and `[a::b::NAME]` (a link to an item of the source,
/// not followed by a link target) become `` `NAME` ``.
fn without_intra_doc_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find(']') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let inner = &after[..end];
        let path = inner.trim_matches('`');
        let followed_by_target = after[end + 1..].starts_with('(');
        let is_item_path = !path.is_empty()
            && path.contains("::")
            && path
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == ':');
        if is_item_path && !followed_by_target {
            let name = path.rsplit("::").next().unwrap_or(path);
            out.push('`');
            out.push_str(name);
            out.push('`');
        } else {
            out.push('[');
            out.push_str(inner);
            out.push(']');
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_lists_and_links_render_and_html_stays_text() {
        assert_eq!(inline("a `<b>` & c"), "a <code>&lt;b&gt;</code> &amp; c");
        assert_eq!(
            inline("<script>x</script>"),
            "&lt;script&gt;x&lt;/script&gt;"
        );
        assert!(block("one\n\n- a\n- b").contains("<li>a</li>"));
        assert_eq!(
            inline("see [the guide](https://example.org)"),
            r#"see <a href="https://example.org">the guide</a>"#
        );
    }

    #[test]
    fn intra_doc_links_become_the_item_name() {
        assert_eq!(
            inline("at most [`crate::model::MAX_PAGE_SIZE`]; or [crate::x::Y]"),
            "at most <code>MAX_PAGE_SIZE</code>; or <code>Y</code>"
        );
        // Ordinary brackets and links stay.
        assert_eq!(inline("[1, 2]"), "[1, 2]");
    }
}
