//! The assignment job: choose a provider for a booking, or record why not.
//!
//! The handler re-reads the booking and does all its writes in one store transaction
//! ([`Store::run_assignment`]), fenced on the job's lease. While it runs, its lease is
//! renewed. Errors (including a timeout or a panic caught by the layers) reach the
//! acknowledger, which records them as a failed attempt with backoff.

use std::time::Duration;

use apalis::prelude::{Acknowledge, BoxDynError, Data, ExecutionContext};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tracing::Instrument;

use shared::Store;
use shared::error::StoreError;
use shared::store::{AssignmentOutcome, ClaimedJob, JobPayload};

/// What every assignment handler shares.
#[derive(Debug, Clone)]
pub struct Runner {
    pub store: Store,
    pub worker: String,
    pub lease: Duration,
}

/// Retries `op` while it fails with a transient database error (busy, locked, a
/// dropped connection), so that contention costs time, not an attempt.
pub async fn retry_transient<T, F, Fut>(what: &str, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut wait = Duration::from_millis(5);
    for tries in 1.. {
        match op().await {
            Err(e) if e.is_transient() && tries < 8 => {
                tracing::warn!(error = %e, tries, "{what}: database busy; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

/// The handler apalis calls for each claimed job.
pub async fn assign(
    payload: JobPayload,
    job: Data<ClaimedJob>,
    runner: Data<Runner>,
) -> Result<AssignmentOutcome, BoxDynError> {
    let span = tracing::info_span!(
        "job",
        job = "assign_provider",
        job_id = job.id,
        booking_id = payload.booking_id,
        attempt = job.attempt
    );
    run(&job, &runner).instrument(span).await
}

async fn run(job: &ClaimedJob, runner: &Runner) -> Result<AssignmentOutcome, BoxDynError> {
    // Keep the lease while the work runs; a lost lease is noticed by the fenced write.
    let renew = {
        let (store, job, lease) = (runner.store.clone(), job.clone(), runner.lease);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if let Ok(false) = store.renew_lease(&job, lease).await {
                    break;
                }
            }
        })
    };
    let result = retry_transient("assignment", || {
        runner.store.run_assignment(job, &runner.worker)
    })
    .await;
    renew.abort();
    let outcome = result?;
    match &outcome {
        AssignmentOutcome::Assigned { provider_id } => {
            tracing::info!(provider_id, "booking assigned")
        }
        AssignmentOutcome::NoProvider { dead } => tracing::info!(dead, "no eligible provider"),
        AssignmentOutcome::NoOp => tracing::debug!("nothing to do"),
        AssignmentOutcome::LeaseLost => tracing::warn!("lease lost; another worker runs this job"),
    }
    Ok(outcome)
}

/// Records a failed run (handler error, timeout, panic) as a failed attempt.
#[derive(Debug, Clone)]
pub struct RecordFailure {
    pub runner: Runner,
}

impl Acknowledge<AssignmentOutcome> for RecordFailure {
    type Error = std::io::Error;
    type Future = BoxFuture<'static, Result<(), std::io::Error>>;

    fn ack(
        &mut self,
        res: &Result<AssignmentOutcome, BoxDynError>,
        ctx: &ExecutionContext,
    ) -> Self::Future {
        let error = res.as_ref().err().map(|e| e.to_string());
        let job = ctx.data().get::<ClaimedJob>().cloned();
        let runner = self.runner.clone();
        async move {
            let (Some(error), Some(job)) = (error, job) else {
                return Ok(());
            };
            tracing::warn!(job_id = job.id, %error, "assignment failed");
            retry_transient("recording a failure", || {
                runner.store.fail_job(&job, &error, &runner.worker)
            })
            .await
            .map(|_| ())
            .map_err(|e| std::io::Error::other(e.to_string()))
        }
        .boxed()
    }
}
