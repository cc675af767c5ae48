//! Real processes: the `api` binary and `worker` binaries on one test database, spoken to
//! over HTTP.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::TestDatabase;

/// Where the binaries under test are.
#[derive(Debug, Clone)]
pub struct Binaries {
    pub api: PathBuf,
    pub worker: PathBuf,
}

impl Binaries {
    /// The `api` binary at `api` and the `worker` built beside it (`cargo build` and
    /// `cargo nextest run --workspace` build both into one folder).
    pub fn beside(api: impl Into<PathBuf>) -> Binaries {
        let api = api.into();
        let worker = api.with_file_name("worker");
        assert!(
            worker.exists(),
            "{} is missing: build the whole workspace",
            worker.display()
        );
        Binaries { api, worker }
    }
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A running system: the API, its workers, and the database they share.
pub struct System {
    pub api: Child,
    pub workers: Vec<Child>,
    pub base: String,
    pub url: String,
    pub env: Vec<(String, String)>,
    pub client: reqwest::Client,
    bin: Binaries,
    /// Bookings made through [`System::book`] so far.
    booked: std::sync::atomic::AtomicI64,
    _db: Option<TestDatabase>,
}

impl System {
    /// Starts the API with `env` (plus a fresh database and port) and waits until ready.
    /// Demo accounts are seeded unless `env` says `SEED_DEMO=false`; an empty value
    /// leaves a variable unset, as a plain deployment would.
    pub async fn start(bin: Binaries, env: &[(&str, &str)]) -> System {
        Self::start_on(bin, TestDatabase::create().await, env).await
    }

    /// As [`System::start`], on `db`.
    pub async fn start_on(bin: Binaries, db: TestDatabase, env: &[(&str, &str)]) -> System {
        let url = db.url.clone();
        let mut system = Self::start_at(bin, &url, env, Stdio::null())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        system._db = Some(db);
        system
    }

