//! What the application does to jobs inside its own transactions, so that a job commits
//! or rolls back with the change that caused it: enqueue, cancel, find, and, for a job a
//! worker holds, the fenced writes that end its attempt.

use chrono::{DateTime, Utc};
use sqlx::types::Json;

use db::{Tx, dialect, exec, on, ts};

use crate::job::{Job, JobKind, JobRow, JobState, Lease};
use crate::policy::RetryPolicy;
use crate::sql::{postgres, sqlite};

/// The columns a new job is inserted with, in the order [`enqueue`] gives them (for
/// application statements that insert a job in the same round trip as their own rows).
#[macro_export]
macro_rules! new_job_columns {
    () => {
        "queue, kind, payload, subject_id, state, attempt, max_attempts, backoff_base_ms, round, \
         run_at, created_at, updated_at"
    };
}

/// What became of a job whose attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The next attempt is due at `run_at`.
    Retrying {
        next_attempt: i64,
        run_at: DateTime<Utc>,
    },
    /// That was the last attempt: the job is dead until someone retries it.
    Dead { attempts: i64 },
}

impl Failure {
    pub fn is_dead(&self) -> bool {
        matches!(self, Failure::Dead { .. })
    }
}

/// Enqueues `job`, due at `run_at`, retried by `policy`; returns its id.
pub async fn enqueue<J: JobKind>(
    tx: &mut Tx,
    job: &J,
    run_at: DateTime<Utc>,
    policy: RetryPolicy,
) -> Result<i64, db::Error> {
    let now = tx.now();
    let payload = Json(serde_json::to_value(job).map_err(|e| sqlx::Error::Encode(e.into()))?);
    if run_at <= now {
        tx.wake(J::QUEUE);
    }
    Ok(on!(tx, |c| {
        sqlx::query_scalar(concat!(
            "INSERT INTO jobs (",
            new_job_columns!(),
            ") VALUES ($1, $2, $3, $4, 'scheduled', 1, $5, $6, 1, $7, $8, $8) RETURNING id"
        ))
        .bind(J::QUEUE)
        .bind(J::KIND)
        .bind(&payload)
        .bind(job.subject_id())
        .bind(i64::from(policy.max_attempts))
        .bind(policy.base_ms())
        .bind(ts(run_at))
        .bind(ts(now))
        .fetch_one(c)
        .await
    })?)
}

/// Cancels the jobs of `kind` about `subject_id` that have not run yet (and dead ones,
/// which would otherwise be retried); a running one is left to finish. Returns how many.
pub async fn cancel_pending(tx: &mut Tx, kind: &str, subject_id: i64) -> Result<u64, db::Error> {
    let now = ts(tx.now());
    Ok(exec!(tx, |c| {
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $3, updated_at = $3 \
             WHERE kind = $1 AND subject_id = $2 AND state IN ('scheduled', 'retrying', 'dead')",
        )
        .bind(kind)
        .bind(subject_id)
        .bind(now)
        .execute(c)
        .await
    })?)
}

/// The newest job of `kind` about `subject_id`.
pub async fn latest(tx: &mut Tx, kind: &str, subject_id: i64) -> Result<Option<Job>, db::Error> {
    let row: Option<JobRow> = on!(tx, |c| {
        sqlx::query_as(concat!(
            "SELECT ",
            crate::job_columns!(),
            " FROM jobs WHERE kind = $1 AND subject_id = $2 ORDER BY id DESC LIMIT 1"
        ))
        .bind(kind)
        .bind(subject_id)
        .fetch_optional(c)
        .await
    })?;
    Ok(row.map(Job::try_from).transpose()?)
}

/// The job, locked against other writers until the transaction ends (PostgreSQL; a
/// SQLite write transaction excludes them anyway).
pub async fn lock(tx: &mut Tx, job_id: i64) -> Result<Option<Job>, db::Error> {
    let sql = dialect!(tx, sqlite: sqlite::LOCK_JOB, postgres: postgres::LOCK_JOB);
    let row: Option<JobRow> = on!(tx, |c| sqlx::query_as(sql)
        .bind(job_id)
        .fetch_optional(c)
        .await)?;
    Ok(row.map(Job::try_from).transpose()?)
}

