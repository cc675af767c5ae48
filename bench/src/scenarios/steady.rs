//! Steady: bookings arriving at a fixed rate (open loop) with the workers running; how
//! long from creation to assignment, once warm: the first second of arrivals (each
//! process's first statements on each new connection, which PostgreSQL prepares and
//! plans) is booked and assigned before the measured ones, and left out.

use std::time::Duration;

use serde_json::json;

use crate::report::{Report, percentile, wait_until};
use crate::{Run, db, load};

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    println!(
        "steady: {} bookings/s for {} s, {} workers",
        run.args.rate, run.args.seconds, run.args.workers
    );
    let (mut sys, token) = run.system(&[]).await?;
    sys.add_quiet_workers(run.args.workers);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let pool = db::open_system(&sys.url).await?;
    let warm = load::open_loop(&sys, &token, run.args.rate, 1, "cleaning").await?;
    wait_until("warming up", warm.len() as i64, || db::assigned(&pool)).await?;
    let ids = load::open_loop(&sys, &token, run.args.rate, run.args.seconds, "cleaning").await?;
    let all = (warm.len() + ids.len()) as i64;
    wait_until("assigning", all, || db::assigned(&pool)).await?;
    let first = ids.iter().copied().min().unwrap_or(0);
    let mut lat = db::create_to_assigned_ms(&pool, first).await?;
    lat.sort_unstable();
    let (p50, p90, p99, max) = (
        percentile(&lat, 0.5),
        percentile(&lat, 0.9),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0),
    );
    r.row(
        "steady create->assigned p50/p90/p99/max",
        format!("{p50}/{p90}/{p99}/{max} ms"),
        "target p50 <= 10, p99 <= 30 (woken at commit; after 1 s of warm-up)".into(),
    );
    r.check("steady", &mut sys).await?;
    r.json.insert(
        "steady".into(),
        json!({"rate": run.args.rate, "p50_ms": p50, "p90_ms": p90, "p99_ms": p99, "max_ms": max}),
    );
    Ok(())
}
