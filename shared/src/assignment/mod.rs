//! The assignment room: how a provider is chosen ([`matching`]), the record of attempts
//! ([`attempt`]), what a failed attempt leads to and how a new cycle starts ([`cycle`]),
//! and the job that does it ([`job`]): [`AssignProvider`], run by [`Assignment`], which
//! writes the jobs a worker runs at the same time in one transaction ([`batch`]).
//!
//! One job per assignment cycle of a booking. Attempt 1 runs when the booking is made;
//! a failed attempt (nobody eligible, an error, a provider who declines, lets the offer
//! expire or does not come) schedules the next with the backoff stored on the job, or,
//! after the last, leaves the job dead and the booking marked "assignment exhausted".
//! An admin's retry starts a new cycle.
//!
//! An assignment is an offer: with it, an [`ExpireOffer`] job is enqueued, due when the
//! offer times out. If the provider has neither accepted nor rejected by then, it
//! expires the offer: a failed attempt like a rejection, recorded as the system's.

pub mod attempt;
mod batch;
pub(crate) mod cycle;
mod job;
pub mod matching;
mod sql;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use db::{Db, Tx};
use queue::{JobKind, JobState, RetryPolicy};

pub use attempt::{Attempt, AttemptOutcome, Considered, Explanation};
pub use job::AssignmentOutcome;

use crate::booking::Booking;
use crate::booking::transition::AssignmentEffect;
use crate::error::StoreError;
use crate::schedule::ScheduleRules;

/// The job that assigns a provider: which booking, and which of its cycles (a job of a
/// superseded cycle does nothing); and how long the offer it makes waits for an answer
/// (set where the job is made, so that every worker makes the same offer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssignProvider {
    pub booking_id: i64,
    pub cycle: i64,
    #[serde(default = "default_offer_timeout_secs")]
    pub offer_timeout_secs: u64,
}

fn default_offer_timeout_secs() -> u64 {
    ScheduleRules::default().offer_timeout.as_secs()
}

impl JobKind for AssignProvider {
    const KIND: &'static str = "assign_provider";
    const QUEUE: &'static str = "assignment";
    fn subject_id(&self) -> Option<i64> {
        Some(self.booking_id)
    }
}

/// The job that expires an offer nobody answered: booking, cycle and attempt of the
/// offer, and whom it was made to. It does nothing if the booking has moved on since.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireOffer {
    pub booking_id: i64,
    pub cycle: i64,
    pub attempt: i64,
    pub provider_id: i64,
    pub offer_timeout_secs: u64,
}

impl JobKind for ExpireOffer {
    const KIND: &'static str = "expire_offer";
    const QUEUE: &'static str = "assignment";
    fn subject_id(&self) -> Option<i64> {
        Some(self.booking_id)
    }
}

/// How assignment runs: how its failed attempts are retried, and how long an offer
/// waits for its provider's answer. Set on the API, which stores both with each job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AssignmentPolicy {
    pub retry: RetryPolicy,
    pub offer_timeout: std::time::Duration,
}

impl AssignmentPolicy {
    /// The job of cycle `cycle` of booking `booking_id`.
    pub fn job(&self, booking_id: i64, cycle: i64) -> AssignProvider {
        AssignProvider {
            booking_id,
            cycle,
            offer_timeout_secs: self.offer_timeout.as_secs(),
        }
    }
}

/// An expiry job that fails (the database away) is tried again soon, a few times.
pub(super) const EXPIRY_RETRY: RetryPolicy = RetryPolicy {
    base: std::time::Duration::from_secs(1),
    max_attempts: 5,
};

/// Makes the offer of `booking` (as just assigned, in attempt `attempt`) expire after
/// `timeout` unless it is answered first.
pub(crate) async fn offer(
    tx: &mut Tx,
    booking: &Booking,
    attempt: i64,
    timeout: std::time::Duration,
) -> Result<(), StoreError> {
    let Some(provider_id) = booking.provider_id else {
        return Ok(());
    };
    let (job, due) = offer_expiry(booking, provider_id, attempt, timeout, tx.now());
    queue::enqueue(tx, &job, due, EXPIRY_RETRY).await?;
    Ok(())
}

