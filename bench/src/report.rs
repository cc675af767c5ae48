//! The report: each figure printed beside its baseline or target, the JSON results, and
//! the correctness checks that every scenario ends with.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde_json::Value;

use crate::db;
use crate::system::System;

/// Results, as printed and as JSON.
#[derive(Default)]
pub struct Report {
    pub rows: Vec<(String, String, String)>,
    pub json: BTreeMap<String, Value>,
    pub failures: Vec<String>,
    pub peak_api_mib: f64,
    pub peak_worker_mib: f64,
}

impl Report {
    pub fn row(&mut self, name: &str, value: String, note: String) {
        println!("  {name:<44} {value:>14}  {note}");
        self.rows.push((name.into(), value, note));
    }

    /// Notes the processes' peak memory.
    pub fn memory(&mut self, sys: &System) {
        let (api, workers) = sys.peak_rss_mib();
        self.peak_api_mib = self.peak_api_mib.max(api);
        for w in workers {
            self.peak_worker_mib = self.peak_worker_mib.max(w);
        }
    }

    /// After a scenario: no booking assigned twice, none stuck, every process alive.
    pub async fn check(&mut self, scenario: &str, sys: &mut System) -> anyhow::Result<()> {
        let pool = db::open_system(&sys.url).await?;
        let (twice, stuck) = db::correctness(&pool).await?;
        self.row(
            &format!("{scenario}: assigned twice / stuck"),
            format!("{twice} / {stuck}"),
            "must be 0 / 0".into(),
        );
        if twice != 0 || stuck != 0 {
            self.failures.push(format!(
                "{scenario}: {twice} bookings assigned twice, {stuck} neither assigned nor dead"
            ));
        }
        if !sys.all_alive() {
            self.failures.push(format!("{scenario}: a process exited"));
        }
        self.memory(sys);
        Ok(())
    }
}

/// A percentile of sorted µs, in ms.
pub fn percentile_ms(sorted_us: &[i64], p: f64) -> f64 {
    percentile(sorted_us, p) as f64 / 1000.0
}

pub fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Waits until `count` reaches `target`, showing progress; returns the elapsed time.
pub async fn wait_until(
    label: &'static str,
    target: i64,
    mut count: impl AsyncFnMut() -> anyhow::Result<i64>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    let bar = crate::load::bar(label, target.max(0) as u64);
    loop {
        let n = count().await?;
        bar.set_position(n.max(0) as u64);
        if n >= target {
            bar.finish_and_clear();
            return Ok(started.elapsed());
        }
        if Instant::now() > deadline {
            bail!("{label}: stuck at {n}/{target}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every number in two JSON reports, by its path (`drain.1000.per_s`), with before, after
/// and after / before; figures in only one report are left out.
pub fn compare(before: &Value, after: &Value) -> Vec<(String, f64, f64)> {
    fn leaves(v: &Value, path: String, out: &mut BTreeMap<String, f64>) {
        match v {
            Value::Number(n) => {
                if let Some(x) = n.as_f64() {
                    out.insert(path, x);
                }
            }
            Value::Object(m) => {
                for (k, v) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    leaves(v, p, out);
                }
            }
            Value::Array(a) => {
                for (i, v) in a.iter().enumerate() {
                    leaves(v, format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let (mut b, mut a) = (BTreeMap::new(), BTreeMap::new());
    leaves(before, String::new(), &mut b);
    leaves(after, String::new(), &mut a);
    b.into_iter()
        .filter_map(|(k, x)| a.get(&k).map(|y| (k, x, *y)))
        .collect()
}

/// Prints [`compare`]'s table; a reader that stops early (`| head`) is not an error.
pub fn print_comparison(rows: &[(String, f64, f64)]) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = (|| {
        writeln!(
            out,
            "  {:<52} {:>14} {:>14} {:>9}",
            "figure", "before", "after", "after/before"
        )?;
        for (name, before, after) in rows {
            let ratio = if *before != 0.0 {
                format!("{:.2}x", after / before)
            } else {
                "-".into()
            };
            writeln!(out, "  {name:<52} {before:>14.1} {after:>14.1} {ratio:>9}")?;
        }
        out.flush()
    })();
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::compare;

    #[test]
    fn figures_in_both_reports_are_paired_by_their_path() {
        let before = json!({"intake": {"per_s": 2000.0, "ratio": 0.5}, "only_before": 1,
            "latency": [10, 20], "backend": "sqlite"});
        let after = json!({"intake": {"per_s": 3000.0, "ratio": 0.75}, "only_after": 2,
            "latency": [15, 20]});
        assert_eq!(
            compare(&before, &after),
            [
                ("intake.per_s".to_string(), 2000.0, 3000.0),
                ("intake.ratio".to_string(), 0.5, 0.75),
                ("latency[0]".to_string(), 10.0, 15.0),
                ("latency[1]".to_string(), 20.0, 20.0),
            ]
        );
    }
}
