//! Worker processes as they report themselves, and the one rule for whether a worker is
//! alive.

use std::time::Duration;

use chrono::{DateTime, Utc};

use sqlx::FromRow;

use db::{Ts, exec, on, ts};

use crate::Queue;

/// A worker is live while it has not stopped and its last heartbeat is within this many
/// of its own heartbeat intervals: one late beat is noise, three missed ones are not.
pub const MISSED_BEATS_BEFORE_DEAD: i32 = 3;

/// A worker process as it last reported itself.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkerInfo {
    pub name: String,
    pub hostname: String,
    pub pid: i64,
    pub concurrency: i64,
    pub heartbeat_ms: i64,
    pub started_at: DateTime<Utc>,
    pub last_heartbeat_at: DateTime<Utc>,
    /// Set when the worker shut down cleanly.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Whether it counts as alive now (see [`WorkerInfo::is_live_at`]).
    pub live: bool,
    /// The jobs it runs now (under its lease), by id.
    pub running: Vec<i64>,
}

impl WorkerInfo {
    /// Not stopped, and beat within [`MISSED_BEATS_BEFORE_DEAD`] of its own intervals.
    pub fn is_live_at(&self, now: DateTime<Utc>) -> bool {
        let window =
            chrono::Duration::milliseconds(self.heartbeat_ms.max(1)) * MISSED_BEATS_BEFORE_DEAD;
        self.stopped_at.is_none() && now - self.last_heartbeat_at < window
    }
}

#[derive(FromRow)]
struct WorkerRow {
    name: String,
    hostname: String,
    pid: i64,
    concurrency: i64,
    heartbeat_ms: i64,
    started_at: Ts,
    last_heartbeat_at: Ts,
    stopped_at: Option<Ts>,
}

/// How a worker process describes itself when it starts.
#[derive(Debug, Clone)]
pub struct WorkerRegistration {
    pub name: String,
    pub hostname: String,
    pub pid: u32,
    pub concurrency: u32,
    pub heartbeat: Duration,
}

impl Queue {
    /// Records a worker process as started (or restarted under the same name).
    pub async fn register_worker(&self, worker: &WorkerRegistration) -> Result<(), db::Error> {
        let mut tx = self.db.write().await?;
        let now = ts(tx.now());
        exec!(tx, |c| {
            sqlx::query(
                "INSERT INTO workers (name, hostname, pid, concurrency, heartbeat_ms, started_at, \
                 last_heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (name) DO UPDATE \
                 SET hostname = $2, pid = $3, concurrency = $4, heartbeat_ms = $5, started_at = $6, \
                 last_heartbeat_at = $6, stopped_at = NULL",
            )
            .bind(&worker.name)
            .bind(&worker.hostname)
            .bind(i64::from(worker.pid))
            .bind(i64::from(worker.concurrency))
            .bind(i64::try_from(worker.heartbeat.as_millis()).unwrap_or(i64::MAX))
            .bind(now)
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// A worker's periodic sign of life.
    pub async fn heartbeat(&self, name: &str) -> Result<(), db::Error> {
        let mut tx = self.db.write().await?;
        let now = ts(tx.now());
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
    pub async fn worker_stopped(&self, name: &str) -> Result<(), db::Error> {
        let mut tx = self.db.write().await?;
        let now = ts(tx.now());
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

    /// The workers that reported most recently (running ones first), at most 100.
    pub async fn workers(&self) -> Result<Vec<WorkerInfo>, db::Error> {
        let rows: Vec<WorkerRow> = on!(self.db, |p| {
            sqlx::query_as(
                "SELECT name, hostname, pid, concurrency, heartbeat_ms, started_at, last_heartbeat_at, \
                 stopped_at FROM workers ORDER BY stopped_at IS NOT NULL, last_heartbeat_at DESC LIMIT 100",
            )
            .fetch_all(p)
            .await
        })?;
        let held: Vec<(String, i64)> = on!(self.db, |p| {
            sqlx::query_as(
                "SELECT lease_owner, id FROM jobs WHERE state = 'running' AND lease_owner IS NOT NULL \
                 ORDER BY id",
            )
            .fetch_all(p)
            .await
        })?;
        let mut running: std::collections::HashMap<String, Vec<i64>> = Default::default();
        for (owner, id) in held {
            running.entry(owner).or_default().push(id);
        }
        let now = self.db.now();
        Ok(rows
            .into_iter()
            .map(|r| {
                let held = running.remove(&r.name).unwrap_or_default();
                let mut w = WorkerInfo {
                    name: r.name,
                    hostname: r.hostname,
                    pid: r.pid,
                    concurrency: r.concurrency,
                    heartbeat_ms: r.heartbeat_ms,
                    started_at: r.started_at.into(),
                    last_heartbeat_at: r.last_heartbeat_at.into(),
                    stopped_at: r.stopped_at.map(Into::into),
                    live: false,
                    running: held,
                };
                w.live = w.is_live_at(now);
                w
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn worker(heartbeat_ms: i64, beat_ago_ms: i64, stopped: bool) -> (WorkerInfo, DateTime<Utc>) {
        let now: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().unwrap();
        let last = now - chrono::Duration::milliseconds(beat_ago_ms);
        (
            WorkerInfo {
                name: "w".into(),
                hostname: "h".into(),
                pid: 1,
                concurrency: 1,
                heartbeat_ms,
                started_at: last,
                last_heartbeat_at: last,
                stopped_at: stopped.then_some(last),
                live: false,
                running: Vec::new(),
            },
            now,
        )
    }

    #[test]
    fn a_worker_is_live_until_it_misses_three_of_its_own_beats_or_stops() {
        let (w, now) = worker(5000, 14_999, false);
        assert!(w.is_live_at(now));
        let (w, now) = worker(5000, 15_000, false);
        assert!(!w.is_live_at(now));
        let (w, now) = worker(1000, 3500, false);
        assert!(!w.is_live_at(now));
        let (w, now) = worker(5000, 0, true);
        assert!(!w.is_live_at(now));
    }
}
