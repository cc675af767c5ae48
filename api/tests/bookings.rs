//! Bookings through the router: who sees and changes what, the error envelope for every
//! kind of bad input, transitions, versions, overrides, idempotency, and the provider's work.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use common::{TestApp, booking_body};

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
                json_body(&|b| b["starts_at"] = json!("2026-02-30T10:00:00Z")),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("starts_at"),
        ),
        (
            "invalid date under the old name",
            post(
                json_body(&|b| {
                    b["scheduled_date"] = b["starts_at"].take();
                    b["scheduled_date"] = json!("2026-02-30T10:00:00Z");
                }),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("scheduled_date"),
        ),
        (
            "no start",
            post(
                json_body(&|b| {
                    b.as_object_mut().unwrap().remove("starts_at");
                }),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("starts_at"),
        ),
        (
            "off the grid",
            post(
                json_body(&|b| {
                    let t: chrono::DateTime<chrono::Utc> =
                        b["starts_at"].as_str().unwrap().parse().unwrap();
                    b["starts_at"] = json!((t + chrono::Duration::minutes(10)).to_rfc3339());
                }),
                "application/json",
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some("starts_at"),
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
            // Refused from the header, before a body that may never come is waited for.
            "3 MB declared",
            {
                let mut req = post(Body::from(booking_body().to_string()), "application/json");
                req.headers_mut()
                    .insert(header::CONTENT_LENGTH, (3 * 1024 * 1024).into());
                req
            },
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
        // PostgreSQL refuses a NUL in a parameter: refused here first, not a 500.
        (
            "/api/v1/bookings?q=pipe%00",
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
    // A parameter the API does not know is ignored, as the OpenAPI document allows.
    let res = app.get("/api/v1/bookings?colour=red", &token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
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
    let history = app.get(&format!("{path}/history"), &admin).await.body;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["changed_by_role"], "admin");
    assert_eq!(last["changed_by_name"], "Ada Admin");
    assert_eq!(last["reason"], "done by phone");
    assert_eq!(last["is_override"], true);
    assert_eq!(last["old_status"], "pending");
    assert_eq!(last["new_status"], "completed");
    // The customer sees the change, by "Home services": not the admin's name or reason.
    let theirs = app.get(&format!("{path}/history"), &customer).await.body;
    let last = theirs.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (
            &last["new_status"],
            &last["changed_by_role"],
            &last["changed_by_name"]
        ),
        (
            &json!("completed"),
            &json!("admin"),
            &json!("Home services")
        )
    );
    assert_eq!(
        (&last["reason"], &last["changed_by"]),
        (&json!(null), &json!(null))
    );
}

/// `POST /bookings` of `body` as `token`, under the idempotency key `key`.
fn keyed_booking(token: &str, key: &str, body: &serde_json::Value) -> Request<Body> {
    Request::builder()
        .method("POST")
        .uri("/api/v1/bookings")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .unwrap()
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_booking_and_another_body_is_refused() {
    let app = TestApp::new().await;
    let token = app.demo("customer").await;
    let body = booking_body();
    let post = |key: &str, body: &serde_json::Value| keyed_booking(&token, key, body);
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

/// A retry after a timeout may come when the start is no longer bookable as new (inside
/// the lead time): it still gets the booking the first try made.
#[tokio::test]
async fn a_replay_gets_the_first_answer_even_when_the_clock_has_moved_past_the_lead_time() {
    let clock = db::ManualClock::new(chrono::Utc::now());
    let app = TestApp::with_clock(std::sync::Arc::new(clock.clone())).await;
    let token = app.demo("customer").await;
    let start = testkit::grid_start(chrono::Duration::minutes(61));
    let mut body = booking_body();
    body["starts_at"] = json!(start.to_rfc3339());
    let post = |key: &str| keyed_booking(&token, key, &body);
    let first = app.send(post("retry-me")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    // Half an hour before the start: inside the hour's lead time.
    clock.advance(start - chrono::Utc::now() - chrono::Duration::minutes(30));
    let fresh = app.send(post("another-key")).await;
    assert_eq!(
        fresh.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        fresh.body
    );
    let again = app.send(post("retry-me")).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(app.booking_count().await, 1);
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
    // The customer follows the assignment, but not who turned the job down or why.
    assert_eq!(detail["assignment"]["state"], "retrying");
    assert_eq!(detail["assignment"]["attempt"], 2);
    assert_eq!(
        detail["assignment"]["last_error"], "the provider declined the booking",
        "the job's own error names the provider and quotes the reason"
    );
    assert_eq!(detail["attempts"], json!([]));
    assert_eq!(detail["provider_names"][priya_id.to_string()], json!(null));
    let rejection = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (
            &rejection["new_status"],
            &rejection["changed_by_name"],
            &rejection["reason"]
        ),
        (&json!("rejected"), &json!("the provider"), &json!(null))
    );
    // The admin sees all of it.
    let admin = app.demo("admin").await;
    let full = app.get(&path, &admin).await.body;
    assert_eq!(full["attempts"][0]["outcome"], "rejected");
    assert_eq!(
        full["assignment"]["last_error"],
        format!("provider {priya_id} rejected the booking: fully booked")
    );
    assert_eq!(full["provider_names"][priya_id.to_string()], "Priya Patel");
    assert_eq!(
        full["history"].as_array().unwrap().last().unwrap()["reason"],
        "fully booked"
    );
    let hers = app.get(&path, &priya).await;
    assert_eq!(hers.status, StatusCode::OK, "her record keeps it");
    assert_eq!(
        hers.body["allowed_transitions"],
        json!([]),
        "she no longer holds it"
    );
    assert_eq!(hers.body["customer_phone"], "");
}

/// Completing takes a note on the work: kept in the trail for dispatch and the provider,
/// not shown to the customer (whose trail quotes only their own reasons).
#[tokio::test]
async fn a_provider_s_note_on_completing_is_kept_for_dispatch_and_not_shown_to_the_customer() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let priya = app.demo("priya").await;
    let priya_id = app.provider_id(&priya).await;
    let b = app.book(&customer).await;
    let path = format!("/api/v1/bookings/{}", b["id"]);
    let status = format!("{path}/status");
    let steps = [
        (
            &admin,
            format!("{path}/assign"),
            json!({"provider_id": priya_id}),
        ),
        (&priya, status.clone(), json!({"status": "accepted"})),
        // Work may start only an hour before the window: the admin records it started.
        (
            &admin,
            status.clone(),
            json!({"status": "in_progress", "override": true, "reason": "started early, by phone"}),
        ),
        (
            &priya,
            status.clone(),
            json!({"status": "completed", "reason": " Replaced the washer "}),
        ),
    ];
    for (token, to, body) in steps {
        let method = if to.ends_with("/assign") {
            "POST"
        } else {
            "PATCH"
        };
        let res = app.call(method, &to, Some(token), Some(body)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let done = |rows: Vec<(String, String, Option<String>)>| rows.last().unwrap().clone();
    assert_eq!(
        done(trail_as(&app, &path, &admin).await.0),
        row("completed", "Priya Patel", Some("Replaced the washer"))
    );
    assert_eq!(
        done(trail_as(&app, &path, &priya).await.0),
        row("completed", "Priya Patel", Some("Replaced the washer"))
    );
    assert_eq!(
        done(trail_as(&app, &path, &customer).await.0),
        row("completed", "the provider", None)
    );
}

/// (new status, who, reason) of each row of a booking's trail, as `token` sees it, and
/// the whole answer.
async fn trail_as(
    app: &TestApp,
    path: &str,
    token: &str,
) -> (Vec<(String, String, Option<String>)>, serde_json::Value) {
    let d = app.get(path, token).await.body;
    let rows = d["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["new_status"].as_str().unwrap().to_owned(),
                h["changed_by_name"].as_str().unwrap().to_owned(),
                h["reason"].as_str().map(str::to_owned),
            )
        })
        .collect();
    (rows, d)
}

fn row(status: &str, who: &str, why: Option<&str>) -> (String, String, Option<String>) {
    (status.to_owned(), who.to_owned(), why.map(str::to_owned))
}

/// What each role sees of one booking's trail, field by field: the admin everything; the
/// provider who holds it their own rows and the customer's reasons, not a colleague's or
/// the staff's; the customer the changes, in words, with only their own reasons.
#[tokio::test]
async fn each_role_sees_what_is_theirs_of_a_booking_s_trail() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let priya = app.demo("priya").await;
    let marco = app.demo("marco").await;
    let (priya_id, marco_id) = (app.provider_id(&priya).await, app.provider_id(&marco).await);
    let b = app.book(&customer).await;
    let path = format!("/api/v1/bookings/{}", b["id"]);
    let (assign, status) = (format!("{path}/assign"), format!("{path}/status"));
    let steps = [
        (
            &admin,
            &assign,
            json!({"provider_id": priya_id, "reason": "she is closest"}),
        ),
        (
            &priya,
            &status,
            json!({"status": "rejected", "reason": "Van broke down"}),
        ),
        (
            &admin,
            &assign,
            json!({"provider_id": marco_id, "reason": "urgent, call first"}),
        ),
        (
            &customer,
            &status,
            json!({"status": "cancelled", "reason": "Fixed it myself"}),
        ),
    ];
    for (token, to, body) in steps {
        let method = if to.ends_with("/assign") {
            "POST"
        } else {
            "PATCH"
        };
        let res = app.call(method, to, Some(token), Some(body)).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }

    let (rows, d) = trail_as(&app, &path, &admin).await;
    assert_eq!(
        rows[1..],
        [
            row("assigned", "Ada Admin", Some("she is closest")),
            row("rejected", "Priya Patel", Some("Van broke down")),
            row("assigned", "Ada Admin", Some("urgent, call first")),
            row("cancelled", "Casey Customer", Some("Fixed it myself")),
        ]
    );
    assert_eq!(d["provider_names"][priya_id.to_string()], "Priya Patel");

    let (rows, d) = trail_as(&app, &path, &marco).await;
    assert_eq!(
        rows[1..],
        [
            row("assigned", "Home services", None),
            row("rejected", "another provider", None),
            row("assigned", "Home services", None),
            row("cancelled", "Casey Customer", Some("Fixed it myself")),
        ]
    );
    assert_eq!(d["provider_names"][priya_id.to_string()], json!(null));
    assert_eq!(d["provider_names"][marco_id.to_string()], "Marco Rossi");
    assert!(
        d["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["changed_by"].is_null())
    );

    let (rows, d) = trail_as(&app, &path, &customer).await;
    assert_eq!(
        rows[1..],
        [
            row("assigned", "Home services", None),
            row("rejected", "the provider", None),
            row("assigned", "Home services", None),
            row("cancelled", "Casey Customer", Some("Fixed it myself")),
        ]
    );
    assert_eq!(rows[0].1, "Casey Customer");
    assert_eq!(d["attempts"], json!([]));
    assert_eq!(d["provider_names"][priya_id.to_string()], json!(null));
}
