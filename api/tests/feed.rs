//! PostgreSQL's event feed does not wait on strangers: a transaction left open elsewhere
//! on the server (another database, or this one) no longer holds back every page's live
//! updates, and the feed stays exact (a row that commits after a newer one is delivered
//! after it, never skipped, never twice). `scripts/test` runs this binary in its
//! PostgreSQL half only.

mod common;

use std::time::{Duration, Instant};

use axum::body::Body;
use sqlx::Connection;

use common::TestApp;
use shared::Actor;

/// Reads the event stream until a `booking` event about `booking_id` arrives.
async fn wait_for_booking_event(body: &mut Body, booking_id: i64, within: Duration) -> bool {
    let needle = format!("\"booking_id\":{booking_id},");
    let arrived = |text: &str| text.contains("event: booking") && text.contains(&needle);
    arrived(&common::read_stream(body, within, arrived).await)
}

#[tokio::test]
async fn live_updates_flow_while_other_sessions_hold_transactions_open() {
    assert_eq!(
        testkit::backend(),
        db::Backend::Postgres,
        "this binary is PostgreSQL's: run it with TEST_BACKEND=postgres"
    );
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let url = app.database_url();

    // Two strangers, each inside a transaction that holds an id: one in another database
    // of the server, one in this database.
    let mut elsewhere =
        sqlx::PgConnection::connect(&format!("{}/postgres", testkit::postgres_server()))
            .await
            .unwrap();
    sqlx::raw_sql("BEGIN; SELECT pg_current_xact_id();")
        .execute(&mut elsewhere)
        .await
        .unwrap();
    let mut here = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql("BEGIN; SELECT pg_current_xact_id();")
        .execute(&mut here)
        .await
        .unwrap();

    let mut body = app.events(&admin, None).await;
    for _ in 0..3 {
        let booked = std::time::Instant::now();
        let id = app.book(&customer).await["id"].as_i64().unwrap();
        assert!(
            wait_for_booking_event(&mut body, id, Duration::from_secs(1)).await,
            "booking {id}'s event did not arrive within a second while two transactions stayed open"
        );
        println!("event after {} ms", booked.elapsed().as_millis());
    }
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut elsewhere)
        .await
        .unwrap();
    sqlx::raw_sql("ROLLBACK").execute(&mut here).await.unwrap();
}

#[tokio::test]
async fn a_row_that_commits_after_a_newer_one_is_delivered_after_it_once() {
    assert_eq!(
        testkit::backend(),
        db::Backend::Postgres,
        "PostgreSQL's feed"
    );
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let feed = &app.state.feed;
    let admin = Actor::system("test");
    let first = app.book(&customer).await["id"].as_i64().unwrap();
    feed.sequence().await.unwrap();
    let start = feed.latest_position().await.unwrap();

    // A history row written by a transaction that stays open (its id is the smaller)...
    let mut slow = sqlx::PgConnection::connect(&app.database_url())
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut slow).await.unwrap();
    let held: i64 = sqlx::query_scalar(
        "INSERT INTO booking_history (booking_id, old_status, new_status, changed_by, \
         changed_by_name, changed_by_role, reason, is_override, provider_id, customer_id, \
         timestamp) SELECT booking_id, old_status, new_status, changed_by, changed_by_name, \
         changed_by_role, 'written slowly', is_override, provider_id, customer_id, timestamp \
         FROM booking_history WHERE booking_id = $1 ORDER BY id LIMIT 1 RETURNING id",
    )
    .bind(first)
    .fetch_one(&mut slow)
    .await
    .unwrap();
    // ... while a newer one commits and is read.
    let second = app.book(&customer).await["id"].as_i64().unwrap();
    let read = read_until(feed, &admin, start, |b| {
        b.events.iter().any(|e| e.entry.booking_id == second)
    })
    .await;
    let ids: Vec<i64> = read.events.iter().map(|e| e.entry.id).collect();
    assert!(!ids.contains(&held), "an uncommitted row was read");
    assert!(
        read.events.iter().any(|e| e.entry.booking_id == second),
        "the committed booking was not read"
    );

    // The slow one commits: the next read from where the reader stopped has it, once.
    sqlx::raw_sql("COMMIT").execute(&mut slow).await.unwrap();
    let later = read_until(feed, &admin, read.next, |b| !b.events.is_empty()).await;
    let later_ids: Vec<i64> = later.events.iter().map(|e| e.entry.id).collect();
    assert_eq!(later_ids, vec![held], "the late row, and only it");
    let everything = feed.after(&admin, start, 100).await.unwrap();
    let mut all: Vec<i64> = everything.events.iter().map(|e| e.entry.id).collect();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n, "no row twice");
}

/// Sequences the feed and reads it from `from` until `done` holds of what was read, for at
/// most two seconds; returns the last read. The API's own event poller sequences too, and
/// while it holds the sequencer's turn a call here places nothing (it does not queue
/// behind it): the rows appear when the poller commits.
async fn read_until(
    feed: &shared::Feed,
    admin: &Actor,
    from: i64,
    done: impl Fn(&shared::feed::EventBatch) -> bool,
) -> shared::feed::EventBatch {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        feed.sequence().await.unwrap();
        let read = feed.after(admin, from, 100).await.unwrap();
        if done(&read) || Instant::now() > deadline {
            return read;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
