//! The queue alone: no-op jobs through the queue's apalis runtime, one worker, on a
//! fresh SQLite file (the rate at a small and a large backlog, and the pickup latency
//! at a steady arrival rate).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqlitePool;

use db::Db;
use queue::{BoxError, ClaimedJob, Handler, JobKind, Queue, RetryPolicy};

use crate::report::{Report, percentile};

/// A job that does nothing but finish.
#[derive(Debug, Serialize, Deserialize)]
struct Noop;

impl JobKind for Noop {
    const KIND: &'static str = "noop";
    const QUEUE: &'static str = "bench";
    fn subject_id(&self) -> Option<i64> {
        None
    }
}

/// Completes each job (with the completions that arrive with it, as a handler with
/// nothing else to write does), noting how long after its run_at it was picked up (µs).
#[derive(Debug, Clone)]
struct Completer {
    queue: Queue,
    pickups: Arc<Mutex<Vec<i64>>>,
}

impl Handler for Completer {
    type Output = ();

    fn queue(&self) -> &'static str {
        Noop::QUEUE
    }

    async fn run(&self, job: &ClaimedJob) -> Result<(), BoxError> {
        let waited = (chrono::Utc::now() - job.run_at)
            .num_microseconds()
            .unwrap_or(0);
        self.pickups
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(waited);
        self.queue.complete(&job.lease).await?;
        Ok(())
    }

    async fn failed(&self, job: &ClaimedJob, error: &str) -> Result<(), BoxError> {
        let mut tx = self.queue.db().write().await?;
        queue::fail(&mut tx, &job.lease, error).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// A new migrated file in `dir`, named after `name` and numbered: the queue and peer
/// scenarios both drain here in one run, and must not find each other's jobs done.
async fn fresh(dir: &std::path::Path, name: &str) -> anyhow::Result<(Db, SqlitePool)> {
    static FILES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let k = FILES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let url = format!("sqlite://{}/{name}-{k}.db", dir.display());
    let db = Db::connect(&url).await?;
    db.migrate().await?;
    Ok((db, crate::db::open(&url).await?))
}

async fn enqueue(db: &Db, n: usize) -> anyhow::Result<()> {
    let mut tx = db.write().await?;
    let now = tx.now();
    let once = RetryPolicy {
        base: Duration::from_secs(1),
        max_attempts: 1,
    };
    for _ in 0..n {
        queue::enqueue(&mut tx, &Noop, now, once).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn done(raw: &SqlitePool) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE queue = $1 AND state = 'done'")
            .bind(Noop::QUEUE)
            .fetch_one(raw)
            .await?,
    )
}

/// Runs one worker until `stop` resolves.
async fn run_worker(
    db: Db,
    concurrency: u32,
    pickups: Arc<Mutex<Vec<i64>>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) {
    let settings = queue::runtime::Settings {
        name: "bench".into(),
        hostname: "bench".into(),
        concurrency,
        poll: Duration::from_millis(50),
        lease: Duration::from_secs(30),
        timeout: Duration::from_secs(30),
        heartbeat: Duration::from_secs(5),
        retention: Duration::from_secs(86_400),
    };
    let queue = Queue::new(db);
    let handler = Completer {
        queue: queue.clone(),
        pickups,
    };
    if let Err(e) = queue::runtime::run(queue, handler, settings, async move {
        let _ = stop.await;
    })
    .await
    {
        eprintln!("the bench worker failed: {e}");
    }
}

/// Drains a backlog of `n` no-op jobs with one worker; jobs per second.
pub(crate) async fn drain_noop(
    dir: &std::path::Path,
    n: usize,
    concurrency: u32,
) -> anyhow::Result<f64> {
    let (db, raw) = fresh(dir, &format!("noop-{n}")).await?;
    enqueue(&db, n).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let started = Instant::now();
    let worker = tokio::spawn(run_worker(db, concurrency, Arc::default(), rx));
    while done(&raw).await? < n as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = tx.send(());
    worker.await?;
    Ok(rate)
}

/// Pickup latency with one job arriving every `1/rate` s for `seconds`, sorted, in µs.
pub(crate) async fn pickup_latency_us(
    dir: &std::path::Path,
    rate: u64,
    seconds: u64,
    concurrency: u32,
) -> anyhow::Result<Vec<i64>> {
    let (db, raw) = fresh(dir, "noop-latency").await?;
    let pickups: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let worker = tokio::spawn(run_worker(db.clone(), concurrency, pickups.clone(), rx));
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for _ in 0..total {
        tick.tick().await;
        enqueue(&db, 1).await?;
    }
    while done(&raw).await? < total as i64 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let _ = tx.send(());
    worker.await?;
    let mut v = pickups.lock().unwrap_or_else(|e| e.into_inner()).clone();
    v.sort_unstable();
    Ok(v)
}

pub async fn run(dir: &std::path::Path, raw_cycles: f64, r: &mut Report) -> anyhow::Result<()> {
    println!("queue: no-op jobs through the queue's runtime, 1 worker x8");
    let mut rates = Vec::new();
    for n in [1000, 20000] {
        let rate = drain_noop(dir, n, 8).await?;
        rates.push(rate);
        r.row(
            &format!("no-op jobs/s, {n} queued"),
            format!("{rate:.0}"),
            format!("{:.2}x raw", rate / raw_cycles),
        );
    }
    r.row(
        "no-op 20k / 1k",
        format!("{:.2}", rates[1] / rates[0]),
        "target >= 0.90".into(),
    );
    let lat = pickup_latency_us(dir, 100, 5, 8).await?;
    let ms = |p| percentile(&lat, p) as f64 / 1000.0;
    r.row(
        "no-op pickup at 100/s, woken (poll 50 ms): p50/p99",
        format!("{:.1}/{:.1} ms", ms(0.5), ms(0.99)),
        format!("max {:.1} ms", ms(1.0)),
    );
    r.json.insert(
        "queue".into(),
        serde_json::json!({"noop_per_s_1k": rates[0], "noop_per_s_20k": rates[1], "pickup_p50_ms": ms(0.5), "pickup_p99_ms": ms(0.99)}),
    );
    Ok(())
}
