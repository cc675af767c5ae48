//! Running a [`Handler`]'s jobs on apalis: its `WorkerBuilder` and `Monitor`, with the
//! concurrency, timeout and catch-panic layers, over this crate's claims ([`backend`]).
//!
//! For each job: a run whose earlier attempt lost its lease is recorded as failed at
//! once; otherwise the lease is renewed while the handler runs, by a task that ends with
//! the run however it ends (returned, timed out, panicked), and a run that fails is
//! recorded through [`Handler::failed`], retried while the database is busy. If even
//! that cannot be written, the lease lapses and the next claimer records the attempt.
//!
//! The worker registers itself with a heartbeat, purges finished jobs past their
//! retention, and on shutdown stops claiming, lets running jobs finish, gives back what
//! it claimed but never started, and records a clean stop.

mod backend;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use apalis::prelude::{
    Acknowledge, AcknowledgementExt, BoxDynError, Data, ExecutionContext, Monitor, WorkerBuilder,
    WorkerBuilderExt,
};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tracing::Instrument;

use crate::{ClaimedJob, Handler, Queue, WorkerRegistration, retry_transient};

pub use backend::CLAIM_ERRORS;

/// How a worker process runs one queue.
#[derive(Debug, Clone)]
pub struct Settings {
    /// This process's name: the lease owner of what it claims, its row in `workers`.
    pub name: String,
    pub hostname: String,
    /// Jobs run at once.
    pub concurrency: u32,
    /// Sleep between claims that found nothing due (cut short by a wake-up).
    pub poll: Duration,
    /// How long a claim holds a job before another worker may take it; renewed every
    /// third of it while the job runs.
    pub lease: Duration,
    /// A run longer than this fails as timed out.
    pub timeout: Duration,
    pub heartbeat: Duration,
    /// Done and cancelled jobs are deleted this long after they finished.
    pub retention: Duration,
}

/// Runs `handler`'s queue until `shutdown` resolves; see the module documentation.
pub async fn run<H: Handler>(
    queue: Queue,
    handler: H,
    settings: Settings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BoxDynError> {
    let registration = WorkerRegistration {
        name: settings.name.clone(),
        hostname: settings.hostname.clone(),
        pid: std::process::id(),
        concurrency: settings.concurrency,
        heartbeat: settings.heartbeat,
    };
    retry_transient("registering the worker", 20, || {
        queue.register_worker(&registration)
    })
    .await?;
    tracing::info!(worker = %settings.name, queue = handler.queue(), concurrency = settings.concurrency, "worker started");

    let housekeeping = tokio::spawn(housekeeping(queue.clone(), settings.clone()));
    let claims = backend::Claims::new(
        queue.clone(),
        handler.queue(),
        &settings,
        queue.wakeup(handler.queue()),
    );
    let (name, concurrency, timeout) = (
        settings.name.clone(),
        settings.concurrency as usize,
        settings.timeout,
    );
    let job_runner = JobRunner {
        queue: queue.clone(),
        handler,
        lease: settings.lease,
    };
    let (monitor_claims, monitor_name) = (claims.clone(), name.clone());
    let monitor = Monitor::new().register(move |_restarts| {
        WorkerBuilder::new(monitor_name.clone())
            .backend(monitor_claims.backend())
            .concurrency(concurrency)
            .ack_with(RecordFailure {
                runner: job_runner.clone(),
            })
            .timeout(timeout)
            .catch_panic()
            .data(job_runner.clone())
            .build(run_job::<H>)
    });
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;
    housekeeping.abort();
    for job in claims.drain() {
        match queue.release(&job.lease).await {
            Ok(true) => tracing::info!(job_id = job.id(), "gave back an unstarted job"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(job_id = job.id(), error = %e, "could not give back a job; its lease will expire")
            }
        }
    }
    retry_transient("recording the stop", 20, || queue.worker_stopped(&name)).await?;
    if let Err(e) = result {
        tracing::error!(worker = %name, error = %e, "worker failed");
        return Err(e.into());
    }
    tracing::info!(worker = %name, claim_errors = CLAIM_ERRORS.load(Ordering::Relaxed), "worker stopped");
    Ok(())
}

/// Heartbeats, and the retention of finished jobs. A busy database delays either; it
/// never ends the worker.
async fn housekeeping(queue: Queue, settings: Settings) {
    let every = settings.heartbeat.max(Duration::from_millis(100));
    let mut beat = tokio::time::interval(every);
    let purge_every = (Duration::from_secs(60).as_millis() / every.as_millis()).max(1) as u64;
    let mut ticks: u64 = 0;
    loop {
        beat.tick().await;
        if let Err(e) = queue.heartbeat(&settings.name).await {
            tracing::warn!(worker = %settings.name, error = %e, "heartbeat failed; will retry");
        }
        if ticks.is_multiple_of(purge_every) {
            let retention =
                chrono::Duration::from_std(settings.retention).unwrap_or(chrono::Duration::days(1));
            match queue.purge_finished(queue.db().now() - retention).await {
                Ok(0) => {}
                Ok(jobs) => tracing::info!(jobs, "purged finished jobs past retention"),
                Err(e) => tracing::warn!(error = %e, "purging finished jobs failed; will retry"),
            }
        }
        ticks += 1;
    }
}

/// What each run shares: the queue (for renewals) and the handler.
#[derive(Debug, Clone)]
struct JobRunner<H> {
    queue: Queue,
    handler: H,
    lease: Duration,
}

/// Aborts a task when dropped: ties a lease renewer to the run it keeps alive.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Counts runs that ended in an error, a timeout or a panic (reported in the logs).
pub static FAILED_RUNS: AtomicU64 = AtomicU64::new(0);

/// The service apalis calls for each claimed job.
async fn run_job<H: Handler>(
    job: ClaimedJob,
    runner: Data<JobRunner<H>>,
) -> Result<H::Output, BoxDynError> {
    let span = tracing::info_span!(
        "job",
        queue = runner.handler.queue(),
        kind = %job.kind,
        job_id = job.id(),
        attempt = job.attempt
    );
    async move {
        if let Some(owner) = &job.lost_lease_of {
            return Err(format!(
                "the lease of {owner} expired before attempt {} finished (the worker stopped or lost the database)",
                job.attempt
            )
            .into());
        }
        // Keep the lease while the handler runs, and not a moment longer: the renewer
        // is aborted when this future ends or is dropped (a timeout, a panic).
        let _renewer = {
            let (queue, lease, every) = (runner.queue.clone(), job.lease.clone(), runner.lease);
            AbortOnDrop(tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every / 3).await;
                    match queue.renew(&lease, every).await {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => tracing::warn!(error = %e, "renewing a lease failed; will retry"),
                    }
                }
            }))
        };
        let started = std::time::Instant::now();
        let output = runner.handler.run(&job).await;
        let outcome = if output.is_ok() { "ok" } else { "error" };
        metrics::histogram!("queue_job_duration_seconds", "queue" => runner.handler.queue(), "outcome" => outcome)
            .record(started.elapsed().as_secs_f64());
        let output = output?;
        tracing::debug!(?output, "job ran");
        Ok(output)
    }
    .instrument(span)
    .await
}

