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
        ("GET", "/api/v1/admin/users"),
        ("PATCH", "/api/v1/admin/users/1"),
        ("POST", "/api/v1/admin/users/1/reset-link"),
        ("POST", "/api/v1/auth/logout-all"),
        ("POST", "/api/v1/auth/password"),
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
    assert_eq!(
        res.body["error"]["message"],
        "too many attempts; try again in 15 minutes"
    );
}

/// A sign-in from `address` with `password`.
fn sign_in_from(address: &str, password: &str) -> Request<Body> {
    let mut req = Request::builder()
        .method("POST")
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": "customer@example.com", "password": password}).to_string(),
        ))
        .unwrap();
    let peer: std::net::SocketAddr = address.parse().unwrap();
    req.extensions_mut()
        .insert(axum::extract::ConnectInfo(peer));
    req
}

/// Guesses from one address lock that address out for the account, not the account's
/// owner signing in from elsewhere.
#[tokio::test]
async fn a_stranger_s_guesses_do_not_lock_the_owner_out() {
    let app = TestApp::new().await;
    for _ in 0..10 {
        let res = app.send(sign_in_from("203.0.113.9:4000", "guess")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = app.send(sign_in_from("203.0.113.9:4001", "demo1234")).await;
    assert_eq!(
        res.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser's address is locked out"
    );
    let owner = app
        .send(sign_in_from("198.51.100.1:5000", "demo1234"))
        .await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.body);
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

/// An open event stream ends once the sign-in it was opened with expires (its page's
/// EventSource then reconnects and gets 401), not hours later.
#[tokio::test]
async fn an_event_stream_ends_when_its_sign_in_expires() {
    let app = TestApp::new().await;
    let user = app.user("customer@example.com").await;
    // A session with a two-second life, and a token of the app's own keys naming it.
    let rules = shared::account::SessionRules {
        absolute: chrono::Duration::seconds(2),
        idle: chrono::Duration::hours(1),
    };
    let session = app
        .state
        .accounts
        .start_session(user.id, "short-lived-secret", rules)
        .await
        .unwrap();
    let token = app
        .state
        .tokens
        .issue(&user, "short-lived-secret", session.expires_at)
        .unwrap();
    let body = app.events(&token, None).await;
    let started = std::time::Instant::now();
    let text = common::read_to_end(body, std::time::Duration::from_secs(10)).await;
    assert!(text.contains("event: ready"), "{text}");
    assert!(text.contains("event: expired"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
}
