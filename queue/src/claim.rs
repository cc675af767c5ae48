//! Claiming due jobs under a lease, renewing the lease while a job runs, and giving
//! unstarted jobs back.
//!
//! A claim is one write transaction: it first puts back jobs whose lease expired (their
//! worker died or was cut off: the transaction that would have finished them never
//! committed), marked so that their next claimer records the lost attempt as failed
//! instead of running it again at once; then it moves the next due jobs, in `run_at`
//! order through the partial index `jobs_claimable`, to `running` with a fresh lease
//! token. On SQLite the transaction holds the write lock; on PostgreSQL the rows are
//! taken `FOR UPDATE SKIP LOCKED`, so workers on many hosts claim side by side and never
//! the same job. Every later write for a claimed job is fenced on `(id, lease_token,
//! state = 'running')`: a worker that lost its lease changes nothing.

use std::time::Duration;

use sqlx::types::Json;

use db::{Ts, dialect, exec, on, ts};

use crate::Queue;
use crate::job::{ClaimedJob, Lease};
use crate::sql::{postgres, sqlite};

fn lease_until(
    now: chrono::DateTime<chrono::Utc>,
    lease: Duration,
) -> chrono::DateTime<chrono::Utc> {
    now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(10))
}

impl Queue {
    /// Claims up to `limit` due jobs of `queue` for `owner`, each leased for `lease`, in
    /// the order they fell due.
    pub async fn claim(
        &self,
        queue: &str,
        owner: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, db::Error> {
        self.claim_up_to(queue, owner, || limit, lease).await
    }

    /// [`Queue::claim`], with the limit asked once the claim's transaction has begun (on
    /// SQLite, once it has the write lock): a worker whose runs are ending while it waits
    /// for the lock claims for all the slots they free.
    pub async fn claim_up_to(
        &self,
        queue: &str,
        owner: &str,
        limit: impl FnOnce() -> u32,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>, db::Error> {
        let token = format!("{owner}:{:016x}", rand::random::<u64>());
        let mut tx = self.db.write().await?;
        let limit = limit();
        let now = tx.now();
        let reclaim = dialect!(tx, sqlite: sqlite::RECLAIM, postgres: postgres::RECLAIM);
        let reclaimed = exec!(tx, |c| sqlx::query(reclaim)
            .bind(queue)
            .bind(ts(now))
            .execute(c)
            .await)?;
        if reclaimed > 0 {
            // Those this claim does not take are due for the other workers.
            tx.wake(queue);
        }
        let claim = dialect!(tx, sqlite: sqlite::CLAIM, postgres: postgres::CLAIM);
        type Row = (
            i64,
            String,
            Json<serde_json::Value>,
            i64,
            i64,
            i64,
            Ts,
            Option<String>,
        );
        let rows: Vec<Row> = on!(tx, |c| {
            sqlx::query_as(claim)
                .bind(queue)
                .bind(owner)
                .bind(&token)
                .bind(ts(lease_until(now, lease)))
                .bind(ts(now))
                .bind(i64::from(limit.max(1)))
                .fetch_all(c)
                .await
        })?;
        tx.commit().await?;
        let mut jobs: Vec<ClaimedJob> = rows
            .into_iter()
            .map(
                |(id, kind, payload, attempt, max_attempts, round, run_at, lost_lease_of)| {
                    ClaimedJob {
                        lease: Lease {
                            job_id: id,
                            token: token.clone(),
                        },
                        kind,
                        payload: payload.0,
                        attempt,
                        max_attempts,
                        round,
                        run_at: run_at.into(),
                        lost_lease_of,
                    }
                },
            )
            .collect();
        // RETURNING gives no order guarantee; run them in the order they fell due.
        jobs.sort_by_key(|j| (j.run_at, j.id()));
        Ok(jobs)
    }

    /// Extends a running job's lease; false when the lease was lost.
    pub async fn renew(&self, lease: &Lease, duration: Duration) -> Result<bool, db::Error> {
        let mut tx = self.db.write().await?;
        let now = tx.now();
        let rows = exec!(tx, |c| {
            sqlx::query(
                "UPDATE jobs SET lease_expires_at = $3, updated_at = $4 \
                 WHERE id = $1 AND lease_token = $2 AND state = 'running'",
            )
            .bind(lease.job_id)
            .bind(&lease.token)
            .bind(ts(lease_until(now, duration)))
            .bind(ts(now))
            .execute(c)
            .await
        })?;
        tx.commit().await?;
        Ok(rows == 1)
    }

    /// Gives back a claimed job that was never started (a worker shutting down).
    pub async fn release(&self, lease: &Lease) -> Result<bool, db::Error> {
        let mut tx = self.db.write().await?;
        let released = crate::write::release(&mut tx, lease).await?;
        tx.commit().await?;
        Ok(released)
    }
}
