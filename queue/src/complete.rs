//! Completions written together: jobs whose handler has nothing of its own to write
//! beside the job's end (a no-op, a message sent elsewhere) are marked done through one
//! task per queue handle (and its clones), which writes those waiting in one transaction
//! (group commit, as the application's assignment jobs and SQLite intake do): under load,
//! many per commit; alone, one, exactly as [`crate::complete`] in a transaction of its own.
//!
//! Each is still fenced on its own lease: one whose claim was lost changes nothing, and
//! its answer says so. If the shared transaction fails (it cannot start, a statement
//! fails, the commit fails), nothing of it was written and each is written again alone.
//! A completion whose caller has gone meanwhile (its run timed out) is not written.

use tokio::sync::{mpsc, oneshot};

use crate::{Lease, Queue};

/// At most this many completions share a transaction.
const MAX_BATCH: usize = 64;
/// Completions waiting for the task; further callers wait to hand theirs over.
const WAITING: usize = 256;

/// A completion handed to the task, with where its answer goes.
#[derive(Debug)]
pub(crate) struct Completion {
    lease: Lease,
    answer: oneshot::Sender<Result<bool, db::Error>>,
}

/// The way to a queue's completing task, while it runs.
pub(crate) type Lane = db::lane::Lane<Completion>;

impl Queue {
    /// Marks the job done, as [`crate::complete`] does, in a transaction shared with the
    /// other completions of this queue handle (and its clones) that arrive meanwhile (see
    /// the module documentation); false when the claim no longer holds the job. For a
    /// handler whose job writes nothing else: one that does ends the job in its own
    /// transaction.
    pub async fn complete(&self, lease: &Lease) -> Result<bool, db::Error> {
        let lease = lease.clone();
        let waiting = self.completions.queue(WAITING, |receiver| {
            // The task's own handle has no lane: it must not keep itself alive.
            Queue::new(self.db.clone()).complete_arriving(receiver)
        });
        db::lane::ask(waiting, |answer| Completion { lease, answer }).await?
    }

    /// Marks the jobs of `leases` done in one transaction; for each, whether its claim
    /// still held it (or the error of writing it alone, after the shared transaction
    /// failed). In order.
    pub async fn complete_together(&self, leases: &[&Lease]) -> Vec<Result<bool, db::Error>> {
        match leases {
            [] => return Vec::new(),
            [lease] => return vec![self.complete_alone(lease).await],
            _ => {}
        }
        match self.write_together(leases).await {
            Ok(done) => done.into_iter().map(Ok).collect(),
            Err(error) => {
                tracing::warn!(%error, jobs = leases.len(), "a shared completion transaction failed; completing each job alone");
                let mut done = Vec::with_capacity(leases.len());
                for lease in leases {
                    done.push(self.complete_alone(lease).await);
                }
                done
            }
        }
    }

    async fn complete_arriving(self, mut receiver: mpsc::Receiver<Completion>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            batch.retain(|waiting| !waiting.answer.is_closed());
            let leases: Vec<&Lease> = batch.iter().map(|waiting| &waiting.lease).collect();
            let done = self.complete_together(&leases).await;
            for (waiting, done) in batch.drain(..).zip(done) {
                let _ = waiting.answer.send(done);
            }
        }
    }

    /// Marks the jobs of `leases` done in one transaction and commits it; whether each
    /// claim still held its job, in order.
    async fn write_together(&self, leases: &[&Lease]) -> Result<Vec<bool>, db::Error> {
        let mut tx = self.db.write().await?;
        let mut done = Vec::with_capacity(leases.len());
        for lease in leases {
            done.push(crate::complete(&mut tx, lease).await?);
        }
        tx.commit().await?;
        Ok(done)
    }

    async fn complete_alone(&self, lease: &Lease) -> Result<bool, db::Error> {
        Ok(self.write_together(&[lease]).await?[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_completing_task_holds_no_handle_on_its_lane() {
        let db = db::Db::connect("sqlite::memory:").await.unwrap();
        let queue = Queue::new(db.clone());
        let waiting = queue.completions.queue(WAITING, |receiver| {
            Queue::new(db.clone()).complete_arriving(receiver)
        });
        let lane = queue.completions.downgrade();
        drop(queue);
        assert!(
            lane.upgrade().is_none(),
            "the task holds no handle on the lane (or it would keep itself alive)"
        );
        assert!(!waiting.is_closed(), "it runs while a sender is left");
        let (sender, receiver) = mpsc::channel(1);
        drop(sender);
        let ran = Queue::new(db).complete_arriving(receiver);
        tokio::time::timeout(std::time::Duration::from_secs(5), ran)
            .await
            .expect("a task whose senders are all gone ends");
    }
}
