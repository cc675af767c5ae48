//! The job table: enqueueing and rescheduling assignment jobs inside booking
//! transactions, and what admins see and do with jobs (list, retry, stats).
//!
//! One row per assignment cycle of a booking. A failed attempt k moves the row to
//! `retrying` with attempt k + 1 and `run_at = now + base * 2^(k-1)`, or to `dead`
//! after the last attempt, in the transaction that records the failure.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;

use super::bookings::{fetch_booking, insert_history};
use super::rows::decode_error;
use super::{Store, from_ms, ms};
use crate::booking::Booking;
use crate::error::{DomainError, StoreError};
use crate::{Actor, Role};

/// The queue assignment jobs go to.
pub const ASSIGNMENT_QUEUE: &str = "assignment";
/// The stable name of the assignment job.
pub const ASSIGNMENT_JOB: &str = "assign_provider";

/// An assignment job's payload: which booking, and which of its cycles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobPayload {
    pub booking_id: i64,
    pub cycle: i64,
}

/// A job's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Scheduled,
    Running,
    Done,
    Retrying,
    Dead,
    Cancelled,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Scheduled,
        JobState::Running,
        JobState::Done,
        JobState::Retrying,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Scheduled => "scheduled",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Retrying => "retrying",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// One failed attempt's error, as kept on the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub cycle: i64,
    pub attempt: i64,
    pub error: String,
    pub at: DateTime<Utc>,
}

/// A job row as admins see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub booking_id: Option<i64>,
    pub state: JobState,
    pub attempt: i64,
    pub max_attempts: i64,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub errors: Vec<JobError>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct JobRow {
    id: i64,
    queue: String,
    kind: String,
    payload: String,
    booking_id: Option<i64>,
    state: String,
    attempt: i64,
    max_attempts: i64,
    run_at: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    last_error: Option<String>,
    errors: String,
    created_at: i64,
    updated_at: i64,
    finished_at: Option<i64>,
}

/// A stored error entry: times are kept in milliseconds inside the JSON.
#[derive(Deserialize)]
struct StoredJobError {
    cycle: i64,
    attempt: i64,
    error: String,
    at: i64,
}

impl TryFrom<JobRow> for Job {
    type Error = sqlx::Error;
    fn try_from(r: JobRow) -> Result<Self, Self::Error> {
        let errors: Vec<StoredJobError> =
            serde_json::from_str(&r.errors).map_err(|_| decode_error("job errors", &r.errors))?;
        Ok(Job {
            id: r.id,
            queue: r.queue,
            kind: r.kind,
            payload: serde_json::from_str(&r.payload)
                .map_err(|_| decode_error("job payload", &r.payload))?,
            booking_id: r.booking_id,
            state: JobState::parse(&r.state).ok_or_else(|| decode_error("job state", &r.state))?,
            attempt: r.attempt,
            max_attempts: r.max_attempts,
            run_at: from_ms(r.run_at),
            lease_owner: r.lease_owner,
            lease_expires_at: r.lease_expires_at.map(from_ms),
            last_error: r.last_error,
            errors: errors
                .into_iter()
                .map(|e| JobError {
                    cycle: e.cycle,
                    attempt: e.attempt,
                    error: e.error,
                    at: from_ms(e.at),
                })
                .collect(),
            created_at: from_ms(r.created_at),
            updated_at: from_ms(r.updated_at),
            finished_at: r.finished_at.map(from_ms),
        })
    }
}

macro_rules! job_columns {
    () => {
        "id, queue, kind, payload, booking_id, state, attempt, max_attempts, run_at, lease_owner, \
         lease_expires_at, last_error, errors, created_at, updated_at, finished_at"
    };
}

/// Where a booking's assignment stands, for its page: "attempt 2 of 4, next try at ...".
#[derive(Debug, Clone, PartialEq, Serialize)]
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

/// A worker process as it last reported itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerInfo {
    pub name: String,
    pub hostname: String,
    pub pid: i64,
    pub concurrency: i64,
    pub started_at: DateTime<Utc>,
    pub last_heartbeat_at: DateTime<Utc>,
    /// Set when the worker shut down cleanly.
    pub stopped_at: Option<DateTime<Utc>>,
}

#[derive(FromRow)]
struct WorkerRow {
    name: String,
    hostname: String,
    pid: i64,
    concurrency: i64,
    started_at: i64,
    last_heartbeat_at: i64,
    stopped_at: Option<i64>,
}

impl From<WorkerRow> for WorkerInfo {
    fn from(r: WorkerRow) -> Self {
        WorkerInfo {
            name: r.name,
            hostname: r.hostname,
            pid: r.pid,
            concurrency: r.concurrency,
            started_at: from_ms(r.started_at),
            last_heartbeat_at: from_ms(r.last_heartbeat_at),
            stopped_at: r.stopped_at.map(from_ms),
        }
    }
}

