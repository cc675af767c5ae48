//! Worker processes as they report themselves, and the admin overview counts.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::FromRow;

use super::Store;
use super::db::{Ts, exec, on, ts};
use super::jobs::JobState;
use crate::error::StoreError;

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
    started_at: Ts,
    last_heartbeat_at: Ts,
    stopped_at: Option<Ts>,
}

impl From<WorkerRow> for WorkerInfo {
    fn from(r: WorkerRow) -> Self {
        WorkerInfo {
            name: r.name,
            hostname: r.hostname,
            pid: r.pid,
            concurrency: r.concurrency,
            started_at: r.started_at.into(),
            last_heartbeat_at: r.last_heartbeat_at.into(),
            stopped_at: r.stopped_at.map(Into::into),
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

impl Store {
    /// Bookings by status, jobs by state, and the workers with their last heartbeat.
    pub async fn stats(&self) -> Result<Stats, StoreError> {
        let bookings: Vec<(String, i64)> = on!(self.pool, |p| {
            sqlx::query_as("SELECT status, COUNT(*) FROM bookings GROUP BY status")
                .fetch_all(p)
                .await
        })?;
        let jobs: Vec<(String, i64)> = on!(self.pool, |p| {
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state")
                .fetch_all(p)
                .await
        })?;
        let workers: Vec<WorkerRow> = on!(self.pool, |p| {
            sqlx::query_as(
                "SELECT name, hostname, pid, concurrency, started_at, last_heartbeat_at, stopped_at \
                 FROM workers ORDER BY stopped_at IS NOT NULL, last_heartbeat_at DESC LIMIT 100",
            )
            .fetch_all(p)
            .await
        })?;
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
        let now = ts(self.now());
        let mut tx = self.write().await?;
        exec!(tx, |c| {
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
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// A worker's periodic sign of life.
    pub async fn worker_heartbeat(&self, name: &str) -> Result<(), StoreError> {
        let now = ts(self.now());
        let mut tx = self.write().await?;
        exec!(tx, |c| {
            sqlx::query("UPDATE workers SET last_heartbeat_at = $2 WHERE name = $1")
                .bind(name)
                .bind(now)
                .execute(c)
                .await
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// A worker's clean exit.
    pub async fn worker_stopped(&self, name: &str) -> Result<(), StoreError> {
        let now = ts(self.now());
        let mut tx = self.write().await?;
        exec!(tx, |c| {
            sqlx::query(
                "UPDATE workers SET stopped_at = $2, last_heartbeat_at = $2 WHERE name = $1",
            )
            .bind(name)
            .bind(now)
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(())
    }
}
