//! What the core's suites share: every room over a fresh database with a manual clock, on
//! the backend `TEST_BACKEND` selects (SQLite by default, or PostgreSQL; see `testkit`).
//! Every suite runs unchanged on both.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use db::{Backend, Db, ManualClock};
use queue::{ClaimedJob, Job, JobFilter, JobKind, JobState, Queue, RetryPolicy};
use shared::account::NewUser;
use shared::assignment::{AssignProvider, AssignmentPolicy};
use shared::booking::transition::Change;
use shared::booking::{Absent, Booking};
use shared::{
    Accounts, Actor, Assignment, Bookings, Feed, Overview, Providers, Role, Status, StoreError,
};
use sqlx::AssertSqlSafe;
use testkit::TestDatabase;

/// The manual clock's starting time.
pub fn t0() -> DateTime<Utc> {
    "2026-11-28T12:00:00Z".parse().unwrap()
}

/// Every room of the core, over one database.
#[derive(Debug, Clone)]
pub struct Core {
    pub db: Db,
    pub policy: RetryPolicy,
    pub bookings: Bookings,
    pub providers: Providers,
    pub accounts: Accounts,
    pub feed: Feed,
    pub overview: Overview,
    pub queue: Queue,
    pub ratings: shared::Ratings,
}

impl Core {
    pub fn new(db: Db, policy: RetryPolicy) -> Core {
        Core {
            bookings: Bookings::new(db.clone(), policy),
            providers: Providers::new(db.clone()),
            accounts: Accounts::new(db.clone()),
            feed: Feed::new(db.clone()),
            overview: Overview::new(db.clone()),
            queue: Queue::new(db.clone()),
            ratings: shared::Ratings::new(db.clone()),
            db,
            policy,
        }
    }

    /// The assignment room as worker `worker` runs it.
    pub fn assignment_by(&self, worker: &str) -> Assignment {
        Assignment::new(self.db.clone(), worker).with_policy(AssignmentPolicy {
            retry: self.policy,
            offer_timeout: self.bookings.rules().offer_timeout,
        })
    }

    /// The assignment room as the API runs it.
    pub fn assignment(&self) -> Assignment {
        self.assignment_by("api")
    }

    /// The operator console as the API runs it (an admin's retries, cancels, pauses).
    pub fn console(&self) -> shared::Console {
        shared::Console::new(
            self.db.clone(),
            AssignmentPolicy {
                retry: self.policy,
                offer_timeout: self.bookings.rules().offer_timeout,
            },
        )
    }

    /// Assignment jobs (not offers' expiries), newest first, optionally in one state or
    /// of one booking.
    pub async fn jobs(
        &self,
        state: Option<JobState>,
        booking: Option<i64>,
        limit: u32,
    ) -> Vec<Job> {
        self.queue
            .list(&JobFilter {
                state,
                kind: Some(AssignProvider::KIND.into()),
                subject_id: booking,
                limit,
                ..Default::default()
            })
            .await
            .unwrap()
    }

    /// Asks for a status as `PATCH /bookings/{id}/status` does: the event it names.
    pub async fn change_status(
        &self,
        actor: &Actor,
        id: i64,
        change: StatusChange,
    ) -> Result<Booking, StoreError> {
        let event = Change::to(
            change.status,
            change.reason,
            change.absent,
            change.is_override,
        )?;
        self.bookings
            .change(actor, id, &event, change.expected_version)
            .await
    }
}

/// A status asked for, as the body of `PATCH /bookings/{id}/status` says it.
#[derive(Debug, Clone)]
pub struct StatusChange {
    pub status: Status,
    pub reason: Option<String>,
    pub is_override: bool,
    /// Who was absent, for a no-show.
    pub absent: Option<Absent>,
    pub expected_version: Option<i64>,
}

/// The booking an assignment job is about.
pub fn booking_of(job: &ClaimedJob) -> i64 {
    job.payload_as::<AssignProvider>().unwrap().booking_id
}

/// The cycle an assignment job is for.
pub fn cycle_of(job: &ClaimedJob) -> i64 {
    job.payload_as::<AssignProvider>().unwrap().cycle
}

/// A migrated core on its own database, four attempts per cycle with `base_ms` backoff,
/// and a manual clock standing at [`t0`].
pub struct TestDb {
    pub core: Core,
    pub clock: ManualClock,
    pub db: TestDatabase,
}

impl TestDb {
    /// Runs `sql` on the database directly, underneath the core; returns the rows it
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
    let database = TestDatabase::create().await;
    let clock = ManualClock::new(t0());
    let db = Db::connect(&database.url)
        .await
        .unwrap()
        .with_clock(Arc::new(clock.clone()));
    db.migrate().await.unwrap();
    let policy = RetryPolicy {
        base: Duration::from_millis(base_ms),
        max_attempts: 4,
    };
    TestDb {
        core: Core::new(db, policy),
        clock,
        db: database,
    }
}

/// Provider `id` stops taking work (set up by the system, as a test's backdrop).
pub async fn stop_taking_work(core: &Core, id: i64) {
    let unavailable = shared::provider::ProviderUpdate {
        available: Some(false),
        ..Default::default()
    };
    core.providers
        .update(&Actor::system("setup"), id, unavailable)
        .await
        .unwrap();
}

/// Creates a login (with a hash nobody can sign in with) and returns who it acts as.
pub async fn user(core: &Core, email: &str, role: Role) -> Actor {
    let new = NewUser {
        email: email.into(),
        name: email.split('@').next().unwrap().into(),
        password_hash: "not-a-real-hash".into(),
        role,
    };
    core.accounts.create_user(new).await.unwrap().actor()
}