/// Counts for the admin overview.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub bookings_by_status: std::collections::BTreeMap<String, i64>,
    pub jobs_by_state: std::collections::BTreeMap<String, i64>,
    pub workers: Vec<WorkerInfo>,
}

/// Enqueues attempt 1 of an assignment cycle, due at `run_at`.
pub(crate) async fn enqueue_assignment(
    conn: &mut sqlx::SqliteConnection,
    booking_id: i64,
    cycle: i64,
    run_at: DateTime<Utc>,
    max_attempts: u32,
) -> Result<i64, StoreError> {
    let payload = serde_json::to_string(&JobPayload { booking_id, cycle }).expect("ids serialise");
    Ok(sqlx::query_scalar(
        "INSERT INTO jobs (queue, kind, payload, booking_id, state, attempt, max_attempts, run_at, \
         created_at, updated_at) VALUES ($1, $2, $3, $4, 'scheduled', 1, $5, $6, $6, $6) RETURNING id",
    )
    .bind(ASSIGNMENT_QUEUE)
    .bind(ASSIGNMENT_JOB)
    .bind(payload)
    .bind(booking_id)
    .bind(i64::from(max_attempts))
    .bind(ms(run_at))
    .fetch_one(conn)
    .await?)
}

/// Cancels the booking's jobs that have not run yet; a running one finds the booking no
/// longer awaiting assignment and completes as a no-op.
pub(crate) async fn cancel_pending_jobs(
    conn: &mut sqlx::SqliteConnection,
    booking_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE jobs SET state = 'cancelled', finished_at = $2, updated_at = $2 \
         WHERE booking_id = $1 AND state IN ('scheduled', 'retrying', 'dead')",
    )
    .bind(booking_id)
    .bind(ms(now))
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Records that attempt `attempt` of the booking's current cycle failed with `error`,
    /// and schedules the next attempt, or, after the last, marks the job dead and the
    /// booking exhausted (with a history row saying so). Runs inside the caller's
    /// transaction; `booking` is the booking as it now stands.
    pub(crate) async fn after_failed_attempt(
        &self,
        conn: &mut sqlx::SqliteConnection,
        booking: &Booking,
        attempt: i64,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let policy = self.policy;
        let payload = serde_json::to_string(&JobPayload {
            booking_id: booking.id,
            cycle: booking.assignment_cycle,
        })
        .expect("ids serialise");
        let job_id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE booking_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(booking.id)
        .fetch_optional(&mut *conn)
        .await?;
        let job_id = match job_id {
            Some(id) => id,
            // Done rows are removed after a retention period; the cycle gets a new row.
            None => {
                enqueue_assignment(
                    &mut *conn,
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
        sqlx::query(
            "UPDATE jobs SET state = $2, attempt = $3, run_at = $4, payload = $5, max_attempts = $6, \
             lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, last_error = $7, \
             errors = json_insert(errors, '$[#]', json_object('cycle', $8, 'attempt', $9, 'error', $7, 'at', $10)), \
             updated_at = $10, finished_at = CASE WHEN $2 = 'dead' THEN $10 ELSE NULL END WHERE id = $1",
        )
        .bind(job_id)
        .bind(state)
        .bind(next_attempt)
        .bind(ms(run_at))
        .bind(payload)
        .bind(i64::from(policy.max_attempts))
        .bind(error)
        .bind(booking.assignment_cycle)
        .bind(attempt)
        .bind(ms(now))
        .execute(&mut *conn)
        .await?;
        if state == "dead" {
            sqlx::query(
                "UPDATE bookings SET assignment_exhausted = 1, version = version + 1, updated_at = $2 WHERE id = $1",
            )
            .bind(booking.id)
            .bind(ms(now))
            .execute(&mut *conn)
            .await?;
            let exhausted = fetch_booking(&mut *conn, booking.id).await?;
            let reason = format!("assignment exhausted after {attempt} attempts: {error}");
            insert_history(
                conn,
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
        conn: &mut sqlx::SqliteConnection,
        booking: &Booking,
        now: DateTime<Utc>,
    ) -> Result<Booking, StoreError> {
        sqlx::query(
            "UPDATE bookings SET assignment_cycle = assignment_cycle + 1, assignment_exhausted = 0, \
             version = version + 1, updated_at = $2 WHERE id = $1",
        )
        .bind(booking.id)
        .bind(ms(now))
        .execute(&mut *conn)
        .await?;
        let booking = fetch_booking(&mut *conn, booking.id).await?;
        let payload = serde_json::to_string(&JobPayload {
            booking_id: booking.id,
            cycle: booking.assignment_cycle,
        })
        .expect("ids serialise");
        let rescheduled = sqlx::query(
            "UPDATE jobs SET state = 'scheduled', attempt = 1, max_attempts = $3, run_at = $4, payload = $2, \
             lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, finished_at = NULL, updated_at = $4 \
             WHERE id = (SELECT id FROM jobs WHERE booking_id = $1 ORDER BY id DESC LIMIT 1)",
        )
        .bind(booking.id)
        .bind(payload)
        .bind(i64::from(self.policy.max_attempts))
        .bind(ms(now))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if rescheduled == 0 {
            enqueue_assignment(
                conn,
                booking.id,
                booking.assignment_cycle,
                now,
                self.policy.max_attempts,
            )
            .await?;
        }
        Ok(booking)
    }

    /// Jobs, newest first, optionally in one state; `before_id` pages.
    pub async fn list_jobs(
        &self,
        state: Option<JobState>,
        booking_id: Option<i64>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR booking_id = $2) ",
            "AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        ))
        .bind(state.map(JobState::as_str))
        .bind(booking_id)
        .bind(before_id)
        .bind(i64::from(limit.clamp(1, 500)))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(Job::try_from)
            .collect::<Result<_, _>>()?)
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
            JobSelection::AllDead => {
                sqlx::query_scalar("SELECT id FROM jobs WHERE state = 'dead' ORDER BY id")
                    .fetch_all(&mut *tx)
                    .await?
            }
        };
        ids.sort_unstable();
        ids.dedup();
        let mut report = RetryReport::default();
        for id in ids {
            let row: Option<(String, Option<i64>)> =
                sqlx::query_as("SELECT state, booking_id FROM jobs WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
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
            let booking = fetch_booking(&mut tx, booking_id).await?;
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

    /// Bookings by status, jobs by state, and the workers with their last heartbeat.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let bookings: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM bookings GROUP BY status")
                .fetch_all(&self.pool)
                .await?;
        let jobs: Vec<(String, i64)> =
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                .fetch_all(&self.pool)
                .await?;
        let workers: Vec<WorkerRow> = sqlx::query_as(
            "SELECT name, hostname, pid, concurrency, started_at, last_heartbeat_at, stopped_at \
             FROM workers ORDER BY stopped_at IS NOT NULL, last_heartbeat_at DESC LIMIT 100",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut bookings_by_status: std::collections::BTreeMap<String, i64> = crate::Status::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        bookings_by_status.extend(bookings);
        let mut jobs_by_state: std::collections::BTreeMap<String, i64> = JobState::ALL
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect();
        jobs_by_state.extend(jobs);
        Ok(Stats {
            bookings_by_status,
            jobs_by_state,
            workers: workers.into_iter().map(WorkerInfo::from).collect(),
        })
    }

    /// Records a worker process as started (or restarted under the same name).
    pub async fn register_worker(
        &self,
        name: &str,
        hostname: &str,
        pid: u32,
        concurrency: u32,
    ) -> Result<(), StoreError> {
        let now = ms(self.now());
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO workers (name, hostname, pid, concurrency, started_at, last_heartbeat_at) \
             VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (name) DO UPDATE SET hostname = $2, pid = $3, \
             concurrency = $4, started_at = $5, last_heartbeat_at = $5, stopped_at = NULL",
        )
        .bind(name)
        .bind(hostname)
        .bind(i64::from(pid))
        .bind(i64::from(concurrency))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A worker's periodic sign of life.
    pub async fn worker_heartbeat(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE workers SET last_heartbeat_at = $2 WHERE name = $1")
            .bind(name)
            .bind(ms(self.now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A worker's clean exit.
    pub async fn worker_stopped(&self, name: &str) -> Result<(), StoreError> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE workers SET stopped_at = $2, last_heartbeat_at = $2 WHERE name = $1")
            .bind(name)
            .bind(ms(self.now()))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The latest job of a booking, as its page shows it.
pub(crate) async fn assignment_state(
    conn: &mut sqlx::SqliteConnection,
    booking: &Booking,
) -> Result<Option<AssignmentState>, StoreError> {
    let row: Option<JobRow> = sqlx::query_as(concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE booking_id = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(booking.id)
    .fetch_optional(conn)
    .await?;
    let Some(job) = row.map(Job::try_from).transpose()? else {
        return Ok(None);
    };
    let pending = matches!(job.state, JobState::Scheduled | JobState::Retrying);
    Ok(Some(AssignmentState {
        job_id: job.id,
        cycle: booking.assignment_cycle,
        attempt: job.attempt,
        max_attempts: job.max_attempts,
        state: job.state,
        next_attempt_at: pending.then_some(job.run_at),
        last_error: job.last_error,
        exhausted: booking.assignment_exhausted,
    }))
}
