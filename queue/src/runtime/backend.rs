//! The queue as an apalis backend: a `CustomBackend` whose fetcher claims due jobs and
//! hands them to the worker one at a time, as its concurrency frees a slot.
//!
//! The fetch stream never ends and never yields an error: in apalis 1.0 a fetch error
//! ends the worker (cancelling its in-flight jobs) and an empty item ends fetching for
//! good. So an empty claim sleeps for the poll interval (or until the database announces
//! a due job) and claims again (the wait is bounded, so it cannot stall), and a database
//! error (SQLite busy, a dropped PostgreSQL connection) is logged, counted and retried
//! after a short backoff.
//!
//! A claim takes only as many jobs as the worker has free slots: a job claimed but not
//! started is not renewed, and would sit under a lease nobody keeps alive. It counts them
//! once it holds the write lock, so that the runs that ended while it waited for the
//! lock (a batch of assignments committing) are counted free.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{
    BackendBuilder, BoxDynError, CustomBackend, Task, TaskBuilder, TaskId, WorkerContext,
};
use futures_util::sink::{self, Drain, SinkExt, SinkMapErr};
use futures_util::stream::{self, BoxStream, StreamExt};

use super::{InFlight, Settings};
use crate::{ClaimedJob, JobWakeup, Queue};

/// Counts database errors met while claiming (reported in the logs).
pub static CLAIM_ERRORS: AtomicU64 = AtomicU64::new(0);

/// How one worker claims, and what it holds.
#[derive(Debug, Clone)]
pub(super) struct Claims {
    queue: Queue,
    name: &'static str,
    owner: String,
    concurrency: usize,
    poll: Duration,
    lease: Duration,
    wakeup: JobWakeup,
    /// Claimed, not yet handed to the worker; given back at shutdown.
    waiting: Arc<Mutex<VecDeque<ClaimedJob>>>,
    /// Handed to the worker and not yet finished (see [`Slot`]).
    in_flight: InFlight,
}

/// Held with a job from the moment it is handed to the worker until everything about its
/// run (the handler, the failure record) is over: its task data is dropped then.
#[derive(Debug)]
struct Slot(InFlight);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

type Fetch = BoxStream<'static, Result<Option<Task<ClaimedJob>>, BoxDynError>>;
type NoSink = SinkMapErr<Drain<Task<ClaimedJob>>, fn(Infallible) -> BoxDynError>;

/// The backend type the worker runs on.
pub(super) type JobBackend = CustomBackend<ClaimedJob, Queue, Fetch, NoSink, Claims>;

fn never(e: Infallible) -> BoxDynError {
    match e {}
}

impl Claims {
    pub(super) fn new(
        queue: Queue,
        name: &'static str,
        settings: &Settings,
        wakeup: JobWakeup,
    ) -> Claims {
        Claims {
            queue,
            name,
            owner: settings.name.clone(),
            concurrency: settings.concurrency.max(1) as usize,
            poll: settings.poll,
            lease: settings.lease,
            wakeup,
            waiting: Arc::default(),
            in_flight: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Takes every job claimed and not yet started.
    pub(super) fn drain(&self) -> Vec<ClaimedJob> {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect()
    }

    fn pop(&self) -> Option<ClaimedJob> {
        self.waiting
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    /// Slots not taken by a job in flight; at least one, since the worker only asks for a
    /// job when it has a slot (a run that just ended may not have dropped its count yet).
    fn free_slots(&self) -> u32 {
        let busy = self.in_flight.load(Ordering::Relaxed);
        u32::try_from(self.concurrency.saturating_sub(busy).max(1)).unwrap_or(1)
    }

    /// A claimed job as an apalis task: the claim as its argument and as task data (for
    /// the acknowledger), and its slot.
    fn to_task(&self, job: ClaimedJob) -> Task<ClaimedJob> {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        TaskBuilder::new(job.clone())
            .task_id(TaskId::from(job.id() as u64))
            .attempt(usize::try_from(job.attempt.saturating_sub(1)).unwrap_or(0))
            .data(job)
            .data(Arc::new(Slot(self.in_flight.clone())))
            .build()
    }

    fn stream(self) -> Fetch {
        stream::unfold(self, |claims| async move {
            let mut backoff = Duration::from_millis(10);
            loop {
                if let Some(job) = claims.pop() {
                    let task = claims.to_task(job);
                    return Some((Ok(Some(task)), claims));
                }
                match claims
                    .queue
                    .claim_up_to(
                        claims.name,
                        &claims.owner,
                        || claims.free_slots(),
                        claims.lease,
                    )
                    .await
                {
                    Ok(jobs) if jobs.is_empty() => {
                        tokio::select! {
                            _ = tokio::time::sleep(claims.poll) => {}
                            _ = claims.wakeup.notified() => {}
                        }
                    }
                    Ok(jobs) => {
                        backoff = Duration::from_millis(10);
                        metrics::counter!("queue_jobs_claimed_total", "queue" => claims.name)
                            .increment(jobs.len() as u64);
                        claims
                            .waiting
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .extend(jobs);
                    }
                    Err(e) => {
                        let n = CLAIM_ERRORS.fetch_add(1, Ordering::Relaxed) + 1;
                        metrics::counter!("queue_claim_errors_total").increment(1);
                        tracing::warn!(error = %e, errors_so_far = n, "claiming failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                    }
                }
            }
        })
        .boxed()
    }

    /// The apalis backend over these claims.
    pub(super) fn backend(&self) -> JobBackend {
        BackendBuilder::new_with_cfg(self.clone())
            .database(self.queue.clone())
            .fetcher(
                |_queue: &mut Queue, claims: &Claims, _worker: &WorkerContext| {
                    claims.clone().stream()
                },
            )
            .sink(|_queue: &mut Queue, _claims: &Claims| {
                sink::drain().sink_map_err(never as fn(Infallible) -> BoxDynError)
            })
            .build()
            .expect("the backend has a database, a fetcher, a sink and a config")
    }
}
