//! The one error of parsing any of these types from text (a query value,
//! a CLI argument, a CSV cell).

/// A name that is not one of a fixed set: which set, what was given, and
/// what it could have been. The names are a `&'static` slice, joined only
/// when the error is shown: a refused name costs the browser bundle
/// nothing it does not display.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`; expected one of {}", .expected.join(", "))]
pub struct ParseError {
    what: &'static str,
    value: String,
    expected: &'static [&'static str],
}

impl ParseError {
    // One copy, out of line: every parse that fails calls it, and the
    // browser build drops the errors it parses into.
    #[cold]
    #[inline(never)]
    pub(crate) fn new(what: &'static str, value: &str, expected: &'static [&'static str]) -> Self {
        Self {
            what,
            value: value.to_owned(),
            expected,
        }
    }
}

/// The names of every value of a type with an `ALL` array and a
/// `const fn as_str`, as a `&'static` slice built at compile time.
macro_rules! names_of {
    ($ty:ty) => {{
        const NAMES: [&str; <$ty>::ALL.len()] = {
            let mut names = [""; <$ty>::ALL.len()];
            let mut i = 0;
            while i < names.len() {
                names[i] = <$ty>::ALL[i].as_str();
                i += 1;
            }
            names
        };
        &NAMES
    }};
}
pub(crate) use names_of;

#[cfg(test)]
mod tests {
    #[test]
    fn says_what_was_given_and_what_could_have_been() {
        let error = "myspace".parse::<crate::Platform>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown platform `myspace`; expected one of youtube, x, instagram, tiktok, mastodon, bluesky, reddit, github, twitch, hackernews, stackexchange, discord, lemmy, peertube, misskey, telegram"
        );
        let error = "sideways".parse::<crate::SortDirection>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown direction `sideways`; expected one of asc, desc"
        );
    }
}
