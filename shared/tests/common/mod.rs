//! What the store and queue suites share: a fresh database with a manual clock. This is
//! the one place a suite gets its backend, so a second backend plugs in here.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::assignment::RetryPolicy;
use shared::clock::ManualClock;
use shared::store::NewUser;
use shared::{Actor, Role, Store};

/// The manual clock's starting time.
pub fn t0() -> DateTime<Utc> {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

/// A migrated store on its own database, four attempts per cycle with `base_ms` backoff,
/// and a manual clock standing at [`t0`].
pub struct TestDb {
    pub store: Store,
    pub clock: ManualClock,
    /// The database's URL, for tests that look underneath the store.
    pub url: String,
    _dir: tempfile::TempDir,
}

pub async fn test_db(base_ms: u64) -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let clock = ManualClock::new(t0());
    let policy = RetryPolicy {
        base: Duration::from_millis(base_ms),
        max_attempts: 4,
    };
    let store = Store::connect(&url, policy)
        .await
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    store.migrate().await.unwrap();
    TestDb {
        store,
        clock,
        url,
        _dir: dir,
    }
}

/// Creates a login (with a hash nobody can sign in with) and returns who it acts as.
pub async fn user(store: &Store, email: &str, role: Role) -> Actor {
    let new = NewUser {
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        password_hash: "not-a-real-hash".into(),
        role,
    };
    store.create_user(new).await.unwrap().actor()
}
