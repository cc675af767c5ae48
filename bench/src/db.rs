//! Direct reads of the system's database (correctness counts, latencies from the
//! history), and the raw baselines: plain sqlx on the same disk with the same settings.
//! The raw baselines exist for both backends (PostgreSQL's on a scratch database of the
//! same server); the retry-lateness read is SQLite's; the counts work on both.

use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqliteSynchronous};

/// The system's database, of either backend.
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs one scalar query on either backend.
macro_rules! scalar {
    ($db:expr, $sql:expr) => {
        match $db {
            Db::Sqlite(p) => sqlx::query_scalar($sql).fetch_one(p).await?,
            Db::Postgres(p) => sqlx::query_scalar($sql).fetch_one(p).await?,
        }
    };
}

/// Opens the system's database by its URL.
pub async fn open_system(url: &str) -> anyhow::Result<Db> {
    Ok(if url.starts_with("postgres") {
        Db::Postgres(PgPool::connect(url).await?)
    } else {
        Db::Sqlite(open(url).await?)
    })
}

/// The same connection settings the store uses.
pub async fn open(url: &str) -> anyhow::Result<SqlitePool> {
    let options = url
        .parse::<SqliteConnectOptions>()?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    Ok(SqlitePool::connect_with(options).await?)
}

/// After a scenario: bookings assigned more than once, and bookings neither assigned
/// (or further) nor dead. Both must be 0.
pub async fn correctness(db: &Db) -> anyhow::Result<(i64, i64)> {
    let twice: i64 = scalar!(
        db,
        "SELECT COUNT(*) FROM (SELECT booking_id FROM booking_history WHERE new_status = 'assigned' \
         GROUP BY booking_id HAVING COUNT(*) > 1) AS twice"
    );
    let stuck: i64 = scalar!(
        db,
        "SELECT COUNT(*) FROM bookings WHERE status NOT IN ('assigned', 'accepted', 'in_progress', 'completed') \
         AND assignment_exhausted = FALSE"
    );
    Ok((twice, stuck))
}

/// After the console scenario: jobs still dead, and bookings moved to a second cycle.
pub async fn console_outcome(db: &Db) -> anyhow::Result<(i64, i64)> {
    let dead: i64 = scalar!(db, "SELECT COUNT(*) FROM jobs WHERE state = 'dead'");
    let cycled: i64 = scalar!(
        db,
        "SELECT COUNT(*) FROM bookings WHERE assignment_cycle = 2"
    );
    Ok((dead, cycled))
}

/// Bookings assigned now, read every 20 ms while a backlog drains. On SQLite from the
/// counts the store keeps in step (one row, where counting 20,000 bookings takes 0.6 ms
/// of the cores the drain runs on); PostgreSQL keeps them as delta rows, one per change,
/// which the index on `status` counts faster.
pub async fn assigned(db: &Db) -> anyhow::Result<i64> {
    Ok(scalar!(
        db,
        match db {
            Db::Sqlite(_) =>
                "SELECT COALESCE(SUM(n), 0) FROM booking_counts WHERE status = 'assigned'",
            Db::Postgres(_) => "SELECT COUNT(*) FROM bookings WHERE status = 'assigned'",
        }
    ))
}

pub async fn exhausted(db: &Db) -> anyhow::Result<i64> {
    Ok(scalar!(
        db,
        "SELECT COUNT(*) FROM bookings WHERE assignment_exhausted = TRUE"
    ))
}

/// Milliseconds from the first assignment in the history to the last.
pub async fn assigning_span_ms(db: &Db) -> anyhow::Result<i64> {
    Ok(scalar!(
        db,
        match db {
            Db::Sqlite(_) =>
                "SELECT MAX(timestamp) - MIN(timestamp) FROM booking_history WHERE new_status = 'assigned'",
            Db::Postgres(_) =>
                "SELECT (EXTRACT(EPOCH FROM MAX(timestamp) - MIN(timestamp)) * 1000)::BIGINT \
                 FROM booking_history WHERE new_status = 'assigned'",
        }
    ))
}

