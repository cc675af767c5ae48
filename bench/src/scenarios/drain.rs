//! Drain: a backlog created with no worker running, then assigned by the workers; the
//! rate at a small and a large backlog beside raw claim+complete cycles.

use std::collections::BTreeMap;

use serde_json::json;

use crate::report::{Report, wait_until};
use crate::{Run, cpu, db, load};

/// How fast a backlog was assigned, and at what cost in CPU.
pub struct Drained {
    /// From the first assignment to the last, by the history's timestamps.
    pub per_s: f64,
    /// From starting the worker processes to the last assignment (so with their start-up).
    pub with_start_per_s: f64,
    /// CPU milliseconds per booking: the workers' per assignment (their start-up
    /// included); the API's per create; the database server's per create and per
    /// assignment (PostgreSQL only: SQLite runs inside the processes).
    pub cpu: CpuCost,
    /// Scheduler periods the capped workers were held back in (0 uncapped).
    pub throttled: u64,
}

/// CPU milliseconds per booking, by process and phase.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct CpuCost {
    pub worker_per_assignment: f64,
    /// KiB the workers wrote per assignment (their start-up included): on SQLite the
    /// log's frames and the checkpoints' pages; a steadier figure than their time.
    pub worker_kib_per_assignment: f64,
    pub api_per_create: f64,
    pub database_per_create: Option<f64>,
    pub database_per_assignment: Option<f64>,
}

