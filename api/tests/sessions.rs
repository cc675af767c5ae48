//! Sessions that end: a token stops working at once after logout, "sign out everywhere",
//! a password change, a password reset and when an admin disables the account; and
//! sessions lapse after their idle and absolute limits.

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::TestApp;

async fn me(app: &TestApp, token: &str) -> StatusCode {
    app.get("/api/v1/auth/me", token).await.status
}

/// An admin's new reset link for account `id`: its token (the part after `#token=`).
async fn reset_link(app: &TestApp, admin: &str, id: i64) -> String {
    let link = app
        .call(
            "POST",
            &format!("/api/v1/admin/users/{id}/reset-link"),
            Some(admin),
            None,
        )
        .await;
    assert_eq!(link.status, StatusCode::CREATED, "{}", link.body);
    let url = link.body["url"].as_str().unwrap();
    assert!(url.contains("/reset-password#token="), "{url}");
    url.split("#token=").nth(1).unwrap().to_owned()
}

#[tokio::test]
async fn logout_ends_this_session_at_once_and_only_this_one() {
    let app = TestApp::new().await;
    let here = app.demo("customer").await;
    let elsewhere = app.demo("customer").await;
    assert_eq!(me(&app, &here).await, StatusCode::OK);

    let res = app
        .call("POST", "/api/v1/auth/logout", Some(&here), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let cookie = res.headers[axum::http::header::SET_COOKIE]
        .to_str()
        .unwrap();
    assert!(cookie.starts_with("session=;"), "{cookie}");

    // The token itself is dead, wherever a copy of it is used.
    assert_eq!(me(&app, &here).await, StatusCode::UNAUTHORIZED);
    let list = app.get("/api/v1/bookings", &here).await;
    assert_eq!(list.status, StatusCode::UNAUTHORIZED);
    assert_eq!(list.code(), "unauthenticated");
    assert_eq!(me(&app, &elsewhere).await, StatusCode::OK);
    // Signing out twice, or without a session, is no error.
    let again = app
        .call("POST", "/api/v1/auth/logout", Some(&here), None)
        .await;
    assert_eq!(again.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_of_the_account_and_no_one_else_s() {
    let app = TestApp::new().await;
    let phone = app.demo("customer").await;
    let laptop = app.demo("customer").await;
    let someone_else = app.demo("admin").await;

    let res = app
        .call("POST", "/api/v1/auth/logout-all", Some(&laptop), None)
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(me(&app, &phone).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &laptop).await, StatusCode::UNAUTHORIZED);
    assert_eq!(me(&app, &someone_else).await, StatusCode::OK);
    // A new sign-in works again.
    let fresh = app.demo("customer").await;
    assert_eq!(me(&app, &fresh).await, StatusCode::OK);
}

#[tokio::test]
async fn a_password_change_needs_the_current_one_and_ends_the_other_sessions() {
    let app = TestApp::new().await;
    let here = app.customer("pat").await;
    let elsewhere = app.login("pat@example.com", "secret-password").await;

    let wrong = app
        .call(
            "POST",
            "/api/v1/auth/password",
            Some(&here),
            Some(json!({"current_password": "not-it", "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!(
        wrong.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        wrong.body
    );
    assert!(wrong.body["error"]["details"]["fields"]["current_password"].is_string());
    let short = app
        .call(
            "POST",
            "/api/v1/auth/password",
            Some(&here),
            Some(json!({"current_password": "secret-password", "new_password": "short"})),
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body["error"]["details"]["fields"]["new_password"].is_string());
    // Neither failure changed anything.
    assert_eq!(me(&app, &elsewhere).await, StatusCode::OK);

    let res = app
        .call(
            "POST",
            "/api/v1/auth/password",
            Some(&here),
            Some(json!({"current_password": "secret-password", "new_password": "a-new-password"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(
        me(&app, &here).await,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(me(&app, &elsewhere).await, StatusCode::UNAUTHORIZED);
    let old = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "pat@example.com", "password": "secret-password"})),
        )
        .await;
    assert_eq!(old.status, StatusCode::UNAUTHORIZED);
    app.login("pat@example.com", "a-new-password").await;
}

#[tokio::test]
async fn a_disabled_account_is_signed_out_at_once_and_cannot_sign_in_until_enabled() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.customer("quinn").await;
    let id = app.get("/api/v1/auth/me", &customer).await.body["id"]
        .as_i64()
        .unwrap();

    let listed = app.get("/api/v1/admin/users?q=QUINN", &admin).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", listed.body);
    assert_eq!(items[0]["id"], id);
    assert_eq!(items[0]["disabled"], false);
    assert_eq!(items[0]["live_sessions"], 1);
    // The search takes `%`, `_` and `\` as themselves, not as LIKE's wildcards.
    app.customer("rae_lee").await;
    for (q, found) in [("%25", 0), ("_", 1), ("e_l", 1), ("e%25l", 0), ("%5C", 0)] {
        let listed = app.get(&format!("/api/v1/admin/users?q={q}"), &admin).await;
        assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
        let names: Vec<&str> = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["email"].as_str().unwrap())
            .collect();
        assert_eq!(names.len(), found, "q={q}: {names:?}");
    }

    // Nobody but an admin may list or disable accounts.
    assert_eq!(
        app.get("/api/v1/admin/users", &customer).await.status,
        StatusCode::FORBIDDEN
    );
    let provider = app.demo("priya").await;
    let by_provider = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(&provider),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(by_provider.status, StatusCode::FORBIDDEN);
    assert_eq!(me(&app, &customer).await, StatusCode::OK);

    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["disabled"], true);
    assert_eq!(res.body["live_sessions"], 0);
    assert_eq!(me(&app, &customer).await, StatusCode::UNAUTHORIZED);
    let refused = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "quinn@example.com", "password": "secret-password"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert_eq!(refused.code(), "account_disabled");
    // A wrong password still says only that it is wrong.
    let wrong = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "quinn@example.com", "password": "wrong-password"})),
        )
        .await;
    assert_eq!(wrong.code(), "invalid_credentials");

    let enabled = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(&admin),
            Some(json!({"disabled": false})),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert_eq!(enabled.body["disabled"], false);
    assert_eq!(enabled.body["disabled_at"], serde_json::Value::Null);
    // Enabling revives no old session; signing in works again.
    assert_eq!(me(&app, &customer).await, StatusCode::UNAUTHORIZED);
    let back = app.login("quinn@example.com", "secret-password").await;
    assert_eq!(me(&app, &back).await, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves_and_unknown_accounts_are_404() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let id = app.get("/api/v1/auth/me", &admin).await.body["id"]
        .as_i64()
        .unwrap();
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/admin/users/{id}"),
            Some(&admin),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.body);
    assert_eq!(res.code(), "cannot_disable_self");
    assert_eq!(me(&app, &admin).await, StatusCode::OK);
    for (method, path) in [
        ("PATCH", "/api/v1/admin/users/999999"),
        ("POST", "/api/v1/admin/users/999999/reset-link"),
    ] {
        let res = app
            .call(method, path, Some(&admin), Some(json!({"disabled": true})))
            .await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{method} {path}: {}",
            res.body
        );
    }
}

