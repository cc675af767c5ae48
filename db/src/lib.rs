//! The project's database, small on purpose: one pool of either backend, the clock, the
//! write turn, transactions that carry their time, the migrations, and a signal of each
//! commit. The rooms of the application (the queue, bookings, assignment, ...) each
//! write their own SQL over a [`Db`].
//!
//! SQLite is the embedded default. Its write transactions start with `BEGIN IMMEDIATE`:
//! a deferred transaction that reads first and writes later fails with SQLITE_BUSY at
//! once when another writer got in between, whatever the busy timeout.
//!
//! PostgreSQL (`postgres://` URLs) is the scale-out path: the same statements, written
//! once where the dialects agree ([`on!`], [`dialect!`]). Its write transactions run at
//! READ COMMITTED; compare-and-set on versions, lease fences and row locks keep writers
//! on different hosts apart, as the single writer does for SQLite. Its processes follow
//! the server's clock ([`ServerClock`]).

mod backend;
mod backup;
mod direct;
mod error;
pub mod lane;
mod like;
mod time;
mod turn;
pub mod wake;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::watch;

pub use backend::{Backend, Either, Pool, Tx, json_ids};
pub use backup::{Backup, BackupError, backup_sqlite};
pub use direct::Scripts;
pub use error::{Error, is_transient};
pub use like::like_pattern;
pub use time::{Clock, ManualClock, OffsetClock, ServerClock, SystemClock, Ts, from_ms, ts};
pub use turn::lock_file_of;

use backend::TxInner;

/// The embedded default database.
pub const DEFAULT_URL: &str = "sqlite://data/bookings.db";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../migrations/postgres");

/// How often a PostgreSQL process measures the server's clock again.
const CLOCK_SYNC: Duration = Duration::from_secs(10);

/// The database. Cheap to clone: clones share one pool.
#[derive(Debug, Clone)]
pub struct Db {
    pool: Pool,
    clock: Arc<dyn Clock>,
    /// One writer at a time, on SQLite only: this process's, then among the processes
    /// sharing the file ([`turn`]). SQLite admits one writer anyway; without turns, the
    /// pool's connections raced for the lock and the losers slept in SQLite's busy
    /// handler (1, 2, 5, 10, ... ms), which cut write throughput by more than half.
    write_turn: turn::WriteTurns,
    /// Counts this process's committed write transactions.
    committed: watch::Sender<u64>,
    /// Wakes the idle workers of other processes when a commit made jobs claimable
    /// ([`Tx::wake`]); none for a SQLite database in memory.
    waker: Option<Arc<wake::Wakes>>,
}

impl Db {
    /// Opens the database at `url`: a `postgres://` server, or a SQLite file (created
    /// with its folder if missing). On PostgreSQL the clock follows the server's.
    pub async fn connect(url: &str) -> Result<Db, Error> {
        Self::connect_for(url, Workload::Mixed).await
    }

    /// As [`Db::connect`], with SQLite tuned for `workload`.
    pub async fn connect_for(url: &str, workload: Workload) -> Result<Db, Error> {
        Self::connect_with(url, Arc::new(SystemClock), workload).await
    }

    /// As [`Db::connect`], with `local` as this host's clock (tests give a wrong one).
    pub async fn connect_with_local_clock(url: &str, local: Arc<dyn Clock>) -> Result<Db, Error> {
        Self::connect_with(url, local, Workload::Mixed).await
    }