/// Milliseconds from creation to assignment of each booking numbered `first` or above.
pub async fn create_to_assigned_ms(db: &Db, first: i64) -> anyhow::Result<Vec<i64>> {
    Ok(match db {
        Db::Sqlite(p) => {
            sqlx::query_scalar(
                "SELECT h.timestamp - b.created_at FROM bookings b \
                 JOIN booking_history h ON h.booking_id = b.id AND h.new_status = 'assigned' \
                 WHERE b.id >= $1",
            )
            .bind(first)
            .fetch_all(p)
            .await?
        }
        Db::Postgres(p) => {
            sqlx::query_scalar(
                "SELECT (EXTRACT(EPOCH FROM h.timestamp - b.created_at) * 1000)::BIGINT FROM bookings b \
                 JOIN booking_history h ON h.booking_id = b.id AND h.new_status = 'assigned' \
                 WHERE b.id >= $1",
            )
            .bind(first)
            .fetch_all(p)
            .await?
        }
    })
}

/// For every retry (attempt k >= 2): actual start minus scheduled start, in ms. The
/// schedule is the previous attempt's failure time plus `base * 2^(k-2)`.
pub async fn retry_lateness_ms(db: &Db, base_ms: i64) -> anyhow::Result<Vec<i64>> {
    let Db::Sqlite(pool) = db else {
        anyhow::bail!(
            "the retry scenario reads SQLite's millisecond columns; run it with --backend sqlite"
        );
    };
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT booking_id, cycle, attempt, created_at FROM assignment_attempts ORDER BY booking_id, cycle, attempt",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .windows(2)
        .filter(|w| w[0].0 == w[1].0 && w[0].1 == w[1].1 && w[1].2 == w[0].2 + 1)
        .map(|w| w[1].3 - (w[0].3 + base_ms * (1 << (w[1].2 - 2))))
        .collect())
}

