//! The built frontend served at the root, client routes falling back to its index.

mod common;

use axum::http::StatusCode;
use serde_json::json;

use common::TestApp;

/// A built frontend of the smallest kind: an index page and an (empty) assets folder.
fn built_frontend() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>Bookings</title>",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("assets")).unwrap();
    dir
}

#[tokio::test]
async fn the_frontend_is_served_at_the_root_with_client_routes_falling_back_to_its_index() {
    let dir = built_frontend();
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
async fn every_response_carries_the_security_headers_and_hsts_only_over_https() {
    let dir = built_frontend();
    let path = dir.path().to_path_buf();
    let app = TestApp::with_settings(|s| s.frontend_dir = Some(path)).await;
    let token = app.login("customer@example.com", "demo1234").await;
    // A page, an API answer, an error, a missing API route, a probe.
    let answers = [
        app.call("GET", "/bookings/12", None, None).await,
        app.call("GET", "/api/v1/service-types", Some(&token), None)
            .await,
        app.call("GET", "/api/v1/bookings/999999", Some(&token), None)
            .await,
        app.call("GET", "/api/v1/no-such-route", None, None).await,
        app.call("GET", "/healthz", None, None).await,
    ];
    // The policy allows no other origin's script and no framing.
    assert!(
        api::CONTENT_SECURITY_POLICY.contains("frame-ancestors 'none'")
            && api::CONTENT_SECURITY_POLICY.contains("script-src 'self';")
    );
    for res in &answers {
        let h = |name: &str| {
            res.headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        assert_eq!(
            h("content-security-policy").as_deref(),
            Some(api::CONTENT_SECURITY_POLICY),
            "{}",
            res.status
        );
        assert_eq!(h("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(h("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(h("x-frame-options").as_deref(), Some("DENY"));
        assert_eq!(h("strict-transport-security"), None, "not over plain HTTP");
    }
    assert_eq!(answers[2].status, StatusCode::NOT_FOUND);

    let secure = TestApp::with_settings(|s| s.cookie_secure = true).await;
    let res = secure.call("GET", "/healthz", None, None).await;
    assert_eq!(
        res.headers
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap()),
        Some("max-age=31536000")
    );
}

/// Hashed assets are cached for a year and sent compressed; the index page is asked for
/// again each time; a missing asset is not cached.
#[tokio::test]
async fn assets_are_cached_for_good_and_compressed_and_the_index_page_is_not_cached() {
    let dir = built_frontend();
    let script = "console.log('a line of the app');\n".repeat(200);
    std::fs::write(dir.path().join("assets/app-1a2b3c.js"), &script).unwrap();
    let path = dir.path().to_path_buf();
    let app = TestApp::with_settings(|s| s.frontend_dir = Some(path)).await;
    let get = |uri: &str, encoding: &str| {
        axum::http::Request::builder()
            .uri(uri)
            .header("accept-encoding", encoding)
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let cache = |res: &common::Response| {
        res.headers
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    for encoding in ["br", "gzip"] {
        let res = app.send(get("/assets/app-1a2b3c.js", encoding)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.headers["content-encoding"], encoding);
        assert_eq!(
            cache(&res).as_deref(),
            Some("public, max-age=31536000, immutable")
        );
    }
    let plain = app.send(get("/assets/app-1a2b3c.js", "identity")).await;
    assert!(plain.headers.get("content-encoding").is_none());
    assert_eq!(plain.body, json!(script));
    for page in ["/", "/admin/jobs"] {
        let res = app.send(get(page, "gzip")).await;
        assert_eq!(cache(&res).as_deref(), Some("no-cache"), "{page}");
    }
    let missing = app.send(get("/assets/gone-000000.js", "gzip")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_ne!(
        cache(&missing).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
}