    async fn connect_with(
        url: &str,
        local: Arc<dyn Clock>,
        workload: Workload,
    ) -> Result<Db, Error> {
        let (pool, clock): (Pool, Arc<dyn Clock>) = match Backend::of_url(url) {
            Backend::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| Box::pin(still_alive(conn, meta)))
                    .connect_with(PgConnectOptions::from_str(url)?)
                    .await?;
                let clock = Arc::new(ServerClock::new(local));
                clock.measure(&pool).await?;
                tokio::spawn(follow_server_clock(Arc::downgrade(&clock), pool.clone()));
                (Pool::Postgres(pool), clock)
            }
            Backend::Sqlite => (Pool::Sqlite(connect_sqlite(url, workload).await?), local),
        };
        let write_turn = match &pool {
            Pool::Sqlite(p) => {
                turn::WriteTurns::new(sqlite_file(p).map(|f| lock_file_of(&f)).as_deref())
            }
            Pool::Postgres(_) => turn::WriteTurns::default(),
        };
        let waker = match &pool {
            Pool::Sqlite(p) => sqlite_file(p)
                .map(|file| wake::Wakes::Sockets(wake::Waker::new(wake::folder_of(&file)))),
            Pool::Postgres(p) => Some(wake::Wakes::Notify(wake::Notifier::new(p.clone()))),
        }
        .map(Arc::new);
        let committed = watch::Sender::new(0);
        if let Pool::Sqlite(p) = &pool
            && sqlite_file(p).is_some()
        {
            tokio::spawn(checkpoint_after_commits(
                p.clone(),
                committed.subscribe(),
                write_turn.clone(),
            ));
        }
        Ok(Db {
            pool,
            clock,
            write_turn,
            committed,
            waker,
        })
    }

    /// Replaces the clock (tests move a [`ManualClock`] by hand); it is used as is.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Db {
        self.clock = clock;
        self
    }

    pub fn backend(&self) -> Backend {
        self.pool.backend()
    }

    /// The pool, for statements outside a transaction.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Lets [`on!`] run a statement on the pool.
    pub fn split(&self) -> Either<&sqlx::SqlitePool, &sqlx::PgPool> {
        self.pool.split()
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Starts a write transaction: on SQLite one that holds the write lock from its first
    /// statement (and the write turn, in this process and across processes); on PostgreSQL a
    /// READ COMMITTED one.
    pub async fn write(&self) -> Result<Tx, Error> {
        let inner = match &self.pool {
            Pool::Sqlite(pool) => {
                let turn = self.write_turn.take().await;
                TxInner::Sqlite {
                    tx: pool.begin_with("BEGIN IMMEDIATE").await?,
                    turn: Some(turn),
                }
            }
            Pool::Postgres(pool) => TxInner::Postgres(pool.begin().await?),
        };
        Ok(Tx {
            inner,
            now: self.now(),
            committed: Some(self.committed.clone()),
            waker: self.waker.clone(),
            wake: Vec::new(),
        })
    }

    /// A write of one statement. On PostgreSQL it runs without a transaction of its own:
    /// a statement is atomic by itself, and leaving out `BEGIN` and `COMMIT` saves two
    /// round trips. Its [`Tx::commit`] only tells the listeners; a statement that fails
    /// writes nothing. On SQLite it is [`Db::write`] (the write turn, and a transaction
    /// its statements can make savepoints in).
    ///
    /// A write of more than one statement needs [`Db::write`]: here each would commit
    /// by itself.
    pub async fn write_one(&self) -> Result<Tx, Error> {
        let Pool::Postgres(pool) = &self.pool else {
            return self.write().await;
        };
        Ok(Tx {
            inner: TxInner::PostgresAlone(pool.acquire().await?),
            now: self.now(),
            committed: Some(self.committed.clone()),
            waker: self.waker.clone(),
            wake: Vec::new(),
        })
    }

    /// Starts a read transaction: its statements see one snapshot (PostgreSQL) or one
    /// state of the file (SQLite).
    pub async fn read(&self) -> Result<Tx, Error> {
        let inner = match &self.pool {
            Pool::Sqlite(p) => TxInner::Sqlite {
                tx: p.begin().await?,
                turn: None,
            },
            Pool::Postgres(p) => TxInner::Postgres(
                p.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await?,
            ),
        };
        Ok(Tx {
            inner,
            now: self.now(),
            committed: None,
            waker: None,
            wake: Vec::new(),
        })
    }

    /// Where a listener binds its socket to be woken when jobs become claimable: a folder
    /// beside the SQLite file ([`wake`]); `None` on PostgreSQL (it notifies) and for a
    /// database in memory.
    pub fn wake_folder(&self) -> Option<&std::path::Path> {
        match self.waker.as_deref()? {
            wake::Wakes::Sockets(waker) => Some(waker.folder()),
            wake::Wakes::Notify(_) => None,
        }
    }

    /// Changes whenever this process commits a write transaction. (Other processes'
    /// commits are not seen here: whoever follows the data polls for those too.)
    pub fn commits(&self) -> watch::Receiver<u64> {
        self.committed.subscribe()
    }

    /// Applies the migrations that have not run yet. Safe to call from every process at
    /// once: PostgreSQL's migrator holds an advisory lock; on SQLite the processes take
    /// turns through a lock on the database's folder (not on the file itself: closing
    /// any handle on a SQLite file drops the process's SQLite locks on it).
    pub async fn migrate(&self) -> Result<(), Error> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let folder = pool
                    .connect_options()
                    .get_filename()
                    .parent()
                    .map(|p| p.to_path_buf())
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| ".".into());
                let lock = tokio::task::spawn_blocking(move || {
                    let dir = std::fs::File::open(&folder)?;
                    dir.lock()?;
                    Ok::<_, std::io::Error>(dir)
                })
                .await
                .map_err(|e| sqlx::Error::Io(std::io::Error::other(e)))?
                .map_err(sqlx::Error::Io)?;
                let done = SQLITE_MIGRATIONS.run(pool).await;
                drop(lock);
                done?;
            }
            Pool::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// True when the database answers and every migration has been applied.
    pub async fn is_ready(&self) -> bool {
        let applied: Result<i64, _> = on!(self.pool, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(p)
                .await
        });
        let expected = match self.backend() {
            Backend::Sqlite => SQLITE_MIGRATIONS.iter().count(),
            Backend::Postgres => POSTGRES_MIGRATIONS.iter().count(),
        };
        matches!(applied, Ok(n) if n as usize >= expected)
    }

    /// A value kept in `app_settings`, created by `make` if absent. Race-free across
    /// processes: the first insert wins and everyone reads the winner.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, Error> {
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

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Measures the server's clock every [`CLOCK_SYNC`] while the clock is in use.
async fn follow_server_clock(clock: std::sync::Weak<ServerClock>, pool: sqlx::PgPool) {
    loop {
        tokio::time::sleep(CLOCK_SYNC).await;
        let Some(clock) = clock.upgrade() else {
            return;
        };
        if let Err(e) = clock.measure(&pool).await {
            tracing::debug!(error = %e, "could not measure the database server's clock; keeping the last offset");
        }
    }
}

