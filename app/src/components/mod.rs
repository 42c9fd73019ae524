//! Building blocks shared by the pages: number formatting, local times,
//! loading, error and offline states, the platform and tag filters, event
//! lists, the pager, sparklines, the history chart, the theme and the
//! signed-in admin with the controls only admins see, and an account's
//! live count.

pub mod avatar;
pub mod chart;
pub mod events;
pub mod filters;
pub mod live;
pub mod manage;
pub mod pager;
pub mod platforms;
pub mod session;
pub mod sparkline;
pub mod status;
pub mod theme;
pub mod time;
pub mod updates;
pub mod watch;
