//! The benchmark harness. It starts the real release `api` and `worker` binaries on a
//! fresh database per scenario, drives them over HTTP, checks correctness after each
//! scenario, and reports every throughput beside a raw database baseline measured in
//! the same run, as a ratio (these machines are shared and noisy).
//!
//!     scripts/bench                      # every scenario, SQLite
//!     scripts/bench --scenario steady --rate 100 --seconds 10

mod cpu;
mod db;
mod load;
mod report;
mod scenarios;
mod system;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use serde_json::json;

use report::Report;
use system::System;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scenario {
    Queue,
    /// The queue beside apalis-sqlite 1.0, the storage the design card names (SQLite).
    Peer,
    Intake,
    Drain,
    Steady,
    Retry,
    Scaling,
    Calendar,
    Analytics,
    Console,
    /// Every page's read through the API on a million bookings.
    Scale,
    /// Booking creation with thousands of event streams open.
    Streams,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    Sqlite,
    /// A fresh database per scenario on TEST_POSTGRES_URL (default
    /// postgres://postgres@127.0.0.1:5432); intake, drain, steady, scaling, calendar, analytics, console, scale and streams.
    Postgres,
}

#[derive(Debug, Parser)]
#[command(name = "bench", about = "Benchmarks the booking service end to end")]
pub struct Args {
    /// Which scenarios to run (comma-separated).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "all")]
    pub scenario: Vec<Scenario>,
    #[arg(long, value_enum, default_value_t = Backend::Sqlite)]
    pub backend: Backend,
    /// Worker processes for drain, steady and retry.
    #[arg(long, default_value_t = 2)]
    pub workers: usize,
    /// Bookings created in the intake scenario.
    #[arg(long, default_value_t = 5000)]
    pub intake: usize,
    /// Backlogs drained in the drain and peer scenarios.
    #[arg(long, value_delimiter = ',', default_value = "1000,20000")]
    pub backlog: Vec<usize>,
    /// Times the drain scenario drains each backlog, the backlogs alternating; it reports
    /// each backlog's median and every round's rate. A 1k drain lasts a quarter of a
    /// second, and on a noisy machine one round of it can be 20% off.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=25))]
    pub rounds: u32,
    /// Concurrent clients of the closed-loop load.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Arrivals per second of the steady scenario (open loop).
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// Length of the open-loop scenarios.
    #[arg(long, default_value_t = 10)]
    pub seconds: u32,
    /// ASSIGN_BACKOFF_BASE_MS of the retry scenario.
    #[arg(long, default_value_t = 200)]
    pub retry_base_ms: u64,
    /// Plumbing providers added to the demo's two before each scenario. The load books
    /// 2,900 distinct starts 3 hours apart and a provider holds one job at a time, so a
    /// backlog of N needs N / 2,900 plumbers at least: the default 8 (10 in all) takes 29,000.
    #[arg(long, default_value_t = 8)]
    pub providers: usize,
    /// Backlog drained per worker count in the scaling scenario.
    #[arg(long, default_value_t = 5000)]
    pub scaling_backlog: usize,
    /// Caps each worker of the scaling scenario at this many cores (e.g. 0.25), in a
    /// cgroup of its own (cgroup v1's cpu controller; root): workers on small hosts of
    /// their own, the database and the API uncapped.
    #[arg(long)]
    pub cap_workers: Option<f64>,
    /// WORKER_CONCURRENCY of every worker process (the worker's default when unset).
    #[arg(long)]
    pub worker_concurrency: Option<usize>,
    /// Dead jobs the console scenario retries by one filter.
    #[arg(long, default_value_t = 100_000)]
    pub console_dead: usize,
    /// Bookings in the analytics scenario's database.
    #[arg(long, default_value_t = 1_000_000)]
    pub analytics_bookings: usize,
    /// Bookings in the scale scenario's database (the analytics data set).
    #[arg(long, default_value_t = 1_000_000)]
    pub scale_bookings: usize,
    /// Event streams open in the streams scenario.
    #[arg(long, default_value_t = 3000)]
    pub streams: usize,
    /// Days those bookings are spread over, up to now.
    #[arg(long, default_value_t = 730)]
    pub analytics_days: i64,
    /// Keep every scenario's database for inspection (the SQLite files' folder, or each
    /// PostgreSQL database's URL, is printed).
    #[arg(long)]
    pub keep: bool,
    /// A development loop of under a minute: intake, drain, steady and analytics (or the
    /// scenarios chosen) with small sizes; for spotting a change, not for BENCHMARKS.md.
    #[arg(long)]
    pub quick: bool,
    /// Instead of running: read two JSON reports (before, after) and print every figure
    /// in both beside its ratio.
    #[arg(long, num_args = 2, value_names = ["BEFORE", "AFTER"])]
    pub compare: Option<Vec<std::path::PathBuf>>,
    /// Where the JSON report goes.
    #[arg(long, default_value = "target/bench-results.json")]
    pub json: std::path::PathBuf,
}

/// One run of the bench: its arguments and the folder its databases live in.
pub struct Run {
    pub args: Args,
    pub dir: tempfile::TempDir,
    seq: usize,
    /// The current scenario's PostgreSQL database, dropped when the next one replaces it.
    database: Option<testkit::TestDatabase>,
}

