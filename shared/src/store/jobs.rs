//! The job table: its rows as admins see them, and enqueueing and cancelling assignment
//! jobs inside booking transactions.
//!
//! One row per assignment cycle of a booking. A failed attempt k moves the row to
//! `retrying` with attempt k + 1 and `run_at = now + base * 2^(k-1)`, or to `dead`
//! after the last attempt, in the transaction that records the failure (see `cycles`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use sqlx::types::Json;

use super::Store;
use super::db::{Ts, Tx, exec, from_ms, on, ts};
use super::rows::decode_error;
use crate::booking::Booking;
use crate::error::StoreError;

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
    payload: Json<serde_json::Value>,
    booking_id: Option<i64>,
    state: String,
    attempt: i64,
    max_attempts: i64,
    run_at: Ts,
    lease_owner: Option<String>,
    lease_expires_at: Option<Ts>,
    last_error: Option<String>,
    errors: Json<Vec<StoredJobError>>,
    created_at: Ts,
    updated_at: Ts,
    finished_at: Option<Ts>,
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
        Ok(Job {
            id: r.id,
            queue: r.queue,
            kind: r.kind,
            payload: r.payload.0,
            booking_id: r.booking_id,
            state: JobState::parse(&r.state).ok_or_else(|| decode_error("job state", &r.state))?,
            attempt: r.attempt,
            max_attempts: r.max_attempts,
            run_at: r.run_at.into(),
            lease_owner: r.lease_owner,
            lease_expires_at: r.lease_expires_at.map(Into::into),
            last_error: r.last_error,
            errors: r
                .errors
                .0
                .into_iter()
                .map(|e| JobError {
                    cycle: e.cycle,
                    attempt: e.attempt,
                    error: e.error,
                    at: from_ms(e.at),
                })
                .collect(),
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
            finished_at: r.finished_at.map(Into::into),
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

/// Enqueues attempt 1 of an assignment cycle, due at `run_at`.
pub(crate) async fn enqueue_assignment(
    tx: &mut Tx,
    booking_id: i64,
    cycle: i64,
    run_at: DateTime<Utc>,
    max_attempts: u32,
) -> Result<i64, StoreError> {
    let payload = Json(JobPayload { booking_id, cycle });
    Ok(on!(tx, |c| {
        sqlx::query_scalar(
            "INSERT INTO jobs (queue, kind, payload, booking_id, state, attempt, max_attempts, run_at, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, 'scheduled', 1, $5, $6, $6, $6) RETURNING id",
        )
        .bind(ASSIGNMENT_QUEUE)
        .bind(ASSIGNMENT_JOB)
        .bind(payload)
        .bind(booking_id)
        .bind(i64::from(max_attempts))
        .bind(ts(run_at))
        .fetch_one(c)
        .await
    })?)
}

/// Cancels the booking's jobs that have not run yet; a running one finds the booking no
/// longer awaiting assignment and completes as a no-op.
pub(crate) async fn cancel_pending_jobs(
    tx: &mut Tx,
    booking_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec!(tx, |c| {
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $2, updated_at = $2 \
             WHERE booking_id = $1 AND state IN ('scheduled', 'retrying', 'dead')",
        )
        .bind(booking_id)
        .bind(ts(now))
        .execute(c)
        .await
    })?;
    Ok(())
}

impl Store {
    /// Jobs, newest first, optionally in one state; `before_id` pages.
    pub async fn list_jobs(
        &self,
        state: Option<JobState>,
        booking_id: Option<i64>,
        before_id: Option<i64>,
        limit: u32,
    ) -> Result<Vec<Job>, StoreError> {
        let rows: Vec<JobRow> = on!(self.pool, |p| {
            sqlx::query_as(concat!(
                "SELECT ",
                job_columns!(),
                " FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR booking_id = $2) ",
                "AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
            ))
            .bind(state.map(JobState::as_str))
            .bind(booking_id)
            .bind(before_id)
            .bind(i64::from(limit.clamp(1, 500)))
            .fetch_all(p)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(Job::try_from)
            .collect::<Result<_, _>>()?)
    }
}

/// The latest job of a booking, as its page shows it.
pub(crate) async fn assignment_state(
    tx: &mut Tx,
    booking: &Booking,
) -> Result<Option<AssignmentState>, StoreError> {
    let row: Option<JobRow> = on!(tx, |c| {
        sqlx::query_as(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE booking_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(booking.id)
        .fetch_optional(c)
        .await
    })?;
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
