//! The real `api` binary on a temporary database, spoken to over HTTP: it starts,
//! seeds, serves, streams live events that resume after `Last-Event-ID`, and stops
//! cleanly on SIGTERM.

mod common;

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use common::process::signal;

/// Reads SSE frames from `res` until one of event type `booking` arrives, or `within` passes.
async fn next_booking_event(
    res: &mut reqwest::Response,
    buf: &mut String,
    within: Duration,
) -> Option<(i64, Value)> {
    let deadline = Instant::now() + within;
    loop {
        while let Some(end) = buf.find("\n\n") {
            let frame: String = buf.drain(..end + 2).collect();
            let field = |name: &str| {
                frame
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_owned()))
            };
            if field("event:").as_deref() == Some("booking") {
                let id = field("id:")?.parse().ok()?;
                let data = serde_json::from_str(&field("data:")?).ok()?;
                return Some((id, data));
            }
        }
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, res.chunk()).await {
            Ok(Ok(Some(bytes))) => buf.push_str(&String::from_utf8_lossy(&bytes)),
            _ => return None,
        }
    }
}

#[tokio::test]
async fn the_real_binary_serves_streams_live_changes_resumes_and_stops_on_sigterm() {
    let mut api = common::process::start(&[]).await;
    let client = api.client.clone();
    let customer = api.login("customer@example.com", "demo1234").await;
    let admin = api.login("admin@example.com", "demo1234").await;

    let mut stream = client
        .get(api.at("/api/v1/events"))
        .bearer_auth(&customer)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert!(
        stream.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let mut buf = String::new();
    // The stream opens with a `ready` event that tells the client to reconnect after 1 s.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !buf.contains("\n\n") && Instant::now() < deadline {
        if let Ok(Ok(Some(bytes))) =
            tokio::time::timeout(Duration::from_millis(500), stream.chunk()).await
        {
            buf.push_str(&String::from_utf8_lossy(&bytes));
        }
    }
    assert!(
        buf.contains("event: ready") && buf.contains("retry: 1000"),
        "{buf:?}"
    );

    let booking: Value = client
        .post(api.at("/api/v1/bookings"))
        .bearer_auth(&customer)
        .json(&json!({
            "customer_name": "Casey", "customer_phone": "555 010 0199", "customer_email": "casey@example.com",
            "service_type": "cleaning", "address": "9 Elm Street",
            "starts_at": testkit::grid_start(chrono::Duration::days(2)).to_rfc3339(),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = booking["id"].as_i64().unwrap();
    let (first_event, data) = next_booking_event(&mut stream, &mut buf, Duration::from_secs(1))
        .await
        .expect("the creation reached the listener within a second");
    assert_eq!(data["booking_id"], id);
    assert_eq!(data["new_status"], "pending");

    // An admin's change (made through another connection) reaches the customer too.
    let res = client
        .patch(api.at(&format!("/api/v1/bookings/{id}/status")))
        .bearer_auth(&admin)
        .json(&json!({"status": "cancelled", "reason": "duplicate booking"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (second_event, data) = next_booking_event(&mut stream, &mut buf, Duration::from_secs(1))
        .await
        .expect("the cancellation reached the listener within a second");
    assert_eq!(data["new_status"], "cancelled");
    assert_eq!(data["changed_by_role"], "admin");
    drop(stream);

    // Reconnecting with Last-Event-ID replays what came after it, without loss.
    let mut resumed = client
        .get(api.at("/api/v1/events"))
        .bearer_auth(&customer)
        .header("Last-Event-ID", first_event.to_string())
        .send()
        .await
        .unwrap();
    let mut buf = String::new();
    let (replayed, _) = next_booking_event(&mut resumed, &mut buf, Duration::from_secs(2))
        .await
        .expect("a replayed event");
    assert_eq!(replayed, second_event);
    drop(resumed);

    // The cookie carries the session for browsers' EventSource.
    let cookie_stream = client
        .get(api.at("/api/v1/events"))
        .header("cookie", format!("session={customer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie_stream.status(), 200);
    drop(cookie_stream);

    signal(api.api.id(), "-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = api.api.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the api did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status:?}");
}
