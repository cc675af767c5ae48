//! The operator console at scale: 100,000 bookings waiting on dead assignment jobs
//! (built with batched SQL, as after a long outage of every provider), the assignment
//! queue paused (an operator's incident routine), then one `POST /admin/jobs/retry
//! {all_dead: true}` through the API, worked through 200 jobs per transaction, while a
//! customer books 20 times a second. Reported: how long the retry took and how many it
//! changed (target: all of them, no timeout), and booking creation's latency meanwhile
//! beside the same load with nothing else running, measured first in the same run
//! (target p99 < 100 ms).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;

use super::analytics::Dialect;
use crate::report::{Report, percentile};
use crate::system::{System, call, login};
use crate::{Run, db, load};

/// Bookings created per second while measuring.
const RATE: u64 = 20;

/// The dialect's `n` pending bookings from id `base`, each with its assignment job dead after four
/// attempts.
fn statements(d: &Dialect, base: i64, customer: i64, now: i64) -> Vec<String> {
    let (numbers, from) = (&d.numbers, &d.from);
    let t = |ms: &str| d.time(ms);
    let start = format!("({now} + 7 * 86400000 + i * 3600000)");
    vec![
        format!(
            "INSERT INTO bookings (id, customer_id, customer_name, customer_phone, customer_email, \
             service_type, address, starts_at, ends_at, time_zone, status, assignment_exhausted, \
             created_at, updated_at) {overriding} {numbers} SELECT {base} + i, {customer}, \
             'Bench Customer', '+1 555 010 0199', 'bench@example.com', 'plumbing', \
             '1 Outage Street', {starts}, {ends}, 'UTC', 'pending', TRUE, {now_t}, {now_t} {from}",
            overriding = if d.postgres {
                "OVERRIDING SYSTEM VALUE"
            } else {
                ""
            },
            starts = t(&start),
            ends = t(&format!("{start} + 7200000")),
            now_t = t(&now.to_string()),
        ),
        format!(
            "INSERT INTO jobs (queue, kind, payload, subject_id, state, attempt, max_attempts, \
             backoff_base_ms, round, run_at, last_error, created_at, updated_at, finished_at) \
             {numbers} SELECT 'assignment', 'assign_provider', \
             {payload}, {base} + i, 'dead', 4, 4, 2000, 1, {now_t}, \
             'no eligible provider: nobody offering plumbing is free then', {now_t}, {now_t}, {now_t} {from}",
            payload = if d.postgres {
                format!(
                    "jsonb_build_object('booking_id', {base} + i, 'cycle', 1, 'offer_timeout_secs', 900)"
                )
            } else {
                format!(
                    "json_object('booking_id', {base} + i, 'cycle', 1, 'offer_timeout_secs', 900)"
                )
            },
            now_t = t(&now.to_string()),
        ),
    ]
}

async fn build(url: &str, n: usize) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let pool = db::open_system(url).await?;
    const SQL: &str = "SELECT (SELECT COALESCE(MAX(id), 0) + 1 FROM bookings), \
         (SELECT id FROM users WHERE email = 'customer@example.com')";
    let now = chrono::Utc::now().timestamp_millis();
    match &pool {
        db::Db::Sqlite(p) => {
            let (base, customer): (i64, i64) = sqlx::query_as(SQL).fetch_one(p).await?;
            let mut c = p.acquire().await?;
            sqlx::query("BEGIN IMMEDIATE").execute(&mut *c).await?;
            for sql in statements(&Dialect::new(false, n), base, customer, now) {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::query("COMMIT").execute(&mut *c).await?;
        }
        db::Db::Postgres(p) => {
            let (base, customer): (i64, i64) = sqlx::query_as(SQL).fetch_one(p).await?;
            let mut c = p.acquire().await?;
            for sql in statements(&Dialect::new(true, n), base, customer, now) {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut *c)
                    .await?;
            }
            sqlx::query("SELECT setval(pg_get_serial_sequence('bookings', 'id'), (SELECT MAX(id) FROM bookings))")
                .execute(&mut *c)
                .await?;
            sqlx::query("VACUUM ANALYZE").execute(&mut *c).await?;
        }
    }
    Ok(started.elapsed())
}

