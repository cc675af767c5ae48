//! What the store and queue suites share: a fresh database with a manual clock, on the
//! backend `TEST_BACKEND` selects (SQLite by default, or PostgreSQL; see
//! `shared::testing`). Every suite runs unchanged on both.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use shared::assignment::RetryPolicy;
use shared::clock::ManualClock;
use shared::store::{Backend, NewUser};
use shared::testing::TestDatabase;
use shared::{Actor, Role, Store};
use sqlx::AssertSqlSafe;

/// The manual clock's starting time.
pub fn t0() -> DateTime<Utc> {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

/// A migrated store on its own database, four attempts per cycle with `base_ms` backoff,
/// and a manual clock standing at [`t0`].
pub struct TestDb {
    pub store: Store,
    pub clock: ManualClock,
    pub db: TestDatabase,
}

impl TestDb {
    /// Runs `sql` on the database directly, underneath the store; returns the rows it
    /// changed.
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = AssertSqlSafe(sql.to_owned());
        match self.db.backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(&self.db.url).await?;
                let done = sqlx::raw_sql(sql).execute(&pool).await;
                pool.close().await;
                Ok(done?.rows_affected())
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(&self.db.url).await?;
                let done = sqlx::raw_sql(sql).execute(&pool).await;
                pool.close().await;
                Ok(done?.rows_affected())
            }
        }
    }
}

pub async fn test_db(base_ms: u64) -> TestDb {
    let db = TestDatabase::create().await;
    let clock = ManualClock::new(t0());
    let policy = RetryPolicy {
        base: Duration::from_millis(base_ms),
        max_attempts: 4,
    };
    let store = Store::connect(&db.url, policy)
        .await
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    store.migrate().await.unwrap();
    TestDb { store, clock, db }
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
