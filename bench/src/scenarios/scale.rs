//! Flat cost at a million bookings: the analytics scenario's data set (1,000,000 bookings
//! and their history, built with batched SQL; `--scale-bookings`), then every read a page
//! makes, through the real API: the admin's list under each filter (one that matches
//! nothing among them), a booking's detail, the customer's and a provider's pages, text
//! search, `/admin/stats` and `/metrics` (p50 of 15 after 2 to warm up); and create ->
//! assigned at 20 bookings/s, on the empty database first and again on the full one (the
//! processes started again on it).

use std::time::Duration;

use serde_json::{Value, json};

use crate::report::{Report, percentile, percentile_ms, wait_until};
use crate::scenarios::analytics;
use crate::system::{System, login};
use crate::{Run, db, load};

const RUNS: usize = 15;

/// The p50 (ms) of RUNS GETs of `path` as `token`, and the last answer.
async fn timed(sys: &System, token: &str, path: &str) -> anyhow::Result<(f64, Value)> {
    let (took, body) = load::gets(sys, token, path, RUNS).await?;
    Ok((percentile_ms(&took, 0.5), body))
}

/// Create -> assigned of 100 cleaning jobs booked at 20/s: p50 and p99 (whole ms) and the
/// mean (ms).
///
/// SQLite's timestamps are whole milliseconds, so a p50 of 2 against 3 may be 2.4 against
/// 2.6. The mean of their differences is not cut that way (each end loses the same part of
/// a millisecond on average), so the mean is what compares two runs.
async fn create_to_assigned(sys: &System, token: &str) -> anyhow::Result<(i64, i64, f64)> {
    let pool = db::open_system(&sys.url).await?;
    let ids = load::open_loop(sys, token, 20, 5, "cleaning").await?;
    let first = ids.iter().copied().min().unwrap_or(0);
    let n = ids.len() as i64;
    wait_until("assigning", n, || async {
        Ok(db::create_to_assigned_ms(&pool, first).await?.len() as i64)
    })
    .await?;
    let mut lat = db::create_to_assigned_ms(&pool, first).await?;
    lat.sort_unstable();
    let mean = lat.iter().sum::<i64>() as f64 / lat.len().max(1) as f64;
    Ok((percentile(&lat, 0.5), percentile(&lat, 0.99), mean))
}

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let n = run.args.scale_bookings;
    println!("scale: every page's read through the API, on {n} bookings built in SQL");
    let (mut sys, token) = run.system(&[]).await?;
    sys.add_quiet_workers(1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (empty_p50, empty_p99, empty_mean) = create_to_assigned(&sys, &token).await?;
    r.row(
        "scale: create->assigned p50/p99/mean, empty",
        format!("{empty_p50}/{empty_p99}/{empty_mean:.2} ms"),
        "baseline".into(),
    );

    // The build writes behind the processes' backs, so they start again on the built
    // database, as a deployment starts on its own, rather than watch it grow: a running
    // API's event reader would meet its 3,000,000 history rows (it jumps past them and
    // tells its streams to reset), and the processes' checkpoints its log.
    let url = sys.url.clone();
    drop(sys);
    let took = analytics::build(&url, n, run.args.analytics_days).await?;
    r.row(
        "scale: data set built",
        format!("{:.0} s", took.as_secs_f64()),
        format!("{n} bookings"),
    );
    let mut sys = run.system_at(&url, &[]).await?;
    sys.add_quiet_workers(1);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let admin = login(&sys, "admin@example.com").await?;
    let provider = login(&sys, "chen@example.com").await?;
    let newest: Value = timed(&sys, &admin, "/api/v1/bookings?limit=1").await?.1;
    let middle = newest["items"][0]["id"].as_i64().unwrap_or(1) / 2;
    let providers = timed(&sys, &admin, "/api/v1/providers").await?.1;
    let chen = providers
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["email"] == "chen@example.com"))
        .and_then(|p| p["id"].as_i64())
        .unwrap_or(1);
    let week_ago = (chrono::Utc::now() - chrono::Duration::days(7)).to_rfc3339();
    let month_ago = (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339();
    let range = format!(
        "from={}&to={}",
        urlencoding(&month_ago),
        urlencoding(&week_ago)
    );
    let provider_filter = format!("provider_id={chen}");
    let detail = format!("/api/v1/bookings/{middle}");

    let reads: Vec<(&str, &str, String, f64)> = vec![
        ("list, no filter", "admin", "/api/v1/bookings".into(), 10.0),
        (
            "list, status pending",
            "admin",
            "/api/v1/bookings?status=pending".into(),
            10.0,
        ),
        (
            "list, status in_progress (none)",
            "admin",
            "/api/v1/bookings?status=in_progress".into(),
            10.0,
        ),
        (
            "list, service plumbing",
            "admin",
            "/api/v1/bookings?service_type=plumbing".into(),
            10.0,
        ),
        (
            "list, one provider",
            "admin",
            format!("/api/v1/bookings?{provider_filter}"),
            10.0,
        ),
        (
            "list, one provider by start",
            "admin",
            format!("/api/v1/bookings?{provider_filter}&order=starts_at"),
            10.0,
        ),
        (
            "list, three weeks by start",
            "admin",
            format!("/api/v1/bookings?{range}&order=starts_at"),
            10.0,
        ),
        (
            "list, active",
            "admin",
            "/api/v1/bookings?active=true".into(),
            10.0,
        ),
        ("detail", "admin", detail, 10.0),
        (
            "customer's page",
            "customer",
            "/api/v1/bookings".into(),
            10.0,
        ),
        (
            "provider's page",
            "provider",
            "/api/v1/bookings?active=true".into(),
            10.0,
        ),
        (
            "provider's handled",
            "provider",
            "/api/v1/bookings?handled=true".into(),
            10.0,
        ),
        (
            "search, matches nothing",
            "admin",
            "/api/v1/bookings?q=zzqx".into(),
            20.0,
        ),
        (
            "search, a name",
            "admin",
            "/api/v1/bookings?q=Chen".into(),
            20.0,
        ),
        (
            "search, a name by start",
            "admin",
            "/api/v1/bookings?q=Chen&order=starts_at".into(),
            20.0,
        ),
        ("/admin/stats", "admin", "/api/v1/admin/stats".into(), 5.0),
        ("/metrics", "admin", "/metrics".into(), 5.0),
    ];
    let mut figures = serde_json::Map::new();
    for (name, who, path, target) in reads {
        let as_token = match who {
            "admin" => &admin,
            "provider" => &provider,
            _ => &token,
        };
        let (p50, body) = timed(&sys, as_token, &path).await?;
        let matched = body["total"]
            .as_i64()
            .map_or(String::new(), |t| format!(", {t} match"));
        r.row(
            &format!("scale: {name} p50"),
            format!("{p50:.1} ms"),
            format!(
                "target <= {target:.0} ms{}{matched}",
                if p50 > target { " (MISSED)" } else { "" }
            ),
        );
        figures.insert(name.into(), json!({"p50_ms": p50, "target_ms": target}));
    }

    let (full_p50, full_p99, full_mean) = create_to_assigned(&sys, &token).await?;
    let ratio = full_mean / empty_mean.max(0.001);
    r.row(
        "scale: create->assigned p50/p99/mean, full",
        format!("{full_p50}/{full_p99}/{full_mean:.2} ms"),
        format!(
            "mean {ratio:.2}x empty (target <= 1.10x){}",
            if ratio > 1.10 { " (MISSED)" } else { "" }
        ),
    );
    r.memory(&sys);
    r.json.insert(
        "scale".into(),
        json!({"bookings": n, "build_s": took.as_secs_f64(), "reads": figures,
               "create_to_assigned_empty_ms": [empty_p50, empty_p99],
               "create_to_assigned_full_ms": [full_p50, full_p99],
               "create_to_assigned_mean_ms": {"empty": empty_mean, "full": full_mean}}),
    );
    Ok(())
}

/// A time in a query string (its `+` would read as a space).
fn urlencoding(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}
