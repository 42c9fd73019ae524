//! Accounts: reading the accounts table and one account, changing what
//! Reach tracks (add, edit, remove), and the accounts exported to other
//! programs, side by side.

mod exported;
mod read;
mod search;
mod write;

pub use exported::{Exported, ExportedAccount, by_handle, exported};
pub(crate) use read::walking_is_cheaper;
pub use read::{
    AccountQuery, detail, filtered, find, identities, ids_by_handle, list, tags, with_tags,
};
pub use write::{NewAccount, add, clean_tags, remove, update};
