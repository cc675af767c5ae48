//! The queue's apalis backend: an apalis `CustomBackend` whose fetcher claims due jobs
//! from the project's job table (through the store) and hands them to the worker as
//! tasks, one at a time, as the worker's concurrency frees a slot.
//!
//! The fetch stream never ends and never yields an error: in apalis 1.0 a fetch error
//! ends the worker (cancelling its in-flight jobs) and an empty item ends fetching for
//! good. So an empty claim sleeps for the poll interval (or until PostgreSQL announces
//! a due job) and claims again (the wait is
//! bounded, so it cannot stall), and a database error (SQLite busy or locked, a dropped
//! PostgreSQL connection) is logged, counted and retried after a short backoff.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{
    BackendBuilder, BoxDynError, CustomBackend, Task, TaskBuilder, TaskId, WorkerContext,
};
use futures_util::sink::{self, Drain, SinkExt, SinkMapErr};
use futures_util::stream::{self, BoxStream, StreamExt};

use shared::Store;
use shared::store::{ClaimedJob, JobPayload, JobWakeup};

/// How the backend claims.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    /// The queue to claim from.
    pub queue: String,
    /// This process's name: the lease owner of what it claims.
    pub owner: String,
    /// Jobs claimed per round trip (the worker's concurrency).
    pub batch: u32,
    /// Sleep between empty claims, cut short when the database announces a due job.
    pub poll: Duration,
    /// The database's announcement (PostgreSQL's NOTIFY; never on SQLite).
    pub wakeup: JobWakeup,
    /// How long a claim holds a job before another worker may take it.
    pub lease: Duration,
}

/// Jobs claimed but not yet handed to the worker. Shared so that, at shutdown, the
/// worker can give back the leases of those it never started.
#[derive(Debug, Clone, Default)]
pub struct Claimed(Arc<Mutex<VecDeque<ClaimedJob>>>);

impl Claimed {
    fn pop(&self) -> Option<ClaimedJob> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).pop_front()
    }

    fn extend(&self, jobs: Vec<ClaimedJob>) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(jobs);
    }

    /// Takes every job still waiting.
    pub fn drain(&self) -> Vec<ClaimedJob> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
            .collect()
    }
}

/// Counts database errors met while claiming (reported in the logs).
pub static CLAIM_ERRORS: AtomicU64 = AtomicU64::new(0);

type Fetch = BoxStream<'static, Result<Option<Task<JobPayload>>, BoxDynError>>;
type NoSink = SinkMapErr<Drain<Task<JobPayload>>, fn(Infallible) -> BoxDynError>;

/// The backend type the worker runs on.
pub type JobBackend = CustomBackend<JobPayload, Store, Fetch, NoSink, QueueConfig>;

fn never(e: Infallible) -> BoxDynError {
    match e {}
}

/// A claimed job as an apalis task: the payload as its argument, the claim (with its
/// lease token) as task data for the handler and the acknowledger.
fn to_task(job: ClaimedJob) -> Task<JobPayload> {
    TaskBuilder::new(job.payload)
        .task_id(TaskId::from(job.id as u64))
        .attempt(usize::try_from(job.attempt.saturating_sub(1)).unwrap_or(0))
        .data(job)
        .build()
}

fn claim_stream(store: Store, config: QueueConfig, claimed: Claimed) -> Fetch {
    stream::unfold(
        (store, config, claimed),
        |(store, config, claimed)| async move {
            let mut backoff = Duration::from_millis(10);
            loop {
                if let Some(job) = claimed.pop() {
                    return Some((Ok(Some(to_task(job))), (store, config, claimed)));
                }
                match store
                    .claim_jobs(&config.queue, &config.owner, config.batch, config.lease)
                    .await
                {
                    Ok(jobs) if jobs.is_empty() => {
                        tokio::select! {
                            _ = tokio::time::sleep(config.poll) => {}
                            _ = config.wakeup.notified() => {}
                        }
                    }
                    Ok(jobs) => {
                        backoff = Duration::from_millis(10);
                        claimed.extend(jobs);
                    }
                    Err(e) => {
                        let n = CLAIM_ERRORS.fetch_add(1, Ordering::Relaxed) + 1;
                        tracing::warn!(error = %e, errors_so_far = n, "claiming failed; retrying");
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(1));
                    }
                }
            }
        },
    )
    .boxed()
}

/// Builds the backend over `store`.
pub fn backend(store: Store, config: QueueConfig, claimed: Claimed) -> JobBackend {
    BackendBuilder::new_with_cfg(config)
        .database(store)
        .fetcher(
            move |store: &mut Store, config: &QueueConfig, _worker: &WorkerContext| {
                claim_stream(store.clone(), config.clone(), claimed.clone())
            },
        )
        .sink(|_store: &mut Store, _config: &QueueConfig| {
            sink::drain().sink_map_err(never as fn(Infallible) -> BoxDynError)
        })
        .build()
        .expect("the backend has a database, a fetcher, a sink and a config")
}
