//! HTTP tests through the router: who may call what, the error envelope for every kind
//! of bad input, transitions, overrides, idempotency, providers and admin jobs.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use common::{TestApp, booking_body};

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
async fn a_customer_sees_and_changes_only_their_own_bookings() {
    let app = TestApp::new().await;
    let ann = app.customer("ann").await;
    let ben = app.customer("ben").await;
    let booking = app.book(&ann).await;
    let id = booking["id"].as_i64().unwrap();
    let path = format!("/api/v1/bookings/{id}");
    assert_eq!(app.get(&path, &ann).await.status, StatusCode::OK);
    let res = app.get(&path, &ben).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.code(), "not_found");
    assert_eq!(
        app.get(&format!("{path}/history"), &ben).await.status,
        StatusCode::NOT_FOUND
    );
    let cancel = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&ben),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(cancel.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/bookings", &ben).await.body["items"],
        json!([])
    );
    assert_eq!(
        app.get("/api/v1/bookings", &ann).await.body["items"][0]["id"],
        id
    );
    // A provider it is not assigned to cannot see it either.
    let priya = app.demo("priya").await;
    assert_eq!(app.get(&path, &priya).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn malformed_input_gets_the_documented_4xx_in_the_envelope_and_writes_nothing() {
    let app = TestApp::new().await;
    let token = app.demo("customer").await;
    let post = |body: Body, content_type: &'static str| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/bookings")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(body)
            .unwrap()
    };
    let json_body = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut b = booking_body();
        f(&mut b);
        Body::from(b.to_string())
    };
    // (what, request, expected status, expected code, the field named in details)
    type Case<'a> = (&'a str, Request<Body>, StatusCode, &'a str, Option<&'a str>);
    let cases: Vec<Case> = vec![
        (
            "malformed JSON",
            post(Body::from("{\"customer_name\": "), "application/json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        ),
        (
            "trailing garbage",
            post(
                Body::from(format!("{} x", booking_body())),
                "application/json",
            ),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        ),
        (
            "not an object",
            post(Body::from("[1,2]"), "application/json"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("body"),
        ),
        (
            "missing field",
            post(
                json_body(&|b| {
                    b.as_object_mut().unwrap().remove("address");
                }),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("address"),
        ),
        (
            "wrong type",
            post(
                json_body(&|b| b["customer_phone"] = json!(5550100)),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("customer_phone"),
        ),
        (
            "unknown field",
            post(
                json_body(&|b| b["priority"] = json!("high")),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("priority"),
        ),
        (
            "invalid e-mail",
            post(
                json_body(&|b| b["customer_email"] = json!("not-an-email")),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("customer_email"),
        ),
        (
            "invalid date",
            post(
                json_body(&|b| b["scheduled_date"] = json!("2026-02-30T10:00:00Z")),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("scheduled_date"),
        ),
        (
            "empty name",
            post(
                json_body(&|b| b["customer_name"] = json!("   ")),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("customer_name"),
        ),
        (
            "unknown service",
            post(
                json_body(&|b| b["service_type"] = json!("alchemy")),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("service_type"),
        ),
        (
            "3 MB body",
            post(Body::from(vec![b' '; 3 * 1024 * 1024]), "application/json"),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            None,
        ),
        (
            "form body",
            post(Body::from("a=b"), "application/x-www-form-urlencoded"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            None,
        ),
        (
            "empty body",
            post(Body::empty(), "application/json"),
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        ),
    ];
    for (what, req, status, code, field) in cases {
        let res = app.send(req).await;
        assert_eq!(res.status, status, "{what}: {}", res.body);
        assert_eq!(res.code(), code, "{what}");
        assert!(
            res.body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{what}"
        );
        if let Some(field) = field {
            assert!(
                res.body["error"]["details"]["fields"][field].is_string(),
                "{what}: {}",
                res.body
            );
        }
    }
    assert_eq!(
        app.booking_count().await,
        0,
        "a rejected request wrote nothing"
    );

    for (path, status, code) in [
        (
            "/api/v1/bookings/999999",
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/api/v1/bookings/abc",
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        ("/api/v1/bookings/-3", StatusCode::BAD_REQUEST, "invalid_id"),
        (
            "/api/v1/bookings/99999999999999999999999",
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            "/api/v1/bookings?status=lost",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/v1/bookings?limit=0",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/v1/bookings?limit=1000",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/v1/bookings?cursor=x",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/api/v1/bookings?colour=red",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        ("/api/v1/no-such-route", StatusCode::NOT_FOUND, "not_found"),
    ] {
        let res = app.get(path, &token).await;
        assert_eq!(
            (res.status, res.code()),
            (status, code),
            "{path}: {}",
            res.body
        );
    }
    let res = app
        .call("DELETE", "/api/v1/bookings", Some(&token), None)
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
    );
}

#[tokio::test]
async fn invalid_transitions_are_409_naming_them_and_a_cancelled_booking_cannot_be_cancelled_again()
{
    let app = TestApp::new().await;
    let token = app.demo("customer").await;
    let b = app.book(&token).await;
    let path = format!("/api/v1/bookings/{}/status", b["id"]);
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"status": "completed"})),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    assert_eq!(res.body["error"]["details"]["from"], "pending");
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"status": "cancelled", "reason": "plans changed"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["status"], "cancelled");
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"status": "cancelled"})),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "invalid_transition")
    );
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"status": "vanished"})),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert!(res.body["error"]["details"]["fields"]["status"].is_string());
}

