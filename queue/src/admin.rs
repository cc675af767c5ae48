//! The queue as operators see it: jobs listed and counted, and the retention of
//! finished jobs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use db::{exec, on, ts};

use crate::Queue;
use crate::job::{Job, JobRow, JobState, jobs};

/// Which jobs to list; `None` matches everything.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub state: Option<JobState>,
    pub kind: Option<String>,
    pub subject_id: Option<i64>,
    /// Only jobs with an id below this one (the cursor of the previous page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

impl Queue {
    /// Jobs matching `filter`, newest first.
    pub async fn list(&self, filter: &JobFilter) -> Result<Vec<Job>, db::Error> {
        let rows: Vec<JobRow> = on!(self.db, |p| {
            sqlx::query_as(concat!(
                "SELECT ",
                crate::job_columns!(),
                " FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR kind = $2) ",
                "AND ($3 IS NULL OR subject_id = $3) AND ($4 IS NULL OR id < $4) ",
                "ORDER BY id DESC LIMIT $5"
            ))
            .bind(filter.state.map(JobState::as_str))
            .bind(filter.kind.as_deref())
            .bind(filter.subject_id)
            .bind(filter.before_id)
            .bind(i64::from(filter.limit.clamp(1, 1000)))
            .fetch_all(p)
            .await
        })?;
        Ok(jobs(rows)?)
    }

    /// How many jobs are in each state (every state present, zeros included).
    pub async fn count_by_state(&self) -> Result<BTreeMap<JobState, i64>, db::Error> {
        let counted: Vec<(String, i64)> = on!(self.db, |p| {
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                .fetch_all(p)
                .await
        })?;
        let mut counts: BTreeMap<JobState, i64> = JobState::ALL.iter().map(|s| (*s, 0)).collect();
        for (state, n) in counted {
            let state = JobState::parse(&state)
                .ok_or_else(|| crate::job::decode_error("job state", &state))?;
            counts.insert(state, n);
        }
        Ok(counts)
    }

    /// Deletes done and cancelled jobs that finished before `before`; returns how many.
    /// Dead jobs are kept, however old: they are what an operator has to look at, until
    /// someone retries them.
    pub async fn purge_finished(&self, before: DateTime<Utc>) -> Result<u64, db::Error> {
        let mut tx = self.db.write().await?;
        let purged = exec!(tx, |c| {
            sqlx::query(
                "DELETE FROM jobs WHERE state IN ('done', 'cancelled') AND finished_at < $1",
            )
            .bind(ts(before))
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(purged)
    }
}
