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
    /// Jobs run at once by this process; unset, 32 on SQLite and 8 on PostgreSQL
    /// ([`Config::concurrency`]).
    #[arg(long, env = "WORKER_CONCURRENCY", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: Option<u32>,
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
            concurrency: self.concurrency(),
            poll: Duration::from_millis(self.poll_ms),
            lease: Duration::from_millis(self.lease_ms),
            timeout: Duration::from_millis(self.job_timeout_ms),
            heartbeat: Duration::from_millis(self.heartbeat_ms),
            retention: self.retention(),
        }
    }

    /// Jobs run at once: as set, or the default for the database.
    ///
    /// The assignment jobs a worker runs at once write together, in one transaction
    /// (`shared::assignment::batch`). On SQLite, where one transaction writes at a time,
    /// a larger batch is fewer commits and claims per assignment: a backlog drained
    /// about 1.5x as fast at 32 as at 8 (BENCHMARKS.md). On PostgreSQL a batch holds the
    /// rows of the providers it chose until it commits, so with workers on several hosts
    /// a larger one leaves the others fewer providers to choose from; there it stays 8.
    pub fn concurrency(&self) -> u32 {
        self.concurrency
            .unwrap_or(match db::Backend::of_url(&self.database.database_url) {
                db::Backend::Sqlite => 32,
                db::Backend::Postgres => 8,
            })
    }

    pub fn retention(&self) -> Duration {
        Duration::from_secs(self.retention_secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Config {
        Config::try_parse_from(std::iter::once("worker").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn the_concurrency_is_as_set_or_the_default_for_the_database() {
        let sqlite = "--database-url=sqlite://booking.db";
        let postgres = "--database-url=postgres://localhost/booking";
        assert_eq!(parse(&[sqlite]).concurrency(), 32);
        assert_eq!(parse(&[postgres]).concurrency(), 8);
        assert_eq!(parse(&[sqlite, "--concurrency=3"]).concurrency(), 3);
        assert_eq!(parse(&[postgres, "--concurrency=40"]).concurrency(), 40);
        let settings = parse(&[sqlite]).settings("w".into(), "h".into());
        assert_eq!(settings.concurrency, 32);
        assert!(
            Config::try_parse_from(["worker", sqlite, "--concurrency=0"]).is_err(),
            "at least one job at a time"
        );
    }
}
