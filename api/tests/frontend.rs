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

/// A GET of `uri` from a browser that accepts `encoding`.
fn get(uri: &str, encoding: &str) -> axum::http::Request<axum::body::Body> {
    axum::http::Request::builder()
        .uri(uri)
        .header("accept-encoding", encoding)
        .body(axum::body::Body::empty())
        .unwrap()
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
async fn responses_carry_the_security_headers_hsts_only_over_https_and_no_api_answer_is_stored() {
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
    // No API answer may be kept by a browser or a proxy: a page loaded by Back would be
    // handed it again (who is signed in, after they signed out).
    let me = app.call("GET", "/api/v1/auth/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    for res in answers[1..4].iter().chain([&me]) {
        assert_eq!(
            res.headers
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{} {}",
            res.status,
            res.body
        );
    }

    let secure = TestApp::with_settings(|s| s.cookie_secure = true).await;
    let res = secure.call("GET", "/healthz", None, None).await;
    assert_eq!(
        res.headers
            .get("strict-transport-security")
            .map(|v| v.to_str().unwrap()),
        Some("max-age=31536000")
    );
}

/// Hashed assets are cached for a year and sent compressed; the index page is never stored
/// (nor kept in the back-forward cache); a missing asset is not cached.
#[tokio::test]
async fn assets_are_cached_for_good_and_compressed_and_the_index_page_is_not_cached() {
    let dir = built_frontend();
    let script = "console.log('a line of the app');\n".repeat(200);
    std::fs::write(dir.path().join("assets/app-1a2b3c.js"), &script).unwrap();
    std::fs::write(dir.path().join("favicon.svg"), "<svg/>").unwrap();
    let path = dir.path().to_path_buf();
    let app = TestApp::with_settings(|s| s.frontend_dir = Some(path)).await;
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
        assert_eq!(cache(&res).as_deref(), Some("no-store"), "{page}");
    }
    // Another file of the build's top folder is asked for again, and may be stored.
    let icon = app.send(get("/favicon.svg", "gzip")).await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(cache(&icon).as_deref(), Some("no-cache"));
    let missing = app.send(get("/assets/gone-000000.js", "gzip")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_ne!(
        cache(&missing).as_deref(),
        Some("public, max-age=31536000, immutable")
    );
}

/// The build's own brotli and gzip forms of a file (vite.config.ts writes them) are sent as
/// they are to a browser that accepts them, the index page's too; a file without them is
/// compressed on the fly. Either way the answer says once that it varies by encoding.
#[tokio::test]
async fn the_build_s_compressed_forms_are_sent_as_they_are_and_the_answer_varies_by_encoding() {
    let dir = built_frontend();
    let script = "console.log('a line of the app');\n".repeat(200);
    for (name, content) in [
        ("assets/app-1a2b3c.js", script.as_str()),
        ("assets/app-1a2b3c.js.br", "the build's brotli form"),
        ("assets/app-1a2b3c.js.gz", "the build's gzip form"),
        ("assets/other-4d5e6f.js", script.as_str()),
        ("index.html.gz", "the index page, gzipped"),
    ] {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let path = dir.path().to_path_buf();
    let app = TestApp::with_settings(|s| s.frontend_dir = Some(path)).await;
    let vary = |res: &common::Response| -> Vec<String> {
        let values = res.headers.get_all("vary").iter();
        values.map(|v| v.to_str().unwrap().to_owned()).collect()
    };
    for (encoding, form) in [
        ("br", "the build's brotli form"),
        ("gzip", "the build's gzip form"),
        ("gzip, deflate, br", "the build's brotli form"),
    ] {
        let res = app.send(get("/assets/app-1a2b3c.js", encoding)).await;
        assert_eq!(res.status, StatusCode::OK);
        assert_eq!(res.body, json!(form), "{encoding}");
        let sent_as = &res.headers["content-encoding"];
        assert_eq!(
            sent_as,
            if form.contains("brotli") {
                "br"
            } else {
                "gzip"
            }
        );
        assert_eq!(
            res.headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(vary(&res), ["accept-encoding"], "{encoding}");
    }
    let plain = app.send(get("/assets/app-1a2b3c.js", "identity")).await;
    assert!(plain.headers.get("content-encoding").is_none());
    assert_eq!(plain.body, json!(script));
    assert_eq!(vary(&plain), ["accept-encoding"]);
    let on_the_fly = app.send(get("/assets/other-4d5e6f.js", "br")).await;
    assert_eq!(on_the_fly.headers["content-encoding"], "br");
    assert_ne!(on_the_fly.body, json!(script));
    assert_eq!(vary(&on_the_fly), ["accept-encoding"]);
    for page in ["/", "/admin/jobs"] {
        let res = app.send(get(page, "gzip")).await;
        assert_eq!(res.body, json!("the index page, gzipped"), "{page}");
        assert_eq!(res.headers["cache-control"], "no-store", "{page}");
        assert_eq!(vary(&res), ["accept-encoding"], "{page}");
        let plain = app.send(get(page, "identity")).await;
        let body = plain.body.as_str().unwrap();
        assert!(body.contains("<title>Bookings</title>"), "{page}");
    }
}
