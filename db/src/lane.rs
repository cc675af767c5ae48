//! A lane: one task per process that takes the work handed to it from a queue, so that
//! what arrives together can be written together (booking intake on SQLite, the jobs a
//! worker runs at once, the queue's completions). The task is started by the first piece
//! of work, again if it ever stopped (its runtime ended, or it panicked), and ends when
//! every sender is gone: the task's own handle on what owns the lane must not hold the
//! lane, or it would keep itself alive.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};

/// The way to a lane's task, while it runs. Clones share it.
#[derive(Debug)]
pub struct Lane<T>(Arc<Mutex<Option<mpsc::Sender<T>>>>);

impl<T> Default for Lane<T> {
    fn default() -> Lane<T> {
        Lane(Arc::default())
    }
}

impl<T> Clone for Lane<T> {
    fn clone(&self) -> Lane<T> {
        Lane(self.0.clone())
    }
}

impl<T: Send + 'static> Lane<T> {
    /// The running task's queue (of `capacity`); when none runs, spawns `start` with the
    /// receiving end of a new one.
    pub fn queue<F>(
        &self,
        capacity: usize,
        start: impl FnOnce(mpsc::Receiver<T>) -> F,
    ) -> mpsc::Sender<T>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let mut running = self.0.lock().unwrap_or_else(|e| e.into_inner());
        match running.as_ref() {
            Some(queue) if !queue.is_closed() => queue.clone(),
            _ => {
                let (queue, receiver) = mpsc::channel(capacity);
                tokio::spawn(start(receiver));
                running.insert(queue).clone()
            }
        }
    }

    /// Whether anyone still holds this lane (for the tests that check a task does not).
    pub fn downgrade(&self) -> std::sync::Weak<Mutex<Option<mpsc::Sender<T>>>> {
        Arc::downgrade(&self.0)
    }
}

/// Hands a lane's task (its `queue`, from [`Lane::queue`]) the work `made` with where its
/// answer goes, and waits for the answer; an error when the task is gone.
pub async fn ask<T, R>(
    queue: mpsc::Sender<T>,
    made: impl FnOnce(oneshot::Sender<R>) -> T,
) -> Result<R, sqlx::Error> {
    let (answer, answered) = oneshot::channel();
    queue
        .send(made(answer))
        .await
        .map_err(|_| sqlx::Error::WorkerCrashed)?;
    answered.await.map_err(|_| sqlx::Error::WorkerCrashed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Echoes each number it receives back on the oneshot beside it.
    async fn echo(mut receiver: mpsc::Receiver<(u32, oneshot::Sender<u32>)>) {
        while let Some((n, answer)) = receiver.recv().await {
            let _ = answer.send(n);
        }
    }

    #[test]
    fn one_task_serves_every_clone_and_a_new_one_starts_once_it_stopped() {
        let runtime = || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        };
        let lane = Lane::default();
        let first = runtime();
        let queue = first.block_on(async { lane.queue(4, echo) });
        let again = first.block_on(async { lane.clone().queue(4, echo) });
        assert!(again.same_channel(&queue), "one task while it runs");
        let answered = first.block_on(ask(queue.clone(), |answer| (7, answer)));
        assert_eq!(answered.unwrap(), 7);
        drop(first);
        assert!(queue.is_closed(), "the task ended with its runtime");
        let second = runtime();
        let restarted = second.block_on(async { lane.queue(4, echo) });
        assert!(!restarted.is_closed(), "a new task");
        assert!(!restarted.same_channel(&queue));
        drop(second);
        let gone = runtime().block_on(ask(queue, |answer| (7, answer)));
        assert!(matches!(gone, Err(sqlx::Error::WorkerCrashed)), "{gone:?}");
    }
}
