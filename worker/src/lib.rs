//! The worker process: it runs the assignment jobs of the queue ([`shared::Assignment`]
//! is their handler) on the queue's apalis runtime, registered in the `workers` table
//! with a heartbeat, and shuts down gracefully: no new claims, in-flight jobs finished,
//! claimed-but-unstarted jobs given back. [`run`] is the library entry point that
//! `main.rs` and the tests call.

pub mod config;

use std::time::Duration;

use queue::Queue;
use shared::{Assignment, Bookings};

pub use config::Config;

/// A name unique to this process start: host, pid and a random suffix.
pub fn worker_name() -> String {
    format!(
        "{}-{}-{:04x}",
        hostname(),
        std::process::id(),
        rand::random::<u16>()
    )
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// Connects, registers and runs jobs until `shutdown` resolves, then stops claiming,
/// lets in-flight jobs finish, gives back unstarted claims and records a clean stop.
pub async fn run(
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    runtime::metrics::handle();
    // One shutdown signal for everything that runs until it.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop.send(true);
    });
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        }
    };
    let metrics = match config.metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("METRICS_ADDR {addr}: {e}"))?;
            Some(tokio::spawn(runtime::metrics::serve(
                listener,
                until_stopped(),
            )))
        }
        None => None,
    };
    let db = queue::retry_transient("opening the database", 20, || {
        config.database.open(db::Workload::Writes)
    })
    .await?;
    let name = worker_name();
    let keys = tokio::spawn(purge_idempotency_keys(
        Bookings::new(db.clone(), queue::RetryPolicy::default()),
        config.retention(),
    ));
    let assignment = Assignment::new(db.clone(), name.clone());
    let result = queue::runtime::run(
        Queue::new(db.clone()),
        assignment,
        config.settings(name, hostname()),
        until_stopped(),
    )
    .await;
    keys.abort();
    if let Some(metrics) = metrics {
        match metrics.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the metrics listener failed"),
            Err(e) => tracing::warn!(error = %e, "the metrics listener panicked"),
        }
    }
    db.close().await;
    result.map_err(|e| anyhow::anyhow!("the worker failed: {e}"))
}

/// Idempotency keys last as long as done jobs: deleted once a minute past retention.
async fn purge_idempotency_keys(bookings: Bookings, retention: Duration) {
    let retention = chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(1));
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        match bookings
            .purge_idempotency_keys(bookings.db().now() - retention)
            .await
        {
            Ok(0) => {}
            Ok(keys) => tracing::info!(keys, "purged idempotency keys past retention"),
            Err(e) => tracing::warn!(error = %e, "purging idempotency keys failed; will retry"),
        }
    }
}
