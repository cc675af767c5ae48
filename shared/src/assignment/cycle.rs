//! What a failed attempt leads to (the next attempt, or a dead job and an exhausted
//! booking), and how a new cycle starts (a booking forced back to pending, an admin's
//! retry of a dead job).

use db::{Tx, exec, ts};
use queue::{Failure, JobKind, JobState};

use super::{AssignProvider, Assignment, AssignmentPolicy};
use crate::booking::history::{self, HistoryNote};
use crate::booking::{Booking, rows};
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role};

/// Which dead jobs an admin retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSelection {
    Ids(Vec<i64>),
    AllDead,
}

/// A job that was not retried, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedJob {
    pub id: i64,
    pub reason: String,
}

/// What a retry did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RetryReport {
    pub retried: Vec<i64>,
    pub skipped: Vec<SkippedJob>,
}

/// Records that attempt `attempt` of the booking's cycle failed with `error` on its job
/// (the cycle's newest; one is made if retention removed it), which schedules the next
/// attempt or dies. A dead job marks the booking exhausted, with a history row saying
/// so. `booking` is the booking as it now stands; returns it as it is afterwards.
pub(crate) async fn after_failed_attempt(
    tx: &mut Tx,
    booking: &Booking,
    attempt: i64,
    error: &str,
    policy: AssignmentPolicy,
) -> Result<Booking, StoreError> {
    let job_id = match queue::latest(tx, AssignProvider::KIND, booking.id).await? {
        Some(job) => job.id,
        None => {
            let job = policy.job(booking.id, booking.assignment_cycle);
            let now = tx.now();
            queue::enqueue(tx, &job, now, policy.retry).await?
        }
    };
    let failure = queue::fail_attempt(tx, job_id, attempt, error).await?;
    after_failure(tx, booking, failure, error).await
}

/// Marks the booking exhausted if `failure` left its job dead; returns it as it now is.
pub(crate) async fn after_failure(
    tx: &mut Tx,
    booking: &Booking,
    failure: Failure,
    error: &str,
) -> Result<Booking, StoreError> {
    let Failure::Dead { attempts } = failure else {
        return rows::fetch(tx, booking.id).await;
    };
    let now = ts(tx.now());
    exec!(tx, |c| {
        sqlx::query(
            "UPDATE bookings SET assignment_exhausted = TRUE, version = version + 1, \
             updated_at = $2 WHERE id = $1",
        )
        .bind(booking.id)
        .bind(now)
        .execute(c)
        .await
    })?;
    let exhausted = rows::fetch(tx, booking.id).await?;
    let note = HistoryNote {
        old_status: Some(exhausted.status),
        reason: Some(format!(
            "assignment exhausted after {attempts} attempts: {error}"
        )),
        is_override: false,
        provider_id: None,
    };
    history::append(tx, &exhausted, &Actor::system("assignment"), &note).await?;
    Ok(exhausted)
}

/// Moves the booking to its next cycle (so that any job of the old one does nothing) and
/// clears its exhausted mark; with `new_version`, as a change of its own.
pub(crate) async fn next_cycle(
    tx: &mut Tx,
    booking: &Booking,
    new_version: bool,
) -> Result<(), StoreError> {
    let now = ts(tx.now());
    exec!(tx, |c| {
        sqlx::query(
            "UPDATE bookings SET assignment_cycle = assignment_cycle + 1, assignment_exhausted = FALSE, \
             version = version + CASE WHEN $3 THEN 1 ELSE 0 END, updated_at = $2 WHERE id = $1",
        )
        .bind(booking.id)
        .bind(now)
        .bind(new_version)
        .execute(c)
        .await
    })?;
    Ok(())
}

/// Starts a new assignment cycle at attempt 1, due now: the booking's cycle moves on,
/// the old cycle's pending jobs are cancelled and a new job is enqueued.
pub(crate) async fn start_new_cycle(
    tx: &mut Tx,
    booking: &Booking,
    policy: AssignmentPolicy,
) -> Result<Booking, StoreError> {
    next_cycle(tx, booking, true).await?;
    queue::cancel_pending(tx, AssignProvider::KIND, booking.id).await?;
    let booking = rows::fetch(tx, booking.id).await?;
    let job = policy.job(booking.id, booking.assignment_cycle);
    let now = tx.now();
    queue::enqueue(tx, &job, now, policy.retry).await?;
    Ok(booking)
}

impl Assignment {
    /// Retries dead assignment jobs: each starts a new cycle of its booking at attempt 1,
    /// due now, all in one transaction. Jobs that are not dead, or whose booking no
    /// longer awaits assignment, are skipped with the reason.
    pub async fn retry_dead(
        &self,
        actor: &Actor,
        selection: JobSelection,
    ) -> Result<RetryReport, StoreError> {
        if actor.role != Role::Admin {
            return Err(DomainError::not_permitted(actor.role, "retry jobs").into());
        }
        let mut tx = self.db.write().await?;
        let mut ids = match selection {
            JobSelection::Ids(ids) => ids,
            JobSelection::AllDead => queue::ids_in_state(&mut tx, JobState::Dead).await?,
        };
        ids.sort_unstable();
        ids.dedup();
        let mut report = RetryReport::default();
        for id in ids {
            let skip = |reason: String| SkippedJob { id, reason };
            // Locked (PostgreSQL), so that two admins retrying at once start one cycle.
            let job = match queue::lock(&mut tx, id).await? {
                None => {
                    report.skipped.push(skip("no such job".into()));
                    continue;
                }
                Some(job) if job.state != JobState::Dead => {
                    report.skipped.push(skip(format!(
                        "the job is {}; only dead jobs are retried",
                        job.state.as_str()
                    )));
                    continue;
                }
                Some(job) => job,
            };
            let Some(booking_id) = job.subject_id.filter(|_| job.kind == AssignProvider::KIND)
            else {
                report
                    .skipped
                    .push(skip("the dead job is not a booking's assignment".into()));
                continue;
            };
            let booking = rows::lock(&mut tx, booking_id).await?;
            if !booking.awaits_assignment() {
                report.skipped.push(skip(format!(
                    "booking {} is {}; it no longer awaits assignment",
                    booking.id, booking.status
                )));
                continue;
            }
            next_cycle(&mut tx, &booking, true).await?;
            let booking = rows::fetch(&mut tx, booking_id).await?;
            let payload =
                serde_json::to_value(self.policy.job(booking_id, booking.assignment_cycle))
                    .map_err(|e| sqlx::Error::Encode(e.into()))?;
            queue::retry(&mut tx, id, Some(&payload), self.policy.retry).await?;
            let note = HistoryNote {
                old_status: Some(booking.status),
                reason: Some(format!(
                    "assignment retried by an admin (cycle {})",
                    booking.assignment_cycle
                )),
                is_override: false,
                provider_id: None,
            };
            history::append(&mut tx, &booking, actor, &note).await?;
            report.retried.push(id);
        }
        tx.commit().await?;
        Ok(report)
    }
}
