//! Configuration both binaries share: the database, the retry policy, logging. Each is
//! a clap argument group whose flags mirror environment variables, loaded once at start.

use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::assignment::RetryPolicy;
use crate::store::DEFAULT_DATABASE_URL;

/// What both binaries are configured with.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    #[command(flatten)]
    pub retry: RetryArgs,
    #[command(flatten)]
    pub log: LogArgs,
}

impl CommonArgs {
    /// Connects to the configured database and applies pending migrations.
    pub async fn open_store(&self) -> Result<crate::Store, crate::StoreError> {
        let store = crate::Store::connect(&self.db.database_url, self.retry.policy()).await?;
        store.migrate().await?;
        Ok(store)
    }
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// How assignment attempts are retried.
#[derive(Debug, Clone, Args)]
pub struct RetryArgs {
    /// Attempt k >= 2 waits base * 2^(k-2) milliseconds after attempt k-1 failed.
    #[arg(long, env = "ASSIGN_BACKOFF_BASE_MS", default_value_t = 2000)]
    pub assign_backoff_base_ms: u64,
    /// Attempts per assignment cycle before the job is dead.
    #[arg(long, env = "ASSIGN_MAX_ATTEMPTS", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=20))]
    pub assign_max_attempts: u32,
}

impl RetryArgs {
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: Duration::from_millis(self.assign_backoff_base_ms),
            max_attempts: self.assign_max_attempts,
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Logging; the filter comes from `RUST_LOG` (default `info`).
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

impl LogArgs {
    /// Installs the global tracing subscriber. Call once, at the start of `main`.
    pub fn init(&self) {
        use tracing_subscriber::EnvFilter;
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        let builder = tracing_subscriber::fmt().with_env_filter(filter);
        match self.log_format {
            LogFormat::Text => builder.init(),
            LogFormat::Json => builder.json().flatten_event(true).init(),
        }
    }
}