/// Books at [`RATE`] a second until `stop` is set (or for `at_most`); the latency of each
/// create, in milliseconds.
async fn book_meanwhile(
    sys: &System,
    token: &str,
    stop: Arc<std::sync::atomic::AtomicBool>,
    at_most: Duration,
) -> anyhow::Result<Vec<i64>> {
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1000 / RATE));
    let mut tasks = Vec::new();
    while !stop.load(std::sync::atomic::Ordering::Relaxed) && started.elapsed() < at_most {
        tick.tick().await;
        let (client, url, token, body) = (
            sys.client.clone(),
            sys.at("/api/v1/bookings"),
            token.to_owned(),
            load::body("cleaning"),
        );
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let res = client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await?;
            let status = res.status();
            anyhow::ensure!(status.as_u16() == 201, "create answered {status}");
            Ok::<_, anyhow::Error>(t.elapsed().as_millis() as i64)
        }));
    }
    let mut took = Vec::with_capacity(tasks.len());
    for t in tasks {
        took.push(t.await??);
    }
    took.sort_unstable();
    Ok(took)
}

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let n = run.args.console_dead;
    println!(
        "console: {n} dead jobs retried by one filter while a customer books {RATE}/s, {} workers",
        run.args.workers
    );
    let (mut sys, token) = run.system(&[]).await?;
    let took = build(&sys.url, n).await?;
    r.row(
        "console: dead jobs built",
        format!("{:.0} s", took.as_secs_f64()),
        format!("{n} bookings waiting on a dead job"),
    );
    let admin = login(&sys, "admin@example.com").await?;
    // The incident routine: the queue paused while the operator retries, so that workers
    // do not start on 100,000 jobs at once; the workers are there, polling.
    call(
        &sys,
        &admin,
        "POST",
        "/api/v1/admin/queues/assignment/pause",
        json!({}),
    )
    .await?;
    sys.add_quiet_workers(run.args.workers);

    let quiet = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let baseline = book_meanwhile(&sys, &token, quiet, Duration::from_secs(5)).await?;
    r.row(
        "console: create p50/p99, nothing else running",
        format!(
            "{}/{} ms",
            percentile(&baseline, 0.5),
            percentile(&baseline, 0.99)
        ),
        format!("baseline, {} bookings at {RATE}/s", baseline.len()),
    );

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let retry = {
        let (client, url, admin, stop) = (
            sys.client.clone(),
            sys.at("/api/v1/admin/jobs/retry"),
            admin.clone(),
            stop.clone(),
        );
        tokio::spawn(async move {
            let t = Instant::now();
            let res = client
                .post(url)
                .bearer_auth(admin)
                .json(&json!({"all_dead": true}))
                .timeout(Duration::from_secs(600))
                .send()
                .await;
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let res = res?;
            let status = res.status();
            let body: serde_json::Value = res.json().await?;
            anyhow::ensure!(status.as_u16() == 200, "retry answered {status}: {body}");
            Ok::<_, anyhow::Error>((t.elapsed(), body))
        })
    };
    let during = book_meanwhile(&sys, &token, stop, Duration::from_secs(600)).await?;
    let (retry_took, report) = retry.await??;
    let changed = report["changed"].as_u64().context("a count")?;
    r.row(
        "console: retry all dead by filter",
        format!("{:.1} s, {changed} changed", retry_took.as_secs_f64()),
        format!(
            "{:.0} jobs/s; skipped {} (target: all {n}, no timeout)",
            changed as f64 / retry_took.as_secs_f64(),
            report["skipped_count"]
        ),
    );
    let p99 = percentile(&during, 0.99);
    r.row(
        "console: create p50/p99 during the retry",
        format!("{}/{} ms", percentile(&during, 0.5), p99),
        format!(
            "{} bookings; {:.1}x the baseline p99 (target p99 < 100 ms)",
            during.len(),
            p99 as f64 / percentile(&baseline, 0.99).max(1) as f64
        ),
    );
    if changed != n as u64 {
        r.failures
            .push(format!("console: retried {changed} of {n}"));
    }
    // Every job retried, once: a new cycle of each booking, no job left dead.
    let pool = db::open_system(&sys.url).await?;
    let (dead, cycled) = db::console_outcome(&pool).await?;
    r.row(
        "console: jobs still dead / bookings in cycle 2",
        format!("{dead} / {cycled}"),
        format!("must be 0 / {n}"),
    );
    if dead != 0 || cycled != n as i64 {
        r.failures.push(format!(
            "console: {dead} jobs still dead, {cycled} bookings moved to cycle 2 of {n}"
        ));
    }
    if !sys.all_alive() {
        r.failures.push("console: a process exited".into());
    }
    r.memory(&sys);
    r.json.insert(
        "console".into(),
        json!({
            "dead": n, "retried": changed, "retry_s": retry_took.as_secs_f64(),
            "baseline_create_p99_ms": percentile(&baseline, 0.99),
            "create_p50_ms": percentile(&during, 0.5), "create_p99_ms": p99,
        }),
    );
    Ok(())
}
