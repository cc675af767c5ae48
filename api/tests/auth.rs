//! Sign-up, sign-in and who may call at all: every protected route refuses a caller
//! without a token, sign-in throttling, health, readiness and the demo logins.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use common::TestApp;

#[tokio::test]
async fn every_protected_route_refuses_a_caller_without_a_token_with_401() {
    let app = TestApp::new().await;
    for (method, path) in [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/bookings"),
        ("POST", "/api/v1/bookings"),
        ("GET", "/api/v1/bookings/1"),
        ("GET", "/api/v1/bookings/1/history"),
        ("PATCH", "/api/v1/bookings/1/status"),
        ("POST", "/api/v1/bookings/1/assign"),
        ("GET", "/api/v1/providers"),
        ("POST", "/api/v1/providers"),
        ("PATCH", "/api/v1/providers/1"),
        ("GET", "/api/v1/service-types"),
        ("GET", "/api/v1/admin/jobs"),
        ("POST", "/api/v1/admin/jobs/retry"),
        ("GET", "/api/v1/admin/stats"),
        ("GET", "/api/v1/events"),
    ] {
        let res = app.call(method, path, None, Some(json!({}))).await;
        assert_eq!(
            res.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            res.body
        );
        assert_eq!(res.code(), "unauthenticated");
        let forged = app
            .call(method, path, Some("not.a.token"), Some(json!({})))
            .await;
        assert_eq!(
            forged.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a forged token"
        );
    }
}

#[tokio::test]
async fn sign_up_sign_in_and_me_with_a_token_or_the_cookie() {
    let app = TestApp::new().await;
    let body = json!({"name": "Dee", "email": "Dee@Example.com", "password": "long-enough"});
    let res = app
        .call("POST", "/api/v1/auth/register", None, Some(body.clone()))
        .await;
    assert_eq!(res.status, StatusCode::CREATED);
    assert_eq!(res.body["user"]["role"], "customer");
    assert!(res.body["user"].get("password_hash").is_none());
    let dup = app
        .call("POST", "/api/v1/auth/register", None, Some(body))
        .await;
    assert_eq!(
        (dup.status, dup.code()),
        (StatusCode::CONFLICT, "duplicate_email")
    );
    let weak = app
        .call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(json!({"name": "", "email": "e@example.com", "password": "short"})),
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body["error"]["details"]["fields"]["password"].is_string());
    assert!(weak.body["error"]["details"]["fields"]["name"].is_string());

    let login = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "dee@example.com", "password": "long-enough"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    let cookie = login
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_owned();
    let me = app
        .send(
            Request::builder()
                .uri("/api/v1/auth/me")
                .header(header::COOKIE, session)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "dee@example.com");

    let wrong = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "dee@example.com", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
    let nobody = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "nobody@example.com", "password": "whatever1"})),
        )
        .await;
    assert_eq!(
        (nobody.status, nobody.code()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_rate_limited_with_429() {
    let app = TestApp::new().await;
    let attempt = || {
        app.call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "customer@example.com", "password": "guess"})),
        )
    };
    for _ in 0..10 {
        assert_eq!(attempt().await.status, StatusCode::UNAUTHORIZED);
    }
    let res = attempt().await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    assert!(res.headers.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn health_and_readiness_answer_and_demo_logins_are_listed() {
    let app = TestApp::new().await;
    assert_eq!(
        app.call("GET", "/healthz", None, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.call("GET", "/readyz", None, None).await.body["status"],
        "ready"
    );
    let demo = app.call("GET", "/api/v1/auth/demo", None, None).await.body;
    assert_eq!(demo["enabled"], true);
    assert_eq!(demo["logins"].as_array().unwrap().len(), 8);
    let customer = app.demo("customer").await;
    let types = app.get("/api/v1/service-types", &customer).await.body;
    assert!(
        types
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "plumbing")
    );
}
