//! Where the data's versions (the generations, the accounts' revisions)
//! are read: a pool of their own when the server gives one, so that the
//! readings every cached answer is keyed by never queue for a connection
//! behind the answers being computed on the requests' pool.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::Cache;

impl Cache {
    /// Reads the data's versions (the generations, the accounts'
    /// revisions) on `db`, a pool of their own, rather than on the pool of
    /// the requests that ask for them. Every cached answer's key is such a
    /// reading (or one made ahead of it), and they are not to queue for a
    /// connection behind the answers being computed (bench/RESULTS.md,
    /// 2026-12-05, later). Two connections are enough: the generations are
    /// read one reading at a time, and so are the revisions. Call it before
    /// the cache is cloned.
    pub fn reading_versions_on(mut self, db: DatabaseConnection) -> Self {
        Arc::get_mut(&mut self.inner)
            .expect("the versions' pool is set before the cache is shared")
            .versions_db = Some(db);
        self
    }

    /// The pool the versions are read on: their own, or the request's.
    pub(super) fn versions_db<'a>(&'a self, db: &'a DatabaseConnection) -> &'a DatabaseConnection {
        self.inner.versions_db.as_ref().unwrap_or(db)
    }
}
