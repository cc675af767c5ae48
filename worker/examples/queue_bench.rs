//! Queue throughput and latency: no-op jobs through the project's apalis backend, one
//! worker, on a fresh SQLite file; and, in the same run, the raw baseline of plain sqlx
//! claim+complete cycles on the same disk with the same settings.
//!
//!     cargo run --release -p worker --example queue_bench [-- --jobs 1000,20000 --concurrency 8]
//!
//! Prints jobs/s for each backlog, the ratio to the raw baseline and to the smallest
//! backlog, and the pickup latency (claim time minus run_at) at 100 arrivals/s.

use std::time::{Duration, Instant};

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use sqlx::sqlite::SqlitePool;

use shared::Store;
use shared::assignment::RetryPolicy;
use shared::store::{ClaimedJob, JobPayload};
use worker::backend::{Claimed, QueueConfig, backend};

const QUEUE: &str = "bench";

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| default.to_owned())
}

async fn fresh(dir: &std::path::Path, name: &str) -> (Store, SqlitePool) {
    let url = format!("sqlite://{}/{name}.db", dir.display());
    let store = Store::connect(&url, RetryPolicy::default()).await.unwrap();
    store.migrate().await.unwrap();
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .unwrap()
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(5));
    let raw = SqlitePool::connect_with(options).await.unwrap();
    (store, raw)
}

async fn enqueue(raw: &SqlitePool, n: usize, run_at_ms: i64) {
    let mut tx = raw.begin().await.unwrap();
    for _ in 0..n {
        sqlx::query(
            "INSERT INTO jobs (queue, kind, payload, state, attempt, max_attempts, run_at, created_at, updated_at) \
             VALUES ($1, 'noop', '{\"booking_id\":0,\"cycle\":0}', 'scheduled', 1, 1, $2, $2, $2)",
        )
        .bind(QUEUE)
        .bind(run_at_ms)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn done_count(raw: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE queue = $1 AND state = 'done'")
        .bind(QUEUE)
        .fetch_one(raw)
        .await
        .unwrap()
}

#[derive(Clone)]
struct Latencies(std::sync::Arc<std::sync::Mutex<Vec<i64>>>);

async fn noop(
    _payload: JobPayload,
    job: Data<ClaimedJob>,
    store: Data<Store>,
    lat: Data<Latencies>,
) -> Result<(), BoxDynError> {
    let picked = (chrono::Utc::now() - job.run_at)
        .num_microseconds()
        .unwrap_or(0);
    (*lat).0.lock().unwrap().push(picked);
    store.complete_job(&job).await?;
    Ok(())
}

/// Runs one worker over the backend until `until` says stop; returns when it has.
async fn run_worker(
    store: Store,
    concurrency: usize,
    lat: Latencies,
    until: impl Future<Output = ()> + Send + 'static,
) {
    let config = QueueConfig {
        queue: QUEUE.into(),
        owner: "bench".into(),
        batch: concurrency as u32,
        poll: Duration::from_millis(10),
        lease: Duration::from_secs(30),
    };
    let claimed = Claimed::default();
    Monitor::new()
        .register(move |_| {
            WorkerBuilder::new("bench")
                .backend(backend(store.clone(), config.clone(), claimed.clone()))
                .concurrency(concurrency)
                .data(store.clone())
                .data(lat.clone())
                .build(noop)
        })
        .run_with_signal(async move {
            until.await;
            Ok(())
        })
        .await
        .unwrap();
}

/// Drains a backlog of `n` no-op jobs; jobs per second.
async fn drain(dir: &std::path::Path, n: usize, concurrency: usize) -> f64 {
    let (store, raw) = fresh(dir, &format!("drain{n}")).await;
    enqueue(&raw, n, chrono::Utc::now().timestamp_millis()).await;
    let lat = Latencies(Default::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let started = Instant::now();
    let worker = tokio::spawn(run_worker(store, concurrency, lat, async move {
        let _ = rx.await;
    }));
    while done_count(&raw).await < n as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = tx.send(());
    worker.await.unwrap();
    rate
}

/// Raw baseline: plain sqlx claim (`UPDATE ... RETURNING`) + complete cycles, one job each.
async fn raw_cycles(dir: &std::path::Path, n: usize) -> f64 {
    let (_, raw) = fresh(dir, "raw").await;
    enqueue(&raw, n, 0).await;
    let started = Instant::now();
    for _ in 0..n {
        let mut conn = raw.acquire().await.unwrap();
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
            .await
            .unwrap();
        let id: i64 = sqlx::query_scalar(
            "UPDATE jobs SET state = 'running', lease_owner = 'raw', lease_token = 't', lease_expires_at = 1 \
             WHERE id = (SELECT id FROM jobs WHERE queue = $1 AND state IN ('scheduled', 'retrying') \
             AND run_at <= 1 ORDER BY run_at, id LIMIT 1) RETURNING id",
        )
        .bind(QUEUE)
        .fetch_one(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let mut tx = sqlx::Connection::begin_with(&mut *conn, "BEGIN IMMEDIATE")
            .await
            .unwrap();
        sqlx::query("UPDATE jobs SET state = 'done', finished_at = 1, lease_token = NULL WHERE id = $1 AND lease_token = 't'")
            .bind(id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// Pickup latency with jobs arriving at `rate` per second for `seconds`.
async fn pickup(dir: &std::path::Path, rate: u64, seconds: u64, concurrency: usize) -> Vec<i64> {
    let (store, raw) = fresh(dir, "latency").await;
    let lat = Latencies(Default::default());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(run_worker(store, concurrency, lat.clone(), async move {
        let _ = rx.await;
    }));
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for _ in 0..total {
        tick.tick().await;
        enqueue(&raw, 1, chrono::Utc::now().timestamp_millis()).await;
    }
    while done_count(&raw).await < total as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = tx.send(());
    worker.await.unwrap();
    let mut v = lat.0.lock().unwrap().clone();
    v.sort_unstable();
    v
}

#[tokio::main]
async fn main() {
    let sizes: Vec<usize> = arg("--jobs", "1000,20000")
        .split(',')
        .map(|s| s.parse().unwrap())
        .collect();
    let concurrency: usize = arg("--concurrency", "8").parse().unwrap();
    let dir = tempfile::tempdir().unwrap();

    let baseline = raw_cycles(dir.path(), 2000).await;
    println!("raw sqlx claim+complete cycles: {baseline:>8.0} /s (baseline)");
    let mut first = None;
    for n in sizes {
        let rate = drain(dir.path(), n, concurrency).await;
        let base = *first.get_or_insert(rate);
        println!(
            "drain {n:>6} no-op jobs, 1 worker x{concurrency}: {rate:>8.0} jobs/s  ({:.2}x raw, {:.2}x the first backlog)",
            rate / baseline,
            rate / base
        );
    }
    let lat = pickup(dir.path(), 100, 5, concurrency).await;
    let pct = |p: f64| lat[((lat.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    println!(
        "pickup latency at 100 jobs/s (poll 10 ms), {} jobs: p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );
}
