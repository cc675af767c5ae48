//! Operators through the router: an admin creates admins and read-only viewers; a viewer
//! reads everything the console shows and every action of theirs is refused (403) and
//! leaves no trace; the bookings list's service filter and total; reassigning a held
//! booking in one step; a provider's e-mail changed with their login's, and a provider
//! deactivated (what they held and had not started goes back to dispatch) and
//! reactivated.

mod common;

use axum::http::StatusCode;
use serde_json::{Value, json};

use common::TestApp;

/// An admin creates a viewer; returns the viewer's token.
async fn viewer(app: &TestApp, admin: &str) -> String {
    let res = app
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(admin),
            Some(json!({"name": "Vera Viewer", "email": "Vera@Example.com",
                "password": "look-only-123", "role": "viewer"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.body["role"], "viewer");
    assert_eq!(res.body["email"], "vera@example.com");
    assert_eq!(res.body["disabled"], false);
    app.login("vera@example.com", "look-only-123").await
}

/// An admin assigns booking `id` to `provider` by hand.
async fn assign(app: &TestApp, admin: &str, id: i64, provider: i64) -> crate::common::Response {
    app.call(
        "POST",
        &format!("/api/v1/bookings/{id}/assign"),
        Some(admin),
        Some(json!({"provider_id": provider})),
    )
    .await
}

async fn audit(app: &TestApp, admin: &str) -> Vec<Value> {
    app.get("/api/v1/admin/audit", admin).await.body["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn an_admin_creates_admins_and_viewers_and_nobody_else_may() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let token = viewer(&app, &admin).await;
    let me = app.get("/api/v1/auth/me", &token).await;
    assert_eq!(me.body["role"], "viewer");
    let vera = me.body["id"].as_i64().unwrap();

    let res = app
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(&admin),
            Some(json!({"name": "Ada Two", "email": "ada2@example.com",
                "password": "second-admin-1", "role": "admin"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let second = app.login("ada2@example.com", "second-admin-1").await;
    assert_eq!(
        app.get("/api/v1/admin/users", &second).await.status,
        StatusCode::OK
    );

    // The same e-mail twice, in any case, is a conflict; nothing is created.
    let again = app
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(&admin),
            Some(json!({"name": "Vera Again", "email": "VERA@example.com",
                "password": "look-only-123", "role": "viewer"})),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "duplicate_email")
    );
    // Customers sign up and providers come with their record: no other role is made here.
    for role in ["customer", "provider", "system", "root"] {
        let res = app
            .call(
                "POST",
                "/api/v1/admin/users",
                Some(&admin),
                Some(
                    json!({"name": "X", "email": format!("{role}-x@example.com"),
                    "password": "password-123", "role": role}),
                ),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{role}: {}",
            res.body
        );
    }
    // Field by field: each bad field is named.
    let res = app
        .call(
            "POST",
            "/api/v1/admin/users",
            Some(&admin),
            Some(
                json!({"name": " ", "email": "not-an-address", "password": "short",
                "role": "viewer"}),
            ),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    for field in ["name", "email", "password"] {
        assert!(
            res.body["error"]["details"]["fields"][field].is_string(),
            "{field}: {}",
            res.body
        );
    }
    // Nobody but an admin creates accounts: not the viewer, not a customer, not anonymous.
    let body = json!({"name": "Mallory", "email": "mallory@example.com",
        "password": "password-123", "role": "admin"});
    for token in [
        Some(token.as_str()),
        Some(&*app.demo("customer").await),
        None,
    ] {
        let res = app
            .call("POST", "/api/v1/admin/users", token, Some(body.clone()))
            .await;
        let expected = if token.is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(res.status, expected, "{}", res.body);
    }
    let res = app
        .call(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "mallory@example.com", "password": "password-123"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);

    // Each creation is in the audit log, by whom, with the new account's role.
    let rows = audit(&app, &admin).await;
    let created: Vec<&Value> = rows
        .iter()
        .filter(|r| r["action"] == "create_user")
        .collect();
    assert_eq!(created.len(), 2, "{rows:?}");
    assert_eq!(created[1]["subject"], format!("user {vera}"));
    assert_eq!(created[1]["detail"], "vera@example.com (viewer)");
    assert_eq!(created[1]["actor_name"], "Ada Admin");
}

#[tokio::test]
async fn a_viewer_sees_the_console_and_every_action_of_theirs_is_refused() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let booking = app.book(&customer).await;
    let id = booking["id"].as_i64().unwrap();
    let priya = app.provider_id(&app.demo("priya").await).await;
    let token = viewer(&app, &admin).await;
    let before = audit(&app, &admin).await.len();

    for path in [
        "/api/v1/admin/jobs".to_owned(),
        "/api/v1/admin/jobs/1".to_owned(),
        "/api/v1/admin/queues".to_owned(),
        "/api/v1/admin/audit".to_owned(),
        "/api/v1/admin/stats".to_owned(),
        "/api/v1/admin/analytics".to_owned(),
        "/api/v1/bookings".to_owned(),
        format!("/api/v1/bookings/{id}"),
        format!("/api/v1/bookings/{id}/history"),
        "/api/v1/providers".to_owned(),
        format!("/api/v1/providers/{priya}/calendar"),
        format!("/api/v1/providers/{priya}/reviews"),
        "/metrics".to_owned(),
    ] {
        let res = app.get(&path, &token).await;
        assert_eq!(res.status, StatusCode::OK, "GET {path}: {}", res.body);
    }
    // What an admin sees of a booking, the viewer sees too: every booking, the
    // attempts, the customer's contact details; but no move is theirs to make.
    let list = app.get("/api/v1/bookings", &token).await.body;
    assert_eq!(list["total"], 1);
    let detail = app
        .get(&format!("/api/v1/bookings/{id}"), &token)
        .await
        .body;
    assert_eq!(detail["customer_email"], booking["customer_email"]);
    assert_eq!(detail["allowed_transitions"], json!([]));
    // Account management is the admin's alone.
    assert_eq!(
        app.get("/api/v1/admin/users", &token).await.status,
        StatusCode::FORBIDDEN
    );

    let actions: Vec<(&str, String, Option<Value>)> = vec![
        (
            "POST",
            "/api/v1/admin/jobs/retry".into(),
            Some(json!({"all_dead": true})),
        ),
        (
            "POST",
            "/api/v1/admin/jobs/cancel".into(),
            Some(json!({"ids": [1]})),
        ),
        (
            "POST",
            "/api/v1/admin/jobs/run-now".into(),
            Some(json!({"ids": [1]})),
        ),
        ("POST", "/api/v1/admin/queues/assignment/pause".into(), None),
        (
            "POST",
            "/api/v1/admin/queues/assignment/resume".into(),
            None,
        ),
        (
            "POST",
            format!("/api/v1/bookings/{id}/assign"),
            Some(json!({"provider_id": priya})),
        ),
        (
            "PATCH",
            format!("/api/v1/bookings/{id}/status"),
            Some(json!({"status": "cancelled", "override": true, "reason": "look"})),
        ),
        (
            "PATCH",
            format!("/api/v1/bookings/{id}/status"),
            Some(json!({"status": "cancelled"})),
        ),
        (
            "PATCH",
            format!("/api/v1/bookings/{id}"),
            Some(json!({"starts_at": booking["starts_at"]})),
        ),
        (
            "POST",
            "/api/v1/bookings".into(),
            Some(common::booking_body()),
        ),
        (
            "PATCH",
            format!("/api/v1/providers/{priya}"),
            Some(json!({"available": false})),
        ),
        (
            "PATCH",
            format!("/api/v1/providers/{priya}"),
            Some(json!({"active": false})),
        ),
        (
            "POST",
            "/api/v1/providers".into(),
            Some(json!({"name": "P", "email": "p@example.com", "service_types": ["plumbing"]})),
        ),
        (
            "PUT",
            format!("/api/v1/providers/{priya}/calendar"),
            Some(json!({"time_zone": "UTC", "weekly": []})),
        ),
        (
            "PATCH",
            "/api/v1/service-types/plumbing".into(),
            Some(json!({"duration_minutes": 60})),
        ),
        (
            "PATCH",
            "/api/v1/admin/users/1".into(),
            Some(json!({"disabled": true})),
        ),
        ("POST", "/api/v1/admin/users/1/reset-link".into(), None),
        (
            "PATCH",
            format!("/api/v1/admin/reviews/{id}"),
            Some(json!({"hidden": true, "reason": "look"})),
        ),
    ];
    for (method, path, body) in actions {
        let res = app.call(method, &path, Some(&token), body).await;
        assert_eq!(
            res.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            res.body
        );
    }
    // Nothing the viewer tried was done, nor recorded.
    let after = app
        .get(&format!("/api/v1/bookings/{id}"), &admin)
        .await
        .body;
    assert_eq!(after["status"], "pending");
    assert_eq!(after["version"], booking["version"]);
    assert_eq!(app.booking_count().await, 1);
    let queues = app.get("/api/v1/admin/queues", &admin).await.body;
    assert_eq!(queues[0]["paused"], false);
    let providers = app.get("/api/v1/providers", &admin).await.body;
    let p = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == priya)
        .unwrap();
    assert_eq!(
        (p["available"].clone(), p["active"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(audit(&app, &admin).await.len(), before);
    // The admin's own account still works.
    assert_eq!(
        app.get("/api/v1/auth/me", &admin).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_bookings_list_filters_by_service_and_counts_what_matches_for_operators() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    for service in ["plumbing", "plumbing", "cleaning"] {
        let mut body = common::booking_body();
        body["service_type"] = json!(service);
        let res = app
            .call("POST", "/api/v1/bookings", Some(&customer), Some(body))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    }
    let page = app
        .get("/api/v1/bookings?service_type=plumbing&limit=1", &admin)
        .await
        .body;
    assert_eq!(page["total"], 2, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["service_type"], "plumbing");
    // The total is every page's, whatever the cursor.
    let cursor = page["next_cursor"].as_str().unwrap();
    let next = app
        .get(
            &format!("/api/v1/bookings?service_type=plumbing&limit=1&cursor={cursor}"),
            &admin,
        )
        .await
        .body;
    assert_eq!(next["total"], 2);
    assert_eq!(next["items"][0]["service_type"], "plumbing");
    assert_eq!(next["next_cursor"], Value::Null);
    let cleaning = app
        .get("/api/v1/bookings?service_type=cleaning", &admin)
        .await
        .body;
    assert_eq!(cleaning["total"], 1);
    let none = app
        .get("/api/v1/bookings?service_type=gardening", &admin)
        .await
        .body;
    assert_eq!(
        (none["total"].clone(), none["items"].clone()),
        (json!(0), json!([]))
    );
    assert_eq!(app.get("/api/v1/bookings", &admin).await.body["total"], 3);
    // A customer's list is theirs alone and carries no count.
    let own = app
        .get("/api/v1/bookings?service_type=cleaning", &customer)
        .await
        .body;
    assert_eq!(own["items"].as_array().unwrap().len(), 1);
    assert_eq!(own["total"], Value::Null);
    let res = app
        .get(
            &format!("/api/v1/bookings?service_type={}", "x".repeat(101)),
            &admin,
        )
        .await;
    assert_eq!(
        (
            res.status,
            res.body["error"]["details"]["parameter"].as_str()
        ),
        (StatusCode::BAD_REQUEST, Some("service_type")),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn an_admin_reassigns_a_held_booking_in_one_step() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya_token = app.demo("priya").await;
    let priya = app.provider_id(&priya_token).await;
    let marco = app.provider_id(&app.demo("marco").await).await;
    let id = app.book(&customer).await["id"].as_i64().unwrap();

    let res = assign(&app, &admin, id, priya).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // The same provider again is no reassignment.
    let res = assign(&app, &admin, id, priya).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "already_assigned")
    );
    // Priya accepts; the admin gives it to Marco all the same, in one request.
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{id}/status"),
            Some(&priya_token),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = app
        .call(
            "POST",
            &format!("/api/v1/bookings/{id}/assign"),
            Some(&admin),
            Some(json!({"provider_id": marco, "reason": "Priya is ill"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["status"], "assigned");
    assert_eq!(res.body["provider_id"], marco);
    let detail = app
        .get(&format!("/api/v1/bookings/{id}"), &admin)
        .await
        .body;
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["old_status"], "accepted");
    assert_eq!(last["new_status"], "assigned");
    assert_eq!(
        last["reason"],
        format!("reassigned from Priya Patel (provider {priya}): Priya is ill")
    );
    // Priya no longer holds it: it is gone from her list, and her load is back to 0.
    let hers = app.get("/api/v1/bookings", &priya_token).await.body;
    assert_eq!(hers["items"], json!([]));
    let providers = app.get("/api/v1/providers", &admin).await.body;
    let load = |who: i64| {
        providers
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == who)
            .unwrap()["active_bookings"]
            .clone()
    };
    assert_eq!((load(priya), load(marco)), (json!(0), json!(1)));
    let rows = audit(&app, &admin).await;
    assert_eq!(rows[0]["action"], "assign_booking");
    assert_eq!(
        rows[0]["detail"],
        format!("to provider {marco}, from provider {priya}: Priya is ill")
    );
    // Work under way is not taken away.
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{id}/status"),
            Some(&admin),
            Some(json!({"status": "in_progress", "override": true, "reason": "started"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = assign(&app, &admin, id, priya).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "invalid_transition"),
        "{}",
        res.body
    );
}

#[tokio::test]
async fn a_deactivated_provider_gives_back_what_they_had_not_started_and_gets_no_work() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya_token = app.demo("priya").await;
    let priya = app.provider_id(&priya_token).await;
    let held = app.book(&customer).await["id"].as_i64().unwrap();
    assert_eq!(
        assign(&app, &admin, held, priya).await.status,
        StatusCode::OK
    );

    // A provider cannot deactivate themselves, nor change their e-mail.
    for body in [json!({"active": false}), json!({"email": "p@example.com"})] {
        let res = app
            .call(
                "PATCH",
                &format!("/api/v1/providers/{priya}"),
                Some(&priya_token),
                Some(body),
            )
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    }

    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/providers/{priya}"),
            Some(&admin),
            Some(json!({"active": false})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["active"], false);
    assert!(res.body["deactivated_at"].is_string());
    assert_eq!(res.body["active_bookings"], 0);
    assert_eq!(res.body["name"], "Priya Patel");

    // The booking she held is back with dispatch, in a new cycle, saying why.
    let detail = app
        .get(&format!("/api/v1/bookings/{held}"), &admin)
        .await
        .body;
    assert_eq!(detail["status"], "pending");
    assert_eq!(detail["provider_id"], Value::Null);
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        last["reason"],
        format!("provider {priya} was deactivated: back to dispatch")
    );
    assert_eq!(last["old_status"], "assigned");
    let jobs = app
        .get(
            &format!("/api/v1/admin/jobs?booking_id={held}&state=scheduled"),
            &admin,
        )
        .await
        .body;
    assert_eq!(jobs["total"], 1, "{jobs}");
    // She is offered nothing and cannot be assigned by hand.
    let res = assign(&app, &admin, held, priya).await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::CONFLICT, "provider_inactive")
    );
    let rows = audit(&app, &admin).await;
    assert_eq!(rows[0]["action"], "update_provider");
    assert_eq!(
        rows[0]["detail"],
        format!("deactivated; back to dispatch: booking {held}")
    );
    // Her login still works (an admin disables accounts apart); her list is empty.
    assert_eq!(
        app.get("/api/v1/bookings", &priya_token).await.body["items"],
        json!([])
    );

    // Reactivated, she can be assigned again.
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/providers/{priya}"),
            Some(&admin),
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(
        (
            res.body["active"].clone(),
            res.body["deactivated_at"].clone()
        ),
        (json!(true), Value::Null)
    );
    assert_eq!(
        assign(&app, &admin, held, priya).await.status,
        StatusCode::OK
    );
    assert_eq!(audit(&app, &admin).await[1]["detail"], "reactivated");
}

#[tokio::test]
async fn an_admin_changes_a_provider_s_e_mail_and_their_login_s_with_it() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let priya = app.provider_id(&app.demo("priya").await).await;
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/providers/{priya}"),
            Some(&admin),
            Some(json!({"email": "Priya.New@Example.com", "name": "Priya P.", "phone": "+1 555 010 0123"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["email"], "priya.new@example.com");
    assert_eq!(res.body["name"], "Priya P.");
    assert_eq!(res.body["phone"], "+1 555 010 0123");
    let token = app.login("priya.new@example.com", "demo1234").await;
    assert_eq!(app.provider_id(&token).await, priya);
    // Another's address is taken, whether a provider's or an account's; nothing changes.
    for taken in ["marco@example.com", "admin@example.com"] {
        let res = app
            .call(
                "PATCH",
                &format!("/api/v1/providers/{priya}"),
                Some(&admin),
                Some(json!({"email": taken, "name": "Not Saved"})),
            )
            .await;
        assert_eq!(
            (res.status, res.code()),
            (StatusCode::CONFLICT, "duplicate_email"),
            "{taken}: {}",
            res.body
        );
    }
    let providers = app.get("/api/v1/providers", &admin).await.body;
    let p = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == priya)
        .unwrap()
        .clone();
    assert_eq!(
        (p["email"].clone(), p["name"].clone()),
        (json!("priya.new@example.com"), json!("Priya P."))
    );
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/providers/{priya}"),
            Some(&admin),
            Some(json!({"email": "nope"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body["error"]["details"]["fields"]["email"].is_string());
}
