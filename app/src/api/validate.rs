//! The rules for the API's arguments, checked at the edge before any read:
//! shared by the server functions and the server's streamed exports.

use crate::error::ApiError;
use crate::model::{
    DEFAULT_LEADERBOARD_DAYS, DEFAULT_PAGE_SIZE, DEFAULT_PROJECTION_BASIS, LEADERBOARD_PERIODS,
    MAX_COMPARED, MAX_PAGE_SIZE, PROJECTION_BASES,
};

/// The longest search text accepted; longer text is surely not a handle.
const MAX_SEARCH_LEN: usize = 100;
/// The longest tag the schema stores.
const MAX_TAG_LEN: usize = 64;

pub fn pagination(page: Option<u32>, per_page: Option<u32>) -> Result<(u32, u32), ApiError> {
    let page = page.unwrap_or(1);
    if page == 0 {
        return Err(ApiError::bad_request("page starts at 1"));
    }
    let per_page = per_page.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&per_page) {
        return Err(ApiError::bad_request(format!(
            "per_page must be between 1 and {MAX_PAGE_SIZE}, not {per_page}"
        )));
    }
    Ok((page, per_page))
}

/// Trimmed search text, `None` when empty.
pub fn search(q: Option<String>) -> Result<Option<String>, ApiError> {
    let q = q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    match q {
        Some(q) if q.chars().count() > MAX_SEARCH_LEN => Err(ApiError::bad_request(format!(
            "q is longer than {MAX_SEARCH_LEN} characters"
        ))),
        q => Ok(q),
    }
}

/// Distinct account ids from `3,7,12`: one to [`MAX_COMPARED`].
pub fn account_ids(ids: &str) -> Result<Vec<i64>, ApiError> {
    account_ids_up_to(ids, MAX_COMPARED)
}

/// Distinct account ids from `3,7,12`: one to `max`.
pub fn account_ids_up_to(ids: &str, max: usize) -> Result<Vec<i64>, ApiError> {
    let mut parsed: Vec<i64> = Vec::new();
    for part in ids.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let id = part
            .parse()
            .map_err(|_| ApiError::bad_request(format!("`{part}` is not an account id")))?;
        if !parsed.contains(&id) {
            parsed.push(id);
        }
    }
    if parsed.is_empty() || parsed.len() > max {
        return Err(ApiError::bad_request(format!(
            "ids names 1 to {max} accounts, not {}",
            parsed.len()
        )));
    }
    Ok(parsed)
}

/// The longest custom period: ten years.
const MAX_PERIOD_DAYS: i64 = 3_650;

/// The dates any argument may name: those of RFC 3339 (`format: date`
/// in the API description), years 0000 to 9999. Outside them the
/// arithmetic of periods and boards would leave chrono's range.
pub const EARLIEST_DATE: &str = "0000-01-01";
pub const LATEST_DATE: &str = "9999-12-31";

/// `date` (named `name` in the message) within the accepted range.
pub fn date(date: chrono::NaiveDate, name: &str) -> Result<chrono::NaiveDate, ApiError> {
    let bound = |text: &str| text.parse::<chrono::NaiveDate>().expect("a valid bound");
    if date < bound(EARLIEST_DATE) || date > bound(LATEST_DATE) {
        return Err(ApiError::bad_request(format!(
            "{name} must be a date from {EARLIEST_DATE} to {LATEST_DATE}, not {date}"
        )));
    }
    Ok(date)
}

/// A period's start and end.
pub type Period = (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>);

