//! What a failed attempt leads to (the next attempt, or a dead job and an exhausted
//! booking), and how a new cycle starts (a booking forced back to pending, an admin's
//! retry of a dead job: [`crate::console`]).

use db::{Tx, exec, ts};
use queue::{Failure, JobKind};

use super::{AssignProvider, AssignmentPolicy};
use crate::Actor;
use crate::booking::history::{self, HistoryNote};
use crate::booking::{Booking, rows};
use crate::error::StoreError;

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
    mark_exhausted(
        tx,
        booking,
        &Actor::system("assignment"),
        &format!("assignment exhausted after {attempts} attempts: {error}"),
    )
    .await
}

/// Marks the booking "assignment exhausted" (it waits for an admin's retry or a manual
/// assignment), with a history row by `actor` giving `reason`; returns it as it now is.
pub(crate) async fn mark_exhausted(
    tx: &mut Tx,
    booking: &Booking,
    actor: &Actor,
    reason: &str,
) -> Result<Booking, StoreError> {
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
        reason: Some(reason.to_owned()),
        is_override: false,
        provider_id: None,
    };
    history::append(tx, &exhausted, actor, &note).await?;
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
