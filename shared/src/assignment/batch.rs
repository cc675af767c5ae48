//! Assignments written together: the jobs a worker runs at the same time share one
//! transaction (group commit, as booking intake does on SQLite).
//!
//! A worker runs several jobs at once, and part of what an assignment's write costs is
//! the transaction around it (taking SQLite's write lock, `BEGIN`, `COMMIT` and its
//! write to the log; on PostgreSQL a flush per commit). So the worker's assignment jobs
//! go through one task per process, which writes those waiting together: under load,
//! many per commit; alone, one, exactly as [`Assignment::run`] does.
//!
//! On SQLite the batch reads its bookings in one statement, then runs every attempt on
//! the connection's own handle ([`db::Tx::direct`]): one hand-off to the connection's
//! thread for the batch instead of one per statement, which is where a drain spent most
//! of its time (BENCHMARKS.md). Only attempts that assign are written there; one whose
//! booking no longer awaits it, or for which nobody is eligible, is rolled back to its
//! savepoint and runs alone, through the general path that records it.
//!
//! Each job still succeeds or fails on its own. Each is fenced on its own lease, and
//! runs after a savepoint of its own: one whose lease was lost leaves nothing behind, and
//! one that fails is rolled back to its savepoint while the others go on, then runs
//! again alone once they are committed (with the retries a job alone has: a busy
//! database, a provider another worker just took). If the shared transaction itself
//! fails (it cannot start, a statement ends it, the commit fails), nothing of it was
//! written and every job runs alone. A job whose run has ended meanwhile (it timed out)
//! is not written. The task is started by the first job, again if it ever stopped, and
//! ends when the last handle on the room is gone.

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use db::{Backend, Tx, exec};
use queue::{ClaimedJob, JobKind};

use super::job::{payload_of, report, span_of};
use super::{AssignProvider, Assignment, AssignmentOutcome};
use crate::booking::rows;
use crate::error::StoreError;

/// At most this many jobs share a transaction (and SQLite's write lock, meanwhile).
const MAX_BATCH: usize = 32;
/// Jobs waiting for the task; further runs wait to hand theirs over.
const QUEUE: usize = 256;

type Outcome = Result<AssignmentOutcome, StoreError>;

/// A job handed to the task, with where its outcome goes.
#[derive(Debug)]
pub(super) struct Waiting {
    job: ClaimedJob,
    answer: oneshot::Sender<Outcome>,
}

/// The way to the room's batching task, while it runs.
pub(super) type Lane = db::lane::Lane<Waiting>;

impl Assignment {
    /// Runs one attempt of `job` with whatever other assignment jobs of this process
    /// are waiting, in one transaction (see the module documentation); an
    /// [`super::ExpireOffer`] job runs alone.
    pub async fn run_batched(&self, job: &ClaimedJob) -> Outcome {
        if job.kind != AssignProvider::KIND {
            return self.run(job).await;
        }
        let job = job.clone();
        db::lane::ask(self.lane_queue(), |answer| Waiting { job, answer }).await?
    }

    /// The running task's queue, starting the task if it is not running.
    fn lane_queue(&self) -> mpsc::Sender<Waiting> {
        self.lane.queue(QUEUE, |receiver| {
            // The task's own handle has no lane: it must not keep itself alive.
            let writer = Assignment {
                lane: Lane::default(),
                ..self.clone()
            };
            writer.run_lane(receiver)
        })
    }

