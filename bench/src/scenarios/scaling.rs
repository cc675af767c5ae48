//! Scaling: one backlog drained by 1, 2 and 4 worker processes.

use std::collections::BTreeMap;

use serde_json::json;

use crate::Run;
use crate::report::Report;

pub async fn run(run: &mut Run, r: &mut Report) -> anyhow::Result<()> {
    println!(
        "scaling: a backlog of {} drained by 1, 2 and 4 workers",
        run.args.scaling_backlog
    );
    let mut rates = BTreeMap::new();
    for w in [1, 2, 4] {
        let backlog = run.args.scaling_backlog;
        let rate = super::drain::drain(run, backlog, w, r, &format!("scaling x{w}"))
            .await?
            .per_s;
        r.row(
            &format!("{w} worker(s): assignments/s"),
            format!("{rate:.0}"),
            format!(
                "{:.2}x one worker",
                rate / rates.get(&1).copied().unwrap_or(rate)
            ),
        );
        rates.insert(w, rate);
    }
    r.json.insert("scaling".into(), json!(rates));
    Ok(())
}