/// The condition under which a claim still holds a job: the job's id is `$id` and its
/// lease token `$token` (placeholders such as `"$1"`). For application statements that
/// end a job's attempt in the same round trip as their own writes.
#[macro_export]
macro_rules! held_by_lease {
    ($id:literal, $token:literal) => {
        concat!(
            "id = ",
            $id,
            " AND lease_token = ",
            $token,
            " AND state = 'running'"
        )
    };
}

/// What marking a job done sets, at time `$now` (a placeholder such as `"$3"`).
#[macro_export]
macro_rules! job_done_set {
    ($now:literal) => {
        concat!(
            "state = 'done', finished_at = ", $now, ", updated_at = ", $now,
            ", lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, lost_lease_of = NULL"
        )
    };
}

/// `UPDATE jobs SET $set` for a job this claim still holds: `$1` is the job's id, `$2`
/// its lease token, `$3` the time now.
macro_rules! fenced {
    ($($set:tt)*) => {
        concat!("UPDATE jobs SET ", $($set)*, " WHERE ", held_by_lease!("$1", "$2"))
    };
}

async fn update_fenced(tx: &mut Tx, lease: &Lease, sql: &'static str) -> Result<bool, db::Error> {
    let now = ts(tx.now());
    let rows = exec!(tx, |c| {
        sqlx::query(sql)
            .bind(lease.job_id)
            .bind(&lease.token)
            .bind(now)
            .execute(c)
            .await
    })?;
    Ok(rows == 1)
}

/// True when the claim still holds the job (and marks it touched).
pub async fn touch(tx: &mut Tx, lease: &Lease) -> Result<bool, db::Error> {
    update_fenced(tx, lease, fenced!("updated_at = $3")).await
}

/// Marks the job done; false when the claim no longer holds it.
pub async fn complete(tx: &mut Tx, lease: &Lease) -> Result<bool, db::Error> {
    update_fenced(tx, lease, fenced!(job_done_set!("$3"))).await
}

/// Gives a claimed job back, unstarted: claimable at once by anyone, its attempt not
/// spent (a worker shutting down). False when the claim no longer holds it.
pub async fn release(tx: &mut Tx, lease: &Lease) -> Result<bool, db::Error> {
    let released = update_fenced(
        tx,
        lease,
        fenced!(
            "state = CASE WHEN attempt > 1 THEN 'retrying' ELSE 'scheduled' END, \
             lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $3"
        ),
    )
    .await?;
    if released {
        tx.wake(db::wake::ANY_QUEUE);
    }
    Ok(released)
}

/// Records that the attempt this claim holds failed with `error`: the next attempt is
/// scheduled with the job's backoff, or the job is dead. `None` when the claim no longer
/// holds the job (nothing was written).
pub async fn fail(tx: &mut Tx, lease: &Lease, error: &str) -> Result<Option<Failure>, db::Error> {
    let sql = dialect!(tx, sqlite: sqlite::HELD_COUNTS, postgres: postgres::HELD_COUNTS);
    let held: Option<(i64, i64, i64)> = on!(tx, |c| {
        sqlx::query_as(sql)
            .bind(lease.job_id)
            .bind(&lease.token)
            .fetch_optional(c)
            .await
    })?;
    let Some(counts) = held else {
        return Ok(None);
    };
    Ok(Some(record_failure(tx, lease.job_id, counts, error).await?))
}

/// Records that attempt `attempt` of a job nobody holds failed: work that attempt did
/// came undone later (an assignment the provider then declined). The job, usually done
/// by then, is reopened as if that attempt had failed; a claim on it is fenced out.
pub async fn fail_attempt(
    tx: &mut Tx,
    job_id: i64,
    attempt: i64,
    error: &str,
) -> Result<Failure, db::Error> {
    let sql = dialect!(tx, sqlite: sqlite::COUNTS, postgres: postgres::COUNTS);
    let (_, max_attempts, base_ms): (i64, i64, i64) =
        on!(tx, |c| sqlx::query_as(sql).bind(job_id).fetch_one(c).await)?;
    record_failure(tx, job_id, (attempt, max_attempts, base_ms), error).await
}

