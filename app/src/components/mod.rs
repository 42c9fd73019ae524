//! Building blocks shared by the pages: number formatting, loading and error
//! states, the pager and the history chart.

pub mod chart;
pub mod format;
pub mod pager;
pub mod status;
