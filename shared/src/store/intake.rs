//! Group commit for new bookings on SQLite.
//!
//! SQLite admits one writer at a time, and what a booking's write costs is mostly the
//! transaction around it (`BEGIN IMMEDIATE` and `COMMIT`, each a hand-off to the
//! connection's thread, and the commit's write to the log) rather than its statements.
//! So bookings go through one task per process, which writes those waiting together in
//! one transaction: under load, many per commit; alone, one. Each booking still succeeds
//! or fails on its own: a booking refused (an unknown service, an idempotency key
//! reused) leaves nothing behind and the others go on; if the transaction itself fails,
//! nothing of it was written and each booking is tried again in a transaction of its
//! own, so that each gets its own answer. The task is started by the first booking and
//! ends when the last handle on the store is gone.

use std::sync::{Arc, OnceLock};

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

/// The way to a store's intake task, started on first use.
pub(super) type Intake = Arc<OnceLock<mpsc::Sender<Pending>>>;

impl Store {
    /// Writes `write` with whatever other bookings are waiting, and answers for it alone.
    pub(super) async fn create_in_intake(&self, write: BookingWrite) -> Outcome {
        let queue = self.intake.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            // The task's own handle has no intake: it must not keep itself alive.
            let writer = Store {
                intake: Intake::default(),
                ..self.clone()
            };
            tokio::spawn(writer.run_intake(receiver));
            sender
        });
        let (answer, answered) = oneshot::channel();
        queue
            .send(Pending { write, answer })
            .await
            .map_err(|_| sqlx::Error::WorkerCrashed)?;
        answered.await.map_err(|_| sqlx::Error::WorkerCrashed)?
    }

    async fn run_intake(self, mut receiver: mpsc::Receiver<Pending>) {
        let mut batch = Vec::with_capacity(MAX_BATCH);
        while receiver.recv_many(&mut batch, MAX_BATCH).await > 0 {
            let outcomes = match batch.len() {
                1 => None,
                _ => self.write_together(&batch).await,
            };
            match outcomes {
                Some(outcomes) => {
                    for (pending, outcome) in batch.drain(..).zip(outcomes) {
                        let _ = pending.answer.send(outcome);
                    }
                }
                None => {
                    for pending in batch.drain(..) {
                        let outcome = self.create_alone(&pending.write).await;
                        let _ = pending.answer.send(outcome);
                    }
                }
            }
        }
    }

    /// Every booking of `batch` in one transaction, each with its own outcome; `None`
    /// when the transaction failed as a whole (and wrote nothing).
    async fn write_together(&self, batch: &[Pending]) -> Option<Vec<Outcome>> {
        let mut tx = self.write().await.ok()?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for pending in batch {
            match insert_booking(&mut tx, &pending.write).await {
                Err(StoreError::Domain(refused)) => outcomes.push(Err(refused.into())),
                Err(_) => return None,
                written => outcomes.push(written),
            }
        }
        tx.commit().await.ok()?;
        Some(outcomes)
    }
}
