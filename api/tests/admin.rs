//! The admin routes through the router: refused to others, the job table and its retry,
//! the overview, and `/metrics`.

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::TestApp;

#[tokio::test]
async fn admin_routes_refuse_customers_and_providers_with_403() {
    let app = TestApp::new().await;
    for who in ["customer", "priya"] {
        let token = app.demo(who).await;
        for (method, path, body) in [
            ("GET", "/api/v1/admin/jobs", None),
            (
                "POST",
                "/api/v1/admin/jobs/retry",
                Some(json!({"all_dead": true})),
            ),
            ("GET", "/api/v1/admin/stats", None),
            (
                "POST",
                "/api/v1/bookings/1/assign",
                Some(json!({"provider_id": 1})),
            ),
            (
                "POST",
                "/api/v1/providers",
                Some(json!({"name": "X", "email": "x@example.com", "service_types": ["plumbing"]})),
            ),
        ] {
            let res = app.call(method, path, Some(&token), body).await;
            assert_eq!(
                res.status,
                StatusCode::FORBIDDEN,
                "{who}: {method} {path}: {}",
                res.body
            );
            assert_eq!(res.code(), "forbidden");
        }
    }
    let customer = app.demo("customer").await;
    assert_eq!(
        app.get("/api/v1/providers", &customer).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn admins_list_jobs_and_retrying_a_job_that_is_not_dead_is_skipped_with_a_reason() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let b = app.book(&customer).await;
    let jobs = app.get("/api/v1/admin/jobs?state=scheduled", &admin).await;
    assert_eq!(jobs.status, StatusCode::OK);
    let job = &jobs.body["items"][0];
    assert_eq!(job["booking_id"], b["id"]);
    assert_eq!(job["max_attempts"], 4);
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/retry",
            Some(&admin),
            Some(json!({"ids": [job["id"]]})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        (
            res.body["changed"].clone(),
            res.body["skipped_count"].clone()
        ),
        (json!(0), json!(1))
    );
    assert!(
        res.body["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("scheduled")
    );
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/retry",
            Some(&admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.get("/api/v1/admin/jobs?state=sleeping", &admin).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    let stats = app.get("/api/v1/admin/stats", &admin).await.body;
    assert_eq!(stats["bookings_by_status"]["pending"], 1);
    assert_eq!(stats["jobs_by_state"]["scheduled"], 1);
}

#[tokio::test]
async fn metrics_are_for_admins_and_count_bookings_and_jobs() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    app.book(&customer).await;
    assert_eq!(
        app.call("GET", "/metrics", None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get("/metrics", &customer).await.status,
        StatusCode::FORBIDDEN
    );
    let admin = app.demo("admin").await;
    let text = app.get("/metrics", &admin).await.body;
    let text = text.as_str().unwrap();
    assert!(text.contains("bookings{status=\"pending\"} 1"), "{text}");
    assert!(text.contains("jobs{state=\"scheduled\"} 1"), "{text}");
    assert!(text.contains("workers_live 0"), "{text}");
    assert!(
        text.contains("queue_paused{queue=\"assignment\"} 0"),
        "{text}"
    );
    assert!(text.contains("bookings_created_total 1"), "{text}");
    assert!(text.contains("# HELP bookings_created_total"), "{text}");
}
