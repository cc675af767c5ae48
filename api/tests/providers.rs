//! Providers through the router: created by admins with their logins, availability
//! switched by themselves.

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::TestApp;

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