async fn record_failure(
    tx: &mut Tx,
    job_id: i64,
    (attempt, max_attempts, base_ms): (i64, i64, i64),
    error: &str,
) -> Result<Failure, db::Error> {
    let now = tx.now();
    let policy = RetryPolicy {
        base: std::time::Duration::from_millis(u64::try_from(base_ms).unwrap_or(0)),
        max_attempts: u32::try_from(max_attempts).unwrap_or(u32::MAX),
    };
    let attempt_u32 = u32::try_from(attempt).unwrap_or(u32::MAX);
    let failure = if policy.has_attempt_after(attempt_u32) {
        let delay = chrono::Duration::from_std(policy.delay_before(attempt_u32 + 1))
            .unwrap_or(chrono::Duration::MAX);
        Failure::Retrying {
            next_attempt: attempt + 1,
            run_at: now.checked_add_signed(delay).unwrap_or(now),
        }
    } else {
        Failure::Dead { attempts: attempt }
    };
    let (state, next_attempt, run_at) = match failure {
        Failure::Retrying {
            next_attempt,
            run_at,
        } => (JobState::Retrying, next_attempt, run_at),
        Failure::Dead { .. } => (JobState::Dead, attempt, now),
    };
    let sql = dialect!(tx, sqlite: sqlite::RECORD_FAILURE, postgres: postgres::RECORD_FAILURE);
    exec!(tx, |c| {
        sqlx::query(sql)
            .bind(job_id)
            .bind(state.as_str())
            .bind(next_attempt)
            .bind(ts(run_at))
            .bind(error)
            .bind(ts(now))
            .bind(attempt)
            .bind(now.timestamp_millis())
            .execute(c)
            .await
    })?;
    Ok(failure)
}

/// Starts a dead or cancelled job over: a new round at attempt 1, due now, retried by
/// `policy`, with `payload` if given. False when the job is in another state (nothing
/// was written).
pub async fn retry(
    tx: &mut Tx,
    job_id: i64,
    payload: Option<&serde_json::Value>,
    policy: RetryPolicy,
) -> Result<bool, db::Error> {
    let now = ts(tx.now());
    let rows = exec!(tx, |c| {
        sqlx::query(
            "UPDATE jobs SET state = 'scheduled', attempt = 1, round = round + 1, run_at = $2, \
             payload = COALESCE($3, payload), max_attempts = $4, backoff_base_ms = $5, \
             lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, lost_lease_of = NULL, \
             finished_at = NULL, updated_at = $2 WHERE id = $1 AND state IN ('dead', 'cancelled')",
        )
        .bind(job_id)
        .bind(now)
        .bind(payload.map(Json))
        .bind(i64::from(policy.max_attempts))
        .bind(policy.base_ms())
        .execute(c)
        .await
    })?;
    if rows == 1 {
        tx.wake(db::wake::ANY_QUEUE);
    }
    Ok(rows == 1)
}

/// Makes a scheduled or retrying job due now (an operator's "run now"). False when the
/// job is in another state (nothing was written).
pub async fn run_now(tx: &mut Tx, job_id: i64) -> Result<bool, db::Error> {
    let now = ts(tx.now());
    let rows = exec!(tx, |c| {
        sqlx::query(
            "UPDATE jobs SET run_at = $2, updated_at = $2 \
             WHERE id = $1 AND state IN ('scheduled', 'retrying')",
        )
        .bind(job_id)
        .bind(now)
        .execute(c)
        .await
    })?;
    if rows == 1 {
        tx.wake(db::wake::ANY_QUEUE);
    }
    Ok(rows == 1)
}

/// Cancels a scheduled or retrying job. False when the job is in another state: a
/// running job is never touched (nothing was written).
pub async fn cancel(tx: &mut Tx, job_id: i64) -> Result<bool, db::Error> {
    let now = ts(tx.now());
    let rows = exec!(tx, |c| {
        sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = $2, updated_at = $2 \
             WHERE id = $1 AND state IN ('scheduled', 'retrying')",
        )
        .bind(job_id)
        .bind(now)
        .execute(c)
        .await
    })?;
    Ok(rows == 1)
}