/// Creates a backlog with no worker running, then drains it with `workers`, each capped at
/// `cap` cores when given (a cgroup of its own, standing in for a host of its own).
pub async fn drain(
    run: &mut Run,
    backlog: usize,
    workers: usize,
    cap: Option<f64>,
    r: &mut Report,
    label: &str,
) -> anyhow::Result<Drained> {
    let (mut sys, token) = run.system(&[]).await?;
    let postgres = run.postgres();
    let ms_per = |seconds: f64| seconds * 1000.0 / backlog.max(1) as f64;
    let (api_before, db_before) = (
        cpu::seconds(sys.api.id()).unwrap_or(0.0),
        cpu::postgres_seconds(),
    );
    load::closed_loop(&sys, &token, backlog, run.args.clients, "plumbing").await?;
    let api_per_create = ms_per(cpu::seconds(sys.api.id()).unwrap_or(0.0) - api_before);
    let db_created = cpu::postgres_seconds();
    let pool = db::open_system(&sys.url).await?;
    let first = sys.workers.len();
    sys.add_quiet_workers(workers);
    let caps = match cap {
        Some(cores) => sys.workers[first..]
            .iter()
            .map(|w| cpu::Cap::new(w.id(), cores))
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    let took = wait_until("assigning", backlog as i64, || db::assigned(&pool)).await?;
    let db_assigned = cpu::postgres_seconds();
    let worker_seconds: f64 = sys.workers[first..]
        .iter()
        .filter_map(|w| cpu::seconds(w.id()))
        .sum();
    let worker_bytes: u64 = sys.workers[first..]
        .iter()
        .filter_map(|w| cpu::bytes_written(w.id()))
        .sum();
    let throttled = caps.iter().map(cpu::Cap::throttled_periods).sum();
    let span_ms = db::assigning_span_ms(&pool).await?;
    r.check(label, &mut sys).await?;
    Ok(Drained {
        per_s: (backlog - 1) as f64 * 1000.0 / span_ms.max(1) as f64,
        with_start_per_s: backlog as f64 / took.as_secs_f64(),
        cpu: CpuCost {
            worker_per_assignment: ms_per(worker_seconds),
            worker_kib_per_assignment: worker_bytes as f64 / 1024.0 / backlog.max(1) as f64,
            api_per_create,
            database_per_create: postgres.then(|| ms_per(db_created - db_before)),
            database_per_assignment: postgres.then(|| ms_per(db_assigned - db_created)),
        },
        throttled,
    })
}

pub async fn run(run: &mut Run, raw_cycles: f64, r: &mut Report) -> anyhow::Result<()> {
    let rounds = run.args.rounds as usize;
    println!(
        "drain: backlog assigned by {} workers{}",
        run.args.workers,
        if rounds > 1 {
            format!(", {rounds} rounds alternating")
        } else {
            String::new()
        }
    );
    let mut drained: BTreeMap<usize, Vec<Drained>> = BTreeMap::new();
    for round in 1..=rounds {
        for backlog in run.args.backlog.clone() {
            let label = match rounds {
                1 => format!("drain {backlog}"),
                _ => format!("drain {backlog}, round {round}"),
            };
            let d = drain(run, backlog, run.args.workers, None, r, &label).await?;
            drained.entry(backlog).or_default().push(d);
        }
    }
    let mut rates = BTreeMap::new();
    let mut every_round = BTreeMap::new();
    let mut written = BTreeMap::new();
    for (backlog, runs) in &drained {
        let median_of = |f: fn(&Drained) -> f64| median(&runs.iter().map(f).collect::<Vec<_>>());
        let per_s: Vec<f64> = runs.iter().map(|d| d.per_s).collect();
        let rate = median(&per_s);
        let with_start = median_of(|d| d.with_start_per_s);
        let cpu = median_of(|d| d.cpu.worker_per_assignment);
        let kib = median_of(|d| d.cpu.worker_kib_per_assignment);
        let spread = if rounds > 1 {
            let each: Vec<String> = per_s.iter().map(|x| format!("{x:.0}")).collect();
            format!("; median of {}", each.join(" / "))
        } else {
            String::new()
        };
        r.row(
            &format!("drain {backlog}: assignments/s"),
            format!("{rate:.0}"),
            format!(
                "{:.2}x raw cycles (target >= 1.0x); {with_start:.0}/s with worker start-up; workers' CPU {cpu:.3} ms and writes {kib:.1} KiB per assignment{spread}",
                rate / raw_cycles,
            ),
        );
        rates.insert(*backlog, rate);
        written.insert(*backlog, kib);
        every_round.insert(*backlog, per_s);
    }
    if let (Some((small, a)), Some((large, b))) = (rates.first_key_value(), rates.last_key_value())
        && small != large
    {
        // Each round's own ratio too: a 1k drain lasts a fraction of a second, and
        // the spread says how far one run's ratio can be trusted.
        let each = per_round_ratios(&every_round[small], &every_round[large]);
        let spread = if each.len() > 1 {
            let each: Vec<String> = each.iter().map(|x| format!("{x:.2}")).collect();
            format!("; each round {}", each.join(" / "))
        } else {
            String::new()
        };
        r.row(
            &format!("drain {large} / {small}"),
            format!("{:.2}", b / a),
            format!("target >= 0.90{spread}"),
        );
    }
    r.json.insert(
        "drain".into(),
        json!({"per_s": rates, "raw_cycles_per_s": raw_cycles, "rounds": every_round,
            "worker_kib_per_assignment": written}),
    );
    Ok(())
}

/// Round by round, the large backlog's rate over the small one's (the rounds alternate,
/// so round i of each ran side by side).
fn per_round_ratios(small: &[f64], large: &[f64]) -> Vec<f64> {
    small.iter().zip(large).map(|(a, b)| b / a).collect()
}

/// The middle value of `xs` (the mean of the middle two of an even count).
fn median(xs: &[f64]) -> f64 {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::{median, per_round_ratios};

    #[test]
    fn the_median_is_the_middle_value_or_the_mean_of_the_middle_two() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[7.0]), 7.0);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn each_round_divides_the_large_backlog_by_the_small_one_of_the_same_round() {
        assert_eq!(
            per_round_ratios(&[4000.0, 5000.0], &[3600.0, 4750.0]),
            vec![0.9, 0.95]
        );
        assert!(per_round_ratios(&[], &[]).is_empty());
    }
}
