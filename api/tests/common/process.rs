//! Real processes: the `api` binary and `worker` binaries on one test database.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The `worker` binary, built beside the `api` binary by `cargo nextest run --workspace`.
pub fn worker_exe() -> PathBuf {
    let api = PathBuf::from(env!("CARGO_BIN_EXE_api"));
    let worker = api.with_file_name("worker");
    assert!(
        worker.exists(),
        "{} is missing: run the tests for the whole workspace",
        worker.display()
    );
    worker
}

/// A running system: the API, its workers, and the database they share.
pub struct System {
    pub api: Child,
    pub workers: Vec<Child>,
    pub base: String,
    pub url: String,
    pub env: Vec<(String, String)>,
    pub client: reqwest::Client,
    _db: shared::testing::TestDatabase,
}

impl System {
    /// Starts the API with `env` (plus a fresh database and port) and waits until ready.
    pub async fn start(env: &[(&str, &str)]) -> System {
        Self::start_on(shared::testing::TestDatabase::create().await, env).await
    }

    /// Starts the API with `env` on `db` (plus a fresh port) and waits until ready.
    pub async fn start_on(db: shared::testing::TestDatabase, env: &[(&str, &str)]) -> System {
        let url = db.url.clone();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut all: Vec<(String, String)> = vec![
            ("DATABASE_URL".into(), url.clone()),
            ("RUST_LOG".into(), "warn".into()),
            // Off unless asked; every system under test has the demo accounts unless the
            // test says `SEED_DEMO=false`.
            ("SEED_DEMO".into(), "true".into()),
        ];
        // A later value replaces an earlier one; an empty value stands for "not set at
        // all", to start as a plain deployment does.
        for (name, value) in env {
            all.retain(|(k, _)| k != name);
            all.push((name.to_string(), value.to_string()));
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_api"));
        for (name, _) in all.iter().filter(|(_, v)| v.is_empty()) {
            command.env_remove(name);
        }
        all.retain(|(_, v)| !v.is_empty());
        let api = command
            .envs(all.iter().cloned())
            .env("BIND_ADDR", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let system = System {
            api,
            workers: Vec::new(),
            base: format!("http://127.0.0.1:{port}"),
            url,
            env: all,
            client: reqwest::Client::new(),
            _db: db,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while !matches!(system.client.get(system.at("/readyz")).send().await, Ok(r) if r.status().is_success())
        {
            assert!(Instant::now() < deadline, "the api did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        system
    }

    /// Starts one more worker process with the system's environment plus `extra`.
    pub fn add_worker(&mut self, extra: &[(&str, &str)]) -> u32 {
        self.spawn_worker(extra, Stdio::inherit(), Stdio::inherit())
    }

    /// As [`System::add_worker`], with the worker's log (its standard output and error)
    /// written to the file `log`.
    pub fn add_worker_logging_to(&mut self, extra: &[(&str, &str)], log: &std::path::Path) -> u32 {
        let file = std::fs::File::create(log).unwrap();
        let (out, err) = (file.try_clone().unwrap(), file);
        self.spawn_worker(extra, out.into(), err.into())
    }

    fn spawn_worker(&mut self, extra: &[(&str, &str)], stdout: Stdio, stderr: Stdio) -> u32 {
        let child = Command::new(worker_exe())
            .envs(self.env.iter().cloned())
            .envs(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())))
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap();
        let pid = child.id();
        self.workers.push(child);
        pid
    }

    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self
            .client
            .post(self.at("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.json::<Value>().await.unwrap()["token"]
            .as_str()
            .unwrap()
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
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, token, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn book(&self, token: &str, service: &str) -> i64 {
        let body = json!({
            "customer_name": "Casey", "customer_phone": "555 010 0199", "customer_email": "casey@example.com",
            "service_type": service, "address": "9 Elm Street",
            "scheduled_date": (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339(),
        });
        let (status, res) = self
            .call(reqwest::Method::POST, "/api/v1/bookings", token, Some(body))
            .await;
        assert_eq!(status, 201, "{res}");
        res["id"].as_i64().unwrap()
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
                .unwrap()
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

    /// Workers that have exited (none should, but for a signal sent on purpose).
    pub fn exited_workers(&mut self) -> Vec<std::process::ExitStatus> {
        self.workers
            .iter_mut()
            .filter_map(|w| w.try_wait().unwrap())
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
            .unwrap()
            .success()
    );
}

/// Milliseconds between two RFC 3339 timestamps in JSON.
pub fn ms_between(from: &Value, to: &Value) -> i64 {
    let parse = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    (parse(to) - parse(from)).num_milliseconds()
}