/// Whether a connection given back to the pool may be lent again. A COMMIT that fails
/// with a full disk (SQLITE_FULL) rolls the transaction back inside SQLite, while sqlx
/// still counts it open; its rollback then fails too, and every later BEGIN on that
/// connection fails ("non-zero transaction depth"): a worker stopped claiming for good
/// after the disk filled once. So, once the rollback of a dropped transaction has run
/// (the ping waits for it), a connection still inside one is closed, not reused.
///
/// A connection that sqlx counts outside any transaction (every statement on the pool,
/// every transaction committed) is lent again without the ping, which is a round trip
/// to the connection's thread.
async fn still_usable(conn: &mut sqlx::SqliteConnection) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(!conn.is_in_transaction())
}

/// How long a SQLite process gathers its commits before it checkpoints them.
const CHECKPOINT_AFTER: Duration = Duration::from_millis(50);
/// How often a SQLite process checkpoints without a commit of its own (a statement run on
/// the pool outside a transaction writes without one).
const CHECKPOINT_AT_LEAST_EVERY: Duration = Duration::from_secs(1);
/// How long the write-ahead log may grow, in pages (64 MiB of 4 KiB pages), before a
/// checkpoint also starts it again from its beginning ([`restart_log`]). Also the size a
/// log file that grew past it is cut back to (`journal_size_limit`).
const RESTART_LOG_AT: i64 = 16_384;
/// How long a SQLite statement waits for a lock another connection holds.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long [`restart_log`] waits, in its write turn, for readers still reading the log.
const RESTART_WAITS_FOR_READERS: Duration = Duration::from_millis(20);