/// A custom period from two dates, from the start of `from` to the end
/// of `to` (UTC); both or neither, in order, at most ten years.
pub fn period(
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<Option<Period>, ApiError> {
    match (from, to) {
        (None, None) => Ok(None),
        (Some(from), Some(to)) if from <= to => {
            let (from, to) = (date(from, "from")?, date(to, "to")?);
            if (to - from).num_days() > MAX_PERIOD_DAYS {
                return Err(ApiError::bad_request("a period is at most ten years"));
            }
            let start = from.and_time(chrono::NaiveTime::MIN).and_utc();
            let end = (to + chrono::Duration::days(1))
                .and_time(chrono::NaiveTime::MIN)
                .and_utc()
                - chrono::Duration::seconds(1);
            Ok(Some((start, end)))
        }
        (Some(_), Some(_)) => Err(ApiError::bad_request("from must not be after to")),
        _ => Err(ApiError::bad_request("a period needs both from and to")),
    }
}

/// A leaderboard's period: one of [`LEADERBOARD_PERIODS`].
pub fn leaderboard_days(days: Option<u32>) -> Result<u32, ApiError> {
    let days = days.unwrap_or(DEFAULT_LEADERBOARD_DAYS);
    if LEADERBOARD_PERIODS.contains(&days) {
        Ok(days)
    } else {
        Err(ApiError::bad_request(format!(
            "days is one of {LEADERBOARD_PERIODS:?}, not {days}"
        )))
    }
}

/// The history a projection is fitted on: one of [`PROJECTION_BASES`].
pub fn projection_basis(basis: Option<u32>) -> Result<u32, ApiError> {
    let basis = basis.unwrap_or(DEFAULT_PROJECTION_BASIS);
    if PROJECTION_BASES.contains(&basis) {
        Ok(basis)
    } else {
        Err(ApiError::bad_request(format!(
            "basis is one of {PROJECTION_BASES:?} days, not {basis}"
        )))
    }
}

/// A leaderboard's day, which must not be in the future; `None` for
/// the live board. (The board stands at the end of it:
/// [`db::leaderboard::day_end`].)
pub fn board_date(date: Option<chrono::NaiveDate>) -> Result<Option<chrono::NaiveDate>, ApiError> {
    match date {
        Some(date) if date > chrono::Utc::now().date_naive() => {
            Err(ApiError::bad_request(format!("{date} is in the future")))
        }
        Some(day) => self::date(day, "date").map(Some),
        None => Ok(None),
    }
}

/// Trimmed tag, `None` when empty.
pub fn tag(tag: Option<String>) -> Result<Option<String>, ApiError> {
    let tag = tag.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    match tag {
        Some(t) if t.chars().count() > MAX_TAG_LEN => Err(ApiError::bad_request(format!(
            "tag is longer than {MAX_TAG_LEN} characters"
        ))),
        t => Ok(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_distinct_and_bounded() {
        assert_eq!(account_ids("3, 7,3,,12").unwrap(), [3, 7, 12]);
        assert!(account_ids("").is_err());
        assert!(account_ids("1,x").is_err());
        assert!(account_ids("1,2,3,4,5,6,7").is_err());
        let ids: Vec<String> = (1..=21).map(|i| i.to_string()).collect();
        assert_eq!(
            account_ids_up_to(&ids[..20].join(","), 20).unwrap().len(),
            20
        );
        assert!(account_ids_up_to(&ids.join(","), 20).is_err());
    }

    #[test]
    fn dates_at_the_edge_of_the_calendar_are_refused() {
        let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        let far = day("+262142-12-31");
        let early = day("-262143-01-01");
        assert!(period(Some(far), Some(far)).is_err());
        assert!(period(Some(early), Some(early)).is_err());
        assert!(board_date(Some(early)).is_err());
        assert!(period(Some(day("0000-01-01")), Some(day("0000-01-31"))).is_ok());
        assert!(board_date(Some(day("0000-01-01"))).is_ok());
        assert!(date(day("-0001-12-31"), "from").is_err());
        assert!(date(day("+10000-01-01"), "to").is_err());
    }

    #[test]
    fn periods_are_whole_days_in_order() {
        let day = |d: &str| Some(d.parse::<chrono::NaiveDate>().unwrap());
        let (start, end) = period(day("2026-10-01"), day("2026-10-31"))
            .unwrap()
            .unwrap();
        assert_eq!(start.to_rfc3339(), "2026-10-01T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-10-31T23:59:59+00:00");
        assert_eq!(period(None, None).unwrap(), None);
        assert!(period(day("2026-10-31"), day("2026-10-01")).is_err());
        assert!(period(day("2026-10-01"), None).is_err());
        assert!(period(day("2000-01-01"), day("2026-01-01")).is_err());
    }

    #[test]
    fn leaderboards_stand_at_the_end_of_a_past_day() {
        assert_eq!(leaderboard_days(None).unwrap(), DEFAULT_LEADERBOARD_DAYS);
        assert_eq!(leaderboard_days(Some(365)).unwrap(), 365);
        assert!(leaderboard_days(Some(12)).is_err());
        let day = "2026-03-29".parse::<chrono::NaiveDate>().unwrap();
        assert_eq!(board_date(Some(day)).unwrap(), Some(day));
        assert_eq!(
            db::leaderboard::day_end(day).to_rfc3339(),
            "2026-03-29T23:59:59+00:00"
        );
        assert_eq!(board_date(None).unwrap(), None);
        let tomorrow = chrono::Utc::now().date_naive() + chrono::Duration::days(1);
        assert!(board_date(Some(tomorrow)).is_err());
    }

    #[test]
    fn tag_is_trimmed_and_bounded() {
        assert_eq!(tag(Some(" tech ".into())).unwrap(), Some("tech".into()));
        assert_eq!(tag(Some("".into())).unwrap(), None);
        assert!(tag(Some("t".repeat(MAX_TAG_LEN + 1))).is_err());
    }

    #[test]
    fn pagination_has_defaults_and_bounds() {
        assert_eq!(pagination(None, None).unwrap(), (1, DEFAULT_PAGE_SIZE));
        assert_eq!(
            pagination(Some(3), Some(MAX_PAGE_SIZE)).unwrap(),
            (3, MAX_PAGE_SIZE)
        );
        assert!(pagination(Some(0), None).is_err());
        assert!(pagination(None, Some(0)).is_err());
        assert!(pagination(None, Some(MAX_PAGE_SIZE + 1)).is_err());
    }

    #[test]
    fn search_is_trimmed_and_bounded() {
        assert_eq!(search(Some("  fox ".into())).unwrap(), Some("fox".into()));
        assert_eq!(search(Some("   ".into())).unwrap(), None);
        assert!(search(Some("x".repeat(MAX_SEARCH_LEN + 1))).is_err());
    }
}
