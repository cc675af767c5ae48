//! The queue alone: no-op jobs through the project's apalis backend, one worker, on a
//! fresh SQLite file (the rate at a small and a large backlog, and the pickup latency
//! at a steady arrival rate).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apalis::prelude::{BoxDynError, Data, Monitor, WorkerBuilder, WorkerBuilderExt};
use sqlx::sqlite::SqlitePool;

use shared::Store;
use shared::assignment::RetryPolicy;
use shared::store::{ClaimedJob, JobPayload};
use worker::backend::{Claimed, QueueConfig, backend};

const QUEUE: &str = "bench";

async fn fresh(dir: &std::path::Path, name: &str) -> anyhow::Result<(Store, SqlitePool)> {
    let url = format!("sqlite://{}/{name}.db", dir.display());
    let store = Store::connect(&url, RetryPolicy::default()).await?;
    store.migrate().await?;
    Ok((store, crate::db::open(&url).await?))
}

async fn enqueue(raw: &SqlitePool, n: usize, run_at_ms: i64) -> anyhow::Result<()> {
    let mut tx = raw.begin().await?;
    for _ in 0..n {
        sqlx::query(
            "INSERT INTO jobs (queue, kind, payload, state, attempt, max_attempts, run_at, created_at, updated_at) \
             VALUES ($1, 'noop', '{\"booking_id\":0,\"cycle\":0}', 'scheduled', 1, 1, $2, $2, $2)",
        )
        .bind(QUEUE)
        .bind(run_at_ms)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn done(raw: &SqlitePool) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE queue = $1 AND state = 'done'")
            .bind(QUEUE)
            .fetch_one(raw)
            .await?,
    )
}

/// Pickup latencies (claim time minus run_at), in microseconds.
#[derive(Clone, Default)]
struct Pickups(Arc<Mutex<Vec<i64>>>);

async fn noop(
    _payload: JobPayload,
    job: Data<ClaimedJob>,
    store: Data<Store>,
    pickups: Data<Pickups>,
) -> Result<(), BoxDynError> {
    let waited = (chrono::Utc::now() - job.run_at)
        .num_microseconds()
        .unwrap_or(0);
    (*pickups)
        .0
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(waited);
    store.complete_job(&job).await?;
    Ok(())
}

/// Runs one worker over the backend until `stop` resolves.
async fn run_worker(
    store: Store,
    concurrency: usize,
    poll: Duration,
    pickups: Pickups,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let config = QueueConfig {
        queue: QUEUE.into(),
        owner: "bench".into(),
        batch: concurrency as u32,
        poll,
        wakeup: store.job_wakeup(QUEUE),
        lease: Duration::from_secs(30),
    };
    let claimed = Claimed::default();
    let monitor = Monitor::new().register(move |_| {
        WorkerBuilder::new("bench")
            .backend(backend(store.clone(), config.clone(), claimed.clone()))
            .concurrency(concurrency)
            .data(store.clone())
            .data(pickups.clone())
            .build(noop)
    });
    let _ = monitor
        .run_with_signal(async move {
            let _ = stop.await;
            Ok(())
        })
        .await;
}

/// Drains a backlog of `n` no-op jobs with one worker; jobs per second.
pub async fn drain_noop(
    dir: &std::path::Path,
    n: usize,
    concurrency: usize,
) -> anyhow::Result<f64> {
    let (store, raw) = fresh(dir, &format!("noop-{n}")).await?;
    enqueue(&raw, n, chrono::Utc::now().timestamp_millis()).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let started = Instant::now();
    let worker = tokio::spawn(run_worker(
        store,
        concurrency,
        Duration::from_millis(50),
        Pickups::default(),
        rx,
    ));
    while done(&raw).await? < n as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = tx.send(());
    worker.await?;
    Ok(rate)
}

/// Pickup latency with one job arriving every `1/rate` s for `seconds`, sorted, in µs.
pub async fn pickup_latency_us(
    dir: &std::path::Path,
    rate: u64,
    seconds: u64,
    concurrency: usize,
) -> anyhow::Result<Vec<i64>> {
    let (store, raw) = fresh(dir, "noop-latency").await?;
    let pickups = Pickups::default();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let worker = tokio::spawn(run_worker(
        store,
        concurrency,
        Duration::from_millis(50),
        pickups.clone(),
        rx,
    ));
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for _ in 0..total {
        tick.tick().await;
        enqueue(&raw, 1, chrono::Utc::now().timestamp_millis()).await?;
    }
    while done(&raw).await? < total as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = tx.send(());
    worker.await?;
    let mut v = pickups.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
    v.sort_unstable();
    Ok(v)
}
