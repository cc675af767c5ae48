//! What the `api` and `worker` binaries share at start: the database and logging flags
//! (clap argument groups whose flags mirror environment variables, loaded once), log
//! setup, metrics ([`metrics`]), and the shutdown signal. The domain crates know none
//! of it.

pub mod metrics;

use clap::{Args, ValueEnum};

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DatabaseArgs {
    /// `sqlite://path/to/file.db` (created if missing) or `postgres://...`.
    #[arg(long, env = "DATABASE_URL", default_value = db::DEFAULT_URL)]
    pub database_url: String,
}

impl DatabaseArgs {
    /// Connects to the configured database, tuned for `workload`, and applies pending
    /// migrations.
    pub async fn open(&self, workload: db::Workload) -> Result<db::Db, db::Error> {
        let db = db::Db::connect_for(&self.database_url, workload).await?;
        db.migrate().await?;
        Ok(db)
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

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    tracing::info!("shutdown signal received");
}