/// Records a failed run (an error, a timeout, a panic, a lost lease) through the handler.
#[derive(Debug, Clone)]
struct RecordFailure<H> {
    runner: JobRunner<H>,
}

impl<H: Handler> Acknowledge<H::Output> for RecordFailure<H> {
    type Error = std::io::Error;
    type Future = BoxFuture<'static, Result<(), std::io::Error>>;

    fn ack(
        &mut self,
        res: &Result<H::Output, BoxDynError>,
        ctx: &ExecutionContext,
    ) -> Self::Future {
        let error = res.as_ref().err().map(|e| e.to_string());
        let job = ctx.data().get::<ClaimedJob>().cloned();
        let runner = self.runner.clone();
        async move {
            let (Some(error), Some(job)) = (error, job) else {
                return Ok(());
            };
            FAILED_RUNS.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(job_id = job.id(), kind = %job.kind, attempt = job.attempt, %error, "attempt failed");
            // Retried while the database is busy or away, for as long as the lease would
            // have lasted; past that, the lease has lapsed and the next claimer records it.
            let tries = (runner.lease.as_millis() / 250).clamp(8, 400) as u32;
            let recorded = retry_transient("recording a failed attempt", tries, || {
                let (handler, job, error) = (&runner.handler, &job, &error);
                async move { handler.failed(job, error).await.map_err(Wrapped) }
            })
            .await;
            if let Err(e) = recorded {
                tracing::error!(job_id = job.id(), error = %e.0, "could not record a failed attempt; the job's lease will lapse and its next claimer records it");
            }
            Ok(())
        }
        .boxed()
    }
}

/// A handler's error as an `Error` type of its own (for [`retry_transient`]).
#[derive(Debug)]
struct Wrapped(crate::BoxError);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(self.0.as_ref())
    }
}

/// Shared by the claims and the runs: how many jobs the worker holds.
type InFlight = Arc<std::sync::atomic::AtomicUsize>;
