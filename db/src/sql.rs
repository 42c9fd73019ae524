//! Small pieces of SQL every area needs: paging offsets, counts as the wire
//! types take them, `LIKE` patterns.

/// Rows before the first of `page` (which starts at 1).
pub fn offset(page: u32, per_page: u32) -> u64 {
    u64::from(page.saturating_sub(1)) * u64::from(per_page)
}

/// SQL counts are signed; a negative one cannot happen.
pub fn to_count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

/// Makes `%`, `_` and the escape character itself match literally in LIKE.
pub fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("plain"), "plain");
    }
}
