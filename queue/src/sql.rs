//! The statements whose text differs between SQLite and PostgreSQL, each named once, as
//! a pair. Everything else is written once, beside its use.

macro_rules! reclaim {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET state = CASE WHEN attempt > 1 THEN 'retrying' ELSE 'scheduled' END, ",
            "run_at = $2, lost_lease_of = lease_owner, ",
            "last_error = 'the lease of ' || lease_owner || ' expired before the attempt finished', ",
            "lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = $2 ",
            "WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_at <= $2 ",
            "AND queue = $1",
            $lock,
            ")"
        )
    };
}

macro_rules! claim {
    ($lock:literal) => {
        concat!(
            "UPDATE jobs SET state = 'running', lease_owner = $2, lease_token = $3, ",
            "lease_expires_at = $4, updated_at = $5, claimed_at = $5 WHERE id IN (SELECT id FROM jobs ",
            "WHERE queue = $1 AND state IN ('scheduled', 'retrying') AND run_at <= $5 ",
            "AND NOT EXISTS (SELECT 1 FROM queue_pauses WHERE queue = $1) ",
            "ORDER BY run_at, id LIMIT $6",
            $lock,
            ") RETURNING id, kind, payload, attempt, max_attempts, round, run_at, lost_lease_of"
        )
    };
}

macro_rules! record_failure {
    ($append:literal) => {
        concat!(
            "UPDATE jobs SET state = $2, attempt = $3, run_at = $4, lease_owner = NULL, ",
            "lease_token = NULL, lease_expires_at = NULL, lost_lease_of = NULL, last_error = $5, ",
            "errors = ",
            $append,
            ", updated_at = $6, finished_at = CASE WHEN $2 = 'dead' THEN $6 ELSE NULL END ",
            "WHERE id = $1"
        )
    };
}

macro_rules! lock_job {
    ($lock:literal) => {
        concat!(
            "SELECT ",
            crate::job_columns!(),
            " FROM jobs WHERE id = $1",
            $lock
        )
    };
}

macro_rules! counts {
    ($where:literal, $lock:literal) => {
        concat!(
            "SELECT attempt, max_attempts, backoff_base_ms FROM jobs WHERE ",
            $where,
            $lock
        )
    };
}

macro_rules! held_counts {
    ($lock:literal) => {
        counts!("id = $1 AND lease_token = $2 AND state = 'running'", $lock)
    };
}

/// SQLite: one writer at a time, so plain statements; JSON is text.
pub(crate) mod sqlite {
    pub const RECLAIM: &str = reclaim!("");
    pub const CLAIM: &str = claim!("");
    pub const RECORD_FAILURE: &str = record_failure!(
        "json_insert(errors, '$[#]', json_object('round', round, 'attempt', $7, 'error', $5, 'at', $8))"
    );
    pub const LOCK_JOB: &str = lock_job!("");
    pub const HELD_COUNTS: &str = held_counts!("");
    pub const COUNTS: &str = counts!("id = $1", "");
}

/// PostgreSQL: many claimers at once, so rows are taken `FOR UPDATE SKIP LOCKED` (never
/// the same job twice, never waiting on each other); JSON is jsonb.
pub(crate) mod postgres {
    pub const RECLAIM: &str = reclaim!(" FOR UPDATE SKIP LOCKED");
    pub const CLAIM: &str = claim!(" FOR UPDATE SKIP LOCKED");
    pub const RECORD_FAILURE: &str = record_failure!(
        "errors || jsonb_build_array(jsonb_build_object('round', round, 'attempt', $7::bigint, 'error', $5::text, 'at', $8::bigint))"
    );
    pub const LOCK_JOB: &str = lock_job!(" FOR UPDATE");
    pub const HELD_COUNTS: &str = held_counts!(" FOR UPDATE");
    pub const COUNTS: &str = counts!("id = $1", " FOR UPDATE");
}
