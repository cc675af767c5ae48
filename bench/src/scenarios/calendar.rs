//! Calendar: time-aware dispatch at scale. 200 plumbers with working hours (08:00 to
//! 20:00 every day), a week holding 19,600 of their half-hour windows already booked, then
//! the availability query over that week (latency percentiles; target p50 <= 50 ms) and a
//! backlog drained into the week's free gaps, beside a plain drain of the same backlog
//! measured in the same run (target >= 0.80x).

use std::time::Instant;

use anyhow::Context;
use chrono::{DateTime, Duration, DurationRound, Utc};
use serde_json::{Value, json};

use crate::report::{Report, percentile, wait_until};
use crate::scenarios::drain;
use crate::system::{call, login};
use crate::{Run, db, load};

const PROVIDERS: usize = 200;
/// Half-hours of a working day (08:00 to 20:00).
const HALF_HOURS: usize = 24;
/// The half-hours of a day booked already, before the provider's shift (below): 08:00 to
/// 10:00, 12:00 to 14:00 and 16:00 to 19:00. What is left are two free 2-hour gaps (one
/// plumbing job each) and a free hour.
const BOOKED: [std::ops::Range<usize>; 3] = [0..4, 8..12, 16..22];
/// Providers come in this many variants, each with the day's pattern shifted by one more
/// half-hour (wrapping inside the working day), so the free starts differ between them.
const SHIFTS: usize = 4;
const AVAILABILITY_QUERIES: usize = 200;

/// The half-hour indices (0 = 08:00) booked for a provider of shift `shift`.
fn booked(shift: usize) -> impl Iterator<Item = usize> {
    BOOKED
        .iter()
        .flat_map(|r| r.clone())
        .map(move |h| (h + shift) % HALF_HOURS)
}

