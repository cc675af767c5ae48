//! The named peer in the same run: no-op jobs through apalis-sqlite 1.0 (the storage the
//! design card names, as shipped: its own tables, pragmas and default settings), beside the
//! same jobs through this project's queue, each on a fresh SQLite file in the same folder.
//! The two alternate (ours, then the peer, at each size), so a busy moment of the machine
//! falls on both. Both workers run eight jobs at a time, in this process.
//!
//! What is measured, for each: jobs/s draining 1,000 and 20,000 queued jobs, and the pickup
//! (enqueue to the handler's start) at 100 jobs/s. A peer worker that ends with an error is
//! reported, and its figure is not.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use apalis::prelude::{BackendExt, BoxDynError, Data, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_sqlite::{SqlitePool, SqliteStorage};

use crate::report::{Report, percentile};
use crate::scenarios::queue;

/// The peer's jobs carry their enqueue time, in µs since the epoch.
type Sent = i64;

fn now_us() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Notes how long after it was sent each job started (µs).
async fn noop(sent: Sent, pickups: Data<Arc<Mutex<Vec<i64>>>>) -> Result<(), BoxDynError> {
    pickups
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(now_us() - sent);
    Ok(())
}

/// A fresh database with the peer's schema (its `setup`: WAL, its pragmas, its migrations).
async fn fresh(dir: &std::path::Path, name: &str) -> anyhow::Result<SqlitePool> {
    let url = format!("sqlite://{}/{name}.db?mode=rwc", dir.display());
    let pool = SqlitePool::connect(&url).await?;
    SqliteStorage::setup(&pool).await?;
    Ok(pool)
}

async fn done(pool: &SqlitePool) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM Jobs WHERE status = 'Done'")
            .fetch_one(pool)
            .await?,
    )
}

/// How the peer's idle worker looks for new jobs.
#[derive(Debug, Clone, Copy)]
enum Polling {
    /// As shipped: after an empty fetch it waits to be woken, which an idle worker is by
    /// its heartbeat (every 30 s by default).
    Default,
    /// Its interval strategy at ours' fallback poll, 50 ms.
    Every50ms,
}

/// One peer worker (eight at a time) on `pool` until `stop` fires; its error, if it ends
/// with one.
fn worker(
    pool: &SqlitePool,
    polling: Polling,
    pickups: Arc<Mutex<Vec<i64>>>,
    stop: tokio::sync::oneshot::Receiver<()>,
) -> tokio::task::JoinHandle<Result<(), String>> {
    let storage = SqliteStorage::<Sent>::new(pool);
    let stop = async move {
        let _ = stop.await;
        Ok::<(), std::io::Error>(())
    };
    let builder = WorkerBuilder::new("peer");
    tokio::spawn(async move {
        match polling {
            Polling::Default => {
                builder
                    .backend(storage)
                    .concurrency(8)
                    .data(pickups)
                    .build(noop)
                    .run_until(stop)
                    .await
            }
            Polling::Every50ms => {
                builder
                    .backend(storage.poll_with_interval(Duration::from_millis(50)))
                    .concurrency(8)
                    .data(pickups)
                    .build(noop)
                    .run_until(stop)
                    .await
            }
        }
        .map_err(|e| e.to_string())
    })
}

