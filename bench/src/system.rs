//! The system under test: the release `api` and `worker` binaries (beside this one) on a
//! fresh database, through `testkit::System`, with what the scenarios add.

use std::process::Stdio;

use anyhow::Context;
use serde_json::{Value, json};

pub use testkit::System;

/// Starts the API on `url` with `env`, and waits until it is ready.
pub async fn start(url: &str, env: &[(&str, String)]) -> anyhow::Result<System> {
    let bin = std::env::current_exe()?
        .parent()
        .context("the bench binary has a folder")?
        .to_path_buf();
    let binaries = testkit::Binaries {
        api: bin.join("api"),
        worker: bin.join("worker"),
    };
    let mut env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.push(("FRONTEND_DIR", "/nonexistent"));
    // The load is one customer creating thousands of bookings a second: the API's rate
    // limits are raised out of the way, explicitly (testkit does so too).
    for name in [
        "RATE_LIMIT_ANONYMOUS_PER_MIN",
        "RATE_LIMIT_USER_PER_MIN",
        "RATE_LIMIT_BOOKINGS_PER_MIN",
    ] {
        env.push((name, "0"));
    }
    System::start_at(binaries, url, &env, Stdio::null())
        .await
        .map_err(anyhow::Error::msg)
}

/// Signs in as a demo account.
pub async fn login(sys: &System, email: &str) -> anyhow::Result<String> {
    let res: Value = sys
        .client
        .post(sys.at("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": "demo1234"}))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(res["token"].as_str().context("a token")?.to_owned())
}

/// Adds `n` plumbing providers through the admin API (the demo has two).
pub async fn add_plumbers(sys: &System, n: usize) -> anyhow::Result<()> {
    let admin = login(sys, "admin@example.com").await?;
    for i in 0..n {
        sys.client
            .post(sys.at("/api/v1/providers"))
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

/// One call to the API as `token`; anything but a success is an error with the answer.
pub async fn call(
    sys: &System,
    token: &str,
    method: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let res = sys
        .client
        .request(method.parse()?, sys.at(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = res.status();
    let v: Value = res.json().await?;
    anyhow::ensure!(
        status.is_success(),
        "{method} {path} answered {status}: {v}"
    );
    Ok(v)
}
