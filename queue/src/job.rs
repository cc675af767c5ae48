//! Jobs: what a kind of job is ([`JobKind`]), a job's states, a job as an operator sees
//! it ([`Job`]) and as a worker holds it ([`ClaimedJob`]).

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::FromRow;
use sqlx::types::Json;

use db::{Ts, from_ms};

/// A kind of job: a small serde payload of ids with a stable name and a queue. The name
/// and the queue are stored with each job; never rename them once jobs exist.
pub trait JobKind: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The stable name of the job, e.g. `assign_provider`.
    const KIND: &'static str;
    /// The queue its jobs go to; each queue is claimed by its own workers.
    const QUEUE: &'static str;
    /// What the job is about (the id the application finds its jobs by), if anything.
    fn subject_id(&self) -> Option<i64>;
}

/// A job's state.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for its first attempt's `run_at`.
    Scheduled,
    /// Claimed by a worker, under a lease.
    Running,
    /// Finished; deleted after the retention period.
    Done,
    /// An attempt failed; the next one waits for its `run_at`.
    Retrying,
    /// Every attempt failed; kept until retried.
    Dead,
    /// Stopped before it ran; deleted after the retention period.
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

    /// Waiting to run (first attempt or a retry).
    pub fn is_pending(self) -> bool {
        matches!(self, JobState::Scheduled | JobState::Retrying)
    }
}

/// One failed attempt's error, as kept on the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub round: i64,
    pub attempt: i64,
    pub error: String,
    pub at: DateTime<Utc>,
}

/// A job as an operator sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    pub payload: serde_json::Value,
    pub subject_id: Option<i64>,
    pub state: JobState,
    pub attempt: i64,
    pub max_attempts: i64,
    pub backoff_base_ms: i64,
    pub round: i64,
    pub run_at: DateTime<Utc>,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub errors: Vec<JobError>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When its current or last run was claimed.
    pub claimed_at: Option<DateTime<Utc>>,
}

/// What fences a worker's writes to a job it claimed: the job and the claim's token. A
/// write with a token that is no longer the job's (the lease expired and someone else
/// claimed it) changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub job_id: i64,
    pub token: String,
}

/// A job claimed by a worker.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub lease: Lease,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempt: i64,
    pub max_attempts: i64,
    pub round: i64,
    pub run_at: DateTime<Utc>,
    /// Set when an earlier run of this attempt lost its lease (its worker died or was cut
    /// off): that run is a failed attempt to record, not one to repeat at once.
    pub lost_lease_of: Option<String>,
}

impl ClaimedJob {
    pub fn id(&self) -> i64 {
        self.lease.job_id
    }

    /// The payload as the job kind `J` it is.
    pub fn payload_as<J: JobKind>(&self) -> Result<J, serde_json::Error> {
        serde_json::from_value(self.payload.clone())
    }
}

/// The columns every job query selects, in [`JobRow`]'s order (a macro, so that
/// `concat!` builds each query as one static string).
#[macro_export]
macro_rules! job_columns {
    () => {
        "id, queue, kind, payload, subject_id, state, attempt, max_attempts, backoff_base_ms, \
         round, run_at, lease_owner, lease_expires_at, last_error, errors, created_at, \
         updated_at, finished_at, claimed_at"
    };
}

#[derive(FromRow)]
pub(crate) struct JobRow {
    id: i64,
    queue: String,
    kind: String,
    payload: Json<serde_json::Value>,
    subject_id: Option<i64>,
    state: String,
    attempt: i64,
    max_attempts: i64,
    backoff_base_ms: i64,
    round: i64,
    run_at: Ts,
    lease_owner: Option<String>,
    lease_expires_at: Option<Ts>,
    last_error: Option<String>,
    errors: Json<Vec<StoredJobError>>,
    created_at: Ts,
    updated_at: Ts,
    finished_at: Option<Ts>,
    claimed_at: Option<Ts>,
}

/// A stored error entry: times are kept in milliseconds inside the JSON on both backends.
#[derive(Deserialize)]
struct StoredJobError {
    #[serde(default)]
    round: Option<i64>,
    attempt: i64,
    error: String,
    at: i64,
}

pub(crate) fn decode_error(what: &str, value: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("unexpected {what} `{value}` in the database").into())
}

impl TryFrom<JobRow> for Job {
    type Error = sqlx::Error;
    fn try_from(r: JobRow) -> Result<Self, Self::Error> {
        Ok(Job {
            id: r.id,
            queue: r.queue,
            kind: r.kind,
            payload: r.payload.0,
            subject_id: r.subject_id,
            state: JobState::parse(&r.state).ok_or_else(|| decode_error("job state", &r.state))?,
            attempt: r.attempt,
            max_attempts: r.max_attempts,
            backoff_base_ms: r.backoff_base_ms,
            round: r.round,
            run_at: r.run_at.into(),
            lease_owner: r.lease_owner,
            lease_expires_at: r.lease_expires_at.map(Into::into),
            last_error: r.last_error,
            errors: r
                .errors
                .0
                .into_iter()
                .map(|e| JobError {
                    round: e.round.unwrap_or(1),
                    attempt: e.attempt,
                    error: e.error,
                    at: from_ms(e.at),
                })
                .collect(),
            created_at: r.created_at.into(),
            updated_at: r.updated_at.into(),
            finished_at: r.finished_at.map(Into::into),
            claimed_at: r.claimed_at.map(Into::into),
        })
    }
}

/// Converts rows, failing on the first that does not decode.
pub(crate) fn jobs(rows: Vec<JobRow>) -> Result<Vec<Job>, sqlx::Error> {
    rows.into_iter().map(Job::try_from).collect()
}

#[cfg(test)]
mod tests {
    use super::JobState;

    #[test]
    fn only_scheduled_and_retrying_jobs_wait_to_run() {
        let pending: Vec<JobState> = JobState::ALL
            .into_iter()
            .filter(|s| s.is_pending())
            .collect();
        assert_eq!(pending, [JobState::Scheduled, JobState::Retrying]);
    }
}
