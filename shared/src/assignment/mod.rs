//! The assignment room: how a provider is chosen ([`matching`]), the record of attempts
//! ([`attempt`]), what a failed attempt leads to and how a new cycle starts ([`cycle`]),
//! and the job that does it ([`job`]): [`AssignProvider`], run by [`Assignment`].
//!
//! One job per assignment cycle of a booking. Attempt 1 runs when the booking is made;
//! a failed attempt (nobody eligible, an error, a provider who declines or does not
//! come) schedules the next with the backoff stored on the job, or, after the last,
//! leaves the job dead and the booking marked "assignment exhausted". An admin's retry
//! starts a new cycle.

pub mod attempt;
mod cycle;
mod job;
pub mod matching;
mod sql;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use db::{Db, Tx};
use queue::{JobKind, JobState, RetryPolicy};

pub use attempt::{Attempt, AttemptOutcome};
pub use cycle::{JobSelection, RetryReport, SkippedJob};
pub use job::AssignmentOutcome;

use crate::booking::Booking;
use crate::booking::transition::AssignmentEffect;
use crate::error::StoreError;

/// The job that assigns a provider: which booking, and which of its cycles (a job of a
/// superseded cycle does nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignProvider {
    pub booking_id: i64,
    pub cycle: i64,
}

impl JobKind for AssignProvider {
    const KIND: &'static str = "assign_provider";
    const QUEUE: &'static str = "assignment";
    fn subject_id(&self) -> Option<i64> {
        Some(self.booking_id)
    }
}

/// Where a booking's assignment stands, for its page: "attempt 2 of 4, next try at ...".
#[derive(Debug, Clone, PartialEq)]
pub struct AssignmentState {
    pub job_id: i64,
    pub cycle: i64,
    pub attempt: i64,
    pub max_attempts: i64,
    pub state: JobState,
    /// When the next attempt runs, while one is scheduled or retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub exhausted: bool,
}

/// The assignment room's entry point: runs assignment jobs (it is the queue's handler
/// for them) and retries dead ones. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Assignment {
    db: Db,
    /// Who runs the jobs: a worker's name, recorded on what it assigns.
    worker: String,
    /// How a retried job's attempts are retried (stored with it).
    policy: RetryPolicy,
}

impl Assignment {
    /// The room as `worker` runs it (its name is recorded on what it assigns).
    pub fn new(db: Db, worker: impl Into<String>) -> Assignment {
        Assignment {
            db,
            worker: worker.into(),
            policy: RetryPolicy::default(),
        }
    }

    /// Dead jobs this room retries are retried by `policy` from then on.
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Assignment {
        self.policy = policy;
        self
    }
}

/// Every attempt of a booking, by cycle and number.
pub(crate) async fn attempts_of(tx: &mut Tx, booking_id: i64) -> Result<Vec<Attempt>, StoreError> {
    attempt::of_booking(tx, booking_id).await
}

/// Where the booking's assignment stands (its newest job), if it ever had one.
pub(crate) async fn state_of(
    tx: &mut Tx,
    booking: &Booking,
) -> Result<Option<AssignmentState>, StoreError> {
    let Some(job) = queue::latest(tx, AssignProvider::KIND, booking.id).await? else {
        return Ok(None);
    };
    Ok(Some(AssignmentState {
        job_id: job.id,
        cycle: booking.assignment_cycle,
        attempt: job.attempt,
        max_attempts: job.max_attempts,
        state: job.state,
        next_attempt_at: job.state.is_pending().then_some(job.run_at),
        last_error: job.last_error,
        exhausted: booking.assignment_exhausted,
    }))
}

/// What a status change does to the booking's assignment (see [`AssignmentEffect`]),
/// inside the change's transaction. `before` is the booking as it was, `after` as the
/// change left it; returns it as it is once the assignment has followed.
pub(crate) async fn follow_change(
    tx: &mut Tx,
    before: &Booking,
    after: Booking,
    effect: &AssignmentEffect,
    policy: RetryPolicy,
) -> Result<Booking, StoreError> {
    match effect {
        AssignmentEffect::CancelJobs => {
            queue::cancel_pending(tx, AssignProvider::KIND, after.id).await?;
            Ok(after)
        }
        AssignmentEffect::AttemptFailed {
            outcome,
            reason,
            error,
        } => {
            let attempt = attempt::close_open(tx, before, *outcome, reason.as_deref()).await?;
            cycle::after_failed_attempt(tx, &after, attempt, error, policy).await
        }
        AssignmentEffect::NewCycle => cycle::start_new_cycle(tx, &after, policy).await,
    }
}

/// Starts the cycle an admin's manual assignment closes: the booking's cycle moves on
/// (so any job of the old one does nothing), its exhausted mark is cleared, and its
/// pending jobs are cancelled.
pub(crate) async fn begin_manual_cycle(
    tx: &mut Tx,
    booking: &Booking,
) -> Result<Booking, StoreError> {
    cycle::next_cycle(tx, booking, false).await?;
    queue::cancel_pending(tx, AssignProvider::KIND, booking.id).await?;
    crate::booking::rows::fetch(tx, booking.id).await
}

/// Records an admin's manual assignment as attempt 1 of the booking's (new) cycle.
pub(crate) async fn record_manual(
    tx: &mut Tx,
    booking: &Booking,
    provider_id: i64,
    reason: Option<&str>,
) -> Result<(), StoreError> {
    attempt::record(
        tx,
        booking,
        1,
        Some(provider_id),
        AttemptOutcome::Manual,
        reason,
    )
    .await
}
