//! The benchmark harness. It starts the real release `api` and `worker` binaries on a
//! fresh database per scenario, drives them over HTTP, checks correctness after each
//! scenario, and reports every throughput beside a raw database baseline measured in
//! the same run, as a ratio (these machines are shared and noisy).
//!
//!     scripts/bench                      # every scenario, SQLite
//!     scripts/bench --scenario steady --rate 100 --seconds 10

mod db;
mod load;
mod queue;
mod system;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use serde_json::{Value, json};

use system::System;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Scenario {
    Queue,
    Intake,
    Drain,
    Steady,
    Retry,
    Scaling,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Sqlite,
    /// A fresh database per scenario on TEST_POSTGRES_URL (default
    /// postgres://postgres@127.0.0.1:5432); intake, drain, steady and scaling only.
    Postgres,
}

#[derive(Debug, Parser)]
#[command(name = "bench", about = "Benchmarks the booking service end to end")]
struct Args {
    /// Which scenarios to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    scenario: Vec<Scenario>,
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    backend: Backend,
    /// Worker processes for drain, steady and retry.
    #[arg(long, default_value_t = 2)]
    workers: usize,
    /// Bookings created in the intake scenario.
    #[arg(long, default_value_t = 5000)]
    intake: usize,
    /// Backlogs drained in the drain scenario.
    #[arg(long, value_delimiter = ',', default_value = "1000,20000")]
    backlog: Vec<usize>,
    /// Concurrent clients of the closed-loop load.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Arrivals per second of the steady scenario (open loop).
    #[arg(long, default_value_t = 100)]
    rate: u32,
    /// Length of the open-loop scenarios.
    #[arg(long, default_value_t = 10)]
    seconds: u32,
    /// ASSIGN_BACKOFF_BASE_MS of the retry scenario.
    #[arg(long, default_value_t = 200)]
    retry_base_ms: u64,
    /// Plumbing providers added to the demo's two before each scenario (more providers
    /// mean fewer assignments contending for one provider's row).
    #[arg(long, default_value_t = 0)]
    providers: usize,
    /// Backlog drained per worker count in the scaling scenario.
    #[arg(long, default_value_t = 5000)]
    scaling_backlog: usize,
    /// WORKER_CONCURRENCY of every worker process (the worker's default when unset).
    #[arg(long)]
    worker_concurrency: Option<usize>,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench-results.json")]
    json: std::path::PathBuf,
}

/// Results, as printed and as JSON.
#[derive(Default)]
struct Report {
    rows: Vec<(String, String, String)>,
    json: BTreeMap<String, Value>,
    failures: Vec<String>,
    peak_api_mib: f64,
    peak_worker_mib: f64,
}

impl Report {
    fn row(&mut self, name: &str, value: String, note: String) {
        println!("  {name:<44} {value:>14}  {note}");
        self.rows.push((name.into(), value, note));
    }

    fn memory(&mut self, sys: &System) {
        let (api, workers) = sys.peak_rss_mib();
        self.peak_api_mib = self.peak_api_mib.max(api);
        for w in workers {
            self.peak_worker_mib = self.peak_worker_mib.max(w);
        }
    }

