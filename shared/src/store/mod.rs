//! The store: every SQL statement of the project, behind one narrow interface.
//!
//! The API and the worker never write SQL. Each operation that changes a booking's
//! status is one write transaction holding the compare-and-set on `(id, version)`, the
//! history row and any job it enqueues or reschedules.
//!
//! SQLite is the embedded default. Its write transactions start with `BEGIN IMMEDIATE`:
//! a deferred transaction that reads first and writes later fails with SQLITE_BUSY at
//! once when another writer got in between, whatever the busy timeout.
//!
//! PostgreSQL (`postgres://` URLs) is the scale-out path: the same operations, written
//! once where the dialects agree (see [`db`]). Its write transactions run at READ
//! COMMITTED; the compare-and-set on `version`, the lease fence and row locks (`FOR
//! UPDATE`, `SKIP LOCKED` when claiming) keep concurrent writers from different hosts
//! apart, as the single writer does for SQLite.

mod bookings;
mod cycles;
mod db;
mod events;
mod intake;
mod jobs;
mod providers;
mod queue;
mod rows;
mod transitions;
mod users;
mod wakeup;
mod workers;

pub use bookings::{BookingDetail, BookingFilter, BookingPage, IdempotencyKey};
pub use cycles::{JobSelection, RetryReport, SkippedJob};
pub use db::Backend;
pub use events::{Event, EventBatch};
pub use jobs::{ASSIGNMENT_JOB, ASSIGNMENT_QUEUE, AssignmentState, Job, JobPayload, JobState};
pub use providers::{NewProvider, Provider, ProviderUpdate, ServiceType};
pub use queue::{AssignmentOutcome, ClaimedJob};
pub use transitions::StatusChange;
pub use users::{NewUser, User};
pub use wakeup::JobWakeup;
pub use workers::{Stats, WorkerInfo};

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use db::{Pool, Tx, exec, on};

use crate::assignment::RetryPolicy;
use crate::clock::{Clock, SystemClock};
use crate::error::StoreError;

/// The embedded default database.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/bookings.db";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// The project's database. Cheap to clone: it shares one pool.
#[derive(Debug, Clone)]
pub struct Store {
    pool: Pool,
    clock: Arc<dyn Clock>,
    policy: RetryPolicy,
    /// One writer at a time per process, on SQLite only. SQLite admits one writer anyway;
    /// without this, the pool's connections race for the lock and the losers sleep in
    /// SQLite's busy handler (1, 2, 5, 10, ... ms), which cut write throughput by more
    /// than half. Other processes still wait through the busy timeout.
    write_turn: Arc<tokio::sync::Mutex<()>>,
    /// New bookings on SQLite, written together ([`intake`]).
    intake: intake::Intake,
}

impl Store {
    /// Opens the database at `url`: a `postgres://` server, or a SQLite file (created
    /// with its folder if missing).
    pub async fn connect(url: &str, policy: RetryPolicy) -> Result<Store, StoreError> {
        let pool = match Backend::of_url(url) {
            Backend::Postgres => Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(PgConnectOptions::from_str(url)?)
                    .await?,
            ),
            Backend::Sqlite => Pool::Sqlite(connect_sqlite(url).await?),
        };
        Ok(Store {
            pool,
            clock: Arc::new(SystemClock),
            policy,
            write_turn: Arc::default(),
            intake: intake::Intake::default(),
        })
    }

    /// Which database this store runs on.
    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// Replaces the clock (tests move a [`crate::clock::ManualClock`] by hand).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Store {
        self.clock = clock;
        self
    }

    /// Applies the migrations that have not run yet. Safe to call from every process.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        on!(self.pool, |p| self.migrator().run(p).await)?;
        Ok(())
    }

    /// True when the database answers and every migration has been applied.
    pub async fn is_ready(&self) -> bool {
        let applied: Result<i64, _> = on!(self.pool, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(p)
                .await
        });
        matches!(applied, Ok(n) if n as usize >= self.migrator().iter().count())
    }

    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend() {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
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

    /// Starts a write transaction: on SQLite one that holds the write lock from its first
    /// statement (and this process's write turn); on PostgreSQL a READ COMMITTED one.
    async fn write(&self) -> Result<Tx, StoreError> {
        Ok(match &self.pool {
            Pool::Sqlite(pool) => {
                let turn = self.write_turn.clone().lock_owned().await;
                Tx::Sqlite {
                    tx: pool.begin_with("BEGIN IMMEDIATE").await?,
                    _turn: Some(turn),
                }
            }
            Pool::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Starts a read transaction (one consistent view for several statements).
    async fn read(&self) -> Result<Tx, StoreError> {
        Ok(self.pool.begin_read().await?)
    }

    /// A value kept in `app_settings`, created by `make` if absent. Race-free across
    /// processes: the first insert wins and everyone reads the winner.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        let mut tx = self.write().await?;
        let value = make();
        exec!(tx, |c| {
            sqlx::query(
                "INSERT INTO app_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            )
            .bind(key)
            .bind(&value)
            .execute(c)
            .await
        })?;
        let value = on!(tx, |c| {
            sqlx::query_scalar("SELECT value FROM app_settings WHERE key = $1")
                .bind(key)
                .fetch_one(c)
                .await
        })?;
        tx.commit().await?;
        Ok(value)
    }
}

/// Opens a SQLite file in WAL mode, creating it and its folder if missing.
async fn connect_sqlite(url: &str) -> Result<sqlx::SqlitePool, StoreError> {
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
    // No ping before lending a connection: a connection to a local file does not go
    // stale, and each ping is a round trip to the connection's thread.
    Ok(SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}
