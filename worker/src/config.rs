//! The worker's configuration: flags that mirror environment variables, loaded once.

use std::time::Duration;

use clap::Parser;

use runtime::{DatabaseArgs, LogArgs};

#[derive(Debug, Clone, Parser)]
#[command(name = "worker", about = "Runs the booking service's background jobs")]
pub struct Config {
    #[command(flatten)]
    pub database: DatabaseArgs,
    #[command(flatten)]
    pub log: LogArgs,
    /// Jobs run at once by this process. Its assignment jobs running at once write in one
    /// transaction, so the more at once, the fewer commits and claims per assignment: a
    /// backlog of 20,000 drained about 1.5x as fast at 32 as at 8 on SQLite, and 1.3x on
    /// PostgreSQL (BENCHMARKS.md).
    #[arg(long, env = "WORKER_CONCURRENCY", default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Sleep between claims that found nothing due (SQLite has no notifications).
    #[arg(long, env = "WORKER_POLL_MS", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub poll_ms: u64,
    /// A claimed job whose worker stopped renewing is claimable again after this.
    #[arg(long, env = "JOB_LEASE_MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub lease_ms: u64,
    /// How long a single job may run before it is failed as timed out.
    #[arg(long, env = "JOB_TIMEOUT_MS", default_value_t = 30_000, value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub job_timeout_ms: u64,
    /// Done and cancelled jobs (and idempotency keys) are deleted this long after they
    /// finished (were made); dead jobs are kept.
    #[arg(long, env = "JOB_RETENTION_SECS", default_value_t = 86_400, value_parser = clap::value_parser!(u64).range(1..=31_536_000))]
    pub retention_secs: u64,
    /// Serve this process's metrics (Prometheus text, `GET /metrics`) on this address;
    /// unset, they are not served. Bind it to loopback or a private network: it has no
    /// sign-in.
    #[arg(long, env = "METRICS_ADDR")]
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// How often the worker reports that it is alive.
    #[arg(long, env = "WORKER_HEARTBEAT_MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(100..=3_600_000))]
    pub heartbeat_ms: u64,
}

impl Config {
    /// The queue runtime's settings for a worker named `name` on `hostname`.
    pub fn settings(&self, name: String, hostname: String) -> queue::runtime::Settings {
        queue::runtime::Settings {
            name,
            hostname,
            concurrency: self.concurrency,
            poll: Duration::from_millis(self.poll_ms),
            lease: Duration::from_millis(self.lease_ms),
            timeout: Duration::from_millis(self.job_timeout_ms),
            heartbeat: Duration::from_millis(self.heartbeat_ms),
            retention: self.retention(),
        }
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_secs)
    }
}