    async fn run_lane(self, mut receiver: mpsc::Receiver<Waiting>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            batch.retain(|waiting| !waiting.answer.is_closed());
            let jobs: Vec<&ClaimedJob> = batch.iter().map(|waiting| &waiting.job).collect();
            let outcomes = self.run_together(&jobs).await;
            for (waiting, outcome) in batch.drain(..).zip(outcomes) {
                let _ = waiting.answer.send(outcome);
            }
        }
    }

    /// Runs one attempt of each of `jobs` in one transaction, each in a savepoint of its
    /// own; a job that fails there, or that is not an [`AssignProvider`] job, runs alone
    /// afterwards (see the module documentation). Each job's outcome, in order.
    pub async fn run_together(&self, jobs: &[&ClaimedJob]) -> Vec<Outcome> {
        match jobs {
            [] => return Vec::new(),
            [job] => return vec![self.run(job).await],
            _ => {}
        }
        let written = match self.write_together(jobs).await {
            Ok(written) => written,
            Err(error) => {
                tracing::warn!(%error, jobs = jobs.len(), "a shared assignment transaction failed; running each job alone");
                vec![None; jobs.len()]
            }
        };
        let mut outcomes = Vec::with_capacity(jobs.len());
        for (job, written) in jobs.iter().zip(written) {
            outcomes.push(match written {
                Some((payload, outcome)) => {
                    report(payload, &outcome);
                    Ok(outcome)
                }
                None => self.run(job).await,
            });
        }
        outcomes
    }

    /// Writes the attempts of `jobs` in one transaction and commits it: for each job, its
    /// payload and outcome, or `None` for one to run alone (nothing of it was written).
    async fn write_together(
        &self,
        jobs: &[&ClaimedJob],
    ) -> Result<Vec<Option<Written>>, StoreError> {
        let mut tx = self.db.write().await?;
        let payloads: Vec<Option<AssignProvider>> = jobs
            .iter()
            .map(|job| match payload_of(job) {
                Ok(payload) if job.kind == AssignProvider::KIND => Some(payload),
                _ => None,
            })
            .collect();
        let written = match tx.backend() {
            Backend::Sqlite => self.write_direct(&mut tx, jobs, &payloads).await?,
            Backend::Postgres => self.write_each(&mut tx, jobs, &payloads).await?,
        };
        tx.commit().await?;
        metrics::counter!("assignment_transactions_total").increment(1);
        Ok(written)
    }

    /// SQLite: the bookings read together, then every attempt on the connection's own
    /// handle ([`db::Tx::direct`]), each after a savepoint of its own: one hand-off to
    /// the connection's thread for the batch, instead of one per statement.
    ///
    /// Each attempt's savepoint is released once it has assigned (or been rolled back),
    /// so that one is open at a time. SQLite copies each page a savepoint changes into
    /// its journal and marks it in every open savepoint; with 32 nested, 11% of the
    /// worker's time went there, and with each released, 6% (a drain by one worker ran
    /// 18% faster; BENCHMARKS.md). Rolling back to a savepoint that was never taken
    /// fails, and with it the shared transaction, as in [`Assignment::write_each`].
    async fn write_direct(
        &self,
        tx: &mut Tx,
        jobs: &[&ClaimedJob],
        payloads: &[Option<AssignProvider>],
    ) -> Result<Vec<Option<Written>>, StoreError> {
        let ids: Vec<i64> = payloads.iter().flatten().map(|p| p.booking_id).collect();
        let bookings = rows::fetch_each(tx, &ids).await?;
        let now = tx.now();
        let each = |s: &mut db::Scripts<'_>| -> Result<Vec<Option<Written>>, StoreError> {
            let mut written = Vec::with_capacity(jobs.len());
            for (job, payload) in jobs.iter().zip(payloads) {
                let Some((payload, booking)) =
                    payload.and_then(|p| Some((p, bookings.get(&p.booking_id)?)))
                else {
                    written.push(None);
                    continue;
                };
                s.execute("SAVEPOINT assignment", &[])?;
                let attempt =
                    span_of(payload).in_scope(|| self.assign_direct(s, job, payload, booking, now));
                let outcome = attempt.unwrap_or_else(|error| {
                    tracing::debug!(job_id = job.id(), %error, "an assignment failed in a shared transaction; it runs alone next");
                    None
                });
                // Only an attempt that assigned keeps what it wrote.
                if matches!(outcome, Some(AssignmentOutcome::Assigned { .. })) {
                    s.execute("RELEASE assignment", &[])?;
                } else {
                    s.execute("ROLLBACK TO assignment; RELEASE assignment", &[])?;
                }
                written.push(outcome.map(|outcome| (payload, outcome)));
            }
            Ok(written)
        };
        match tx.direct(each).await? {
            Some(written) => written,
            // A transaction that lends no handle (PostgreSQL's) takes the general path.
            None => self.write_each(tx, jobs, payloads).await,
        }
    }

    /// Every attempt through the general path ([`Assignment::assign_in`]), each after a
    /// savepoint of its own (PostgreSQL).
    async fn write_each(
        &self,
        tx: &mut Tx,
        jobs: &[&ClaimedJob],
        payloads: &[Option<AssignProvider>],
    ) -> Result<Vec<Option<Written>>, StoreError> {
        let mut written = Vec::with_capacity(jobs.len());
        for (i, (job, payload)) in jobs.iter().zip(payloads).enumerate() {
            let Some(payload) = *payload else {
                written.push(None);
                continue;
            };
            // Each job's savepoint has a name of its own, so that rolling back to one
            // that was never taken fails (and with it the shared transaction) instead of
            // undoing the job before.
            let savepoint = format!("assignment_{i}");
            let attempt = self
                .assign_in(tx, job, payload, Some(&savepoint))
                .instrument(span_of(payload))
                .await;
            written.push(match attempt {
                Ok(AssignmentOutcome::LeaseLost) => {
                    undo(tx, &savepoint).await?;
                    Some((payload, AssignmentOutcome::LeaseLost))
                }
                Ok(outcome) => Some((payload, outcome)),
                Err(error) => {
                    tracing::debug!(job_id = job.id(), %error, "an assignment failed in a shared transaction; it runs alone next");
                    undo(tx, &savepoint).await?;
                    None
                }
            });
        }
        Ok(written)
    }
}

/// A job's payload and what its attempt did, written in the shared transaction.
type Written = (AssignProvider, AssignmentOutcome);

/// Undoes what a job wrote since its savepoint `name`. (Savepoints are not released:
/// each job's is taken after the one before, and the commit ends them all, a round trip
/// fewer per job.) When this fails (the savepoint was never taken, or the transaction
/// has ended: on SQLite a full disk or an I/O error ends it, on PostgreSQL a lost
/// connection), the shared transaction has failed as a whole.
async fn undo(tx: &mut Tx, name: &str) -> Result<(), StoreError> {
    let sql = sqlx::AssertSqlSafe(format!("ROLLBACK TO {name}"));
    exec!(tx, |c| sqlx::raw_sql(sql).execute(c).await)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_batching_task_holds_no_handle_on_its_lane() {
        let db = db::Db::connect("sqlite::memory:").await.unwrap();
        let assignment = Assignment::new(db.clone(), "w");
        let queue = assignment.lane_queue();
        assert!(assignment.lane_queue().same_channel(&queue));
        let lane = assignment.lane.downgrade();
        drop(assignment);
        assert!(
            lane.upgrade().is_none(),
            "the task holds no handle on the lane (or it would keep itself alive)"
        );
        assert!(!queue.is_closed(), "it runs while a sender is left");
        let (sender, receiver) = mpsc::channel(1);
        drop(sender);
        let ran = Assignment::new(db, "w").run_lane(receiver);
        tokio::time::timeout(std::time::Duration::from_secs(5), ran)
            .await
            .expect("a task whose senders are all gone ends");
    }
}
