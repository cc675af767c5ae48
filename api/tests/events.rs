//! The event stream's resume: a `Last-Event-ID` close behind the feed is replayed row by
//! row; one more than 1,000 rows behind, or ahead of the feed, gets `reset` and goes on
//! from now instead of reading the whole history.

mod common;

use std::time::Duration;

use axum::body::Body;

use common::TestApp;

/// Opens the stream as `token` resuming after `last`, and returns what it sent within
/// `within`.
async fn resume(app: &TestApp, token: &str, last: i64, within: Duration) -> String {
    let mut body = app.events(token, Some(last)).await;
    common::read_stream(&mut body, within, |_| false).await
}

/// Writes `n` more rows into `booking`'s trail straight into the table, behind the API's
/// back (as a restore or a bulk import would).
async fn write_behind_the_api(app: &TestApp, booking: i64, n: u64) {
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
         INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, \
         changed_by_name, changed_by_role, reason, is_override, provider_id, customer_id, \
         timestamp) SELECT h.booking_id, h.new_status, h.new_status, h.changed_by, \
         h.changed_by_name, h.changed_by_role, 'bulk', h.is_override, h.provider_id, \
         h.customer_id, h.timestamp FROM n CROSS JOIN booking_history h WHERE h.booking_id = {booking}"
    );
    let written = db::exec!(app.state.db, |c| {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .execute(c)
            .await
    })
    .unwrap();
    assert_eq!(written, n);
}

#[tokio::test]
async fn a_stream_resumed_from_too_far_back_is_told_to_reset_instead_of_replaying() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let id = app.book(&customer).await["id"].as_i64().unwrap();

    // 1,001 more rows in the booking's trail, written straight into the table.
    write_behind_the_api(&app, id, 1001).await;
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

/// Rows written behind the processes' backs, more than a replay's worth: the hub does not
/// read them all (200 at a time, checked for every stream), it jumps to the newest and
/// tells its streams to `reset`, and goes on from there.
#[tokio::test]
async fn a_hub_far_behind_the_feed_tells_its_streams_to_reset_instead_of_reading_it_all() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let id = app.book(&customer).await["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut body = app.open_events(&admin).await;
    let hub_reads = metric(&app, &admin, "event_feed_reads_total{reader=\"hub\"}").await;

    write_behind_the_api(&app, id, 5000).await;
    let text = common::read_stream(&mut body, Duration::from_secs(3), |t| {
        t.contains("event: reset")
    })
    .await;
    let latest = app.state.feed.latest_position().await.unwrap();
    assert!(
        text.contains(&format!("event: reset\nid: {latest}\n")),
        "no reset to {latest}: {} bytes, {} rows",
        text.len(),
        text.matches("event: booking").count()
    );
    // At most the one read that found the hub so far behind.
    assert!(text.matches("event: booking").count() <= 200, "replayed");
    let reads = metric(&app, &admin, "event_feed_reads_total{reader=\"hub\"}").await - hub_reads;
    assert!(reads <= 3.0, "the hub read the feed {reads} times");

    // And it goes on from there.
    let next = app.book(&customer).await["id"].as_i64().unwrap();
    assert_eq!(booking_ids(&mut body, 1).await, [next]);
}

/// A stream with nothing to send sends a comment after 15 quiet seconds, so that proxies
/// and the browser keep its connection open; not sooner, and nothing else meanwhile.
#[tokio::test]
async fn a_quiet_stream_sends_a_keep_alive_comment_after_fifteen_seconds() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let mut body = app.open_events(&admin).await;
    let opened = std::time::Instant::now();
    let text = common::read_stream(&mut body, Duration::from_secs(18), |t| {
        t.contains("keep-alive")
    })
    .await;
    assert_eq!(text, ": keep-alive\n\n");
    let quiet = opened.elapsed();
    assert!(
        (Duration::from_secs(14)..Duration::from_secs(17)).contains(&quiet),
        "the keep-alive came after {quiet:?}"
    );
}

/// `n` streams of each of two callers, opened in turn.
async fn open_each(app: &TestApp, [a, b]: [&str; 2], n: usize) -> (Vec<Body>, Vec<Body>) {
    let (mut of_a, mut of_b) = (Vec::new(), Vec::new());
    for _ in 0..n {
        of_a.push(app.open_events(a).await);
        of_b.push(app.open_events(b).await);
    }
    (of_a, of_b)
}

/// The booking ids of the `booking` events a stream sends until it has sent `count` (or
/// three seconds pass), and of any it has ready after those.
async fn booking_ids(body: &mut Body, count: usize) -> Vec<i64> {
    let rows = booking_rows(body, count).await;
    rows.iter()
        .map(|row| row["booking_id"].as_i64().unwrap())
        .collect()
}

/// The history rows (the `data` of the `booking` events) a stream sends until it has sent
/// `count` (or three seconds pass), and any it has ready after those.
async fn booking_rows(body: &mut Body, count: usize) -> Vec<serde_json::Value> {
    let mut text = common::read_stream(body, Duration::from_secs(3), |t| {
        t.matches("event: booking").count() >= count
    })
    .await;
    text.push_str(&common::read_stream(body, Duration::from_millis(50), |_| false).await);
    rows_in(&text)
}

