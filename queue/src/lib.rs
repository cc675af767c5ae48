//! A durable job queue on the project's database, SQLite or PostgreSQL, that knows
//! nothing of what its jobs do.
//!
//! - Jobs are rows of the `jobs` table, in the application's own migrations, so that a
//!   job commits in the same transaction as the change that caused it ([`enqueue`]).
//! - Workers [`Queue::claim`] due jobs under a lease (owner, token, expiry), renew it
//!   while they run, and end each attempt with a write fenced on the lease ([`complete`],
//!   [`fail`]): a worker that lost its lease changes nothing. A job whose handler writes
//!   nothing else can end with [`Queue::complete`], shared with the completions that
//!   arrive with it (one transaction for many).
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
mod complete;
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
    Failure, cancel, cancel_pending, complete, enqueue, fail, fail_attempt, latest, lock, release,
    retry, run_now, touch,
};

use db::Db;

/// An error a [`Handler`] reports; one that wraps a transient [`db::Error`] is retried.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The queue's operations that run in transactions of their own. (Those that belong in
/// the application's transactions are free functions: [`enqueue`], [`complete`], ...)
#[derive(Debug, Clone)]
pub struct Queue {
    db: Db,
    /// Shared by clones: one completing task per queue handle and its clones.
    completions: complete::Lane,
}

impl Queue {
    pub fn new(db: Db) -> Queue {
        Queue {
            db,
            completions: complete::Lane::default(),
        }
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
    /// the application's transaction: [`touch`], then [`complete`] or [`fail`]; a job
    /// with nothing else to write ends with [`Queue::complete`]).
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::{is_transient, retry_transient};

    /// An application's error that wraps a database error, as the store's errors do.
    #[derive(Debug)]
    struct Wrapped(sqlx::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "while testing: {}", self.0)
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn a_busy_database_is_transient_however_wrapped_and_other_errors_are_not() {
        assert!(is_transient(&sqlx::Error::PoolTimedOut));
        assert!(is_transient(&db::Error::from(sqlx::Error::PoolTimedOut)));
        assert!(is_transient(&Wrapped(sqlx::Error::PoolTimedOut)));
        assert!(!is_transient(&Wrapped(sqlx::Error::RowNotFound)));
        assert!(!is_transient(&db::Error::from(sqlx::Error::RowNotFound)));
        assert!(!is_transient(&std::fmt::Error));
    }

    /// Runs `retry_transient` with `tries` over an operation that fails `failures`
    /// times with a busy database, then succeeds: what it answered, how many times it
    /// ran the operation and how long it waited in all (on tokio's paused clock).
    async fn retried(tries: u32, failures: u32) -> (Result<u32, Wrapped>, u32, Duration) {
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let answer = retry_transient("testing", tries, || async {
            let call = calls.fetch_add(1, Ordering::SeqCst) + 1;
            if call <= failures {
                Err(Wrapped(sqlx::Error::PoolTimedOut))
            } else {
                Ok(call)
            }
        })
        .await;
        (answer, calls.into_inner(), started.elapsed())
    }

    #[tokio::test(start_paused = true)]
    async fn a_transient_failure_is_tried_again_after_waits_that_double() {
        let (answer, calls, waited) = retried(8, 3).await;
        assert_eq!(answer.unwrap(), 4);
        assert_eq!(calls, 4);
        // 5, 10 and 20 ms between the four tries.
        assert_eq!(waited, Duration::from_millis(35));
    }

    #[tokio::test(start_paused = true)]
    async fn it_gives_up_after_the_tries_given_with_waits_of_at_most_half_a_second() {
        let (answer, calls, waited) = retried(10, u32::MAX).await;
        assert!(matches!(answer, Err(Wrapped(sqlx::Error::PoolTimedOut))));
        assert_eq!(calls, 10);
        // 5, 10, 20, 40, 80, 160, 320, then 500 and 500 ms between the ten tries.
        assert_eq!(waited, Duration::from_millis(1635));
        let (answer, calls, _) = retried(1, u32::MAX).await;
        assert!(answer.is_err());
        assert_eq!(calls, 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_lasting_failure_is_answered_at_once() {
        let calls = AtomicU32::new(0);
        let answer: Result<(), Wrapped> = retry_transient("testing", 8, || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(Wrapped(sqlx::Error::RowNotFound))
        })
        .await;
        assert!(matches!(answer, Err(Wrapped(sqlx::Error::RowNotFound))));
        assert_eq!(calls.into_inner(), 1);
    }
}
