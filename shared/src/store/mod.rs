//! The store: every SQL statement of the project, behind one narrow interface.
//!
//! The API and the worker never write SQL. Each operation that changes a booking's
//! status is one write transaction holding the compare-and-set on `(id, version)`, the
//! history row and any job it enqueues or reschedules.
//!
//! SQLite is the embedded default. Its write transactions start with `BEGIN IMMEDIATE`:
//! a deferred transaction that reads first and writes later fails with SQLITE_BUSY at
//! once when another writer got in between, whatever the busy timeout.

mod bookings;
mod cycles;
mod events;
mod jobs;
mod providers;
mod queue;
mod rows;
mod transitions;
mod users;
mod workers;

pub use bookings::{BookingDetail, BookingFilter, BookingPage, IdempotencyKey};
pub use cycles::{JobSelection, RetryReport, SkippedJob};
pub use jobs::{ASSIGNMENT_JOB, ASSIGNMENT_QUEUE, AssignmentState, Job, JobPayload, JobState};
pub use providers::{NewProvider, Provider, ProviderUpdate, ServiceType};
pub use queue::{AssignmentOutcome, ClaimedJob};
pub use transitions::StatusChange;
pub use users::{NewUser, User};
pub use workers::{Stats, WorkerInfo};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use crate::assignment::RetryPolicy;
use crate::clock::{Clock, SystemClock};
use crate::error::StoreError;

/// The embedded default database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/bookings.db";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");

/// The project's database. Cheap to clone: it shares one pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    /// One writer at a time per process. SQLite admits one writer anyway; without this,
    /// the pool's connections race for the lock and the losers sleep in SQLite's busy
    /// handler (1, 2, 5, 10, ... ms), which cut write throughput by more than half.
    /// Other processes still wait through the busy timeout.
    write_turn: Arc<tokio::sync::Mutex<()>>,
}

/// A write transaction holding this process's write turn until it ends.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Sqlite>,
    _turn: tokio::sync::OwnedMutexGuard<()>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

impl std::ops::Deref for WriteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        &self.tx
    }
}

impl std::ops::DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.tx
    }
}

impl Store {
    /// Opens the database at `url` (creating a SQLite file and its folder if missing).
    pub async fn connect(url: &str, policy: RetryPolicy) -> Result<Store, StoreError> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                "PostgreSQL is not supported by this build yet; use a sqlite:// URL".into(),
            )));
        }
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Store {
            pool,
            clock: Arc::new(SystemClock),
            policy,
            write_turn: Arc::default(),
        })
    }

    /// Replaces the clock (tests move a [`crate::clock::ManualClock`] by hand).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// Applies the migrations that have not run yet. Safe to call from every process.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        SQLITE_MIGRATIONS.run(&self.pool).await?;
        Ok(())
    }

    /// True when the database answers and every migration has been applied.
    pub async fn is_ready(&self) -> bool {
        let applied: Result<i64, _> =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = 1")
                .fetch_one(&self.pool)
                .await;
        matches!(applied, Ok(n) if n as usize >= SQLITE_MIGRATIONS.iter().count())
    }

    pub fn policy(&self) -> RetryPolicy {
        self.policy
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Starts a write transaction that holds SQLite's write lock from its first statement.
    async fn write(&self) -> Result<WriteTx, StoreError> {
        let turn = self.write_turn.clone().lock_owned().await;
        Ok(WriteTx {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
            _turn: turn,
        })
    }

    /// A value kept in `app_settings`, created by `make` if absent. Race-free across
    /// processes: the first insert wins and everyone reads the winner.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO app_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
        )
        .bind(key)
        .bind(make())
        .execute(&mut *tx)
        .await?;
        let value = sqlx::query_scalar("SELECT value FROM app_settings WHERE key = $1")
            .bind(key)
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(value)
    }
}

/// Milliseconds since the epoch, as the SQLite tables store time.
pub(crate) fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// The inverse of [`ms`]; out-of-range values clamp rather than panic.
pub(crate) fn from_ms(v: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(v).unwrap_or(DateTime::<Utc>::MIN_UTC)
}