#[tokio::test]
async fn a_stale_expected_version_gets_409_version_conflict() {
    let app = TestApp::new().await;
    let token = app.demo("customer").await;
    let b = app.book(&token).await;
    let path = format!("/api/v1/bookings/{}/status", b["id"]);
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"status": "cancelled", "expected_version": 7})),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "version_conflict")
    );
    assert_eq!(res.body["error"]["details"]["current_version"], 1);
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&token),
            Some(json!({"status": "cancelled", "expected_version": 1})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["version"], 2);
}

#[tokio::test]
async fn an_override_without_a_reason_is_refused_and_with_one_is_applied_and_recorded() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let b = app.book(&customer).await;
    let path = format!("/api/v1/bookings/{}", b["id"]);
    let status = format!("{path}/status");
    let res = app
        .call(
            "PATCH",
            &status,
            Some(&admin),
            Some(json!({"status": "completed", "override": true})),
        )
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
    );
    assert!(res.body["error"]["details"]["fields"]["reason"].is_string());
    let res = app
        .call(
            "PATCH",
            &status,
            Some(&customer),
            Some(json!({"status": "completed", "override": true, "reason": "I did it myself"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let res = app
        .call(
            "PATCH",
            &status,
            Some(&admin),
            Some(json!({"status": "completed", "override": true, "reason": "done by phone"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["status"], "completed");
    let history = app.get(&format!("{path}/history"), &customer).await.body;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["changed_by_role"], "admin");
    assert_eq!(last["reason"], "done by phone");
    assert_eq!(last["is_override"], true);
    assert_eq!(last["old_status"], "pending");
    assert_eq!(last["new_status"], "completed");
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_booking_and_another_body_is_refused() {
    let app = TestApp::new().await;
    let token = app.demo("customer").await;
    let body = booking_body();
    let post = |key: &str, body: &serde_json::Value| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/bookings")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .header("idempotency-key", key)
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let first = app.send(post("order-1", &body)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = app.send(post("order-1", &body)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["id"], first.body["id"]);
    let mut other = body.clone();
    other["address"] = json!("2 Other Road");
    let res = app.send(post("order-1", &other)).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused")
    );
    assert_eq!(app.booking_count().await, 1);
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
async fn the_assigned_provider_works_the_booking_and_a_rejection_schedules_the_next_attempt() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let priya = app.demo("priya").await;
    let marco = app.demo("marco").await;
    let priya_id = app.provider_id(&priya).await;
    let b = app.book(&customer).await;
    let path = format!("/api/v1/bookings/{}", b["id"]);
    let res = app
        .call(
            "POST",
            &format!("{path}/assign"),
            Some(&admin),
            Some(json!({"provider_id": priya_id})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["provider_id"], priya_id);

    let detail = app.get(&path, &priya).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(
        detail.body["allowed_transitions"],
        json!(["accepted", "rejected"])
    );
    assert_eq!(app.get(&path, &marco).await.status, StatusCode::NOT_FOUND);
    let res = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&marco),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // The customer cannot accept on the provider's behalf.
    let res = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&customer),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let res = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&priya),
            Some(json!({"status": "rejected", "reason": "fully booked"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let detail = app.get(&path, &customer).await.body;
    assert_eq!(detail["status"], "rejected");
    assert_eq!(
        detail["provider_names"][priya_id.to_string()],
        "Priya Patel",
        "the customer can name who rejected"
    );
    assert_eq!(detail["assignment"]["state"], "retrying");
    assert_eq!(detail["assignment"]["attempt"], 2);
    assert_eq!(detail["attempts"][0]["outcome"], "rejected");
    assert_eq!(
        app.get(&path, &priya).await.status,
        StatusCode::NOT_FOUND,
        "she no longer holds it"
    );
}

#[tokio::test]
async fn providers_are_created_by_admins_with_logins_and_switch_their_own_availability() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let body = json!({"name": "Gus Gardener", "email": "gus@example.com", "service_types": ["gardening"], "password": "gus-password"});
    let res = app
        .call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(body.clone()),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let id = res.body["id"].as_i64().unwrap();
    assert_eq!(res.body["service_types"], json!(["gardening"]));
    let dup = app
        .call("POST", "/api/v1/providers", Some(&admin), Some(body))
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let bad = app
        .call(
            "POST",
            "/api/v1/providers",
            Some(&admin),
            Some(json!({"name": "X", "email": "x@example.com", "service_types": ["juggling"]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body["error"]["details"]["fields"]["service_types"].is_string());

    let gus = app.login("gus@example.com", "gus-password").await;
    let own = app.get("/api/v1/providers", &gus).await.body;
    assert_eq!(own.as_array().unwrap().len(), 1);
    let path = format!("/api/v1/providers/{id}");
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&gus),
            Some(json!({"available": false})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["available"], false);
    let res = app
        .call("PATCH", &path, Some(&gus), Some(json!({"rating": 5.0})))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let priya = app.demo("priya").await;
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({"available": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&admin),
            Some(json!({"service_types": ["gardening", "cleaning"], "rating": 4.5})),
        )
        .await;
    assert_eq!(res.body["service_types"], json!(["cleaning", "gardening"]));
    let all = app
        .get("/api/v1/providers?service_type=cleaning", &admin)
        .await
        .body;
    assert!(all.as_array().unwrap().iter().any(|p| p["id"] == id));
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
    assert_eq!(res.body["retried"], json!([]));
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

#[tokio::test]
async fn the_frontend_is_served_at_the_root_with_client_routes_falling_back_to_its_index() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>Bookings</title>",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    std::fs::write(dir.path().join("assets/app.js"), "console.log(1)").unwrap();
    let path = dir.path().to_path_buf();
    let app = TestApp::with_settings(|s| s.frontend_dir = Some(path)).await;
    for page in ["/", "/bookings/12", "/admin/jobs"] {
        let res = app.call("GET", page, None, None).await;
        assert_eq!(res.status, StatusCode::OK, "{page}");
        assert!(
            res.body
                .as_str()
                .unwrap()
                .contains("<title>Bookings</title>"),
            "{page}"
        );
    }
    let js = app.call("GET", "/assets/app.js", None, None).await;
    assert_eq!(js.body, json!("console.log(1)"));
    let missing = app.call("GET", "/assets/missing.js", None, None).await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let res = app.call("GET", "/api/v1/no-such-route", None, None).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn every_operation_in_the_openapi_document_is_served() {
    let app = TestApp::new().await;
    let doc: serde_json::Value = serde_json::from_str(api::routes::openapi::OPENAPI).unwrap();
    let served = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(served.body, doc);
    let mut operations = 0;
    for (path, methods) in doc["paths"].as_object().unwrap() {
        let path = format!("/api/v1{}", path.replace("{id}", "1"));
        for method in methods.as_object().unwrap().keys() {
            let res = app
                .call(&method.to_uppercase(), &path, None, Some(json!({})))
                .await;
            assert!(
                res.status != StatusCode::NOT_FOUND && res.status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path} is documented but not served: {}",
                res.status
            );
            operations += 1;
        }
    }
    assert_eq!(operations, 19);
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
}