/// The plumbing starts (half-hour indices) free for a provider of shift `shift`: two
/// hours free from there, inside the working day.
fn free_starts(shift: usize) -> Vec<usize> {
    let taken: Vec<usize> = booked(shift).collect();
    (0..=HALF_HOURS - 4)
        .filter(|s| (*s..s + 4).all(|h| !taken.contains(&h)))
        .collect()
}

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let backlog = run.args.backlog.first().copied().unwrap_or(1000);
    let workers = run.args.workers;
    println!(
        "calendar: {PROVIDERS} providers with working hours, a week of booked windows; \
         availability, then a backlog of {backlog} drained beside a plain drain"
    );
    let plain = drain::drain(run, backlog, workers, None, r, "calendar: plain drain").await?;
    // The same drain with as many plumbers as below, none with a calendar or a booked
    // window: what the provider count costs (every attempt considers every provider of the
    // service, to explain itself), apart from what time costs.
    let extra = run.args.providers;
    run.args.providers = PROVIDERS - 2;
    let wide = drain::drain(
        run,
        backlog,
        workers,
        None,
        r,
        "calendar: plain drain, 200 plumbers",
    )
    .await;
    run.args.providers = extra;
    let wide = wide?;

    let (mut sys, token) = run.system(&[]).await?;
    let admin = login(&sys, "admin@example.com").await?;
    // The plumbers already there (the demo's, --providers) take no work: the 200 alone count.
    let before: Vec<Value> = sys
        .client
        .get(sys.at("/api/v1/providers?service_type=plumbing"))
        .bearer_auth(&admin)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for p in before {
        let id = p["id"].as_i64().context("a provider id")?;
        call(
            &sys,
            &admin,
            "PATCH",
            &format!("/api/v1/providers/{id}"),
            json!({"available": false}),
        )
        .await?;
    }
    let weekly: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({"weekday": d, "start": "08:00", "end": "20:00"}))
        .collect();
    let mut ids = Vec::with_capacity(PROVIDERS);
    for i in 0..PROVIDERS {
        let p = call(
            &sys,
            &admin,
            "POST",
            "/api/v1/providers",
            json!({
                "name": format!("Calendar Plumber {i}"),
                "email": format!("calendar{i}@bench.example.com"),
                "service_types": ["plumbing"],
                "rating": 3.0 + (i % 20) as f64 / 10.0,
            }),
        )
        .await?;
        let id = p["id"].as_i64().context("a provider id")?;
        call(
            &sys,
            &admin,
            "PUT",
            &format!("/api/v1/providers/{id}/calendar"),
            json!({"time_zone": "UTC", "weekly": weekly}),
        )
        .await?;
        ids.push(id);
    }

    // The week: from midnight (UTC) eight days ahead, past any lead time.
    let week = (Utc::now() + Duration::days(8)).duration_trunc(Duration::days(1))?;
    let day0 = week + Duration::hours(8);
    let mut windows = Vec::new();
    for (i, provider) in ids.iter().enumerate() {
        for d in 0..7 {
            for h in booked(i % SHIFTS) {
                windows.push((
                    *provider,
                    day0 + Duration::days(d) + Duration::minutes(30 * h as i64),
                ));
            }
        }
    }
    let pool = db::open_system(&sys.url).await?;
    let started = Instant::now();
    db::book_windows(&pool, &windows, Duration::minutes(30)).await?;
    println!(
        "  {} windows booked in {:.1} s",
        windows.len(),
        started.elapsed().as_secs_f64()
    );

    // Availability over the crowded week.
    let query = format!(
        "/api/v1/availability?service_type=plumbing&from={}&to={}",
        urlencode(&week),
        urlencode(&(week + Duration::days(7)))
    );
    let mut lat = Vec::with_capacity(AVAILABILITY_QUERIES);
    let mut answer = Value::Null;
    for k in 0..AVAILABILITY_QUERIES + 10 {
        let t = Instant::now();
        answer = sys
            .client
            .get(sys.at(&query))
            .bearer_auth(&token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if k >= 10 {
            lat.push(t.elapsed().as_micros() as i64);
        }
    }
    lat.sort_unstable();
    let (p50, p99) = (percentile(&lat, 0.5), percentile(&lat, 0.99));
    // Every start free for some shift, with the providers of that shift.
    let mut expected: Vec<(DateTime<Utc>, u32)> = Vec::new();
    for d in 0..7 {
        for shift in 0..SHIFTS {
            for s in free_starts(shift) {
                let at = day0 + Duration::days(d) + Duration::minutes(30 * s as i64);
                match expected.iter_mut().find(|(t, _)| *t == at) {
                    Some((_, n)) => *n += (PROVIDERS / SHIFTS) as u32,
                    None => expected.push((at, (PROVIDERS / SHIFTS) as u32)),
                }
            }
        }
    }
    expected.sort();
    let got: Vec<(DateTime<Utc>, u32)> = answer["slots"]
        .as_array()
        .context("slots")?
        .iter()
        .map(|s| {
            Ok((
                s["starts_at"].as_str().context("starts_at")?.parse()?,
                s["providers"].as_u64().context("providers")? as u32,
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    r.row(
        &format!(
            "availability, a week, {PROVIDERS} providers, {} booked windows: p50/p99",
            windows.len()
        ),
        format!("{:.1}/{:.1} ms", p50 as f64 / 1000.0, p99 as f64 / 1000.0),
        format!("target p50 <= 50 ms; {} slots", got.len()),
    );
    if got != expected {
        r.failures.push(format!(
            "calendar: availability answered {} slots, expected {}",
            got.len(),
            expected.len()
        ));
    }

    // A backlog into the free gaps, round-robin over the free starts (never more at one
    // start than providers free then), drained by the workers.
    let capacity: usize = expected.iter().map(|(_, n)| *n as usize).sum();
    let n = backlog.min(capacity);
    let starts: Vec<String> = expected.iter().map(|(t, _)| t.to_rfc3339()).collect();
    load::closed_loop_with(&sys, &token, n, run.args.clients, move |i| {
        json!({
            "customer_name": "Bench Customer",
            "customer_phone": "+1 555 010 0199",
            "customer_email": "bench@example.com",
            "service_type": "plumbing",
            "address": "1 Load Street",
            "starts_at": starts[i % starts.len()],
        })
    })
    .await?;
    sys.add_quiet_workers(workers);
    wait_until("assigning", n as i64, || db::assigned(&pool)).await?;
    let span_ms = db::assigning_span_ms(&pool).await?;
    let rate = (n - 1) as f64 * 1000.0 / span_ms.max(1) as f64;
    r.row(
        &format!("calendar drain {n}: assignments/s"),
        format!("{rate:.0}"),
        format!(
            "{:.2}x the plain drain of {backlog} in this run ({:.0}/s; target >= 0.80x); \
             {:.2}x the plain drain with 200 plumbers ({:.0}/s)",
            rate / plain.per_s,
            plain.per_s,
            rate / wide.per_s,
            wide.per_s
        ),
    );
    r.check("calendar", &mut sys).await?;
    r.json.insert(
        "calendar".into(),
        json!({
            "providers": PROVIDERS,
            "booked_windows": windows.len(),
            "availability_p50_ms": p50 as f64 / 1000.0,
            "availability_p99_ms": p99 as f64 / 1000.0,
            "slots": got.len(),
            "drain_per_s": rate,
            "plain_drain_per_s": plain.per_s,
            "ratio": rate / plain.per_s,
            "plain_200_drain_per_s": wide.per_s,
            "ratio_to_plain_200": rate / wide.per_s,
        }),
    );
    Ok(())
}

fn urlencode(t: &DateTime<Utc>) -> String {
    t.to_rfc3339().replace('+', "%2B").replace(':', "%3A")
}