impl Run {
    /// A fresh database URL in the run's folder (so baselines share the disk).
    async fn fresh_url(&mut self) -> String {
        self.seq += 1;
        match self.args.backend {
            Backend::Postgres => {
                // The previous scenario's database goes first, keeping the server small.
                self.database = None;
                let db = testkit::TestDatabase::create_on(::db::Backend::Postgres).await;
                if self.args.keep {
                    let url = db.url.clone();
                    println!("keeping database {url}");
                    std::mem::forget(db);
                    return url;
                }
                self.database.insert(db).url.clone()
            }
            Backend::Sqlite => format!(
                "sqlite://{}/system-{}.db",
                self.dir.path().display(),
                self.seq
            ),
        }
    }

    pub fn postgres(&self) -> bool {
        self.args.backend == Backend::Postgres
    }

    /// The system on a fresh database, with the extra providers, and a customer's token.
    pub async fn system(&mut self, env: &[(&str, String)]) -> anyhow::Result<(System, String)> {
        let url = self.fresh_url().await;
        let sys = self.system_at(&url, env).await?;
        system::add_plumbers(&sys, self.args.providers).await?;
        let token = system::login(&sys, "customer@example.com").await?;
        Ok((sys, token))
    }

    /// The system on the database at `url`, as it is.
    pub async fn system_at(&self, url: &str, env: &[(&str, String)]) -> anyhow::Result<System> {
        let mut env = env.to_vec();
        if let Some(n) = self.args.worker_concurrency {
            env.push(("WORKER_CONCURRENCY", n.to_string()));
        }
        system::start(url, &env).await
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = Args::parse();
    if let Some(files) = &args.compare {
        let read = |f: &std::path::PathBuf| -> anyhow::Result<serde_json::Value> {
            let text =
                std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?;
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a JSON report", f.display()))
        };
        report::print_comparison(&report::compare(&read(&files[0])?, &read(&files[1])?))?;
        return Ok(());
    }
    if args.quick {
        if args.scenario == [Scenario::All] {
            args.scenario = vec![
                Scenario::Intake,
                Scenario::Drain,
                Scenario::Steady,
                Scenario::Analytics,
            ];
        }
        args.intake = 1000;
        args.backlog = vec![500];
        args.seconds = 3;
        args.scaling_backlog = 1000;
        args.analytics_bookings = 50_000;
        args.scale_bookings = 50_000;
        args.console_dead = 5_000;
        args.streams = 300;
    }
    let all = args.scenario.contains(&Scenario::All);
    // The queue, peer and retry scenarios measure SQLite: "all" on PostgreSQL leaves them out.
    let sqlite_only = [Scenario::Queue, Scenario::Peer, Scenario::Retry];
    let on_postgres = args.backend == Backend::Postgres;
    let wants =
        |s| (all && !(on_postgres && sqlite_only.contains(&s))) || args.scenario.contains(&s);
    let calendar = wants(Scenario::Calendar);
    let analytics = wants(Scenario::Analytics);
    let console = wants(Scenario::Console);
    let scale = wants(Scenario::Scale);
    let streams = wants(Scenario::Streams);
    let peer = wants(Scenario::Peer);
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
    if postgres && (queue_ || peer || retry) {
        anyhow::bail!(
            "on PostgreSQL the bench runs intake, drain, steady, scaling, calendar, analytics, console, scale and streams; \
             the queue, peer and retry scenarios measure SQLite (choose --scenario)"
        );
    }
    let mut r = Report::default();
    println!(
        "bench: {} cores, backend {:?}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        run.args.backend
    );

    let raw_cycles = if queue_ || drain || scaling {
        let v = if postgres {
            let scratch = testkit::TestDatabase::create_on(::db::Backend::Postgres).await;
            let pool = sqlx::PgPool::connect(&scratch.url).await?;
            let v = db::raw_cycles_pg(&pool, 3000).await?;
            pool.close().await;
            v
        } else {
            db::raw_cycles(run.dir.path(), 3000).await?
        };
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
        scenarios::queue::run(run.dir.path(), raw_cycles, &mut r).await?;
    }
    if peer {
        scenarios::peer::run(run.dir.path(), &run.args.backlog, &mut r).await?;
    }
    if intake {
        scenarios::intake::run(&mut run, &mut r).await?;
    }
    if drain {
        scenarios::drain::run(&mut run, raw_cycles, &mut r).await?;
    }
    if steady {
        scenarios::steady::run(&mut run, &mut r).await?;
    }
    if retry {
        scenarios::retry::run(&mut run, &mut r).await?;
    }
    if scaling {
        scenarios::scaling::run(&mut run, &mut r).await?;
    }
    if calendar {
        scenarios::calendar::run(&mut run, &mut r).await?;
    }
    if analytics {
        scenarios::analytics::run(&mut run, &mut r).await?;
    }
    if console {
        scenarios::console::run(&mut run, &mut r).await?;
    }
    if scale {
        scenarios::scale::run(&mut run, &mut r).await?;
    }
    if streams {
        scenarios::streams::run(&mut run, &mut r).await?;
    }

    // Only when the run started the system (the queue and peer scenarios do not).
    if r.peak_api_mib > 0.0 {
        r.row(
            "peak RSS api / worker",
            format!("{:.0} / {:.0} MiB", r.peak_api_mib, r.peak_worker_mib),
            "target <= 60 / 40".into(),
        );
        r.json.insert(
            "peak_rss_mib".into(),
            json!({"api": r.peak_api_mib, "worker": r.peak_worker_mib}),
        );
    }
    if let Some(parent) = json_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&json_path, serde_json::to_string_pretty(&r.json)?)
        .context("writing the JSON report")?;
    println!("JSON report: {}", json_path.display());
    if run.args.keep {
        println!("databases kept in {}", run.dir.keep().display());
    }
    if !r.failures.is_empty() {
        bail!("correctness failures: {}", r.failures.join("; "));
    }
    Ok(())
}
