//! Scaling: one backlog drained by 1, 2 and 4 worker processes; with `--cap-workers`, each
//! worker capped at a fraction of a core in a control group of its own, standing in for
//! workers on hosts of their own (the database and the API uncapped), so that the workers
//! are what bounds the rate. Each count's CPU per booking goes beside its rate.

use std::collections::BTreeMap;

use serde_json::json;

use crate::Run;
use crate::report::Report;

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    let cap = run.args.cap_workers;
    let backlog = run.args.scaling_backlog;
    match cap {
        Some(cores) => println!(
            "scaling: a backlog of {backlog} drained by 1, 2 and 4 workers, each capped at {cores} cores"
        ),
        None => println!("scaling: a backlog of {backlog} drained by 1, 2 and 4 workers"),
    }
    let mut rates = BTreeMap::new();
    let mut figures = BTreeMap::new();
    for w in [1, 2, 4] {
        let drained =
            super::drain::drain(run, backlog, w, cap, r, &format!("scaling x{w}")).await?;
        let rate = drained.per_s;
        let one = rates.get(&1).copied().unwrap_or(rate);
        let target = match (cap, w) {
            (Some(_), 4) => format!(
                " (target >= 3.2x{})",
                if rate / one < 3.2 { ", MISSED" } else { "" }
            ),
            _ => String::new(),
        };
        r.row(
            &format!("{w} worker(s): assignments/s"),
            format!("{rate:.0}"),
            format!("{:.2}x one worker{target}", rate / one),
        );
        let c = drained.cpu;
        let database = match (c.database_per_create, c.database_per_assignment) {
            (Some(create), Some(assign)) => {
                format!("; database {create:.2} per create, {assign:.2} per assignment")
            }
            _ => String::new(),
        };
        r.row(
            &format!("{w} worker(s): CPU ms per booking"),
            format!("{:.2}", c.worker_per_assignment),
            format!(
                "in the workers per assignment; api {:.2} per create{database}{}",
                c.api_per_create,
                if cap.is_some() {
                    format!("; throttled {} periods", drained.throttled)
                } else {
                    String::new()
                }
            ),
        );
        rates.insert(w, rate);
        figures.insert(
            w,
            json!({"per_s": rate, "cpu_ms": c, "throttled_periods": drained.throttled}),
        );
    }
    r.json.insert(
        "scaling".into(),
        json!({"cap_cores": cap, "per_s": rates, "by_workers": figures}),
    );
    Ok(())
}
