//! What the real `api` binary does at start with its settings: no demo accounts unless
//! asked, a loud warning while demo accounts exist, and no short signing key.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use testkit::TestDatabase;

#[tokio::test]
async fn a_plain_start_creates_no_demo_accounts_and_publishes_no_logins() {
    // SEED_DEMO not set at all, as in the Docker image.
    let api = common::process::start(&[("SEED_DEMO", "")]).await;
    let res = api
        .client
        .post(api.at("/api/v1/auth/login"))
        .json(&json!({"email": "admin@example.com", "password": "demo1234"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let demo: Value = api
        .client
        .get(api.at("/api/v1/auth/demo"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(demo, json!({"enabled": false, "logins": []}));
}

/// Runs the api binary on `url` with `env` until it is ready, stops it, and returns what
/// it wrote (its log).
async fn log_of_a_start(url: &str, env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("api.log");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let file = std::fs::File::create(&log).unwrap();
    let mut api = Command::new(env!("CARGO_BIN_EXE_api"))
        .env_remove("SEED_DEMO")
        .env("DATABASE_URL", url)
        .env("RUST_LOG", "warn")
        .env("BIND_ADDR", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stdout(file.try_clone().unwrap())
        .stderr(file)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !matches!(client.get(format!("http://127.0.0.1:{port}/readyz")).send().await, Ok(r) if r.status().is_success())
    {
        assert!(
            api.try_wait().unwrap().is_none(),
            "the api exited: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        assert!(Instant::now() < deadline, "the api did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = api.kill();
    let _ = api.wait();
    std::fs::read_to_string(&log).unwrap()
}

#[tokio::test]
async fn demo_accounts_are_announced_with_a_warning_at_every_start_while_they_exist() {
    let db = TestDatabase::create().await;
    let warning = "demo accounts with the published password exist";

    let first = log_of_a_start(&db.url, &[("SEED_DEMO", "true")]).await;
    assert!(first.contains(warning), "{first}");
    assert!(first.contains("admin@example.com"), "{first}");

    // A later start that does not ask for the demo still says they are there.
    let second = log_of_a_start(&db.url, &[]).await;
    assert!(second.contains(warning), "{second}");

    let fresh = TestDatabase::create().await;
    let plain = log_of_a_start(&fresh.url, &[]).await;
    assert!(!plain.contains(warning), "{plain}");
}

#[test]
fn a_signing_key_shorter_than_32_bytes_is_refused_at_start_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "not-long-enough-31-bytes-secret";
    assert_eq!(secret.len(), 31);
    let out = Command::new(env!("CARGO_BIN_EXE_api"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.db", dir.path().display()),
        )
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("AUTH_SECRET", secret)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("AUTH_SECRET"), "{text}");
    assert!(text.contains("at least 32"), "{text}");
    assert!(!text.contains(secret), "{text}");
    // Refused before anything was written.
    assert!(!dir.path().join("db.db").exists());
}
