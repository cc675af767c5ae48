//! The real `worker` binary: it starts on a fresh database, registers with a heartbeat,
//! and exits 0 on SIGTERM, recording its clean stop; many started at once on a fresh
//! database all come up.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use db::Db;
use queue::Queue;
use testkit::TestDatabase;

fn start_worker(url: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_worker"))
        .env("DATABASE_URL", url)
        .env("WORKER_HEARTBEAT_MS", "200")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap()
}

/// The queue, once the database is there and migrated (a worker migrates it).
async fn queue_when_ready(url: &str) -> Queue {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(db) = Db::connect(url).await
            && db.is_ready().await
        {
            return Queue::new(db);
        }
        assert!(Instant::now() < deadline, "the database was never migrated");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_worker_registers_itself_and_stops_cleanly_on_sigterm() {
    let database = TestDatabase::create().await;
    let mut child = start_worker(&database.url);
    let queue = queue_when_ready(&database.url).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    let registered = loop {
        if let Ok(workers) = queue.workers().await
            && let Some(w) = workers.into_iter().next()
            && w.last_heartbeat_at > w.started_at
        {
            break w;
        }
        assert!(
            Instant::now() < deadline,
            "the worker never registered a heartbeat"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(registered.pid, i64::from(child.id()));
    assert!(registered.stopped_at.is_none() && registered.live);
    assert_eq!(registered.heartbeat_ms, 200);

    testkit::signal(child.id(), "-TERM");
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let stopped = queue.workers().await.unwrap().remove(0);
    assert!(stopped.stopped_at.is_some() && !stopped.live);
}

#[tokio::test]
async fn twelve_workers_started_at_once_on_a_fresh_database_all_come_up() {
    // They all migrate the new database at the same moment; none may exit for it.
    let database = TestDatabase::create().await;
    let mut children: Vec<Child> = (0..12).map(|_| start_worker(&database.url)).collect();
    let queue = queue_when_ready(&database.url).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        for child in &mut children {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("a worker exited at start: {status:?}");
            }
        }
        let live = queue
            .workers()
            .await
            .unwrap()
            .iter()
            .filter(|w| w.live)
            .count();
        if live == 12 {
            break;
        }
        assert!(Instant::now() < deadline, "{live} of 12 workers came up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for child in &mut children {
        testkit::signal(child.id(), "-TERM");
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
}
