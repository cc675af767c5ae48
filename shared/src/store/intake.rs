//! Group commit for new bookings on SQLite.
//!
//! SQLite admits one writer at a time, and what a booking's write costs is mostly the
//! transaction around it (`BEGIN IMMEDIATE` and `COMMIT`, each a hand-off to the
//! connection's thread, and the commit's write to the log) rather than its statements.
//! So bookings go through one task per process, which writes those waiting together in
//! one transaction: under load, many per commit; alone, one. Each booking still succeeds
//! or fails on its own: a booking refused (an unknown service, an idempotency key
//! reused) leaves nothing behind and the others go on; if the transaction fails partway,
//! nothing of it was written and each booking is tried again in a transaction of its
//! own, so that each gets its own answer; if it cannot start, each gets that error. A
//! booking whose caller has stopped waiting (a request timed out or was dropped) before
//! its turn is not written. The task is started by the first booking, again if it ever
//! stopped, and ends when the last handle on the store is gone.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

use super::Store;
use super::bookings::{BookingWrite, insert_booking};
use crate::booking::Booking;
use crate::error::StoreError;

/// At most this many bookings share a transaction (and the write lock, meanwhile).
const MAX_BATCH: usize = 64;
/// Bookings waiting for the task; further requests wait to hand theirs over.
const QUEUE: usize = 1024;

type Outcome = Result<(Booking, bool), StoreError>;

/// A booking handed to the task, with where its answer goes.
#[derive(Debug)]
pub(super) struct Pending {
    write: BookingWrite,
    answer: oneshot::Sender<Outcome>,
}

/// The way to a store's intake task, while it runs.
pub(super) type Intake = Arc<Mutex<Option<mpsc::Sender<Pending>>>>;

/// How writing a batch together went.
enum Together {
    /// Committed; each booking's outcome, in order.
    Written(Vec<Outcome>),
    /// The transaction could not start: nothing was tried.
    NotStarted(sqlx::Error),
    /// It failed partway or at commit: nothing of it was written.
    Failed(StoreError),
}

impl Store {
    /// Writes `write` with whatever other bookings are waiting, and answers for it alone.
    pub(super) async fn create_in_intake(&self, write: BookingWrite) -> Outcome {
        let (answer, answered) = oneshot::channel();
        self.intake_queue()
            .send(Pending { write, answer })
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        answered.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    /// The running task's queue, starting the task if it is not running.
    fn intake_queue(&self) -> mpsc::Sender<Pending> {
        let mut running = self.intake.lock().unwrap_or_else(|e| e.into_inner());
        match running.as_ref() {
            Some(queue) if !queue.is_closed() => queue.clone(),
            _ => {
                let (queue, receiver) = mpsc::channel(QUEUE);
                // The task's own handle has no intake: it must not keep itself alive.
                let writer = Store {
                    intake: Intake::default(),
                    ..self.clone()
                };
                tokio::spawn(writer.run_intake(receiver));
                running.insert(queue).clone()
            }
        }
    }

    async fn run_intake(self, mut receiver: mpsc::Receiver<Pending>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            batch.retain(|pending| !pending.answer.is_closed());
            match batch.len() {
                0 => {}
                1 => self.write_each_alone(&mut batch).await,
                n => match self.write_together(&batch).await {
                    Together::Written(outcomes) => {
                        for (pending, outcome) in batch.drain(..).zip(outcomes) {
                            let _ = pending.answer.send(outcome);
                        }
                    }
                    Together::NotStarted(error) => {
                        let error = Arc::new(error);
                        for pending in batch.drain(..) {
                            let _ = pending.answer.send(Err(StoreError::Shared(error.clone())));
                        }
                    }
                    Together::Failed(error) => {
                        tracing::warn!(%error, bookings = n, "a shared booking transaction failed; writing each booking alone");
                        self.write_each_alone(&mut batch).await;
                    }
                },
            }
        }
    }

    /// Writes the bookings of `batch` one transaction each, skipping those nobody waits
    /// for any more.
    async fn write_each_alone(&self, batch: &mut Vec<Pending>) {
        for pending in batch.drain(..) {
            if !pending.answer.is_closed() {
                let outcome = self.create_alone(&pending.write).await;
                let _ = pending.answer.send(outcome);
            }
        }
    }

    /// Every booking of `batch` in one transaction, each with its own outcome.
    async fn write_together(&self, batch: &[Pending]) -> Together {
        let mut tx = match self.write().await {
            Ok(tx) => tx,
            Err(StoreError::Database(e)) => return Together::NotStarted(e),
            Err(e) => return Together::Failed(e),
        };
        let mut outcomes = Vec::with_capacity(batch.len());
        for pending in batch {
            match insert_booking(&mut tx, &pending.write).await {
                Err(StoreError::Domain(refused)) => outcomes.push(Err(refused.into())),
                Err(e) => return Together::Failed(e),
                written => outcomes.push(written),
            }
        }
        match tx.commit().await {
            Ok(()) => Together::Written(outcomes),
            Err(e) => Together::Failed(e.into()),
        }
    }
}
