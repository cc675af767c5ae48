//! The built frontend served at the root, client routes falling back to its index.

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::TestApp;

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
