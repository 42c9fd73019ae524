//! Pages of a list.

use serde::{Deserialize, Serialize};

/// Default and largest page sizes of every paginated list.
pub const DEFAULT_PAGE_SIZE: u32 = 25;
pub const MAX_PAGE_SIZE: u32 = 100;

/// A page of a list, with what is needed to draw the pager.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

impl<T> Page<T> {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(u64::from(self.per_page.max(1))) as u32).max(1)
    }

    /// Where the page is, for its pager: `26–50 of 60 · page 2 of 3`, or
    /// `0 accounts` with `noun` when there is nothing.
    pub fn range_status(&self, noun: &str) -> String {
        if self.total == 0 {
            return format!("0 {noun}");
        }
        let pages = self.page_count();
        if self.page > pages {
            let s = if pages == 1 { "" } else { "s" };
            return format!(
                "Page {} is past the end: {} {noun} fill {pages} page{s}",
                self.page, self.total
            );
        }
        let first = (self.page - 1) * self.per_page + 1;
        let last = (first - 1 + self.items.len() as u32).max(first);
        format!(
            "{first}–{last} of {} · page {} of {}",
            self.total,
            self.page,
            self.page_count()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_status_says_where_a_page_is() {
        let page = Page {
            items: vec![(); 10],
            page: 2,
            per_page: 25,
            total: 35,
        };
        assert_eq!(page.range_status("accounts"), "26–35 of 35 · page 2 of 2");
        let empty = Page::<()> {
            items: vec![],
            page: 1,
            per_page: 25,
            total: 0,
        };
        assert_eq!(empty.range_status("accounts"), "0 accounts");
        let past = Page::<()> {
            items: vec![],
            page: 99,
            per_page: 25,
            total: 60,
        };
        assert_eq!(
            past.range_status("accounts"),
            "Page 99 is past the end: 60 accounts fill 3 pages"
        );
    }

    #[test]
    fn page_count_rounds_up_and_is_never_zero() {
        let page = |total| Page::<()> {
            items: vec![],
            page: 1,
            per_page: 25,
            total,
        };
        assert_eq!(page(0).page_count(), 1);
        assert_eq!(page(25).page_count(), 1);
        assert_eq!(page(26).page_count(), 2);
    }
}
