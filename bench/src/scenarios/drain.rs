//! Drain: a backlog created with no worker running, then assigned by the workers; the
//! rate at a small and a large backlog beside raw claim+complete cycles.

use std::collections::BTreeMap;

use serde_json::json;

use crate::report::{Report, wait_until};
use crate::{Run, db, load};

/// How fast a backlog was assigned.
pub struct Drained {
    /// From the first assignment to the last, by the history's timestamps.
    pub per_s: f64,
    /// From starting the worker processes to the last assignment (so with their start-up).
    pub with_start_per_s: f64,
}

/// Creates a backlog with no worker running, then drains it with `workers`.
pub async fn drain(
    run: &mut Run,
    backlog: usize,
    workers: usize,
    r: &mut Report,
    label: &str,
) -> anyhow::Result<Drained> {
    let (mut sys, token) = run.system(&[]).await?;
    load::closed_loop(&sys, &token, backlog, run.args.clients, "plumbing").await?;
    let pool = db::open_system(&sys.url).await?;
    sys.add_quiet_workers(workers);
    let took = wait_until("assigning", backlog as i64, || db::assigned(&pool)).await?;
    let span_ms = db::assigning_span_ms(&pool).await?;
    r.check(label, &mut sys).await?;
    Ok(Drained {
        per_s: (backlog - 1) as f64 * 1000.0 / span_ms.max(1) as f64,
        with_start_per_s: backlog as f64 / took.as_secs_f64(),
    })
}

pub async fn run(run: &mut Run, raw_cycles: f64, r: &mut Report) -> anyhow::Result<()> {
    println!("drain: backlog assigned by {} workers", run.args.workers);
    let mut rates = BTreeMap::new();
    for backlog in run.args.backlog.clone() {
        let workers = run.args.workers;
        let drained = drain(run, backlog, workers, r, &format!("drain {backlog}")).await?;
        let rate = drained.per_s;
        r.row(
            &format!("drain {backlog}: assignments/s"),
            format!("{rate:.0}"),
            format!(
                "{:.2}x raw cycles (target >= 1000/s, 0.40x); {:.0}/s with worker start-up",
                rate / raw_cycles,
                drained.with_start_per_s
            ),
        );
        rates.insert(backlog, rate);
    }
    if let (Some((small, a)), Some((large, b))) = (rates.first_key_value(), rates.last_key_value())
        && small != large
    {
        r.row(
            &format!("drain {large} / {small}"),
            format!("{:.2}", b / a),
            "target >= 0.80".into(),
        );
    }
    r.json.insert(
        "drain".into(),
        json!({"per_s": rates, "raw_cycles_per_s": raw_cycles}),
    );
    Ok(())
}