#[tokio::test]
async fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let clock = db::ManualClock::new(chrono::Utc::now());
    let app = TestApp::with_clock(std::sync::Arc::new(clock.clone())).await;
    let admin = app.demo("admin").await;
    let forgetful = app.customer("rory").await;
    let id = app.get("/api/v1/auth/me", &forgetful).await.body["id"]
        .as_i64()
        .unwrap();

    // Only admins issue links.
    let by_customer = app
        .call(
            "POST",
            &format!("/api/v1/admin/users/{id}/reset-link"),
            Some(&forgetful),
            None,
        )
        .await;
    assert_eq!(by_customer.status, StatusCode::FORBIDDEN);

    let token = reset_link(&app, &admin, id).await;

    let reset = |token: String, password: &'static str| {
        app.call(
            "POST",
            "/api/v1/auth/reset",
            None,
            Some(json!({"token": token, "new_password": password})),
        )
    };
    let unknown = reset("not-a-token".into(), "brand-new-password").await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.body["error"]["details"]["fields"]["token"].is_string());
    let short = reset(token.clone(), "short").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(short.body["error"]["details"]["fields"]["new_password"].is_string());

    let done = reset(token.clone(), "brand-new-password").await;
    assert_eq!(done.status, StatusCode::NO_CONTENT, "{}", done.body);
    assert_eq!(me(&app, &forgetful).await, StatusCode::UNAUTHORIZED);
    app.login("rory@example.com", "brand-new-password").await;
    let twice = reset(token, "another-password").await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY, "single use");

    // A link lapses after an hour.
    let late_token = reset_link(&app, &admin, id).await;
    clock.advance(chrono::Duration::minutes(61));
    let expired = reset(late_token, "too-late-password").await;
    assert_eq!(
        expired.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        expired.body
    );
    app.login("rory@example.com", "brand-new-password").await;
}

