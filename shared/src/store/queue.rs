//! The queue's side of the job table: claiming due jobs under a lease, renewing and
//! releasing leases, completing or failing with fencing, running the assignment job,
//! and purging old done rows.
//!
//! A claim is one write transaction: it first makes jobs whose lease expired claimable
//! again (their worker died: the transaction that would have finished them never
//! committed), then moves the next due jobs, in `run_at` order through the partial index
//! `jobs_claimable`, to `running` with a fresh lease token. On SQLite the transaction
//! holds the write lock; on PostgreSQL the rows are taken `FOR UPDATE SKIP LOCKED`, so
//! workers on many hosts claim side by side and never the same job. Every later write
//! for a claimed job is fenced on `(id, lease_token, state = 'running')`: a worker that
//! lost its lease changes nothing.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::types::Json;

use super::Store;
use super::bookings::lock_booking;
use super::db::{Ts, Tx, dialect, exec, on, ts};
use super::jobs::JobPayload;
use super::rows::{BookingRow, booking_columns};
use crate::booking::AttemptOutcome;
use crate::booking::Booking;
use crate::error::StoreError;

/// A job claimed by a worker, with the lease token that fences its writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub payload: JobPayload,
    pub attempt: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub lease_token: String,
}

/// What running an assignment job did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AssignmentOutcome {
    /// The booking was assigned to this provider; the job is done.
    Assigned { provider_id: i64 },
    /// Nobody eligible: the attempt failed; the job is retrying or dead.
    NoProvider { dead: bool },
    /// The booking no longer awaits assignment or the cycle was superseded; done.
    NoOp,
    /// The lease was lost (expired and reclaimed): nothing was changed.
    LeaseLost,
}

/// Statements fenced on the lease return this many rows when the lease still holds.
fn held(rows: u64) -> bool {
    rows == 1
}

impl Store {
    /// Claims up to `limit` due jobs of `queue` for `owner`, each leased for `lease`.
    pub async fn claim_jobs(
        &self,
        queue: &str,
        owner: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, StoreError> {
        let now = self.now();
        let expires =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(10));
        let token = format!("{owner}:{:016x}", rand::random::<u64>());
        let mut tx = self.write().await?;
        macro_rules! reclaim_sql {
            ($lock:literal) => {
                concat!(
                    "UPDATE jobs SET state = CASE WHEN attempt > 1 THEN 'retrying' ELSE 'scheduled' END, ",
                    "run_at = $2, last_error = 'lease of ' || lease_owner || ' expired; run again', ",
                    "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $2 ",
                    "WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at <= $2 ",
                    "AND queue = $1", $lock, ")"
                )
            };
        }
        let reclaim = dialect!(tx,
            sqlite: reclaim_sql!(""),
            postgres: reclaim_sql!(" FOR UPDATE SKIP LOCKED"),
        );
        exec!(tx, |c| sqlx::query(reclaim)
            .bind(queue)
            .bind(ts(now))
            .execute(c)
            .await)?;
        macro_rules! claim_sql {
            ($lock:literal) => {
                concat!(
                    "UPDATE jobs SET state = 'running', lease_owner = $2, lease_token = $3, lease_expires_at = $4, ",
                    "updated_at = $5 WHERE id IN (SELECT id FROM jobs WHERE queue = $1 ",
                    "AND state IN ('scheduled', 'retrying') AND run_at <= $5 ORDER BY run_at, id LIMIT $6",
                    $lock, ") RETURNING id, payload, attempt, max_attempts, run_at"
                )
            };
        }
        let claim = dialect!(tx,
            sqlite: claim_sql!(""),
            postgres: claim_sql!(" FOR UPDATE SKIP LOCKED"),
        );
        let rows: Vec<(i64, Json<JobPayload>, i64, i64, Ts)> = on!(tx, |c| {
            sqlx::query_as(claim)
                .bind(queue)
                .bind(owner)
                .bind(&token)
                .bind(ts(expires))
                .bind(ts(now))
                .bind(i64::from(limit.max(1)))
                .fetch_all(c)
                .await
        })?;
        tx.commit().await?;
        let mut jobs: Vec<ClaimedJob> = rows
            .into_iter()
            .map(|(id, payload, attempt, max_attempts, run_at)| ClaimedJob {
                id,
                payload: payload.0,
                attempt,
                max_attempts,
                run_at: run_at.into(),
                lease_token: token.clone(),
            })
            .collect();
        // RETURNING gives no order guarantee; run them in the order they fell due.
        jobs.sort_by_key(|j| (j.run_at, j.id));
        Ok(jobs)
    }

