//! Ratings over HTTP: each refusal in the error envelope (403 for those who may see the
//! booking but not rate it, 404 for those who may not see it, 409 for the booking's state,
//! 422 for the stars), the rating on the booking's page, the provider's reviews and mean,
//! and an admin hiding a comment.

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::{Response, TestApp};

async fn rate(app: &TestApp, id: i64, token: &str, body: serde_json::Value) -> Response {
    let path = format!("/api/v1/bookings/{id}/rating");
    app.call("POST", &path, Some(token), Some(body)).await
}

async fn status(app: &TestApp, id: i64, token: &str, status: &str) -> Response {
    let path = format!("/api/v1/bookings/{id}/status");
    app.call("PATCH", &path, Some(token), Some(json!({"status": status})))
        .await
}

async fn hide(app: &TestApp, id: i64, token: &str, body: serde_json::Value) -> Response {
    let path = format!("/api/v1/admin/reviews/{id}");
    app.call("PATCH", &path, Some(token), Some(body)).await
}

#[tokio::test]
async fn a_completed_booking_is_rated_by_its_customer_and_the_provider_s_mean_follows() {
    let clock = db::ManualClock::new(chrono::Utc::now());
    let app = TestApp::with_clock(std::sync::Arc::new(clock.clone())).await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let priya = app.demo("priya").await;
    let marco = app.demo("marco").await;
    app.customer("stranger").await;
    let priya_id = app.provider_id(&priya).await;
    let marco_id = app.provider_id(&marco).await;

    let booked = app.book(&customer).await;
    let id = booked["id"].as_i64().unwrap();
    let early = rate(&app, id, &customer, json!({"stars": 5})).await;
    assert_eq!(early.status, StatusCode::CONFLICT, "{}", early.body);
    assert_eq!(early.code(), "not_completed");

    let assign = app
        .call(
            "POST",
            &format!("/api/v1/bookings/{id}/assign"),
            Some(&admin),
            Some(json!({"provider_id": priya_id})),
        )
        .await;
    assert_eq!(assign.status, StatusCode::OK, "{}", assign.body);
    let start: chrono::DateTime<chrono::Utc> =
        booked["starts_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        status(&app, id, &priya, "accepted").await.status,
        StatusCode::OK
    );
    clock.advance(start - chrono::Utc::now());
    // Days later: everyone signs in again (sessions last twelve hours).
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let priya = app.demo("priya").await;
    let marco = app.demo("marco").await;
    let stranger = app.login("stranger@example.com", "secret-password").await;
    assert_eq!(
        status(&app, id, &priya, "in_progress").await.status,
        StatusCode::OK
    );
    assert_eq!(
        status(&app, id, &priya, "completed").await.status,
        StatusCode::OK
    );

    for (who, token, want) in [
        ("the provider", &priya, StatusCode::FORBIDDEN),
        ("an admin", &admin, StatusCode::FORBIDDEN),
        ("another customer", &stranger, StatusCode::NOT_FOUND),
    ] {
        let res = rate(&app, id, token, json!({"stars": 5})).await;
        assert_eq!(res.status, want, "{who}: {}", res.body);
        assert!(
            res.body["error"]["message"].is_string(),
            "{who}: the envelope"
        );
    }
    for bad in [
        json!({"stars": 0}),
        json!({"stars": 6}),
        json!({"stars": 4, "comment": "x".repeat(1001)}),
    ] {
        let res = rate(&app, id, &customer, bad.clone()).await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            res.body
        );
    }
    let given = rate(
        &app,
        id,
        &customer,
        json!({"stars": 4, "comment": "On time, tidy."}),
    )
    .await;
    assert_eq!(given.status, StatusCode::CREATED, "{}", given.body);
    assert_eq!(given.body["stars"], 4);
    let again = rate(&app, id, &customer, json!({"stars": 5})).await;
    assert_eq!(again.code(), "already_rated");
    let edited = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{id}/rating"),
            Some(&customer),
            Some(json!({"stars": 5, "comment": "On time, tidy, friendly."})),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);

    // The booking's page shows it; the provider's record counts it.
    let page = app.get(&format!("/api/v1/bookings/{id}"), &customer).await;
    assert_eq!(page.body["rating"]["stars"], 5);
    let providers = app.get("/api/v1/providers", &admin).await;
    let p = providers
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == priya_id)
        .unwrap()
        .clone();
    assert_eq!(
        (p["rating_count"].clone(), p["rating_mean"].clone()),
        (json!(1), json!(5.0))
    );

    // Reviews: the provider's own and admins'; nobody else's.
    let mine = app
        .get(&format!("/api/v1/providers/{priya_id}/reviews"), &priya)
        .await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body["items"][0]["comment"], "On time, tidy, friendly.");
    for (token, path) in [
        (&marco, format!("/api/v1/providers/{priya_id}/reviews")),
        (&customer, format!("/api/v1/providers/{priya_id}/reviews")),
    ] {
        assert_eq!(app.get(&path, token).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        app.get(&format!("/api/v1/providers/{marco_id}/reviews"), &marco)
            .await
            .body["items"],
        json!([])
    );

    // An admin hides the comment; the provider then sees stars without it.
    assert_eq!(
        hide(&app, id, &priya, json!({"hidden": true, "reason": "mine"}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let hidden = hide(
        &app,
        id,
        &admin,
        json!({"hidden": true, "reason": "Names the customer's neighbour"}),
    )
    .await;
    assert_eq!(hidden.status, StatusCode::OK, "{}", hidden.body);
    let seen = app
        .get(&format!("/api/v1/providers/{priya_id}/reviews"), &priya)
        .await;
    assert_eq!(seen.body["items"][0]["comment"], serde_json::Value::Null);
    assert_eq!(seen.body["items"][0]["hidden"], true);
    assert_eq!(seen.body["items"][0]["stars"], 5);
    let unknown = app
        .call(
            "PATCH",
            "/api/v1/admin/reviews/999999",
            Some(&admin),
            Some(json!({"hidden": true, "reason": "x"})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}
