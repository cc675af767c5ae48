//! The event stream's resume: a `Last-Event-ID` close behind the feed is replayed row by
//! row; one more than 1,000 rows behind, or ahead of the feed, gets `reset` and goes on
//! from now instead of reading the whole history.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

use common::TestApp;

/// Opens the stream as `token` resuming after `last`, and returns what it sent within
/// `within`.
async fn resume(app: &TestApp, token: &str, last: i64, within: Duration) -> String {
    let req = Request::builder()
        .uri("/api/v1/events")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header("last-event-id", last.to_string())
        .body(Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    common::read_stream(&mut res.into_body(), within, |_| false).await
}

#[tokio::test]
async fn a_stream_resumed_from_too_far_back_is_told_to_reset_instead_of_replaying() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let id = app.book(&customer).await["id"].as_i64().unwrap();

    // 1,001 more rows in the booking's trail, written straight into the table.
    let mut sql = String::from(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001) \
         INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, \
         changed_by_name, changed_by_role, reason, is_override, provider_id, customer_id, \
         timestamp) SELECT h.booking_id, h.new_status, h.new_status, h.changed_by, \
         h.changed_by_name, h.changed_by_role, 'bulk', h.is_override, h.provider_id, \
         h.customer_id, h.timestamp FROM n CROSS JOIN booking_history h WHERE h.booking_id = ",
    );
    sql.push_str(&id.to_string());
    let written = db::exec!(app.state.db, |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(c)
            .await
    })
    .unwrap();
    assert_eq!(written, 1001);
    app.state.feed.sequence().await.unwrap();
    let latest = app.state.feed.latest_position().await.unwrap();

    // From the start: `reset` first, then `ready` at the newest position, and no replay.
    let text = resume(&app, &admin, 0, Duration::from_millis(500)).await;
    let reset = text.find("event: reset").expect("a reset event");
    let ready = text.find("event: ready").expect("a ready event");
    assert!(reset < ready, "{text}");
    assert!(text.contains(&format!("id: {latest}")), "{text}");
    assert!(!text.contains("event: booking"), "replayed: {text}");

    // Ahead of the feed (another database's id): reset too.
    let text = resume(&app, &admin, latest + 5000, Duration::from_millis(300)).await;
    assert!(text.contains("event: reset"), "{text}");

    // A few rows behind: replayed row by row, no reset.
    let text = resume(&app, &admin, latest - 3, Duration::from_millis(500)).await;
    assert!(!text.contains("event: reset"), "{text}");
    assert_eq!(text.matches("event: booking").count(), 3, "{text}");
}