/// The history rows of the `booking` events in a stream's text.
fn rows_in(text: &str) -> Vec<serde_json::Value> {
    text.split("\n\n")
        .filter(|frame| frame.contains("event: booking"))
        .filter_map(|frame| frame.lines().find_map(|l| l.strip_prefix("data:")))
        .map(|data| serde_json::from_str(data.trim()).unwrap())
        .collect()
}

/// The booking ids of the `booking` events in a stream's text.
fn ids_in(text: &str) -> Vec<i64> {
    rows_in(text)
        .iter()
        .map(|row| row["booking_id"].as_i64().unwrap())
        .collect()
}

/// A metric's value in the API's `/metrics` text (0 when it has not been counted yet).
async fn metric(app: &TestApp, admin: &str, series: &str) -> f64 {
    let text = app.get("/metrics", admin).await.body;
    text.as_str()
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Many open streams share one reader of the feed: a change is read once, not once per
/// stream, and each stream still gets exactly the rows its caller may see. (Each test runs
/// in a process of its own under nextest, so the process's counters are this test's.)
#[tokio::test]
async fn open_streams_share_one_read_of_each_change_and_each_keeps_its_own_rows() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let alice = app.customer("alice").await;
    let bob = app.customer("bob").await;
    // Let the hub settle on the sign-ups before the streams open from its position.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut alices, mut bobs) = open_each(&app, [&alice, &bob], 15).await;
    let mut admins = app.open_events(&admin).await;
    assert_eq!(metric(&app, &admin, "event_streams_open").await, 31.0);
    let stream_reads = metric(&app, &admin, "event_feed_reads_total{reader=\"stream\"}").await;

    let a1 = app.book(&alice).await["id"].as_i64().unwrap();
    let b1 = app.book(&bob).await["id"].as_i64().unwrap();
    let a2 = app.book(&alice).await["id"].as_i64().unwrap();
    // Time for anything a stream should not get to arrive.
    tokio::time::sleep(Duration::from_millis(300)).await;

    for body in &mut alices {
        assert_eq!(booking_ids(body, 2).await, [a1, a2]);
    }
    for body in &mut bobs {
        assert_eq!(booking_ids(body, 1).await, [b1]);
    }
    assert_eq!(booking_ids(&mut admins, 3).await, [a1, b1, a2]);
    // No stream read the feed itself: the hub's reads reached all 31.
    assert_eq!(
        metric(&app, &admin, "event_feed_reads_total{reader=\"stream\"}").await,
        stream_reads
    );
    assert!(metric(&app, &admin, "event_feed_reads_total{reader=\"hub\"}").await > 0.0);

    // A closed stream is counted out.
    drop(alices);
    drop(bobs);
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while metric(&app, &admin, "event_streams_open").await != 1.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "closed streams still counted open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A stream too slow to take the hub's reads (it falls more reads behind than the hub
/// keeps) reads the feed itself from where it was, and loses nothing.
#[tokio::test]
async fn a_stream_that_falls_behind_the_hub_catches_up_from_the_feed_without_loss() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Not read until the end.
    let mut slow = app.open_events(&admin).await;
    let mut fast = app.open_events(&admin).await;
    let stream_reads = metric(&app, &admin, "event_feed_reads_total{reader=\"stream\"}").await;

    // One booking per read of the hub's (the fast stream has it before the next), more
    // reads than the hub keeps.
    let mut ids = Vec::new();
    for _ in 0..300 {
        let id = app.book(&customer).await["id"].as_i64().unwrap();
        let text = common::read_stream(&mut fast, Duration::from_secs(3), |t| {
            t.contains("event: booking")
        })
        .await;
        assert_eq!(ids_in(&text), [id]);
        ids.push(id);
    }
    assert_eq!(
        metric(&app, &admin, "event_feed_reads_total{reader=\"stream\"}").await,
        stream_reads,
        "the fast stream read the feed itself"
    );
    assert_eq!(booking_ids(&mut slow, ids.len()).await, ids);
    assert!(
        metric(&app, &admin, "event_feed_reads_total{reader=\"stream\"}").await > stream_reads,
        "the slow stream was not behind: nothing tested"
    );
}

/// A change reaches each of many streams as its caller may see it: the hub renders a row
/// once per read and viewer, and each audience's streams get their viewer's rendering
/// (more streams than the hub wakes at a time, so that the hand-out is split).
#[tokio::test]
async fn many_streams_each_get_a_change_as_their_caller_may_see_it() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (mut admins, mut customers) = open_each(&app, [&admin, &customer], 12).await;

    let id = app.book(&customer).await["id"].as_i64().unwrap();
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{id}/status"),
            Some(&admin),
            Some(serde_json::json!({"status": "completed", "override": true, "reason": "done by phone"})),
        )
        .await;
    assert_eq!(res.status, axum::http::StatusCode::OK, "{}", res.body);

    let last = |rows: Vec<serde_json::Value>| {
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert_eq!(rows[0]["booking_id"], id);
        assert_eq!(rows[1]["new_status"], "completed");
        let row = &rows[1];
        (row["changed_by_name"].clone(), row["reason"].clone())
    };
    for body in &mut admins {
        assert_eq!(
            last(booking_rows(body, 2).await),
            ("Ada Admin".into(), "done by phone".into())
        );
    }
    // The customer sees who changed it as "Home services", and not the admin's reason.
    for body in &mut customers {
        assert_eq!(
            last(booking_rows(body, 2).await),
            ("Home services".into(), serde_json::Value::Null)
        );
    }
}
