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
        ("PATCH", "/api/v1/auth/me"),
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
async fn a_user_changes_their_name_and_with_their_password_their_e_mail_and_a_provider_cannot() {
    let app = TestApp::new().await;
    let here = app.customer("pat").await;
    let elsewhere = app.login("pat@example.com", "secret-password").await;
    let patch =
        |body: serde_json::Value| app.call("PATCH", "/api/v1/auth/me", Some(&here), Some(body));

    let renamed = patch(json!({"name": "  Pat Quinn "})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.body);
    assert_eq!(renamed.body["name"], "Pat Quinn");
    assert_eq!(renamed.body["email"], "pat@example.com");
    let me = app.get("/api/v1/auth/me", &elsewhere).await;
    assert_eq!(
        me.body["name"], "Pat Quinn",
        "every session sees the new name"
    );

    // Refused, each with the field to fix, and nothing changed.
    for (body, field) in [
        (json!({"email": "quinn@example.com"}), "current_password"),
        (
            json!({"email": "quinn@example.com", "current_password": "not-it"}),
            "current_password",
        ),
        (
            json!({"email": "not an address", "current_password": "secret-password"}),
            "email",
        ),
        (json!({"name": " \t "}), "name"),
        // A password given is checked for its length even when nothing needs it.
        (
            json!({"name": "Pat", "current_password": ""}),
            "current_password",
        ),
        (
            json!({"name": "Pat", "current_password": "p".repeat(1025)}),
            "current_password",
        ),
        (json!({"name": "x".repeat(201)}), "name"),
    ] {
        let res = patch(body.clone()).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            res.body
        );
        assert!(
            res.body["error"]["details"]["fields"][field].is_string(),
            "{body}: {}",
            res.body
        );
    }
    let taken =
        patch(json!({"email": "Customer@example.com", "current_password": "secret-password"}))
            .await;
    assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.body);
    assert_eq!(taken.code(), "duplicate_email");
    let me = app.get("/api/v1/auth/me", &here).await;
    assert_eq!(
        (me.body["name"].as_str(), me.body["email"].as_str()),
        (Some("Pat Quinn"), Some("pat@example.com"))
    );

    // Their own address in another case is no change, and needs no password.
    let same = patch(json!({"email": "PAT@example.com"})).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
    assert_eq!(same.body["email"], "pat@example.com");

    let moved =
        patch(json!({"email": "Quinn@Example.com", "current_password": "secret-password"})).await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["email"], "quinn@example.com");
    let old = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "pat@example.com", "password": "secret-password"})),
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old address signs in no more"
    );
    app.login("quinn@example.com", "secret-password").await;
    assert_eq!(
        app.get("/api/v1/auth/me", &elsewhere).await.status,
        StatusCode::OK,
        "other sessions go on"
    );

    // A provider's name and e-mail are the provider record's: dispatch changes them.
    let priya = app.demo("priya").await;
    let res = app
        .call(
            "PATCH",
            "/api/v1/auth/me",
            Some(&priya),
            Some(json!({"name": "P"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(
        app.get("/api/v1/auth/me", &priya).await.body["name"],
        "Priya Patel"
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

/// Guessing the password through a change that needs it (a new e-mail, a new password)
/// counts toward the same limit as signing in: it is no way round it.
#[tokio::test]
async fn password_guesses_through_the_account_page_count_toward_the_sign_in_limit() {
    let app = TestApp::new().await;
    let pat = app.customer("pat").await;
    for i in 0..10 {
        let (path, method, body) = if i % 2 == 0 {
            (
                "/api/v1/auth/me",
                "PATCH",
                json!({"email": "quinn@example.com", "current_password": "guess"}),
            )
        } else {
            (
                "/api/v1/auth/password",
                "POST",
                json!({"current_password": "guess", "new_password": "a-new-password"}),
            )
        };
        let res = app.call(method, path, Some(&pat), Some(body)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    }
    let right = app
        .call(
            "PATCH",
            "/api/v1/auth/me",
            Some(&pat),
            Some(json!({"email": "quinn@example.com", "current_password": "secret-password"})),
        )
        .await;
    assert_eq!(
        (right.status, right.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        "even the right password waits out the lock"
    );
    let me = app.get("/api/v1/auth/me", &pat).await;
    assert_eq!(me.body["email"], "pat@example.com");
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

#[tokio::test]
async fn a_change_another_site_s_page_starts_is_refused_and_one_from_the_app_goes_on() {
    let app = TestApp::new().await;
    let login = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "admin@example.com", "password": "demo1234"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    let cookie = login.headers[header::SET_COOKIE].to_str().unwrap();
    let session = cookie.split(';').next().unwrap().to_owned();
    let with_cookie = |method: &str, uri: &str, headers: &[(&str, &str)]| {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, &session)
            .header(header::HOST, "127.0.0.1:5000");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        // A form's body, which needs no preflight from another origin.
        req.header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from("x"))
            .unwrap()
    };
    let paused = async || {
        let queues = app
            .send(with_cookie("GET", "/api/v1/admin/queues", &[]))
            .await;
        assert_eq!(queues.status, StatusCode::OK, "{}", queues.body);
        queues.body.as_array().unwrap()[0]["paused"]
            .as_bool()
            .unwrap()
    };

    // Another port of the host is the same site: the browser sends the cookie.
    for headers in [
        &[
            ("sec-fetch-site", "same-site"),
            ("origin", "http://127.0.0.1:9999"),
        ][..],
        &[
            ("sec-fetch-site", "cross-site"),
            ("origin", "https://evil.example"),
        ][..],
        // A browser too old to say where a request comes from: its origin is not this host.
        &[("origin", "http://127.0.0.1:9999")][..],
    ] {
        for uri in [
            "/api/v1/admin/queues/assignment/pause",
            "/api/v1/auth/logout-all",
        ] {
            let res = app.send(with_cookie("POST", uri, headers)).await;
            assert_eq!(
                (res.status, res.code()),
                (StatusCode::FORBIDDEN, "cross_origin_request"),
                "{uri} {headers:?}: {}",
                res.body
            );
        }
    }
    assert!(!paused().await, "nothing paused");
    let me = app.send(with_cookie("GET", "/api/v1/auth/me", &[])).await;
    assert_eq!(me.status, StatusCode::OK, "still signed in");

    // The app's own page, an old browser on this host, and a client that is no browser.
    for headers in [
        &[
            ("sec-fetch-site", "same-origin"),
            ("origin", "http://127.0.0.1:5000"),
        ][..],
        &[("origin", "http://127.0.0.1:5000")][..],
        &[][..],
    ] {
        let res = app
            .send(with_cookie(
                "POST",
                "/api/v1/admin/queues/assignment/pause",
                headers,
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{headers:?}: {}", res.body);
        assert!(paused().await);
        let res = app
            .send(with_cookie(
                "POST",
                "/api/v1/admin/queues/assignment/resume",
                headers,
            ))
            .await;
        assert_eq!(res.status, StatusCode::OK, "{headers:?}: {}", res.body);
    }
}

#[tokio::test]
async fn the_allowed_origin_may_make_every_kind_of_change_from_its_own_site() {
    let app = TestApp::with_settings(|s| {
        s.cors_origin = Some(header::HeaderValue::from_static("https://app.example.com"));
    })
    .await;
    let priya = app.demo("priya").await;
    let id = app.provider_id(&priya).await;
    let path = format!("/api/v1/providers/{id}/calendar");
    // The preflight a browser sends before each kind of write the API takes.
    for method in ["POST", "PUT", "PATCH"] {
        let res = app
            .send(
                Request::builder()
                    .method("OPTIONS")
                    .uri(&path)
                    .header(header::ORIGIN, "https://app.example.com")
                    .header(header::ACCESS_CONTROL_REQUEST_METHOD, method)
                    .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        let allowed = res.headers[header::ACCESS_CONTROL_ALLOW_METHODS]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(allowed.contains(method), "{method}: {allowed}");
    }
    // Then the write itself, from the allowed origin's site.
    let res = app
        .send(
            Request::builder()
                .method("PUT")
                .uri(&path)
                .header(header::AUTHORIZATION, format!("Bearer {priya}"))
                .header(header::ORIGIN, "https://app.example.com")
                .header("sec-fetch-site", "cross-site")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(r#"{"time_zone": "Europe/Berlin"}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}