/// Raw baseline: single-row durable inserts per second, one transaction each.
pub async fn raw_inserts(dir: &std::path::Path, n: usize) -> anyhow::Result<f64> {
    let pool = open(&format!("sqlite://{}/raw-insert.db", dir.display())).await?;
    sqlx::query(
        "CREATE TABLE t (id INTEGER PRIMARY KEY, customer_id INTEGER, customer_name TEXT, customer_phone TEXT, \
         customer_email TEXT, service_type TEXT, address TEXT, scheduled_date INTEGER, status TEXT, \
         created_at INTEGER, updated_at INTEGER)",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    for i in 0..n as i64 {
        let mut conn = pool.acquire().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        sqlx::query(
            "INSERT INTO t (customer_id, customer_name, customer_phone, customer_email, service_type, address, \
             scheduled_date, status, created_at, updated_at) VALUES ($1, 'Bench Customer', '+1 555 010 0199', \
             'bench@example.com', 'plumbing', '1 Load Street', $1, 'pending', $1, $1)",
        )
        .bind(i)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Raw baseline: claim (`UPDATE ... RETURNING`) + complete cycles per second on a job
/// table with the project's schema and indexes, one job each.
pub async fn raw_cycles(dir: &std::path::Path, n: usize) -> anyhow::Result<f64> {
    let pool = open(&format!("sqlite://{}/raw-cycles.db", dir.display())).await?;
    sqlx::query(
        "CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue TEXT NOT NULL, state TEXT NOT NULL, run_at INTEGER NOT NULL, \
         lease_token TEXT, finished_at INTEGER)",
    )
    .execute(&pool)
    .await?;
    sqlx::query("CREATE INDEX jobs_claimable ON jobs (queue, run_at, id) WHERE state IN ('scheduled', 'retrying')")
        .execute(&pool)
        .await?;
    let mut tx = pool.begin().await?;
    for _ in 0..n {
        sqlx::query("INSERT INTO jobs (queue, state, run_at) VALUES ('q', 'scheduled', 0)")
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let started = Instant::now();
    for _ in 0..n {
        let mut conn = pool.acquire().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        let id: i64 = sqlx::query_scalar(
            "UPDATE jobs SET state = 'running', lease_token = 't' WHERE id = (SELECT id FROM jobs WHERE queue = 'q' \
             AND state IN ('scheduled', 'retrying') AND run_at <= 1 ORDER BY run_at, id LIMIT 1) RETURNING id",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE").await?;
        sqlx::query("UPDATE jobs SET state = 'done', finished_at = 1, lease_token = NULL WHERE id = $1 AND lease_token = 't'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// PostgreSQL's raw baseline: single-row durable inserts per second, one transaction
/// each, on `pool` (a scratch database of the system's server).
pub async fn raw_inserts_pg(pool: &PgPool, n: usize) -> anyhow::Result<f64> {
    sqlx::query(
        "CREATE TABLE t (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, customer_id BIGINT, \
         customer_name TEXT, customer_phone TEXT, customer_email TEXT, service_type TEXT, address TEXT, \
         scheduled_date BIGINT, status TEXT, created_at BIGINT, updated_at BIGINT)",
    )
    .execute(pool)
    .await?;
    let started = Instant::now();
    for i in 0..n as i64 {
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO t (customer_id, customer_name, customer_phone, customer_email, service_type, address, \
             scheduled_date, status, created_at, updated_at) VALUES ($1, 'Bench Customer', '+1 555 010 0199', \
             'bench@example.com', 'plumbing', '1 Load Street', $1, 'pending', $1, $1)",
        )
        .bind(i)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// PostgreSQL's raw baseline: claim (`FOR UPDATE SKIP LOCKED`, `UPDATE ... RETURNING`) +
/// complete cycles per second, one job each, on `pool` (a scratch database).
pub async fn raw_cycles_pg(pool: &PgPool, n: usize) -> anyhow::Result<f64> {
    sqlx::query(
        "CREATE TABLE jobs (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, queue TEXT NOT NULL, \
         state TEXT NOT NULL, run_at BIGINT NOT NULL, lease_token TEXT, finished_at BIGINT)",
    )
    .execute(pool)
    .await?;
    sqlx::query("CREATE INDEX jobs_claimable ON jobs (queue, run_at, id) WHERE state IN ('scheduled', 'retrying')")
        .execute(pool)
        .await?;
    sqlx::query(
        "INSERT INTO jobs (queue, state, run_at) SELECT 'q', 'scheduled', 0 FROM generate_series(1, $1)",
    )
    .bind(n as i64)
    .execute(pool)
    .await?;
    sqlx::query("ANALYZE jobs").execute(pool).await?;
    let started = Instant::now();
    for _ in 0..n {
        let mut tx = pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "UPDATE jobs SET state = 'running', lease_token = 't' WHERE id = (SELECT id FROM jobs WHERE queue = 'q' \
             AND state IN ('scheduled', 'retrying') AND run_at <= 1 ORDER BY run_at, id LIMIT 1 \
             FOR UPDATE SKIP LOCKED) RETURNING id",
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        let mut tx = pool.begin().await?;
        sqlx::query("UPDATE jobs SET state = 'done', finished_at = 1, lease_token = NULL WHERE id = $1 AND lease_token = 't'")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Books `windows` (provider, start) of `length` straight into the bookings table, as
/// accepted jobs of the demo customer: the backdrop of the calendar scenario (going
/// through the API and the workers would measure those instead). The database's own
/// rule against double booking still applies to every row.
pub async fn book_windows(
    db: &Db,
    windows: &[(i64, chrono::DateTime<chrono::Utc>)],
    length: chrono::Duration,
) -> anyhow::Result<()> {
    const COLUMNS: &str = "INSERT INTO bookings (customer_id, customer_name, customer_phone, customer_email, \
        service_type, address, starts_at, ends_at, time_zone, status, provider_id, created_at, updated_at) ";
    const ROW: &str = "((SELECT id FROM users WHERE email = 'customer@example.com'), 'Bench Customer', \
        '+1 555 010 0199', 'bench@example.com', 'plumbing', '1 Booked Street', ";
    for chunk in windows.chunks(400) {
        let mut sql = String::from(COLUMNS);
        sql.push_str("VALUES ");
        for k in 0..chunk.len() {
            let b = 4 * k;
            if k > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "{ROW}${}, ${}, 'UTC', 'accepted', ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 4
            ));
        }
        match db {
            Db::Sqlite(p) => {
                let now = chrono::Utc::now().timestamp_millis();
                // Built above from constants and placeholders only: every value is bound.
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for (provider, start) in chunk {
                    let s = start.timestamp_millis();
                    q = q
                        .bind(s)
                        .bind(s + length.num_milliseconds())
                        .bind(provider)
                        .bind(now);
                }
                q.execute(p).await?;
            }
            Db::Postgres(p) => {
                let now = chrono::Utc::now();
                // Built above from constants and placeholders only: every value is bound.
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for (provider, start) in chunk {
                    q = q
                        .bind(*start)
                        .bind(*start + length)
                        .bind(provider)
                        .bind(now);
                }
                q.execute(p).await?;
            }
        }
    }
    // PostgreSQL plans with the statistics of the table as it was before these rows. Its
    // autovacuum analyzes a table within a minute of such a change (more than a tenth of
    // it), so a server in use has them; the bench measures at once, so it analyzes now.
    if let Db::Postgres(p) = db {
        sqlx::query("ANALYZE bookings").execute(p).await?;
    }
    Ok(())
}
