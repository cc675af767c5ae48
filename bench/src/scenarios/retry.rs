//! Retry: bookings nobody can take; how late each retry starts after its backoff (never
//! early).

use anyhow::Context;
use serde_json::json;

use crate::report::{Report, percentile, wait_until};
use crate::system::{call, login};
use crate::{Run, db, load};

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let base = run.args.retry_base_ms;
    println!(
        "retry: bookings nobody can take, base {base} ms, {} workers",
        run.args.workers
    );
    let (mut sys, token) = run
        .system(&[("ASSIGN_BACKOFF_BASE_MS", base.to_string())])
        .await?;
    // A booking is taken only if someone could serve it then: a gardener is there while
    // they are made, and stops taking work before the workers start.
    let admin = login(&sys, "admin@example.com").await?;
    let gardener = call(
        &sys,
        &admin,
        "POST",
        "/api/v1/providers",
        json!({"name": "Bench Gardener", "email": "gardener@bench.example.com", "service_types": ["gardening"]}),
    )
    .await?;
    let gardener = gardener["id"].as_i64().context("a provider id")?;
    let ids = load::open_loop(&sys, &token, 20, 5, "gardening").await?;
    call(
        &sys,
        &admin,
        "PATCH",
        &format!("/api/v1/providers/{gardener}"),
        json!({"available": false}),
    )
    .await?;
    sys.add_quiet_workers(run.args.workers);
    let pool = db::open_system(&sys.url).await?;
    wait_until("exhausting", ids.len() as i64, || db::exhausted(&pool)).await?;
    let mut late = db::retry_lateness_ms(&pool, base as i64).await?;
    late.sort_unstable();
    let early = late.iter().filter(|l| **l < 0).count();
    r.row(
        "retry lateness p50/p99/max",
        format!(
            "{}/{}/{} ms",
            percentile(&late, 0.5),
            percentile(&late, 0.99),
            percentile(&late, 1.0)
        ),
        format!(
            "{} retries, {early} early (target 0 early, p99 <= 150)",
            late.len()
        ),
    );
    if early > 0 {
        r.failures
            .push(format!("retry: {early} retries started early"));
    }
    r.check("retry", &mut sys).await?;
    r.json.insert(
        "retry".into(),
        json!({"retries": late.len(), "early": early, "p50_ms": percentile(&late, 0.5), "p99_ms": percentile(&late, 0.99)}),
    );
    Ok(())
}
