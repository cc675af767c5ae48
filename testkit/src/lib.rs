//! Test support for every crate's tests and for the benchmark (a dev-dependency
//! elsewhere; never in a production binary):
//! - [`TestDatabase`]: a fresh database on the backend `TEST_BACKEND` selects (SQLite by
//!   default, or PostgreSQL), so that one suite runs on both;
//! - [`PostgresServer`]: a PostgreSQL server of one test's own, to stop and start;
//! - [`System`]: the real `api` and `worker` binaries on a test database, spoken to
//!   over HTTP;
//! - [`database_error`]: a database error of a given code, made by hand.

mod database;
mod errors;
mod server;
mod system;

pub use database::{TestDatabase, backend, postgres_server};
pub use errors::database_error;
pub use server::PostgresServer;
pub use system::{Binaries, System, free_port, ms_between, signal};

/// The first full hour at least `ahead` from now (UTC): a start on every zone's
/// half-hour grid that is whole hours from UTC, and past any lead time shorter than
/// `ahead`.
pub fn grid_start(ahead: chrono::Duration) -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, Utc};
    let t = Utc::now() + ahead;
    let hour = chrono::Duration::hours(1);
    let floor = t.duration_trunc(hour).unwrap_or(t);
    if floor < t { floor + hour } else { floor }
}
