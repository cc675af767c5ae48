//! The load generator: bookings created over HTTP by a signed-in customer, either as
//! fast as a fixed number of clients can (closed loop) or at a fixed arrival rate
//! (open loop), with a progress bar on stderr when it is a terminal.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

use crate::system::System;

/// Bookings asked for so far by this process.
static ASKED: AtomicUsize = AtomicUsize::new(0);

/// Starts the load cycles through: three hours apart (the longest service the load books,
/// cleaning, lasts 3 hours), so that one provider could take a whole round of them, over
/// 350 days from a week ahead (a booking may be at most a year ahead: 2,900 slots went
/// past it, and a long run failed with 422 once its count wrapped near the end).
const SLOTS: usize = 2800;
const SPACING_HOURS: i64 = 3;

pub fn body(service: &str) -> Value {
    static FIRST: std::sync::OnceLock<chrono::DateTime<chrono::Utc>> = std::sync::OnceLock::new();
    let first = *FIRST.get_or_init(|| testkit::grid_start(chrono::Duration::days(7)));
    let k = ASKED.fetch_add(1, Ordering::Relaxed) % SLOTS;
    let start = first + chrono::Duration::hours(SPACING_HOURS * k as i64);
    json!({
        "customer_name": "Bench Customer",
        "customer_phone": "+1 555 010 0199",
        "customer_email": "bench@example.com",
        "service_type": service,
        "address": "1 Load Street",
        "starts_at": start.to_rfc3339(),
    })
}

pub async fn create(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> anyhow::Result<i64> {
    let res = client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await?;
    let status = res.status();
    let v: Value = res.json().await?;
    anyhow::ensure!(status.as_u16() == 201, "create answered {status}: {v}");
    v["id"].as_i64().context("a booking id")
}

/// A progress bar on stderr, `label: done/total (rate)`, drawn only when stderr is a
/// terminal: a log file gets the report alone.
pub fn bar(label: &'static str, total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template("  {msg}: {pos}/{len} ({per_sec})") {
        bar.set_style(style);
    }
    bar.set_message(label);
    bar
}

/// Shows `done` against `total` until it gets there.
pub fn progress(
    label: &'static str,
    done: Arc<AtomicUsize>,
    total: usize,
) -> tokio::task::JoinHandle<()> {
    let bar = bar(label, total as u64);
    tokio::spawn(async move {
        loop {
            let n = done.load(Ordering::Relaxed);
            bar.set_position(n as u64);
            if n >= total {
                bar.finish_and_clear();
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    })
}

/// Creates `n` bookings with `clients` concurrent clients; returns their ids and the rate.
pub async fn closed_loop(
    sys: &System,
    token: &str,
    n: usize,
    clients: usize,
    service: &str,
) -> anyhow::Result<(Vec<i64>, f64)> {
    let service = service.to_owned();
    closed_loop_with(sys, token, n, clients, move |_| body(&service)).await
}

/// Creates `n` bookings, the `i`th with `make(i)` as its body, with `clients` concurrent
/// clients; returns their ids and the rate.
pub async fn closed_loop_with(
    sys: &System,
    token: &str,
    n: usize,
    clients: usize,
    make: impl Fn(usize) -> Value + Send + Sync + 'static,
) -> anyhow::Result<(Vec<i64>, f64)> {
    let make = Arc::new(make);
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let bar = progress("creating", done.clone(), n);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, url, token, make) = (
            sys.client.clone(),
            sys.at("/api/v1/bookings"),
            token.to_owned(),
            make.clone(),
        );
        let (next, done) = (next.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                ids.push(create(&client, &url, &token, &make(i)).await?);
                done.fetch_add(1, Ordering::Relaxed);
            }
            anyhow::Ok(ids)
        }));
    }
    let mut ids = Vec::with_capacity(n);
    for t in tasks {
        ids.extend(t.await??);
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    bar.await?;
    Ok((ids, rate))
}

/// Creates bookings at `rate` per second for `seconds`, each request on its own task.
pub async fn open_loop(
    sys: &System,
    token: &str,
    rate: u32,
    seconds: u32,
    service: &str,
) -> anyhow::Result<Vec<i64>> {
    let total = (rate * seconds) as usize;
    let done = Arc::new(AtomicUsize::new(0));
    let bar = progress("arriving", done.clone(), total);
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    for _ in 0..total {
        tick.tick().await;
        let (client, url, token, body, done) = (
            sys.client.clone(),
            sys.at("/api/v1/bookings"),
            token.to_owned(),
            body(service),
            done.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let id = create(&client, &url, &token, &body).await;
            done.fetch_add(1, Ordering::Relaxed);
            id
        }));
    }
    let mut ids = Vec::with_capacity(total);
    for t in tasks {
        ids.push(t.await??);
    }
    bar.await?;
    Ok(ids)
}

/// GETs `path` as `token` `runs` + 2 times (the first two warm up); the last `runs`
/// durations in µs, sorted, and the last answer's body. Anything but a success is an error.
pub async fn gets(
    sys: &System,
    token: &str,
    path: &str,
    runs: usize,
) -> anyhow::Result<(Vec<i64>, Value)> {
    let mut took = Vec::with_capacity(runs);
    let mut body = Value::Null;
    for k in 0..runs + 2 {
        let t = Instant::now();
        let res = sys
            .client
            .get(sys.at(path))
            .bearer_auth(token)
            .send()
            .await?;
        let status = res.status();
        let text = res.text().await?;
        anyhow::ensure!(status.is_success(), "GET {path} answered {status}: {text}");
        if k >= 2 {
            took.push(t.elapsed().as_micros() as i64);
        }
        body = serde_json::from_str(&text).unwrap_or(Value::Null);
    }
    took.sort_unstable();
    Ok((took, body))
}