    async fn check(&mut self, scenario: &str, sys: &mut System) -> anyhow::Result<()> {
        let pool = db::open_system(&sys.database_url).await?;
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

fn percentile(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Waits until `count` reaches `target`, printing progress; returns the elapsed time.
async fn wait_until(
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

struct Run {
    args: Args,
    dir: tempfile::TempDir,
    seq: usize,
    /// The current scenario's PostgreSQL database, dropped when the next one replaces it.
    database: Option<shared::testing::TestDatabase>,
}

impl Run {
    /// A fresh database URL in the run's folder (so baselines share the disk).
    async fn fresh_url(&mut self) -> String {
        self.seq += 1;
        match self.args.backend {
            Backend::Postgres => {
                // The previous scenario's database goes first, keeping the server small.
                self.database = None;
                let db = shared::testing::TestDatabase::create_on(shared::store::Backend::Postgres)
                    .await;
                self.database.insert(db).url.clone()
            }
            Backend::Sqlite => format!(
                "sqlite://{}/system-{}.db",
                self.dir.path().display(),
                self.seq
            ),
        }
    }

    async fn system(&mut self, env: &[(&str, String)]) -> anyhow::Result<(System, String)> {
        let url = self.fresh_url().await;
        let mut env = env.to_vec();
        if let Some(n) = self.args.worker_concurrency {
            env.push(("WORKER_CONCURRENCY", n.to_string()));
        }
        let sys = System::start(&url, &env).await?;
        sys.add_plumbers(self.args.providers).await?;
        let token = sys.login("customer@example.com").await?;
        Ok((sys, token))
    }

    /// Creates a backlog with no worker running, then drains it with `workers`; assignments/s.
    async fn drain(
        &mut self,
        backlog: usize,
        workers: usize,
        r: &mut Report,
        label: &str,
    ) -> anyhow::Result<Drained> {
        let (mut sys, token) = self.system(&[]).await?;
        load::closed_loop(&sys, &token, backlog, self.args.clients, "plumbing").await?;
        let pool = db::open_system(&sys.database_url).await?;
        sys.add_workers(workers)?;
        let took = wait_until("assigning", backlog as i64, || db::assigned(&pool)).await?;
        let span_ms = db::assigning_span_ms(&pool).await?;
        r.check(label, &mut sys).await?;
        Ok(Drained {
            per_s: (backlog - 1) as f64 * 1000.0 / span_ms.max(1) as f64,
            with_start_per_s: backlog as f64 / took.as_secs_f64(),
        })
    }
}

/// How fast a backlog was assigned.
struct Drained {
    /// From the first assignment to the last, by the history's timestamps.
    per_s: f64,
    /// From starting the worker processes to the last assignment (so with their start-up).
    with_start_per_s: f64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let all = args.scenario.contains(&Scenario::All);
    let wants = |s| all || args.scenario.contains(&s);
    let (queue_, intake, drain, steady, retry, scaling) = (
        wants(Scenario::Queue),
        wants(Scenario::Intake),
        wants(Scenario::Drain),
        wants(Scenario::Steady),
        wants(Scenario::Retry),
        wants(Scenario::Scaling),
    );
    let json_path = args.json.clone();
    let mut run = Run {
        args,
        dir: tempfile::tempdir_in(".").or_else(|_| tempfile::tempdir())?,
        seq: 0,
        database: None,
    };
    let postgres = run.args.backend == Backend::Postgres;
    if postgres && (queue_ || retry) {
        anyhow::bail!(
            "on PostgreSQL the bench runs intake, drain, steady and scaling; \
             the queue and retry scenarios measure SQLite (choose --scenario)"
        );
    }
    let mut r = Report::default();
    println!(
        "bench: {} cores, backend {:?}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        run.args.backend
    );

    let raw_cycles = if !postgres && (queue_ || drain || scaling) {
        let v = db::raw_cycles(run.dir.path(), 3000).await?;
        r.row(
            "raw sqlx claim+complete cycles/s",
            format!("{v:.0}"),
            "baseline".into(),
        );
        r.json.insert("raw_claim_complete_per_s".into(), json!(v));
        v
    } else {
        f64::NAN
    };

    if queue_ {
        println!("queue: no-op jobs through the apalis backend, 1 worker x8");
        let mut rates = Vec::new();
        for n in [1000, 20000] {
            let rate = queue::drain_noop(run.dir.path(), n, 8).await?;
            rates.push(rate);
            r.row(
                &format!("no-op jobs/s, {n} queued"),
                format!("{rate:.0}"),
                format!("{:.2}x raw", rate / raw_cycles),
            );
        }
        r.row(
            "no-op 20k / 1k",
            format!("{:.2}", rates[1] / rates[0]),
            "target >= 0.80".into(),
        );
        let lat = queue::pickup_latency_us(run.dir.path(), 100, 5, 8).await?;
        let ms = |p| percentile(&lat, p) as f64 / 1000.0;
        r.row(
            "no-op pickup at 100/s, poll 50 ms: p50/p99",
            format!("{:.1}/{:.1} ms", ms(0.5), ms(0.99)),
            format!("max {:.1} ms", ms(1.0)),
        );
        r.json.insert("queue".into(), json!({"noop_per_s_1k": rates[0], "noop_per_s_20k": rates[1], "pickup_p50_ms": ms(0.5), "pickup_p99_ms": ms(0.99)}));
    }

    if intake {
        println!(
            "intake: bookings created over HTTP, signed in, {} clients",
            run.args.clients
        );
        let raw = if postgres {
            f64::NAN
        } else {
            db::raw_inserts(run.dir.path(), 3000).await?
        };
        let (mut sys, token) = run.system(&[]).await?;
        let n = run.args.intake;
        let (_, rate) = load::closed_loop(&sys, &token, n, run.args.clients, "plumbing").await?;
        r.row(
            "raw sqlx single-row inserts/s",
            format!("{raw:.0}"),
            "baseline".into(),
        );
        r.row(
            "intake bookings/s",
            format!("{rate:.0}"),
            format!("{:.2}x raw (target >= 2000/s, 0.40x)", rate / raw),
        );
        let pool = db::open_system(&sys.database_url).await?;
        sys.add_workers(run.args.workers)?;
        wait_until("assigning", n as i64, || db::assigned(&pool)).await?;
        r.check("intake", &mut sys).await?;
        r.json.insert(
            "intake".into(),
            json!({"per_s": rate, "raw_inserts_per_s": raw, "ratio": rate / raw}),
        );
    }

    if drain {
        println!("drain: backlog assigned by {} workers", run.args.workers);
        let mut rates = BTreeMap::new();
        for backlog in run.args.backlog.clone() {
            let drained = run
                .drain(
                    backlog,
                    run.args.workers,
                    &mut r,
                    &format!("drain {backlog}"),
                )
                .await?;
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
        if let (Some((small, a)), Some((large, b))) =
            (rates.first_key_value(), rates.last_key_value())
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
    }

    if steady {
        println!(
            "steady: {} bookings/s for {} s, {} workers",
            run.args.rate, run.args.seconds, run.args.workers
        );
        let (mut sys, token) = run.system(&[]).await?;
        sys.add_workers(run.args.workers)?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let ids =
            load::open_loop(&sys, &token, run.args.rate, run.args.seconds, "cleaning").await?;
        let pool = db::open_system(&sys.database_url).await?;
        wait_until("assigning", ids.len() as i64, || db::assigned(&pool)).await?;
        let mut lat = db::create_to_assigned_ms(&pool).await?;
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
            "target p50 <= 30, p99 <= 100".into(),
        );
        r.check("steady", &mut sys).await?;
        r.json.insert("steady".into(), json!({"rate": run.args.rate, "p50_ms": p50, "p90_ms": p90, "p99_ms": p99, "max_ms": max}));
    }

    if retry {
        let base = run.args.retry_base_ms;
        println!(
            "retry: bookings nobody can take, base {base} ms, {} workers",
            run.args.workers
        );
        let (mut sys, token) = run
            .system(&[("ASSIGN_BACKOFF_BASE_MS", base.to_string())])
            .await?;
        sys.add_workers(run.args.workers)?;
        let ids = load::open_loop(&sys, &token, 20, 5, "gardening").await?;
        let pool = db::open_system(&sys.database_url).await?;
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
        r.json.insert("retry".into(), json!({"retries": late.len(), "early": early, "p50_ms": percentile(&late, 0.5), "p99_ms": percentile(&late, 0.99)}));
    }

    if scaling {
        println!(
            "scaling: a backlog of {} drained by 1, 2 and 4 workers",
            run.args.scaling_backlog
        );
        let mut rates = BTreeMap::new();
        for w in [1, 2, 4] {
            let rate = run
                .drain(
                    run.args.scaling_backlog,
                    w,
                    &mut r,
                    &format!("scaling x{w}"),
                )
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
    }

    r.row(
        "peak RSS api / worker",
        format!("{:.0} / {:.0} MiB", r.peak_api_mib, r.peak_worker_mib),
        "target <= 60 / 40".into(),
    );
    r.json.insert(
        "peak_rss_mib".into(),
        json!({"api": r.peak_api_mib, "worker": r.peak_worker_mib}),
    );
    if let Some(parent) = json_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&json_path, serde_json::to_string_pretty(&r.json)?)
        .context("writing the JSON report")?;
    println!("JSON report: {}", json_path.display());
    if !r.failures.is_empty() {
        bail!("correctness failures: {}", r.failures.join("; "));
    }
    Ok(())
}