/// Waits until `n` jobs are done, or the worker has ended (its error) or a minute has
/// passed with none done.
async fn until_done(
    pool: &SqlitePool,
    n: usize,
    worker: &tokio::task::JoinHandle<Result<(), String>>,
) -> anyhow::Result<()> {
    let (mut last, mut since) = (0, Instant::now());
    loop {
        let finished = done(pool).await?;
        if finished >= n as i64 {
            return Ok(());
        }
        if worker.is_finished() {
            anyhow::bail!("the peer's worker ended with {finished} of {n} jobs done");
        }
        if finished > last {
            (last, since) = (finished, Instant::now());
        } else if since.elapsed() > Duration::from_secs(60) {
            anyhow::bail!("the peer did no job for a minute ({finished} of {n} done)");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Stops the worker; its error, if it ended with one.
async fn stop(
    tx: tokio::sync::oneshot::Sender<()>,
    worker: tokio::task::JoinHandle<Result<(), String>>,
) -> anyhow::Result<()> {
    let _ = tx.send(());
    match tokio::time::timeout(Duration::from_secs(30), worker).await {
        Ok(Ok(Ok(()))) => Ok(()),
        Ok(Ok(Err(e))) => anyhow::bail!("the peer's worker failed: {e}"),
        Ok(Err(e)) => anyhow::bail!("the peer's worker panicked: {e}"),
        Err(_) => anyhow::bail!("the peer's worker did not stop within 30 s"),
    }
}

/// Drains `n` queued no-op jobs with one peer worker; jobs per second.
async fn drain(dir: &std::path::Path, n: usize) -> anyhow::Result<f64> {
    let pool = fresh(dir, &format!("peer-{n}")).await?;
    let mut storage = SqliteStorage::<Sent>::new(&pool);
    let sent = now_us();
    storage.push_bulk(vec![sent; n]).await?;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let started = Instant::now();
    let running = worker(&pool, Polling::Default, Arc::default(), rx);
    let result = until_done(&pool, n, &running).await;
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let stopped = stop(tx, running).await;
    result?;
    stopped?;
    Ok(rate)
}

/// The peer's pickup with one job arriving every `1/rate` s for `seconds`, sorted, in µs.
async fn pickup_latency_us(
    dir: &std::path::Path,
    rate: u64,
    seconds: u64,
    polling: Polling,
) -> anyhow::Result<Vec<i64>> {
    let pool = fresh(dir, &format!("peer-latency-{polling:?}")).await?;
    let mut storage = SqliteStorage::<Sent>::new(&pool);
    let pickups: Arc<Mutex<Vec<i64>>> = Arc::default();
    let (tx, rx) = tokio::sync::oneshot::channel();
    let running = worker(&pool, polling, pickups.clone(), rx);
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
    for _ in 0..total {
        tick.tick().await;
        storage.push(now_us()).await?;
    }
    let result = until_done(&pool, total as usize, &running).await;
    let stopped = stop(tx, running).await;
    result?;
    stopped?;
    let mut v = pickups.lock().unwrap_or_else(|e| e.into_inner()).clone();
    v.sort_unstable();
    Ok(v)
}

/// Ours beside the peer's, or the peer's failure.
fn compare(
    r: &mut Report,
    what: &str,
    ours: f64,
    peer: &anyhow::Result<f64>,
    target: f64,
) -> Option<f64> {
    r.row(
        &format!("{what}: ours"),
        format!("{ours:.0}"),
        String::new(),
    );
    match peer {
        Ok(peer) => {
            let ratio = ours / peer;
            r.row(
                &format!("{what}: apalis-sqlite"),
                format!("{peer:.0}"),
                format!("ours {ratio:.2}x (target >= {target:.1}x)"),
            );
            Some(ratio)
        }
        Err(e) => {
            r.row(
                &format!("{what}: apalis-sqlite"),
                "failed".into(),
                format!("{e:#}"),
            );
            None
        }
    }
}

/// The targets: ours at least 1.5x the peer with a small backlog, 5x from 20k on
/// (where the peer's fetch sorts the whole backlog).
fn target(backlog: usize) -> f64 {
    if backlog >= 20_000 { 5.0 } else { 1.5 }
}

/// Drains each of `backlogs` with ours, then with the peer; then the pickups.
pub async fn run(dir: &std::path::Path, backlogs: &[usize], r: &mut Report) -> anyhow::Result<()> {
    println!("peer: no-op jobs, this project's queue beside apalis-sqlite 1.0, 1 worker x8 each");
    let mut json = serde_json::Map::new();
    for &n in backlogs {
        let target = target(n);
        let ours = queue::drain_noop(dir, n, 8).await?;
        let peer = drain(dir, n).await;
        let ratio = compare(r, &format!("no-op jobs/s, {n} queued"), ours, &peer, target);
        json.insert(format!("ours_per_s_{n}"), ours.into());
        json.insert(
            format!("peer_per_s_{n}"),
            peer.as_ref().ok().copied().into(),
        );
        json.insert(format!("ratio_{n}"), ratio.into());
        if let Err(e) = peer {
            json.insert(format!("peer_failure_{n}"), format!("{e:#}").into());
        }
    }
    let ms = |v: &[i64], p| percentile(v, p) as f64 / 1000.0;
    let ours = queue::pickup_latency_us(dir, 100, 5, 8).await?;
    r.row(
        "no-op pickup at 100/s, p50/p99: ours",
        format!("{:.1}/{:.1} ms", ms(&ours, 0.5), ms(&ours, 0.99)),
        String::new(),
    );
    json.insert("ours_pickup_p50_ms".into(), ms(&ours, 0.5).into());
    json.insert("ours_pickup_p99_ms".into(), ms(&ours, 0.99).into());
    for (polling, label, key) in [
        (Polling::Default, "apalis-sqlite", "peer"),
        (
            Polling::Every50ms,
            "apalis-sqlite polling 50 ms",
            "peer_50ms",
        ),
    ] {
        match pickup_latency_us(dir, 100, 5, polling).await {
            Ok(peer) => {
                r.row(
                    &format!("no-op pickup at 100/s, p50/p99: {label}"),
                    format!("{:.1}/{:.1} ms", ms(&peer, 0.5), ms(&peer, 0.99)),
                    format!("max {:.1} ms", ms(&peer, 1.0)),
                );
                json.insert(format!("{key}_pickup_p50_ms"), ms(&peer, 0.5).into());
                json.insert(format!("{key}_pickup_p99_ms"), ms(&peer, 0.99).into());
            }
            Err(e) => {
                r.row(
                    &format!("no-op pickup at 100/s: {label}"),
                    "failed".into(),
                    format!("{e:#}"),
                );
                json.insert(format!("{key}_pickup_failure"), format!("{e:#}").into());
            }
        }
    }
    r.json.insert("peer".into(), json.into());
    Ok(())
}
