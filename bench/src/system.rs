//! The system under test: the release `api` and `worker` binaries on a fresh database.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// A running API and its workers.
pub struct System {
    api: Child,
    workers: Vec<Child>,
    pub base: String,
    pub database_url: String,
    env: Vec<(String, String)>,
    bin: PathBuf,
    pub client: reqwest::Client,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl System {
    /// Starts the API on `database_url` with `env`, and waits until it is ready.
    pub async fn start(database_url: &str, env: &[(&str, String)]) -> anyhow::Result<System> {
        let bin = std::env::current_exe()?
            .parent()
            .context("the bench binary has a folder")?
            .to_path_buf();
        let port = free_port()?;
        let mut all = vec![
            ("DATABASE_URL".to_owned(), database_url.to_owned()),
            ("RUST_LOG".to_owned(), "warn".to_owned()),
            ("SEED_DEMO".to_owned(), "true".to_owned()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let api = Command::new(bin.join("api"))
            .envs(all.iter().cloned())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .env("FRONTEND_DIR", "/nonexistent")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .with_context(|| format!("starting {}", bin.join("api").display()))?;
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(256)
            .build()?;
        let system = System {
            api,
            workers: Vec::new(),
            base: format!("http://127.0.0.1:{port}"),
            database_url: database_url.to_owned(),
            env: all,
            bin,
            client,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = system.client.get(system.url("/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(system);
            }
            if Instant::now() > deadline {
                bail!("the api did not become ready");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Starts `n` more worker processes.
    pub fn add_workers(&mut self, n: usize) -> anyhow::Result<()> {
        for _ in 0..n {
            let child = Command::new(self.bin.join("worker"))
                .envs(self.env.iter().cloned())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?;
            self.workers.push(child);
        }
        Ok(())
    }

    pub async fn login(&self, email: &str) -> anyhow::Result<String> {
        let res: Value = self
            .client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": "demo1234"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(res["token"].as_str().context("a token")?.to_owned())
    }

    /// Adds `n` plumbing providers through the admin API (the demo has two).
    pub async fn add_plumbers(&self, n: usize) -> anyhow::Result<()> {
        let admin = self.login("admin@example.com").await?;
        for i in 0..n {
            self.client
                .post(self.url("/api/v1/providers"))
                .bearer_auth(&admin)
                .json(&json!({
                    "name": format!("Bench Plumber {i}"),
                    "email": format!("plumber{i}@bench.example.com"),
                    "service_types": ["plumbing"],
                    "rating": 4.0,
                }))
                .send()
                .await?
                .error_for_status()?;
        }
        Ok(())
    }

    /// Peak resident memory (VmHWM) of the API and of each worker, in MiB.
    pub fn peak_rss_mib(&self) -> (f64, Vec<f64>) {
        let rss = |pid: u32| {
            std::fs::read_to_string(format!("/proc/{pid}/status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find(|l| l.starts_with("VmHWM:"))
                        .and_then(|l| l.split_whitespace().nth(1))
                        .and_then(|kb| kb.parse::<f64>().ok())
                })
                .map_or(f64::NAN, |kb| kb / 1024.0)
        };
        (
            rss(self.api.id()),
            self.workers.iter().map(|w| rss(w.id())).collect(),
        )
    }

    /// True while every process still runs.
    pub fn all_alive(&mut self) -> bool {
        self.api.try_wait().ok().flatten().is_none()
            && self
                .workers
                .iter_mut()
                .all(|w| w.try_wait().ok().flatten().is_none())
    }
}

impl Drop for System {
    fn drop(&mut self) {
        for c in self
            .workers
            .iter_mut()
            .chain(std::iter::once(&mut self.api))
        {
            let _ = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status();
        }
        for c in self
            .workers
            .iter_mut()
            .chain(std::iter::once(&mut self.api))
        {
            let _ = c.wait();
        }
    }
}