    /// Extends a running job's lease; `false` when the lease was lost.
    pub async fn renew_lease(&self, job: &ClaimedJob, lease: Duration) -> Result<bool, StoreError> {
        let now = self.now();
        let expires =
            now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(10));
        let mut tx = self.write().await?;
        let rows = exec!(tx, |c| {
            sqlx::query(
                "UPDATE jobs SET lease_expires_at = $3, updated_at = $4 \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )
            .bind(job.id)
            .bind(&job.lease_token)
            .bind(ts(expires))
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(held(rows))
    }

    /// Gives back a claimed job that was never started (a worker shutting down).
    pub async fn release_job(&self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let released = update_fenced(
            &mut tx,
            job,
            fenced!(
                "state = CASE WHEN attempt > 1 THEN 'retrying' ELSE 'scheduled' END, \
                 lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $3"
            ),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(released)
    }

    /// Marks a claimed job done (jobs whose handler did its own writes elsewhere).
    pub async fn complete_job(&self, job: &ClaimedJob) -> Result<bool, StoreError> {
        let mut tx = self.write().await?;
        let done = finish(&mut tx, job, self.now()).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Records that running a job failed with `error` (a handler error, a timeout, a
    /// panic): for an assignment job still in force, a failed attempt, retried with
    /// backoff or dead after the last; otherwise the job is simply done. Fenced.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        error: &str,
        worker: &str,
    ) -> Result<bool, StoreError> {
        let now = self.now();
        let mut tx = self.write().await?;
        if !fence(&mut tx, job, now).await? {
            return Ok(false);
        }
        let booking = lock_booking(&mut tx, job.payload.booking_id).await?;
        if !booking.status.awaits_assignment() || booking.assignment_cycle != job.payload.cycle {
            finish(&mut tx, job, now).await?;
        } else {
            let error = format!("error while assigning ({worker}): {error}");
            self.fail_attempt(
                &mut tx,
                &booking,
                job.attempt,
                AttemptOutcome::Error,
                &error,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Runs attempt `job.attempt` of an assignment cycle, all in one transaction: picks
    /// the eligible provider and assigns the booking (compare-and-set, history row in the
    /// system role, attempt record, job done), or records that nobody was eligible and
    /// schedules the next attempt (or kills the job after the last).
    pub async fn run_assignment(
        &self,
        job: &ClaimedJob,
        worker: &str,
    ) -> Result<AssignmentOutcome, StoreError> {
        let now = self.now();
        let mut tx = self.write().await?;
        // The fence and the read in one round trip: the booking comes back only if this
        // claim still holds the job. (Round trips to SQLite's connection thread are what
        // an assignment costs; see BENCHMARKS.md.) PostgreSQL also locks the booking, so
        // that a status change through the API waits for this transaction.
        let sql = dialect!(tx,
            sqlite: concat!(
                "UPDATE jobs SET updated_at = $3 WHERE id = $1 AND lease_token = $2 AND state = 'running'; ",
                "SELECT ",
                booking_columns!(),
                " FROM bookings WHERE id = $4 AND changes() = 1"
            ),
            postgres: concat!(
                "WITH fence AS (UPDATE jobs SET updated_at = $3 WHERE id = $1 AND lease_token = $2 ",
                "AND state = 'running' RETURNING id) SELECT ",
                booking_columns!(),
                " FROM bookings WHERE id = $4 AND EXISTS (SELECT 1 FROM fence) FOR UPDATE"
            ),
        );
        let fenced: Option<BookingRow> = on!(tx, |c| {
            sqlx::query_as(sql)
                .bind(job.id)
                .bind(&job.lease_token)
                .bind(ts(now))
                .bind(job.payload.booking_id)
                .fetch_optional(c)
                .await
        })?;
        let Some(booking) = fenced.map(Booking::try_from).transpose()? else {
            return Ok(AssignmentOutcome::LeaseLost);
        };
        if !booking.status.awaits_assignment() || booking.assignment_cycle != job.payload.cycle {
            finish(&mut tx, job, now).await?;
            tx.commit().await?;
            return Ok(AssignmentOutcome::NoOp);
        }
        // Eligible: available, offers the service, never rejected or no-showed this
        // booking. Fewest active bookings first, then highest rating, then lowest id.
        // On PostgreSQL, first among the providers no other assignment is locking right
        // now: workers on many hosts then spread over the eligible providers instead of
        // queueing on the same row (its load counter). Only when every eligible one is
        // taken does this wait for the best.
        macro_rules! choose_sql {
            ($lock:literal) => {
                concat!(
                    "SELECT p.id FROM providers p JOIN provider_services s ON s.provider_id = p.id ",
                    "WHERE s.service_type = $1 AND p.available AND p.id NOT IN ( ",
                    "SELECT a.provider_id FROM assignment_attempts a WHERE a.booking_id = $2 ",
                    "AND a.outcome IN ('rejected', 'no_show') AND a.provider_id IS NOT NULL) ",
                    "ORDER BY p.active_bookings, p.rating DESC, p.id LIMIT 1",
                    $lock
                )
            };
        }
        let mut chosen = None;
        for sql in dialect!(tx,
            sqlite: &[choose_sql!("")][..],
            postgres: &[choose_sql!(" FOR UPDATE OF p SKIP LOCKED"), choose_sql!(" FOR UPDATE OF p")][..],
        ) {
            chosen = on!(tx, |c| {
                sqlx::query_scalar(*sql)
                    .bind(&booking.service_type)
                    .bind(booking.id)
                    .fetch_optional(c)
                    .await
            })?;
            if chosen.is_some() {
                break;
            }
        }
        let outcome = match chosen {
            Some(provider_id) => {
                let reason = format!(
                    "assigned automatically (attempt {} of {})",
                    job.attempt, job.max_attempts
                );
                // Compare-and-set, history row, attempt record and job done in one round
                // trip; each statement runs only if the one before changed its row, and
                // the last reports whether the whole chain did.
                let sql = dialect!(tx,
                    sqlite: "UPDATE bookings SET status = 'assigned', provider_id = $3, version = version + 1, \
                     assignment_exhausted = FALSE, updated_at = $4 WHERE id = $1 AND version = $2; \
                     INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, changed_by_name, \
                     changed_by_role, reason, is_override, provider_id, customer_id, timestamp) \
                     SELECT id, $5, 'assigned', NULL, $6, 'system', $7, FALSE, $3, customer_id, $4 FROM bookings \
                     WHERE id = $1 AND changes() = 1; \
                     INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, reason, \
                     created_at, updated_at) SELECT $1, $8, $9, $3, 'assigned', NULL, $4, $4 WHERE changes() = 1 \
                     ON CONFLICT (booking_id, cycle, attempt) DO UPDATE SET provider_id = $3, outcome = 'assigned', \
                     reason = NULL, updated_at = $4; \
                     UPDATE jobs SET state = 'done', finished_at = $4, updated_at = $4, lease_owner = NULL, \
                     lease_token = NULL, lease_expires_at = NULL \
                     WHERE id = $10 AND lease_token = $11 AND state = 'running' AND changes() = 1; \
                     SELECT changes()",
                    postgres: "WITH b AS (UPDATE bookings SET status = 'assigned', provider_id = $3, \
                     version = version + 1, assignment_exhausted = FALSE, updated_at = $4 \
                     WHERE id = $1 AND version = $2 RETURNING id, customer_id), \
                     h AS (INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, \
                     changed_by_name, changed_by_role, reason, is_override, provider_id, customer_id, timestamp) \
                     SELECT id, $5, 'assigned', NULL, $6, 'system', $7, FALSE, $3, customer_id, $4 FROM b), \
                     a AS (INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, \
                     reason, created_at, updated_at) SELECT id, $8, $9, $3, 'assigned', NULL, $4, $4 FROM b \
                     ON CONFLICT (booking_id, cycle, attempt) DO UPDATE SET provider_id = $3, \
                     outcome = 'assigned', reason = NULL, updated_at = $4), \
                     j AS (UPDATE jobs SET state = 'done', finished_at = $4, updated_at = $4, lease_owner = NULL, \
                     lease_token = NULL, lease_expires_at = NULL \
                     WHERE id = $10 AND lease_token = $11 AND state = 'running' AND EXISTS (SELECT 1 FROM b) \
                     RETURNING id) \
                     SELECT COUNT(*) FROM j",
                );
                let chained: i64 = on!(tx, |c| {
                    sqlx::query_scalar(sql)
                        .bind(booking.id)
                        .bind(booking.version)
                        .bind(provider_id)
                        .bind(ts(now))
                        .bind(booking.status.as_str())
                        .bind(worker)
                        .bind(&reason)
                        .bind(booking.assignment_cycle)
                        .bind(job.attempt)
                        .bind(job.id)
                        .bind(&job.lease_token)
                        .fetch_one(c)
                        .await
                })?;
                if chained != 1 {
                    // Impossible under the write lock (SQLite) or the booking's row lock
                    // (PostgreSQL); refuse rather than assign twice.
                    return Err(crate::DomainError::VersionConflict {
                        expected: booking.version,
                        actual: -1,
                    }
                    .into());
                }
                AssignmentOutcome::Assigned { provider_id }
            }
            None => {
                let error = format!(
                    "no eligible provider offers {} right now",
                    booking.service_type
                );
                self.fail_attempt(
                    &mut tx,
                    &booking,
                    job.attempt,
                    AttemptOutcome::NoProvider,
                    &error,
                    now,
                )
                .await?;
                let dead = !self
                    .policy
                    .has_attempt_after(u32::try_from(job.attempt).unwrap_or(u32::MAX));
                AssignmentOutcome::NoProvider { dead }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    /// Records attempt `attempt` of the booking's cycle as failed with `outcome` and
    /// `error`, then schedules the next attempt or kills the job (inside the caller's
    /// transaction).
    async fn fail_attempt(
        &self,
        tx: &mut Tx,
        booking: &Booking,
        attempt: i64,
        outcome: AttemptOutcome,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        record_attempt(&mut *tx, booking, attempt, None, outcome, Some(error), now).await?;
        self.after_failed_attempt(tx, booking, attempt, error, now)
            .await
    }

    /// Deletes done jobs finished before `before` and idempotency keys made before it;
    /// dead and cancelled jobs are kept. Returns how many of each went.
    pub async fn purge_before(&self, before: DateTime<Utc>) -> Result<(u64, u64), StoreError> {
        let mut tx = self.write().await?;
        let jobs = exec!(tx, |c| {
            sqlx::query("DELETE FROM jobs WHERE state = 'done' AND finished_at < $1")
                .bind(ts(before))
                .execute(c)
                .await
        })?;
        let keys = exec!(tx, |c| {
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(ts(before))
                .execute(c)
                .await
        })?;
        tx.commit().await?;
        Ok((jobs, keys))
    }
}

/// `UPDATE jobs SET $set` for a job this claim still holds: `$1` is the job's id, `$2`
/// its lease token, `$3` the time now.
macro_rules! fenced {
    ($set:literal) => {
        concat!(
            "UPDATE jobs SET ",
            $set,
            " WHERE id = $1 AND lease_token = $2 AND state = 'running'"
        )
    };
}
use fenced;

/// Runs a [`fenced!`] statement; `true` when the lease still held (one row changed).
async fn update_fenced(
    tx: &mut Tx,
    job: &ClaimedJob,
    sql: &'static str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let rows = exec!(tx, |c| {
        sqlx::query(sql)
            .bind(job.id)
            .bind(&job.lease_token)
            .bind(ts(now))
            .execute(c)
            .await
    })?;
    Ok(held(rows))
}

/// True when the job is still leased by this claim (and touches it).
async fn fence(tx: &mut Tx, job: &ClaimedJob, now: DateTime<Utc>) -> Result<bool, StoreError> {
    update_fenced(tx, job, fenced!("updated_at = $3"), now).await
}

/// Marks the job done, fenced on its lease.
async fn finish(tx: &mut Tx, job: &ClaimedJob, now: DateTime<Utc>) -> Result<bool, StoreError> {
    update_fenced(
        tx,
        job,
        fenced!(
            "state = 'done', finished_at = $3, updated_at = $3, lease_owner = NULL, \
             lease_token = NULL, lease_expires_at = NULL"
        ),
        now,
    )
    .await
}

/// Records attempt `attempt` of the booking's current cycle with its outcome (replacing
/// what an earlier run of the same attempt recorded).
pub(super) async fn record_attempt(
    tx: &mut Tx,
    booking: &crate::booking::Booking,
    attempt: i64,
    provider_id: Option<i64>,
    outcome: AttemptOutcome,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec!(tx, |c| {
        sqlx::query(
            "INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, reason, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (booking_id, cycle, attempt) DO UPDATE SET \
             provider_id = $4, outcome = $5, reason = $6, updated_at = $7",
        )
        .bind(booking.id)
        .bind(booking.assignment_cycle)
        .bind(attempt)
        .bind(provider_id)
        .bind(outcome.as_str())
        .bind(reason)
        .bind(ts(now))
        .execute(c)
        .await
    })?;
    Ok(())
}