#[tokio::test]
async fn a_reset_link_is_undone_by_a_newer_one_and_by_a_new_password_and_each_is_audited() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let quinn = app.customer("quinn").await;
    let id = app.get("/api/v1/auth/me", &quinn).await.body["id"]
        .as_i64()
        .unwrap();
    let issue = async || reset_link(&app, &admin, id).await;
    let reset = async |token: &str, password: &str| {
        app.call(
            "POST",
            "/api/v1/auth/reset",
            None,
            Some(json!({"token": token, "new_password": password})),
        )
        .await
        .status
    };

    // A second link undoes the first: one sent to the wrong place is taken back.
    let first = issue().await;
    let second = issue().await;
    assert_eq!(
        reset(&first, "first-new-password").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        reset(&second, "second-new-password").await,
        StatusCode::NO_CONTENT
    );

    // A password changed after a link was issued undoes it.
    let third = issue().await;
    let quinn = app.login("quinn@example.com", "second-new-password").await;
    let changed = app
        .call(
            "POST",
            "/api/v1/auth/password",
            Some(&quinn),
            Some(json!({"current_password": "second-new-password", "new_password": "own-new-password"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::NO_CONTENT, "{}", changed.body);
    assert_eq!(
        reset(&third, "taken-back-password").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    app.login("quinn@example.com", "own-new-password").await;

    // Whoever issued a link is in the audit log.
    let audit = app
        .get("/api/v1/admin/audit?action=issue_reset_link", &admin)
        .await
        .body;
    let items = audit["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{audit}");
    for item in items {
        assert_eq!(item["subject"], format!("user {id}"));
        assert_eq!(item["count"], 1);
    }
}

#[tokio::test]
async fn a_session_lapses_when_idle_too_long_and_at_its_absolute_limit() {
    let clock = db::ManualClock::new(chrono::Utc::now());
    let app = TestApp::with_clock(std::sync::Arc::new(clock.clone())).await;
    // TestApp's sessions: twelve hours at most, four idle. First the absolute limit: a
    // session used every 3 h 55 min never idles out, but ends at twelve hours.
    let busy = app.demo("customer").await;
    for _ in 0..3 {
        clock.advance(chrono::Duration::minutes(235));
        assert_eq!(me(&app, &busy).await, StatusCode::OK);
    }
    clock.advance(chrono::Duration::minutes(20));
    assert_eq!(me(&app, &busy).await, StatusCode::UNAUTHORIZED);

    // The idle limit, with keys whose sessions idle out after ten minutes.
    let user = app.user("customer@example.com").await;
    let rules = shared::account::SessionRules {
        absolute: chrono::Duration::hours(12),
        idle: chrono::Duration::minutes(10),
    };
    let session = app
        .state
        .accounts
        .start_session(user.id, "idle-secret", rules)
        .await
        .unwrap();
    let token = app
        .state
        .tokens
        .issue(&user, "idle-secret", session.expires_at)
        .unwrap();
    let idle = rules.idle;
    let live = |at_most_idle| {
        let accounts = app.state.accounts.clone();
        async move {
            accounts
                .session_user("idle-secret", at_most_idle)
                .await
                .unwrap()
                .is_some()
        }
    };
    clock.advance(chrono::Duration::minutes(9));
    assert!(live(idle).await, "nine minutes idle");
    // That request marked it seen: another nine minutes are fine.
    clock.advance(chrono::Duration::minutes(9));
    assert!(live(idle).await, "seen nine minutes ago");
    clock.advance(chrono::Duration::minutes(11));
    assert!(!live(idle).await, "eleven minutes idle");
    // The app's own limit (four hours) is not reached: the token still works there.
    assert_eq!(me(&app, &token).await, StatusCode::OK);

    // The shortest idle limit, a minute: a session used every 15 s is marked seen often
    // enough to go on (it was marked once a minute, and so lapsed at its first minute).
    let minute = chrono::Duration::minutes(1);
    for _ in 0..8 {
        clock.advance(chrono::Duration::seconds(15));
        assert!(live(minute).await, "used 15 s ago");
    }
    clock.advance(chrono::Duration::seconds(61));
    assert!(!live(minute).await, "a minute and a second idle");
}

/// An open event stream ends as soon as its session does (here, signing out everywhere
/// from another device), not at the token's expiry hours later.
#[tokio::test]
async fn an_open_event_stream_ends_when_its_session_is_ended() {
    let app = TestApp::new().await;
    let watching = app.demo("customer").await;
    let other_device = app.demo("customer").await;
    let body = app.open_events(&watching).await;

    let started = std::time::Instant::now();
    let out = app
        .call("POST", "/api/v1/auth/logout-all", Some(&other_device), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let text = common::read_to_end(body, std::time::Duration::from_secs(5)).await;
    assert!(text.contains("event: expired"), "{text}");
    // At once: well before the ten-second check that catches other processes' ends.
    assert!(started.elapsed() < std::time::Duration::from_secs(3));
}

/// A session ended elsewhere (another API process, here another handle on the store that
/// this process's streams do not hear from) ends the streams opened with it at the hub's
/// next check of every open stream's session, and no other stream.
#[tokio::test]
async fn an_open_event_stream_ends_when_another_process_ends_its_session() {
    let app = TestApp::new().await;
    let watching = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let body = app.open_events(&watching).await;
    let mut other = app.open_events(&admin).await;

    let customer = app.user("customer@example.com").await;
    let elsewhere = shared::Accounts::new(app.state.db.clone());
    let started = std::time::Instant::now();
    let ended = elsewhere
        .end_user_sessions(customer.id, None, shared::account::SessionEnd::LogoutAll)
        .await
        .unwrap();
    assert_eq!(ended, 1);
    let text = common::read_to_end(body, std::time::Duration::from_secs(12)).await;
    assert!(text.contains("event: expired"), "{text}");
    // Not at once (this process was not told): at the check, every ten seconds.
    assert!(started.elapsed() > std::time::Duration::from_millis(500));
    // The admin's stream goes on.
    let more =
        common::read_stream(&mut other, std::time::Duration::from_millis(300), |_| false).await;
    assert!(!more.contains("expired"), "{more}");
}

#[tokio::test]
async fn a_reset_link_starts_with_the_public_url_whatever_host_the_request_names() {
    use axum::body::Body;
    use axum::http::{Request, header};

    for (public_url, host, expected) in [
        (
            Some("https://bookings.example.com"),
            "evil.example",
            "https://bookings.example.com/reset-password#token=",
        ),
        // Unset: the host the request reached this process by.
        (
            None,
            "api.internal:5000",
            "http://api.internal:5000/reset-password#token=",
        ),
    ] {
        let app = TestApp::with_settings(|s| s.public_url = public_url.map(str::to_owned)).await;
        let admin = app.demo("admin").await;
        let req = Request::builder()
            .method("POST")
            .uri("/api/v1/admin/users/1/reset-link")
            .header(header::AUTHORIZATION, format!("Bearer {admin}"))
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        let res = app.send(req).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        let url = res.body["url"].as_str().unwrap();
        assert!(url.starts_with(expected), "{url}");
    }
}
