//! Rate limits: per client address without a sign-in, per user with one, and bookings per
//! user; 429 `rate_limited` with `Retry-After` past each budget, and not before.

mod common;

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use serde_json::json;

use api::limits::RateLimitSettings;
use common::TestApp;
use common::process;

/// `GET /api/v1/auth/me` with no sign-in, from `address`.
fn anonymous_from(address: &str) -> Request<Body> {
    let mut req = Request::builder()
        .uri("/api/v1/auth/me")
        .body(Body::empty())
        .unwrap();
    let addr: SocketAddr = address.parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(addr));
    req
}

/// A test app whose budgets a minute are these (0: no limit).
async fn limited(anonymous_per_min: u32, user_per_min: u32, bookings_per_min: u32) -> TestApp {
    TestApp::with_settings(|s| {
        s.rate_limits = RateLimitSettings {
            anonymous_per_min,
            user_per_min,
            bookings_per_min,
        }
    })
    .await
}

fn assert_limited(res: &common::Response) {
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert_eq!(res.code(), "rate_limited");
    let after: u64 = res.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&after), "Retry-After {after}");
    assert_eq!(
        res.body["error"]["details"]["retry_after_secs"],
        json!(after)
    );
}

#[tokio::test]
async fn an_address_without_a_sign_in_gets_its_budget_and_no_more() {
    let app = limited(3, 0, 0).await;
    for _ in 0..3 {
        let res = app.send(anonymous_from("203.0.113.7:5000")).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    assert_limited(&app.send(anonymous_from("203.0.113.7:5001")).await);
    // Another address has its own budget.
    let other = app.send(anonymous_from("198.51.100.2:5000")).await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    // A signed-in user is not counted against the address.
    let token = app.demo("customer").await;
    let mut req = Request::builder()
        .uri("/api/v1/auth/me")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    req.extensions_mut().insert(ConnectInfo(
        "203.0.113.7:5002".parse::<SocketAddr>().unwrap(),
    ));
    assert_eq!(app.send(req).await.status, StatusCode::OK);
}

#[tokio::test]
async fn signing_in_counts_against_the_address_whatever_token_comes_with_it() {
    let app = limited(3, 0, 0).await;
    // A token of a session that has ended still carries a valid signature.
    let token = app.demo("customer").await;
    let res = app
        .call("POST", "/api/v1/auth/logout", Some(&token), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let guess = |n: usize| {
        let mut req = Request::builder()
            .method("POST")
            .uri("/api/v1/auth/login")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({"email": "admin@example.com", "password": format!("guess-{n}")}).to_string(),
            ))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(
            "203.0.113.9:5000".parse::<SocketAddr>().unwrap(),
        ));
        req
    };
    for n in 0..3 {
        assert_eq!(app.send(guess(n)).await.status, StatusCode::UNAUTHORIZED);
    }
    assert_limited(&app.send(guess(3)).await);
}

#[tokio::test]
async fn a_user_gets_their_budget_whatever_the_address_and_others_keep_theirs() {
    let app = limited(0, 5, 0).await;
    let casey = app.demo("customer").await;
    let admin = app.demo("admin").await;
    for _ in 0..5 {
        assert_eq!(
            app.get("/api/v1/bookings", &casey).await.status,
            StatusCode::OK
        );
    }
    assert_limited(&app.get("/api/v1/service-types", &casey).await);
    assert_eq!(
        app.get("/api/v1/bookings", &admin).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn bookings_have_a_budget_of_their_own_within_the_users() {
    let app = limited(0, 100, 2).await;
    let casey = app.demo("customer").await;
    for _ in 0..2 {
        assert_eq!(app.book(&casey).await["status"], json!("pending"));
    }
    let third = app
        .call(
            "POST",
            "/api/v1/bookings",
            Some(&casey),
            Some(common::booking_body()),
        )
        .await;
    assert_limited(&third);
    // Reading goes on; another customer books.
    assert_eq!(
        app.get("/api/v1/bookings", &casey).await.status,
        StatusCode::OK
    );
    let other = app.customer("olive").await;
    assert_eq!(app.book(&other).await["status"], json!("pending"));
}

#[tokio::test]
async fn without_limits_set_nothing_is_limited() {
    let app = TestApp::new().await;
    let casey = app.demo("customer").await;
    for _ in 0..50 {
        assert_eq!(
            app.get("/api/v1/bookings", &casey).await.status,
            StatusCode::OK
        );
    }
}

/// The real binary: its flags set the budgets, and anonymous requests are counted by the
/// connection's peer address.
#[tokio::test]
async fn the_binary_limits_by_its_settings_over_real_connections() {
    let sys = process::start(&[
        ("RATE_LIMIT_ANONYMOUS_PER_MIN", "4"),
        ("RATE_LIMIT_BOOKINGS_PER_MIN", "1"),
    ])
    .await;
    let me = sys.at("/api/v1/auth/me");
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(sys.client.get(&me).send().await.unwrap().status().as_u16());
    }
    // The sign-in below is anonymous too: the budget was 4, all spent.
    assert_eq!(statuses, [401, 401, 401, 401, 429]);
    let res = sys.client.get(&me).send().await.unwrap();
    assert!(res.headers().contains_key("retry-after"));
    // Another address (the loopback's 127.0.0.2) still has its own.
    let elsewhere = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = elsewhere.get(&me).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);

    let sys = process::start(&[("RATE_LIMIT_BOOKINGS_PER_MIN", "1")]).await;
    let token = sys.login("customer@example.com", "demo1234").await;
    sys.book(&token, "plumbing").await;
    let (status, body) = sys
        .call(
            reqwest::Method::POST,
            "/api/v1/bookings",
            &token,
            Some(json!({
                "customer_name": "Casey", "customer_phone": "555 010 0199",
                "customer_email": "casey@example.com", "service_type": "plumbing",
                "address": "9 Elm Street", "starts_at": sys.next_start(),
            })),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
}
