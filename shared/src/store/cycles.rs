//! Assignment cycles: what a failed attempt schedules (the next attempt, or a dead job
//! and an exhausted booking), and how a new cycle starts (an admin's retry, a booking
//! forced back to pending).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use super::Store;
use super::bookings::{fetch_booking, insert_history, lock_booking};
use super::db::{Tx, dialect, exec, on, ts};
use super::jobs::{JobPayload, enqueue_assignment};
use crate::booking::Booking;
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role};

/// Which jobs an admin retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobSelection {
    Ids(Vec<i64>),
    AllDead,
}

/// A job that was not retried, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedJob {
    pub id: i64,
    pub reason: String,
}

/// What a retry did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct RetryReport {
    pub retried: Vec<i64>,
    pub skipped: Vec<SkippedJob>,
}

impl Store {
    /// Records that attempt `attempt` of the booking's current cycle failed with `error`,
    /// and schedules the next attempt, or, after the last, marks the job dead and the
    /// booking exhausted (with a history row saying so). Runs inside the caller's
    /// transaction; `booking` is the booking as it now stands.
    pub(crate) async fn after_failed_attempt(
        &self,
        tx: &mut Tx,
        booking: &Booking,
        attempt: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let policy = self.policy;
        let payload = Json(JobPayload {
            booking_id: booking.id,
            cycle: booking.assignment_cycle,
        });
        let job_id: Option<i64> = on!(tx, |c| {
            sqlx::query_scalar("SELECT id FROM jobs WHERE booking_id = $1 ORDER BY id DESC LIMIT 1")
                .bind(booking.id)
                .fetch_optional(c)
                .await
        })?;
        let job_id = match job_id {
            Some(id) => id,
            // Done rows are removed after a retention period; the cycle gets a new row.
            None => {
                enqueue_assignment(
                    &mut *tx,
                    booking.id,
                    booking.assignment_cycle,
                    now,
                    policy.max_attempts,
                )
                .await?
            }
        };
        let attempt_u32 = u32::try_from(attempt).unwrap_or(u32::MAX);
        let (state, next_attempt, run_at) = if policy.has_attempt_after(attempt_u32) {
            let delay = chrono::Duration::from_std(policy.delay_before(attempt_u32 + 1))
                .unwrap_or_default();
            ("retrying", attempt + 1, now + delay)
        } else {
            ("dead", attempt, now)
        };
        // The error list keeps each entry's time in milliseconds on both backends.
        macro_rules! fail_sql {
            ($append:literal) => {
                concat!(
                    "UPDATE jobs SET state = $2, attempt = $3, run_at = $4, payload = $5, max_attempts = $6, ",
                    "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, last_error = $7, ",
                    "errors = ", $append, ", updated_at = $10, ",
                    "finished_at = CASE WHEN $2 = 'dead' THEN $10 ELSE NULL END WHERE id = $1"
                )
            };
        }
        let sql = dialect!(tx,
            sqlite: fail_sql!("json_insert(errors, '$[#]', json_object('cycle', $8, 'attempt', $9, 'error', $7, 'at', $11))"),
            postgres: fail_sql!("errors || jsonb_build_array(jsonb_build_object('cycle', $8, 'attempt', $9, 'error', $7, 'at', $11))"),
        );
        exec!(tx, |c| {
            sqlx::query(sql)
                .bind(job_id)
                .bind(state)
                .bind(next_attempt)
                .bind(ts(run_at))
                .bind(payload)
                .bind(i64::from(policy.max_attempts))
                .bind(error)
                .bind(booking.assignment_cycle)
                .bind(attempt)
                .bind(ts(now))
                .bind(now.timestamp_millis())
                .execute(c)
                .await
        })?;
        if state == "dead" {
            exec!(tx, |c| {
                sqlx::query(
                    "UPDATE bookings SET assignment_exhausted = TRUE, version = version + 1, \
                     updated_at = $2 WHERE id = $1",
                )
                .bind(booking.id)
                .bind(ts(now))
                .execute(c)
                .await
            })?;
            let exhausted = fetch_booking(&mut *tx, booking.id).await?;
            let reason = format!("assignment exhausted after {attempt} attempts: {error}");
            insert_history(
                tx,
                &exhausted,
                Some(exhausted.status),
                &Actor::system("assignment"),
                Some(&reason),
                false,
                None,
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// Starts a new assignment cycle at attempt 1, due now: the booking's cycle moves on
    /// (so any older job is a no-op), its exhausted mark is cleared, and the latest job
    /// row of the booking is rescheduled (or a new one enqueued).
    pub(crate) async fn start_new_cycle(
        &self,
        tx: &mut Tx,
        booking: &Booking,
        now: DateTime<Utc>,
    ) -> Result<Booking, StoreError> {
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE bookings SET assignment_cycle = assignment_cycle + 1, assignment_exhausted = FALSE, \
                 version = version + 1, updated_at = $2 WHERE id = $1",
            )
            .bind(booking.id)
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        let booking = fetch_booking(&mut *tx, booking.id).await?;
        let payload = Json(JobPayload {
            booking_id: booking.id,
            cycle: booking.assignment_cycle,
        });
        let rescheduled = exec!(tx, |c| {
            sqlx::query(
                "UPDATE jobs SET state = 'scheduled', attempt = 1, max_attempts = $3, run_at = $4, payload = $2, \
                 lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, finished_at = NULL, updated_at = $4 \
                 WHERE id = (SELECT id FROM jobs WHERE booking_id = $1 ORDER BY id DESC LIMIT 1)",
            )
            .bind(booking.id)
            .bind(payload)
            .bind(i64::from(self.policy.max_attempts))
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        if rescheduled == 0 {
            enqueue_assignment(
                tx,
                booking.id,
                booking.assignment_cycle,
                now,
                self.policy.max_attempts,
            )
            .await?;
        }
        Ok(booking)
    }

    /// Retries dead jobs: each starts a new cycle at attempt 1, due now, all in one
    /// transaction. Jobs that are not dead, or whose booking no longer awaits
    /// assignment, are skipped with the reason.
    pub async fn retry_jobs(
        &self,
        actor: &Actor,
        selection: JobSelection,
    ) -> Result<RetryReport, StoreError> {
        if actor.role != Role::Admin {
            return Err(DomainError::not_permitted(actor.role, "retry jobs").into());
        }
        let now = self.now();
        let mut tx = self.write().await?;
        let mut ids = match selection {
            JobSelection::Ids(ids) => ids,
            JobSelection::AllDead => on!(tx, |c| {
                sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'dead' ORDER BY id")
                    .fetch_all(c)
                    .await
            })?,
        };
        ids.sort_unstable();
        ids.dedup();
        let mut report = RetryReport::default();
        for id in ids {
            // Locked (PostgreSQL), so that two admins retrying at once start one cycle.
            let sql = dialect!(tx,
                sqlite: "SELECT state, booking_id FROM jobs WHERE id = $1",
                postgres: "SELECT state, booking_id FROM jobs WHERE id = $1 FOR UPDATE",
            );
            let row: Option<(String, Option<i64>)> =
                on!(tx, |c| sqlx::query_as(sql).bind(id).fetch_optional(c).await)?;
            let skip = |reason: String| SkippedJob { id, reason };
            let booking_id = match row {
                None => {
                    report.skipped.push(skip("no such job".into()));
                    continue;
                }
                Some((state, _)) if state != "dead" => {
                    report.skipped.push(skip(format!(
                        "the job is {state}; only dead jobs are retried"
                    )));
                    continue;
                }
                Some((_, None)) => {
                    report
                        .skipped
                        .push(skip("the dead job has no booking".into()));
                    continue;
                }
                Some((_, Some(b))) => b,
            };
            let booking = lock_booking(&mut tx, booking_id).await?;
            if !booking.status.awaits_assignment() {
                report.skipped.push(skip(format!(
                    "booking {} is {}; it no longer awaits assignment",
                    booking.id, booking.status
                )));
                continue;
            }
            let booking = self.start_new_cycle(&mut tx, &booking, now).await?;
            let reason = format!(
                "assignment retried by an admin (cycle {})",
                booking.assignment_cycle
            );
            insert_history(
                &mut tx,
                &booking,
                Some(booking.status),
                actor,
                Some(&reason),
                false,
                None,
                now,
            )
            .await?;
            report.retried.push(id);
        }
        tx.commit().await?;
        Ok(report)
    }
}
