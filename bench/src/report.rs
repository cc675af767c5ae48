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

pub fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Waits until `count` reaches `target`, printing progress; returns the elapsed time.
pub async fn wait_until(
    label: &'static str,
    target: i64,
    mut count: impl AsyncFnMut() -> anyhow::Result<i64>,
) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(600);
    loop {
        let n = count().await?;
        eprint!(
            "\r  {label}: {n}/{target} ({:.0}/s)        ",
            n as f64 / started.elapsed().as_secs_f64().max(1e-3)
        );
        if n >= target {
            eprintln!();
            return Ok(started.elapsed());
        }
        if Instant::now() > deadline {
            bail!("{label}: stuck at {n}/{target}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
