//! Accounts: reading the accounts table and one account, and changing
//! what Reach tracks (add, edit, remove), side by side.

mod read;
mod search;
mod write;

pub(crate) use read::walking_is_cheaper;
pub use read::{
    AccountQuery, detail, filtered, find, identities, ids_by_handle, list, tags, with_tags,
};
pub use write::{NewAccount, add, clean_tags, remove, update};
