//! The database's clock. Instances sharing a database judge each other
//! (heartbeats, leases, dead runs) by this one clock, never by their own:
//! machines' clocks drift apart, and a skew of a few beats would mark a
//! live run dead. SQLite is embedded, so its clock is this process's.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

/// Now, as the database sees it.
pub async fn now(db: &impl ConnectionTrait) -> Result<DateTime<Utc>, DbErr> {
    match db.get_database_backend() {
        DbBackend::Postgres => {
            // `clock_timestamp()`, not `now()`: inside a transaction `now()`
            // is the transaction's start.
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Postgres,
                    "SELECT clock_timestamp() AS now",
                ))
                .await?
                .ok_or_else(|| DbErr::Custom("the clock query returned no row".into()))?;
            row.try_get::<DateTime<Utc>>("", "now")
        }
        _ => Ok(Utc::now()),
    }
}
