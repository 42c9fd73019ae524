//! The one error of storage. It says what went wrong in the data's terms;
//! the API maps it to an answer (`app::error`), in one place, and logs it
//! there. Nothing here knows HTTP.

use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist.
    #[error("no {what} {key}")]
    NotFound { what: &'static str, key: Key },
    /// The data to write breaks a rule of the schema or the platform (the
    /// message says which, in words a user can act on).
    #[error("{0}")]
    Invalid(String),
    /// The data to write exists already.
    #[error("{0}")]
    Conflict(String),
    /// A failure of Reach itself, never the caller's (password hashing).
    #[error("{0}")]
    Internal(String),
    /// The database failed, or stored something unreadable.
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// How a missing row was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Id(i64),
    Name(String),
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Id(id) => write!(f, "with id {id}"),
            Key::Name(name) => write!(f, "called `{name}`"),
        }
    }
}

impl StoreError {
    pub fn not_found(what: &'static str, id: i64) -> Self {
        Self::NotFound {
            what,
            key: Key::Id(id),
        }
    }

    pub fn not_found_named(what: &'static str, name: &str) -> Self {
        Self::NotFound {
            what,
            key: Key::Name(name.to_owned()),
        }
    }

    /// Whether the database is out of reach (down, its pool exhausted or
    /// closed, a connection lost in the middle of a statement), as opposed
    /// to a bug or bad data: retrying later may work.
    pub fn is_unavailable(&self) -> bool {
        use sea_orm::RuntimeErr;
        use sea_orm::sqlx::Error as SqlxError;
        match self {
            Self::Db(DbErr::ConnectionAcquire(_) | DbErr::Conn(_)) => true,
            Self::Db(
                DbErr::Query(RuntimeErr::SqlxError(cause))
                | DbErr::Exec(RuntimeErr::SqlxError(cause)),
            ) => {
                matches!(
                    cause.as_ref(),
                    SqlxError::Io(_)
                        | SqlxError::PoolTimedOut
                        | SqlxError::PoolClosed
                        | SqlxError::WorkerCrashed
                )
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_names_what_and_which() {
        assert_eq!(
            StoreError::not_found("brand", 7).to_string(),
            "no brand with id 7"
        );
        assert_eq!(
            StoreError::not_found_named("brand", "Acme").to_string(),
            "no brand called `Acme`"
        );
    }

    #[test]
    fn only_lost_connections_are_unavailable() {
        assert!(
            StoreError::Db(DbErr::Conn(sea_orm::RuntimeErr::Internal("refused".into())))
                .is_unavailable()
        );
        assert!(!StoreError::Db(DbErr::Custom("bug".into())).is_unavailable());
        assert!(!StoreError::Invalid("bad".into()).is_unavailable());
    }
}