    /// Starts the API on the database at `url` (kept by the caller), its output going to
    /// `output`, and waits until it is ready (60 s at most).
    pub async fn start_at(
        bin: Binaries,
        url: &str,
        env: &[(&str, &str)],
        output: Stdio,
    ) -> Result<System, String> {
        let port = free_port();
        let mut all: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), url.to_owned()),
            ("RUST_LOG".into(), "warn".into()),
            ("SEED_DEMO".into(), "true".into()),
            // The tests and the bench drive one account far harder than a person would:
            // no rate limits, unless a test sets its own.
            ("RATE_LIMIT_ANONYMOUS_PER_MIN".into(), "0".into()),
            ("RATE_LIMIT_USER_PER_MIN".into(), "0".into()),
            ("RATE_LIMIT_BOOKINGS_PER_MIN".into(), "0".into()),
        ];
        // A later value replaces an earlier one.
        for (name, value) in env {
            all.retain(|(k, _)| k != name);
            all.push((name.to_string(), value.to_string()));
        }
        let mut command = Command::new(&bin.api);
        for (name, _) in all.iter().filter(|(_, v)| v.is_empty()) {
            command.env_remove(name);
        }
        all.retain(|(_, v)| !v.is_empty());
        let api = command
            .envs(all.iter().cloned())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .stdout(output)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", bin.api.display()))?;
        let mut system = System {
            api,
            workers: Vec::new(),
            base: format!("http://127.0.0.1:{port}"),
            url: url.to_owned(),
            env: all,
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(256)
                .build()
                .map_err(|e| e.to_string())?,
            bin,
            booked: Default::default(),
            _db: None,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = system.client.get(system.at("/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(system);
            }
            if let Ok(Some(status)) = system.api.try_wait() {
                return Err(format!("the api exited before it was ready: {status}"));
            }
            if Instant::now() > deadline {
                return Err("the api did not become ready within 60 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts one more worker process with the system's environment plus `extra`.
    pub fn add_worker(&mut self, extra: &[(&str, &str)]) -> u32 {
        self.spawn_worker(extra, Stdio::inherit(), Stdio::inherit())
    }

    /// Starts `n` more workers with the system's environment, their output discarded.
    pub fn add_quiet_workers(&mut self, n: usize) {
        for _ in 0..n {
            self.spawn_worker(&[], Stdio::null(), Stdio::null());
        }
    }

    /// As [`System::add_worker`], with the worker's log (its standard output and error)
    /// written to the file `log`.
    pub fn add_worker_logging_to(&mut self, extra: &[(&str, &str)], log: &std::path::Path) -> u32 {
        let file = std::fs::File::create(log).expect("a log file");
        let (out, err) = (file.try_clone().expect("a second handle"), file);
        self.spawn_worker(extra, out.into(), err.into())
    }

    /// Starts a worker with the system's environment plus `extra`, as `command` (e.g. a
    /// wrapper that caps its CPU) with the worker binary as its last argument.
    pub fn spawn_worker_with(&mut self, command: &mut Command, extra: &[(&str, &str)]) -> u32 {
        let child = command
            .arg(&self.bin.worker)
            .envs(self.env.iter().cloned())
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting a worker");
        let pid = child.id();
        self.workers.push(child);
        pid
    }

    fn spawn_worker(&mut self, extra: &[(&str, &str)], stdout: Stdio, stderr: Stdio) -> u32 {
        let child = Command::new(&self.bin.worker)
            .envs(self.env.iter().cloned())
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .expect("starting a worker");
        let pid = child.id();
        self.workers.push(child);
        pid
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Signs in; panics unless it works.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .client
            .post(self.at("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("the api answers");
        assert_eq!(res.status(), 200, "signing in as {email}");
        res.json::<Value>().await.expect("a JSON session")["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .client
            .request(method, self.at(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("the api answers");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, token, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Waits until at least `n` workers show in the admin's stats (they have started and
    /// sent a heartbeat), or panics after `within`.
    pub async fn wait_for_workers(&self, admin: &str, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let stats = self.get("/api/v1/admin/stats", admin).await;
            let registered = stats["workers"].as_array().map_or(0, Vec::len);
            if registered >= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{registered} of {n} workers registered within {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A start on the grid about two days ahead; each call three hours after the one
    /// before, so that the bookings of a test never overlap.
    pub fn next_start(&self) -> String {
        let k = self
            .booked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::grid_start(chrono::Duration::days(2) + chrono::Duration::hours(3 * k)).to_rfc3339()
    }

    /// Books `service` at [`System::next_start`]; returns the booking's id.
    pub async fn book(&self, token: &str, service: &str) -> i64 {
        let body = json!({
            "customer_name": "Casey", "customer_phone": "555 010 0199", "customer_email": "casey@example.com",
            "service_type": service, "address": "9 Elm Street",
            "starts_at": self.next_start(),
        });
        let (status, res) = self
            .call(reqwest::Method::POST, "/api/v1/bookings", token, Some(body))
            .await;
        assert_eq!(status, 201, "{res}");
        res["id"].as_i64().expect("an id")
    }

    /// Polls a booking until `done` holds for it, or panics after `within`.
    pub async fn wait_for(
        &self,
        token: &str,
        id: i64,
        within: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let b = self.get(&format!("/api/v1/bookings/{id}"), token).await;
            if done(&b) {
                return b;
            }
            assert!(
                Instant::now() < deadline,
                "booking {id} did not get there in {within:?}: {b}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How many times each of the bookings `ids` was assigned, from their history as
    /// `admin` sees it.
    pub async fn assignments(&self, admin: &str, ids: &[i64]) -> HashMap<i64, usize> {
        let mut out = HashMap::new();
        for id in ids {
            let history = self
                .get(&format!("/api/v1/bookings/{id}/history"), admin)
                .await;
            let n = history
                .as_array()
                .expect("a history array")
                .iter()
                .filter(|h| h["new_status"] == "assigned")
                .count();
            out.insert(*id, n);
        }
        out
    }

    /// Waits until each of the bookings `ids` is assigned (20 s at most), then checks
    /// that each was assigned exactly once.
    pub async fn assert_each_assigned_once(&self, customer: &str, admin: &str, ids: &[i64]) {
        for id in ids {
            self.wait_for(customer, *id, Duration::from_secs(20), |b| {
                b["status"] == "assigned"
            })
            .await;
        }
        let counts = self.assignments(admin, ids).await;
        assert!(
            counts.values().all(|n| *n == 1),
            "each booking assigned exactly once: {counts:?}"
        );
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

    /// True while the API and every worker still run.
    pub fn all_alive(&mut self) -> bool {
        self.api.try_wait().ok().flatten().is_none()
            && self
                .workers
                .iter_mut()
                .all(|w| w.try_wait().ok().flatten().is_none())
    }

    /// Workers that have exited (none should, but for a signal sent on purpose).
    pub fn exited_workers(&mut self) -> Vec<std::process::ExitStatus> {
        self.workers
            .iter_mut()
            .filter_map(|w| w.try_wait().expect("a worker's status"))
            .collect()
    }
}

impl Drop for System {
    fn drop(&mut self) {
        for w in &mut self.workers {
            let _ = w.kill();
            let _ = w.wait();
        }
        let _ = self.api.kill();
        let _ = self.api.wait();
    }
}

/// Sends a signal to a process.
pub fn signal(pid: u32, sig: &str) {
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .expect("kill runs")
            .success()
    );
}

/// Milliseconds between two RFC 3339 timestamps in JSON.
pub fn ms_between(from: &Value, to: &Value) -> i64 {
    let parse = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v.as_str().expect("a timestamp")).expect("RFC 3339")
    };
    (parse(to) - parse(from)).num_milliseconds()
}
