//! What the queue suites share: a migrated database of its own with a manual clock, on
//! the backend `TEST_BACKEND` selects, and a job kind of the tests' own.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use db::{Db, ManualClock};
use queue::{JobKind, Queue, RetryPolicy};
use testkit::TestDatabase;

/// The manual clock's starting time.
pub fn t0() -> DateTime<Utc> {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

pub const LEASE: Duration = Duration::from_secs(10);

/// A job of the tests: it carries a number, and is about that number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ping {
    pub n: i64,
}

impl JobKind for Ping {
    const KIND: &'static str = "ping";
    const QUEUE: &'static str = "pings";
    fn subject_id(&self) -> Option<i64> {
        Some(self.n)
    }
}

pub struct TestQueue {
    pub queue: Queue,
    pub db: Db,
    pub clock: ManualClock,
    _database: TestDatabase,
}

/// A migrated database of its own, with a manual clock standing at [`t0`].
pub async fn test_queue() -> TestQueue {
    let database = TestDatabase::create().await;
    let clock = ManualClock::new(t0());
    let db = Db::connect(&database.url)
        .await
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    db.migrate().await.unwrap();
    TestQueue {
        queue: Queue::new(db.clone()),
        db,
        clock,
        _database: database,
    }
}

impl TestQueue {
    pub fn advance_ms(&self, ms: i64) {
        self.clock.advance(chrono::Duration::milliseconds(ms));
    }

    /// Enqueues `Ping { n }` due `in_ms` from now, with `policy`.
    pub async fn enqueue_in(&self, n: i64, in_ms: i64, policy: RetryPolicy) -> i64 {
        let mut tx = self.db.write().await.unwrap();
        let run_at = tx.now() + chrono::Duration::milliseconds(in_ms);
        let id = queue::enqueue(&mut tx, &Ping { n }, run_at, policy)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    pub async fn enqueue(&self, n: i64) -> i64 {
        self.enqueue_in(n, 0, RetryPolicy::default()).await
    }

    pub async fn claim(&self, owner: &str, n: u32) -> Vec<queue::ClaimedJob> {
        self.queue
            .claim(Ping::QUEUE, owner, n, LEASE)
            .await
            .unwrap()
    }

    pub async fn claim_one(&self, owner: &str) -> Option<queue::ClaimedJob> {
        self.claim(owner, 1).await.pop()
    }

    pub async fn job(&self, id: i64) -> queue::Job {
        let mut tx = self.db.write().await.unwrap();
        let job = queue::lock(&mut tx, id).await.unwrap().unwrap();
        // Ended here, not when dropped: a dropped transaction is rolled back later, on the
        // pool's time, and until then its row lock makes a claim (SKIP LOCKED on
        // PostgreSQL) pass the job over as if it were taken.
        tx.commit().await.unwrap();
        job
    }

    /// Runs `f` in a write transaction and commits.
    pub async fn in_tx<T>(&self, f: impl AsyncFnOnce(&mut db::Tx) -> Result<T, db::Error>) -> T {
        let mut tx = self.db.write().await.unwrap();
        let out = f(&mut tx).await.unwrap();
        tx.commit().await.unwrap();
        out
    }
}
