//! Connection loss: the API and two workers on a PostgreSQL server of this test's own,
//! which is stopped while they run and then started again. Whatever `TEST_BACKEND` says,
//! this is PostgreSQL's test (a SQLite file does not go away while the process holds it).

mod common;

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use testkit::{PostgresServer, TestDatabase};

use common::process::System;

/// Polls `/readyz` until it answers `status`, or panics after `within`.
async fn wait_for_readyz(sys: &System, status: StatusCode, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let res = sys.client.get(sys.at("/readyz")).send().await.unwrap();
        if res.status() == status {
            return res.json().await.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "/readyz did not answer {status} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn api_and_workers_report_a_postgres_outage_recover_by_themselves_and_lose_nothing() {
    let server = PostgresServer::start();
    let db = TestDatabase::create_on_server(&server.url()).await;
    let mut sys = common::process::start_on(db, &[("WORKER_HEARTBEAT_MS", "200")]).await;
    let logs = tempfile::tempdir().unwrap();
    let worker_logs = [logs.path().join("w1.log"), logs.path().join("w2.log")];
    for log in &worker_logs {
        sys.add_worker_logging_to(&[], log);
    }
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(sys.book(&customer, "cleaning").await);
    }
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;

    let logged_before: Vec<usize> = worker_logs
        .iter()
        .map(|log| std::fs::read_to_string(log).unwrap().len())
        .collect();
    server.stop();
    let body = wait_for_readyz(
        &sys,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(15),
    )
    .await;
    assert_eq!(body["error"]["code"], "not_ready", "{body}");
    // A booking while the database is down: a clear "try again", nothing half-written.
    let booking = json!({
        "customer_name": "Casey", "customer_phone": "555 010 0199", "customer_email": "casey@example.com",
        "service_type": "cleaning", "address": "9 Elm Street",
        "starts_at": sys.next_start(),
    });
    let (status, body) = sys
        .call(Method::POST, "/api/v1/bookings", &customer, Some(booking))
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["code"], "unavailable", "{body}");
    // The workers say so in their logs, and keep running.
    let deadline = Instant::now() + Duration::from_secs(20);
    while !worker_logs
        .iter()
        .zip(&logged_before)
        .all(|(log, before)| std::fs::read_to_string(log).unwrap()[*before..].contains("WARN"))
    {
        assert!(
            Instant::now() < deadline,
            "each worker logs a warning while the database is down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(sys.exited_workers().is_empty(), "no worker exited");

    server.start_again();
    let restarted = chrono::Utc::now();
    wait_for_readyz(&sys, StatusCode::OK, Duration::from_secs(30)).await;
    // Both workers report in again, by themselves.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stats = sys.get("/api/v1/admin/stats", &admin).await;
        let beating = stats["workers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| {
                let at =
                    chrono::DateTime::parse_from_rfc3339(w["last_heartbeat_at"].as_str().unwrap())
                        .unwrap();
                at > restarted
            })
            .count();
        if beating == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "both workers heartbeat again after the restart: {stats}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for _ in 0..5 {
        ids.push(sys.book(&customer, "cleaning").await);
    }
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;
    let stats = sys.get("/api/v1/admin/stats", &admin).await;
    let total: i64 = stats["bookings_by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_i64().unwrap())
        .sum();
    assert_eq!(
        total, 10,
        "the ten accepted bookings, and not the refused one"
    );
    assert!(sys.exited_workers().is_empty(), "no worker exited");
}