/// Copies what this process committed to SQLite's write-ahead log back into the database
/// file, [`CHECKPOINT_AFTER`] after a commit (and at least every
/// [`CHECKPOINT_AT_LEAST_EVERY`]), on a connection of its own, while writers go on (a
/// passive checkpoint waits for nobody and blocks nobody; with nothing to copy it does
/// nothing); ends with the last handle on the database.
///
/// SQLite would checkpoint inside a `COMMIT` once the log passed 1,000 pages, on the
/// committing connection, its two `fsync`s (the log, then the file) while the writer
/// still held its write turn ([`turn`]): every other writer of every process waited for
/// them, 10 to 15 ms here each time, about every 17 bookings at 100 a second. So every
/// connection is opened with that automatic checkpoint off (`wal_autocheckpoint=0`), and
/// each process checkpoints the log here after its own commits instead.
///
/// A passive checkpoint copies the log but never starts it again: only a writer that
/// begins when every page of the log is copied and nobody reads it does that. Under a
/// steady stream of writes that moment never comes, and the log grew by 20 MB a second
/// of intake, to 340 MB over a 20,000-booking backlog and its drain (BENCHMARKS.md).
/// Once it is longer than [`RESTART_LOG_AT`] pages, [`restart_log`] makes that moment.
async fn checkpoint_after_commits(
    pool: sqlx::SqlitePool,
    mut commits: watch::Receiver<u64>,
    turns: turn::WriteTurns,
) {
    // The log's length at the last checkpoint, and the length at which to restart it. A
    // restart tried, had or not, is tried again once the log has grown as much again, or
    // once a writer has started it again (it is shorter than it was).
    let mut last = 0;
    let mut restart_at = RESTART_LOG_AT;
    loop {
        match tokio::time::timeout(CHECKPOINT_AT_LEAST_EVERY, commits.changed()).await {
            Ok(Err(_)) => return,
            Ok(Ok(())) => tokio::time::sleep(CHECKPOINT_AFTER).await,
            Err(_) => {}
        }
        commits.mark_unchanged();
        let pages = match checkpoint(&pool, "PRAGMA wal_checkpoint(PASSIVE)").await {
            Ok((_, pages)) => pages,
            Err(e) => {
                tracing::debug!(error = %e, "could not checkpoint; the next commit's checkpoint will");
                continue;
            }
        };
        if pages < last {
            restart_at = RESTART_LOG_AT;
        }
        last = pages;
        if pages >= restart_at {
            if let Err(e) = restart_log(&pool, &turns).await {
                tracing::debug!(error = %e, "could not restart the log");
            }
            restart_at = pages + RESTART_LOG_AT;
        }
    }
}

/// Runs `checkpoint`, a `PRAGMA wal_checkpoint`, on `conn`: whether it finished (one that
/// waits can be kept from it by a reader or a writer that held on), and the log's length
/// in pages.
async fn checkpoint<'c>(
    conn: impl sqlx::SqliteExecutor<'c>,
    checkpoint: &'static str,
) -> Result<(bool, i64), sqlx::Error> {
    let (blocked, log, _copied): (i64, i64, i64) =
        sqlx::query_as(checkpoint).fetch_one(conn).await?;
    Ok((blocked == 0, log))
}

/// In a write turn, so that no writer of this project comes between, copies the rest of
/// the log and waits (at most [`RESTART_WAITS_FOR_READERS`]) for the readers still
/// reading it: the next writer then starts the log again from its beginning, and cuts
/// its file back to [`RESTART_LOG_AT`] pages. A long reader can keep it from that, and
/// the writers wait meanwhile, hence the short wait.
async fn restart_log(pool: &sqlx::SqlitePool, turns: &turn::WriteTurns) -> Result<(), sqlx::Error> {
    let _turn = turns.take().await;
    let mut conn = pool.acquire().await?;
    let busy =
        |d: Duration| sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout = {}", d.as_millis()));
    sqlx::query(busy(RESTART_WAITS_FOR_READERS))
        .execute(&mut *conn)
        .await?;
    let restarted = checkpoint(&mut *conn, "PRAGMA wal_checkpoint(RESTART)").await;
    if let Err(e) = sqlx::query(busy(BUSY_TIMEOUT)).execute(&mut *conn).await {
        // Not lent again with the short wait.
        conn.close_on_drop();
        return Err(e);
    }
    if !restarted?.0 {
        tracing::debug!("a reader kept the log from being started again");
    }
    Ok(())
}

/// A PostgreSQL connection idle for less than this is lent without a ping first.
const PING_WHEN_IDLE_FOR: Duration = Duration::from_millis(500);

