//! A durable job queue on the project's database, SQLite or PostgreSQL, that knows
//! nothing of what its jobs do.
//!
//! - Jobs are rows of the `jobs` table, in the application's own migrations, so that a
//!   job commits in the same transaction as the change that caused it ([`enqueue`]).
//! - Workers [`Queue::claim`] due jobs under a lease (owner, token, expiry), renew it
//!   while they run, and end each attempt with a write fenced on the lease ([`complete`],
//!   [`fail`]): a worker that lost its lease changes nothing.
//! - A failed attempt is retried with the backoff stored on the job ([`RetryPolicy`]),
//!   as a row due in the future, never run early; after the last the job is dead, kept,
//!   and can be [`retry`]'d. A lease that expires (its worker died) is a failed attempt.
//! - Each run of a job is kept with it ([`JobRun`]: worker, start, finish, outcome,
//!   error), written by the database when the job leaves `running`.
//! - An operator can [`pause`] a queue: no worker claims from it until [`resume`].
//! - PostgreSQL wakes idle workers with NOTIFY ([`Queue::wakeup`]); SQLite workers poll.
//! - Workers report themselves with heartbeats ([`Queue::register_worker`]); one rule
//!   says which are alive ([`WorkerInfo::is_live_at`]).
//! - With the `runtime` feature, [`runtime::run`] runs a [`Handler`]'s jobs on apalis.
//!
//! A busy database (SQLite busy, a PostgreSQL connection lost) is never fatal to a
//! worker: every operation that meets one is retried.

mod admin;
mod claim;
mod job;
mod policy;
mod sql;
mod wakeup;
mod workers;
mod write;

#[cfg(feature = "runtime")]
pub mod runtime;

use std::time::Duration;

pub use admin::{JobCursor, JobFilter, JobOrder, JobRun, MinuteRuns, QueueInfo, pause, resume};
pub use job::{ClaimedJob, Job, JobError, JobKind, JobState, Lease};
pub use policy::RetryPolicy;
pub use wakeup::JobWakeup;
pub use workers::{MISSED_BEATS_BEFORE_DEAD, WorkerInfo, WorkerRegistration};
pub use write::{
    Failure, cancel, cancel_pending, complete, enqueue, fail, fail_attempt, ids_in_state, latest,
    lock, release, retry, run_now, touch,
};

use db::Db;

/// An error a [`Handler`] reports; one that wraps a transient [`db::Error`] is retried.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The queue's operations that run in transactions of their own. (Those that belong in
/// the application's transactions are free functions: [`enqueue`], [`complete`], ...)
#[derive(Debug, Clone)]
pub struct Queue {
    db: Db,
}

impl Queue {
    pub fn new(db: Db) -> Queue {
        Queue { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// What runs the jobs of one queue. The application implements it; the runtime calls
/// it for each claimed job.
pub trait Handler: Clone + Send + Sync + 'static {
    /// What a run that went well returns (it is logged).
    type Output: std::fmt::Debug + Send + Sync + 'static;

    /// The queue whose jobs this handler runs.
    fn queue(&self) -> &'static str;

    /// Runs one attempt of a claimed job. Its writes must be fenced on `job.lease` (in
    /// the application's transaction: [`touch`], then [`complete`] or [`fail`]).
    fn run(&self, job: &ClaimedJob) -> impl Future<Output = Result<Self::Output, BoxError>> + Send;

    /// Records that `job`'s attempt failed with `error`: the run returned an error, timed
    /// out or panicked, or an earlier run lost its lease. Fenced on `job.lease` ([`fail`]),
    /// with whatever the application keeps beside the job, in one transaction.
    fn failed(
        &self,
        job: &ClaimedJob,
        error: &str,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// True when `error` is, or wraps, a database error worth retrying.
pub fn is_transient(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(db) = e.downcast_ref::<db::Error>() {
            return db.is_transient();
        }
        if let Some(sqlx) = e.downcast_ref::<sqlx::Error>() {
            return db::is_transient(sqlx);
        }
        next = e.source();
    }
    false
}

/// Runs `op` again while it fails with a transient database error (busy, locked, a
/// dropped connection), waiting 5 ms, then twice as long each time up to half a second,
/// for at most `tries` tries: contention costs time, not an attempt.
pub async fn retry_transient<T, E, F, Fut>(what: &str, tries: u32, mut op: F) -> Result<T, E>
where
    E: std::error::Error + 'static,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut wait = Duration::from_millis(5);
    let mut tried = 0;
    loop {
        tried += 1;
        match op().await {
            Err(e) if tried < tries && is_transient(&e) => {
                tracing::warn!(error = %e, tries = tried, "{what}: database busy or unreachable; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
}
