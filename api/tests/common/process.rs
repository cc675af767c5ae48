//! Real processes: the `api` binary and `worker` binaries on one test database (see
//! `testkit::System`), as this crate's tests start them.

#![allow(dead_code)]

#[allow(unused_imports)]
pub use testkit::{System, ms_between, signal};

/// The binaries these tests run: this crate's `api` and the `worker` built beside it.
pub fn binaries() -> testkit::Binaries {
    testkit::Binaries::beside(env!("CARGO_BIN_EXE_api"))
}

/// Starts the API with `env` on a fresh database.
pub async fn start(env: &[(&str, &str)]) -> System {
    System::start(binaries(), env).await
}

/// Starts the API with `env` on `db`.
pub async fn start_on(db: testkit::TestDatabase, env: &[(&str, &str)]) -> System {
    System::start_on(binaries(), db, env).await
}
