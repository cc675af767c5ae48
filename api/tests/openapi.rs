//! The OpenAPI document is derived from the code; the committed copy (`api/openapi.json`,
//! from which the frontend's types are generated) must be the same document.
//! `UPDATE_OPENAPI=1 cargo nextest run -p api --test openapi` rewrites the copy.

#[test]
fn the_committed_document_is_the_one_the_code_derives() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi.json");
    let derived = api::routes::openapi::DOCUMENT.as_str();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, derived).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == derived,
        "api/openapi.json differs from the document the code derives; run \
         `UPDATE_OPENAPI=1 cargo nextest run -p api --test openapi`, then `npm run types` in frontend/"
    );
}

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::TestApp;

#[tokio::test]
async fn the_service_types_the_document_lists_are_the_database_s() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let served = app.get("/api/v1/service-types", &admin).await.body;
    let mut in_database: Vec<String> = served
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    in_database.sort();
    let mut documented: Vec<String> = api::routes::providers::ServiceTypeName::ALL
        .iter()
        .map(|t| {
            serde_json::to_value(t)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    documented.sort();
    assert_eq!(documented, in_database);
}

#[test]
fn the_document_states_the_core_s_patterns_for_every_field_the_core_checks() {
    use shared::input::patterns;
    let doc: serde_json::Value = serde_json::from_str(&api::routes::openapi::DOCUMENT).unwrap();
    let schemas = &doc["components"]["schemas"];
    for (schema, field, pattern) in [
        ("BookingRequest", "customer_name", patterns::TEXT),
        ("BookingRequest", "customer_phone", patterns::PHONE),
        ("BookingRequest", "customer_email", patterns::EMAIL),
        ("BookingRequest", "address", patterns::TEXT),
        ("BookingRequest", "notes", patterns::NOTES),
        ("RegisterRequest", "name", patterns::TEXT),
        ("RegisterRequest", "email", patterns::EMAIL),
        ("UpdateMeRequest", "name", patterns::TEXT),
        ("UpdateMeRequest", "email", patterns::EMAIL),
        ("CreateProvider", "name", patterns::TEXT),
        ("CreateProvider", "email", patterns::EMAIL),
        ("CreateProvider", "phone", patterns::OPTIONAL_PHONE),
        ("UpdateProvider", "name", patterns::TEXT),
        ("UpdateProvider", "email", patterns::EMAIL),
        ("UpdateProvider", "phone", patterns::OPTIONAL_PHONE),
        ("CreateUser", "name", patterns::TEXT),
        ("CreateUser", "email", patterns::EMAIL),
        ("HideReview", "reason", patterns::NOT_BLANK),
    ] {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(
            property["pattern"].as_str(),
            Some(pattern),
            "{schema}.{field}: {property}"
        );
    }
}

#[tokio::test]
async fn every_operation_in_the_openapi_document_is_served() {
    let app = TestApp::new().await;
    let doc: serde_json::Value = serde_json::from_str(&api::routes::openapi::DOCUMENT).unwrap();
    let served = app.call("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(served.body, doc);
    let mut operations = 0;
    for (path, methods) in doc["paths"].as_object().unwrap() {
        let path = format!(
            "/api/v1{}",
            path.replace("{id}", "1").replace("{name}", "plumbing")
        );
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
    // Auth 9 (`/me` read and changed), bookings 7, availability, providers 5, service types 2, admin 10 (stats;
    // jobs: list, one, retry, cancel, run now; queues: list, pause, resume; audit),
    // admin users 4 (list, create, update, reset link), ratings 4, analytics, events,
    // this document.
    assert_eq!(operations, 45);
}
