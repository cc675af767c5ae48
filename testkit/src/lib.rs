//! Test support for every crate's tests and for the benchmark (a dev-dependency
//! elsewhere; never in a production binary):
//! - [`TestDatabase`]: a fresh database on the backend `TEST_BACKEND` selects (SQLite by
//!   default, or PostgreSQL), so that one suite runs on both;
//! - [`PostgresServer`]: a PostgreSQL server of one test's own, to stop and start;
//! - [`System`]: the real `api` and `worker` binaries on a test database, spoken to
//!   over HTTP.

mod database;
mod server;
mod system;

pub use database::{TestDatabase, backend, postgres_server};
pub use server::PostgresServer;
pub use system::{Binaries, System, free_port, ms_between, signal};
