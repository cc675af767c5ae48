//! The real `worker` binary: it starts on a fresh database, registers with a heartbeat,
//! and exits 0 on SIGTERM, recording its clean stop.

use std::process::Command;
use std::time::{Duration, Instant};

use shared::Store;
use shared::assignment::RetryPolicy;

#[tokio::test]
async fn a_worker_registers_itself_and_stops_cleanly_on_sigterm() {
    let db = shared::testing::TestDatabase::create().await;
    let url = db.url.clone();
    let mut child = Command::new(env!("CARGO_BIN_EXE_worker"))
        .env("DATABASE_URL", &url)
        .env("WORKER_HEARTBEAT_MS", "200")
        .env("RUST_LOG", "warn")
        .spawn()
        .unwrap();
    let store = Store::connect(&url, RetryPolicy::default()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let registered = loop {
        if store.is_ready().await
            && let Ok(stats) = store.stats().await
            && let Some(w) = stats.workers.into_iter().next()
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
    assert!(registered.stopped_at.is_none());

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let stopped = store.stats().await.unwrap().workers.remove(0);
    assert!(stopped.stopped_at.is_some());
}
