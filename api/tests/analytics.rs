//! The analytics over HTTP: admins only, every malformed range a 400 in the envelope,
//! the figures of a booking just made, and each table as CSV. (The figures themselves are
//! worked out by hand in shared/tests/analytics.rs.)

mod common;

use axum::http::{StatusCode, header};

use common::TestApp;

#[tokio::test]
async fn only_admins_see_the_figures() {
    let app = TestApp::new().await;
    let anonymous = app.call("GET", "/api/v1/admin/analytics", None, None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    for who in ["customer", "priya"] {
        let token = app.demo(who).await;
        let refused = app.get("/api/v1/admin/analytics", &token).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{who}");
        assert_eq!(refused.code(), "forbidden", "{who}");
        let csv = app
            .get("/api/v1/admin/analytics?format=csv&table=providers", &token)
            .await;
        assert_eq!(csv.status, StatusCode::FORBIDDEN, "{who}");
    }
}

#[tokio::test]
async fn a_malformed_range_is_refused_naming_the_parameter() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    for (query, parameter) in [
        ("from=yesterday", "from"),
        ("to=2026-02-30", "to"),
        // Years past four digits, where a day's arithmetic overflows.
        ("to=-262143-01-05", "to"),
        ("from=%2B262142-12-31&to=%2B262142-12-31", "from"),
        ("from=%2B2026-12-01", "from"),
        ("from=2026-11-02&to=2026-11-01", "from"),
        ("from=2025-01-01&to=2026-01-02", "to"),
        ("bucket=month", "bucket"),
        // A parameter given twice is named, as any other.
        ("bucket=day&bucket=week", "bucket"),
        ("service_type=juggling", "service_type"),
        ("format=xml", "format"),
        ("format=csv&table=everything", "table"),
    ] {
        let r = app
            .get(&format!("/api/v1/admin/analytics?{query}"), &admin)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.body);
        assert_eq!(r.code(), "invalid_query", "{query}");
        assert_eq!(
            r.body["error"]["details"]["parameter"], parameter,
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_booking_made_today_is_counted_today_and_the_tables_come_as_csv() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    app.book(&customer).await;

    let r = app.get("/api/v1/admin/analytics", &admin).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let today = chrono::Utc::now().date_naive().to_string();
    assert_eq!(r.body["to"], today.as_str());
    assert_eq!(r.body["bucket"], "day");
    assert_eq!(r.body["time_zone"], "UTC");
    let buckets = r.body["buckets"].as_array().unwrap();
    assert_eq!(buckets.len(), 30);
    let last = buckets.last().unwrap();
    assert_eq!(last["start"], today.as_str());
    assert_eq!(last["created"], 1);
    assert_eq!(last["by_status"]["pending"], 1);
    assert_eq!(r.body["rates"]["created"], 1);
    assert_eq!(r.body["rates"]["acceptance"], serde_json::Value::Null);
    assert_eq!(r.body["demand"][0]["service_type"], "plumbing");

    let week = app
        .get(
            &format!(
                "/api/v1/admin/analytics?bucket=week&from={today}&to={today}&service_type=cleaning"
            ),
            &admin,
        )
        .await;
    assert_eq!(week.status, StatusCode::OK, "{}", week.body);
    assert_eq!(week.body["buckets"].as_array().unwrap().len(), 1);
    assert_eq!(week.body["buckets"][0]["created"], 0);

    let csv = app
        .get(
            &format!("/api/v1/admin/analytics?format=csv&from={today}&to={today}"),
            &admin,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.headers[header::CONTENT_TYPE], "text/csv; charset=utf-8");
    let disposition = csv.headers[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert!(disposition.contains("analytics-buckets-"), "{disposition}");
    let text = csv.body.as_str().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "start,created,pending,assigned,accepted,in_progress,completed,cancelled,rejected,\
         no_show,dead,assign_p50_ms,assign_p90_ms,accept_p50_ms,accept_p90_ms"
    );
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&format!("{today},1,")), "{}", lines[1]);

    let providers = app
        .get("/api/v1/admin/analytics?format=csv&table=providers", &admin)
        .await;
    assert_eq!(providers.status, StatusCode::OK);
    assert!(
        providers
            .body
            .as_str()
            .unwrap()
            .starts_with("provider_id,name,offers,accepts,rejects,expiries,no_shows,completed,")
    );
}