/// When the offers of these bookings lapse unanswered, for those with an offer waiting:
/// the due time of each one's scheduled [`ExpireOffer`] job (an answer, a move or a
/// reassignment cancels it). One statement, down `jobs_by_subject`.
pub(crate) async fn offer_deadlines(
    tx: &mut Tx,
    booking_ids: &[i64],
) -> Result<std::collections::HashMap<i64, DateTime<Utc>>, StoreError> {
    if booking_ids.is_empty() {
        return Ok(Default::default());
    }
    let ids = db::json_ids(booking_ids);
    macro_rules! due_among {
        ($($ids:tt)*) => {
            concat!(
                "SELECT subject_id, MIN(run_at) FROM jobs WHERE kind = $1 AND state = 'scheduled' \
                 AND subject_id IN ",
                $($ids)*,
                " GROUP BY subject_id"
            )
        };
    }
    let sql = db::dialect!(tx,
        sqlite: due_among!(db::ids_of_json!(sqlite, "$2")),
        postgres: due_among!(db::ids_of_json!(postgres, "$2")),
    );
    let rows: Vec<(i64, db::Ts)> = db::on!(tx, |c| sqlx::query_as(sql)
        .bind(ExpireOffer::KIND)
        .bind(&ids)
        .fetch_all(c)
        .await)?;
    Ok(rows.into_iter().map(|(id, due)| (id, due.into())).collect())
}

/// The job that ends the offer of `booking` to `provider_id` (made in attempt
/// `attempt`) if nobody answers it, and when it is due.
pub(super) fn offer_expiry(
    booking: &Booking,
    provider_id: i64,
    attempt: i64,
    timeout: std::time::Duration,
    now: DateTime<Utc>,
) -> (ExpireOffer, DateTime<Utc>) {
    let job = ExpireOffer {
        booking_id: booking.id,
        cycle: booking.assignment_cycle,
        attempt,
        provider_id,
        offer_timeout_secs: timeout.as_secs(),
    };
    let due = now + chrono::Duration::from_std(timeout).unwrap_or(chrono::Duration::days(1));
    (job, due)
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
    /// While the booking is offered (`assigned`): when the offer lapses unanswered.
    pub offer_expires_at: Option<DateTime<Utc>>,
}

/// The assignment room's entry point: runs assignment jobs (it is the queue's handler
/// for them) and retries dead ones. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Assignment {
    db: Db,
    /// Who runs the jobs: a worker's name, recorded on what it assigns.
    worker: String,
    /// How a retried job's attempts are retried and its offers time out (stored with it).
    policy: AssignmentPolicy,
    /// Where the jobs run at the same time meet, to be written together.
    lane: batch::Lane,
}

impl Assignment {
    /// The room as `worker` runs it (its name is recorded on what it assigns).
    pub fn new(db: Db, worker: impl Into<String>) -> Assignment {
        Assignment {
            db,
            worker: worker.into(),
            policy: AssignmentPolicy {
                retry: RetryPolicy::default(),
                offer_timeout: ScheduleRules::default().offer_timeout,
            },
            lane: batch::Lane::default(),
        }
    }

    /// Dead jobs this room retries are run by `policy` from then on.
    pub fn with_policy(mut self, policy: AssignmentPolicy) -> Assignment {
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
    let offer_expires_at = match booking.status {
        crate::Status::Assigned => offer_deadlines(tx, &[booking.id])
            .await?
            .remove(&booking.id),
        _ => None,
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
        offer_expires_at,
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
    policy: AssignmentPolicy,
) -> Result<Booking, StoreError> {
    if before.status == crate::Status::Assigned {
        // The offer was answered (or overtaken): its expiry has nothing left to do.
        queue::cancel_pending(tx, ExpireOffer::KIND, after.id).await?;
    }
    match effect {
        AssignmentEffect::CancelJobs | AssignmentEffect::Close => {
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
        AssignmentEffect::Keep => Ok(after),
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

/// Records an admin's manual assignment as attempt 1 of the booking's (new) cycle, and
/// makes its offer expire after `offer_timeout` unless answered.
pub(crate) async fn record_manual(
    tx: &mut Tx,
    booking: &Booking,
    provider_id: i64,
    reason: Option<&str>,
    offer_timeout: std::time::Duration,
) -> Result<(), StoreError> {
    attempt::record(
        tx,
        booking,
        1,
        Some(provider_id),
        AttemptOutcome::Manual,
        reason,
        None,
    )
    .await?;
    offer(tx, booking, 1, offer_timeout).await
}
