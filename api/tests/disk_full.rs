//! A full disk under SQLite: the API and two workers on a database in a small tmpfs of
//! the test's own, filled up. Writes answer 503 `storage_full` (never a 500), reads go on,
//! nothing committed is lost, the file passes `PRAGMA integrity_check`, the workers stay
//! up, and everything resumes when space is freed. Needs root (to mount the tmpfs), as
//! the README's test machine has; `scripts/test` runs it in its SQLite half only.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

/// A size-limited tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount(8)");
        assert!(
            status.success(),
            "mounting a tmpfs needs root (the README's test machine runs the tests as root)"
        );
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the disk: a file written until there is no room left; its path.
fn fill(disk: &SmallDisk) -> PathBuf {
    let path = disk.path().join("filler");
    let mut file = std::fs::File::create(&path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    loop {
        if file
            .write_all(&chunk)
            .and_then(|()| file.sync_all())
            .is_err()
        {
            break;
        }
    }
    // Whatever is left, a byte at a time (the last chunk may have half fitted).
    while file.write_all(&[0]).and_then(|()| file.sync_all()).is_ok() {}
    path
}

fn booking(k: i64) -> Value {
    json!({
        "customer_name": "Casey", "customer_phone": "555 010 0199",
        "customer_email": "casey@example.com", "service_type": "cleaning",
        "address": format!("{k} Full Street"),
        "starts_at": testkit::grid_start(chrono::Duration::days(2) + chrono::Duration::hours(3 * k)).to_rfc3339(),
    })
}

#[tokio::test]
async fn a_full_disk_answers_503_loses_nothing_and_everything_resumes_when_space_returns() {
    let disk = SmallDisk::mount("6m");
    let url = format!("sqlite://{}/bookings.db", disk.path().display());
    let mut sys = testkit::System::start_at(common::process::binaries(), &url, &[], Stdio::null())
        .await
        .unwrap();
    sys.add_worker(&[]);
    sys.add_worker(&[]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    // Both workers running before the disk fills: a worker that cannot even register
    // (its first write) ends, for its supervisor to start again.
    sys.wait_for_workers(&admin, 2, Duration::from_secs(20))
        .await;

    let mut committed = Vec::new();
    for k in 0..5 {
        let (status, body) = sys
            .call(
                Method::POST,
                "/api/v1/bookings",
                &customer,
                Some(booking(k)),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        committed.push(body["id"].as_i64().unwrap());
    }

    // No room left: bookings are refused with 503 storage_full, never a 500, and those
    // that got in before the disk filled (SQLite may still have free pages) are kept.
    let filler = fill(&disk);
    let mut refused = None;
    for k in 5..2000 {
        let (status, body) = sys
            .call(
                Method::POST,
                "/api/v1/bookings",
                &customer,
                Some(booking(k)),
            )
            .await;
        match status {
            201 => committed.push(body["id"].as_i64().unwrap()),
            503 => {
                refused = Some(body);
                break;
            }
            other => panic!("a booking on a full disk answered {other}: {body}"),
        }
    }
    let refused = refused.expect("the full disk refused a booking");
    assert_eq!(refused["error"]["code"], "storage_full", "{refused}");

    // Reads go on, and every booking committed is there, with its history.
    for id in &committed {
        let b = sys.get(&format!("/api/v1/bookings/{id}"), &customer).await;
        assert!(!b["history"].as_array().unwrap().is_empty(), "{b}");
    }
    let (status, _) = sys
        .call(Method::GET, "/api/v1/admin/stats", &admin, None)
        .await;
    assert_eq!(status, 200);
    // The workers ride it out (they retry their claims).
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        sys.exited_workers().is_empty(),
        "a worker exited on a full disk"
    );

    // Space again: writes resume without a restart, and the workers assign.
    std::fs::remove_file(&filler).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let id = loop {
        let (status, body) = sys
            .call(
                Method::POST,
                "/api/v1/bookings",
                &customer,
                Some(booking(2001)),
            )
            .await;
        if status == 201 {
            break body["id"].as_i64().unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "writes did not resume: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    sys.wait_for(&customer, id, Duration::from_secs(10), |b| {
        b["status"] == "assigned"
    })
    .await;
    assert!(sys.exited_workers().is_empty(), "no worker exited");

    // The file is sound, and holds everything committed.
    let db = db::Db::connect(&url).await.unwrap();
    let db::Either::Sqlite(pool) = db.split() else {
        unreachable!("a SQLite URL")
    };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let kept: Vec<i64> = sqlx::query_scalar("SELECT id FROM bookings")
        .fetch_all(pool)
        .await
        .unwrap();
    for id in &committed {
        assert!(kept.contains(id), "booking {id} was lost");
    }
    db.close().await;
    println!(
        "{} bookings committed before the disk refused one; the refusal: {}",
        committed.len(),
        refused["error"]["message"]
    );
    drop(sys);
}