/// Whether a PostgreSQL connection may be lent: it answers a ping, unless it was in use
/// within the last [`PING_WHEN_IDLE_FOR`] (as HikariCP does). sqlx pings before every
/// lending by default, a round trip to the server each time, and a booking's request
/// borrows connections one after another (its session, its admission, and the write its
/// batch shares): skipping the pings raised the intake 2% to 4% (BENCHMARKS.md). A connection that broke
/// within the window fails its statement instead, as one breaking during a statement
/// does, and is closed when given back (sqlx pings it then).
async fn still_alive(
    conn: &mut sqlx::PgConnection,
    meta: sqlx::pool::PoolConnectionMetadata,
) -> Result<bool, sqlx::Error> {
    use sqlx::Connection;
    if meta.idle_for < PING_WHEN_IDLE_FOR {
        return Ok(true);
    }
    Ok(conn.ping().await.is_ok())
}

/// The file of a SQLite pool; `None` for a database in memory.
fn sqlite_file(pool: &sqlx::SqlitePool) -> Option<std::path::PathBuf> {
    let options = pool.connect_options();
    let file = options.get_filename();
    let name = file.to_string_lossy();
    (!name.is_empty() && name != ":memory:" && !name.starts_with("file:"))
        .then(|| std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf()))
}

/// What a process does with the database; SQLite is tuned for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Reads of every size (the API's lists, searches and analytics) and writes.
    Mixed,
    /// Small writes, many in a transaction, each after a savepoint of its own (a worker's
    /// batch of assignments). A transaction's savepoints keep the pages they change in a
    /// journal of their own, which SQLite writes to a temporary file, created and deleted
    /// per transaction, once it passes 64 KiB: four in five of a drain's writes went
    /// there. Here temporary storage is memory (`temp_store`). Not for [`Workload::Mixed`]:
    /// it moves every temporary b-tree into memory too, and the analytics' sorts of half
    /// a million bookings then took 300 MB and ran 70% longer (BENCHMARKS.md).
    Writes,
}

/// Makes `path` an empty file readable and writable by this user only, unless it exists.
/// A new SQLite database holds the accounts' password hashes, the signing key and every
/// customer's details, and SQLite makes its log files with the database file's mode; an
/// empty file is a new database to SQLite (and to `VACUUM INTO`).
pub fn new_private_file(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => Err(e),
        _ => Ok(()),
    }
}

/// Makes the folder at `path` (made for the database) open to this user only.
fn private_folder(path: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
}

/// Opens a SQLite file in WAL mode, creating it (for this user only) and its folder if
/// missing.
async fn connect_sqlite(url: &str, workload: Workload) -> Result<sqlx::SqlitePool, Error> {
    let mut options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true)
        // Checkpoints outside the write turn instead ([`checkpoint_after_commits`]).
        .pragma("wal_autocheckpoint", "0")
        .pragma("journal_size_limit", (RESTART_LOG_AT * 4096).to_string());
    if workload == Workload::Writes {
        options = options.pragma("temp_store", "memory");
    }
    let file = options.get_filename().to_path_buf();
    if file.as_os_str() != ":memory:" {
        if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
            private_folder(parent).map_err(sqlx::Error::Io)?;
        }
        new_private_file(&file).map_err(sqlx::Error::Io)?;
    }
    // No ping before lending a connection: a connection to a local file does not go
    // stale, and each ping is a round trip to the connection's thread.
    let pool = || {
        SqlitePoolOptions::new()
            .max_connections(8)
            .test_before_acquire(false)
            .acquire_timeout(Duration::from_secs(10))
            .after_release(|conn, _| Box::pin(still_usable(conn)))
            .connect_with(options.clone())
    };
    // A connection's first pragmas (WAL) run before its busy timeout is set: while
    // another process migrates the file they may find it locked. Then try again, for
    // up to about ten seconds.
    let mut wait = Duration::from_millis(10);
    let mut tries = 0;
    loop {
        match pool().await {
            Err(e) if tries < 40 && is_transient(&e) => {
                tries += 1;
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_millis(500));
            }
            other => return Ok(other?),
        }
    }
}
