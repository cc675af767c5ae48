//! The worker process: it registers itself in the `workers` table, keeps a heartbeat,
//! and will run the assignment jobs of the queue (on apalis, with the project's own
//! backend over the job table; see the workers issue). [`run`] is the library entry
//! point that `main.rs` and the tests call.

use std::time::Duration;

use clap::Parser;

use shared::Store;
use shared::config::{DatabaseArgs, LogArgs, RetryArgs};

#[derive(Debug, Clone, Parser)]
#[command(name = "worker", about = "Runs the booking service's background jobs")]
pub struct Config {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub retry: RetryArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Jobs run at once by this process.
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
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

/// Connects, registers, heartbeats until `shutdown` resolves, then records a clean stop.
pub async fn run(
    config: Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let store = Store::connect(&config.db.database_url, config.retry.policy()).await?;
    store.migrate().await?;
    let name = worker_name();
    store
        .register_worker(&name, &hostname(), std::process::id(), config.concurrency)
        .await?;
    tracing::info!(worker = %name, concurrency = config.concurrency, "worker started");
    let mut beat = tokio::time::interval(Duration::from_millis(config.heartbeat_ms.max(100)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = beat.tick() => {
                // A busy database delays a heartbeat; it never ends the worker.
                if let Err(e) = store.worker_heartbeat(&name).await {
                    tracing::warn!(worker = %name, error = %e, "heartbeat failed; will retry");
                }
            }
        }
    }
    store.worker_stopped(&name).await?;
    store.close().await;
    tracing::info!(worker = %name, "worker stopped");
    Ok(())
}
