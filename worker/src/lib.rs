//! The worker process: it runs the assignment jobs of the queue on apalis, over the
//! project's own backend ([`backend`]) on the job table, registers itself in the
//! `workers` table with a heartbeat, purges old done jobs, and shuts down gracefully:
//! no new claims, in-flight jobs finished, leases of claimed-but-unstarted jobs given
//! back. [`run`] is the library entry point that `main.rs` and the tests call.

pub mod assign;
pub mod backend;

use std::time::Duration;

use apalis::prelude::{AcknowledgementExt, Monitor, WorkerBuilder, WorkerBuilderExt};
use clap::Parser;

use shared::Store;
use shared::config::CommonArgs;

use assign::{RecordFailure, Runner, retry_transient};
use backend::{Claimed, QueueConfig};

#[derive(Debug, Clone, Parser)]
#[command(name = "worker", about = "Runs the booking service's background jobs")]
pub struct Config {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Jobs run at once by this process.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Sleep between claims that found nothing due (SQLite has no notifications).
    #[arg(long, env = "WORKER_POLL_MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub poll_ms: u64,
    /// A claimed job whose worker stopped renewing is claimable again after this.
    #[arg(long, env = "JOB_LEASE_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub lease_ms: u64,
    /// How long a single job may run before it is failed as timed out.
    #[arg(long, env = "JOB_TIMEOUT_MS", default_value_t = 30_000)]
    pub job_timeout_ms: u64,
    /// Done jobs (and idempotency keys) are deleted this long after they finished (were
    /// made); dead jobs are kept.
    #[arg(long, env = "JOB_RETENTION_SECS", default_value_t = 86_400)]
    pub retention_secs: u64,
    /// How often the worker reports that it is alive.
    #[arg(long, env = "WORKER_HEARTBEAT_MS", default_value_t = 5000)]
    pub heartbeat_ms: u64,
}

/// A name unique to this process start: host, pid and a random suffix.
pub fn worker_name() -> String {
    format!(
        "{}-{}-{:04x}",
        hostname(),
        std::process::id(),
        rand_suffix()
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn rand_suffix() -> u16 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    (nanos ^ std::process::id()) as u16
}

/// Connects, registers and runs jobs until `shutdown` resolves, then stops claiming,
/// lets in-flight jobs finish, gives back unstarted claims and records a clean stop.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = config.common.open_store().await?;
    let name = worker_name();
    let host = hostname();
    retry_transient("registering", || {
        store.register_worker(&name, &host, std::process::id(), config.concurrency)
    })
    .await?;
    tracing::info!(worker = %name, concurrency = config.concurrency, "worker started");

    let housekeeping = tokio::spawn(housekeeping(store.clone(), name.clone(), config.clone()));
    let lease = Duration::from_millis(config.lease_ms);
    let runner = Runner {
        store: store.clone(),
        worker: name.clone(),
        lease,
    };
    let claimed = Claimed::default();
    let queue = QueueConfig {
        queue: shared::store::ASSIGNMENT_QUEUE.into(),
        owner: name.clone(),
        batch: config.concurrency,
        poll: Duration::from_millis(config.poll_ms),
        wakeup: store.job_wakeup(shared::store::ASSIGNMENT_QUEUE),
        lease,
    };
    let (monitor_store, monitor_claimed, worker_name) =
        (store.clone(), claimed.clone(), name.clone());
    let concurrency = config.concurrency as usize;
    let timeout = Duration::from_millis(config.job_timeout_ms);
    let monitor = Monitor::new().register(move |_restarts| {
        WorkerBuilder::new(worker_name.clone())
            .backend(backend::backend(
                monitor_store.clone(),
                queue.clone(),
                monitor_claimed.clone(),
            ))
            .concurrency(concurrency)
            .ack_with(RecordFailure {
                runner: runner.clone(),
            })
            .timeout(timeout)
            .catch_panic()
            .data(runner.clone())
            .build(assign::assign)
    });
    let result = monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await;
    housekeeping.abort();
    for job in claimed.drain() {
        match store.release_job(&job).await {
            Ok(true) => tracing::info!(job_id = job.id, "gave back an unstarted job"),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(job_id = job.id, error = %e, "could not give back a job; its lease will expire")
            }
        }
    }
    retry_transient("recording the stop", || store.worker_stopped(&name)).await?;
    store.close().await;
    if let Err(e) = result {
        tracing::error!(worker = %name, error = %e, "worker failed");
        anyhow::bail!("the worker failed: {e}");
    }
    tracing::info!(worker = %name, claim_errors = backend::CLAIM_ERRORS.load(std::sync::atomic::Ordering::Relaxed), "worker stopped");
    Ok(())
}

/// Heartbeats, and the retention of done jobs. A busy database delays either; it never
/// ends the worker.
async fn housekeeping(store: Store, name: String, config: Config) {
    let mut beat = tokio::time::interval(Duration::from_millis(config.heartbeat_ms.max(100)));
    let mut ticks: u64 = 0;
    loop {
        beat.tick().await;
        if let Err(e) = store.worker_heartbeat(&name).await {
            tracing::warn!(worker = %name, error = %e, "heartbeat failed; will retry");
        }
        // About once a minute: delete what is past its retention.
        if ticks.is_multiple_of((60_000 / config.heartbeat_ms.max(100)).max(1)) {
            let before = store.now() - chrono::Duration::seconds(config.retention_secs as i64);
            match store.purge_before(before).await {
                Ok((0, 0)) => {}
                Ok((jobs, keys)) => tracing::info!(
                    jobs,
                    keys,
                    "purged done jobs and idempotency keys past retention"
                ),
                Err(e) => tracing::warn!(error = %e, "purging past retention failed; will retry"),
            }
        }
        ticks += 1;
    }
}
