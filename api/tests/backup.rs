//! Backups that restore. SQLite: `api backup --output FILE` copies the database while
//! bookings are being written, and the copy holds every booking committed before the
//! backup began, with its history, and passes an integrity check. PostgreSQL: the
//! README's `pg_dump` and `pg_restore` commands, run against a database in use.
//!
//! Each test makes its own database on its own backend, whatever `TEST_BACKEND` says, so
//! `scripts/test` runs this binary once (with the PostgreSQL half).

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::json;

use db::Backend;
use testkit::TestDatabase;

/// Creates bookings one after another until `stop`; the ids that got 201, in order.
fn keep_booking(
    sys: &testkit::System,
    token: String,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<i64>> {
    let (client, url) = (sys.client.clone(), sys.at("/api/v1/bookings"));
    tokio::spawn(async move {
        let mut ids = Vec::new();
        let mut k = 0;
        while !stop.load(Ordering::Relaxed) {
            k += 1;
            let start = testkit::grid_start(chrono::Duration::days(2) + chrono::Duration::hours(k));
            let body = json!({
                "customer_name": "Casey", "customer_phone": "555 010 0199",
                "customer_email": "casey@example.com", "service_type": "cleaning",
                "address": format!("{k} Elm Street"), "starts_at": start.to_rfc3339(),
            });
            let res = client
                .post(&url)
                .bearer_auth(&token)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                201,
                "{}",
                res.text().await.unwrap_or_default()
            );
            ids.push(
                res.json::<serde_json::Value>().await.unwrap()["id"]
                    .as_i64()
                    .unwrap(),
            );
        }
        ids
    })
}

/// Bookings and their history rows in a database.
async fn contents(url: &str) -> (BTreeSet<i64>, Vec<(i64, i64)>) {
    let db = db::Db::connect(url).await.unwrap();
    let (bookings, history): (Vec<i64>, Vec<(i64, i64)>) = match db.split() {
        db::Either::Sqlite(p) => (
            sqlx::query_scalar("SELECT id FROM bookings")
                .fetch_all(p)
                .await
                .unwrap(),
            sqlx::query_as("SELECT booking_id, COUNT(*) FROM booking_history GROUP BY booking_id")
                .fetch_all(p)
                .await
                .unwrap(),
        ),
        db::Either::Postgres(p) => (
            sqlx::query_scalar("SELECT id FROM bookings")
                .fetch_all(p)
                .await
                .unwrap(),
            sqlx::query_as("SELECT booking_id, COUNT(*) FROM booking_history GROUP BY booking_id")
                .fetch_all(p)
                .await
                .unwrap(),
        ),
    };
    db.close().await;
    (bookings.into_iter().collect(), history)
}

#[tokio::test]
async fn a_sqlite_backup_taken_while_bookings_are_written_restores_everything_committed_before_it()
{
    let database = TestDatabase::create_on(Backend::Sqlite).await;
    let url = database.url.clone();
    let sys = common::process::start_on(database, &[]).await;
    let customer = sys.login("customer@example.com", "demo1234").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = keep_booking(&sys, customer.clone(), stop.clone());
    // Some bookings first; those committed when the backup starts must all be in it.
    let before = loop {
        let (ids, _) = contents(&url).await;
        if ids.len() >= 20 {
            break ids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };

    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.db");
    let out = Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["backup", "--output"])
        .arg(&copy)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.starts_with("backed up "), "{said}");
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy is for this user only");
    }
    // The service went on taking bookings after the backup.
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(
        written.len() > before.len(),
        "{} then {}",
        before.len(),
        written.len()
    );

    // Restore: the copy is a database the service opens as it is.
    let restored = format!("sqlite://{}", copy.display());
    let (kept, history) = contents(&restored).await;
    let missing: Vec<_> = before.difference(&kept).collect();
    assert!(
        missing.is_empty(),
        "bookings missing from the backup: {missing:?}"
    );
    for (booking, rows) in &history {
        assert!(*rows >= 1, "booking {booking} has no history");
    }
    let with_history: BTreeSet<i64> = history.iter().map(|(b, _)| *b).collect();
    assert!(
        kept.is_subset(&with_history),
        "every booking in the copy has its history"
    );
    let reopened = db::Db::connect(&restored).await.unwrap();
    let db::Either::Sqlite(pool) = reopened.split() else {
        unreachable!("a SQLite URL")
    };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    reopened.migrate().await.unwrap();
    reopened.close().await;

    // An existing file is never overwritten, and a PostgreSQL URL is sent to pg_dump.
    let again = Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["backup", "--output"])
        .arg(&copy)
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let pg = Command::new(env!("CARGO_BIN_EXE_api"))
        .args(["backup", "--output"])
        .arg(dir.path().join("pg.db"))
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nothing")
        .output()
        .unwrap();
    assert!(!pg.status.success());
    assert!(String::from_utf8_lossy(&pg.stderr).contains("pg_dump"));
}

#[tokio::test]
async fn the_readme_s_pg_dump_and_pg_restore_commands_restore_a_database_in_use() {
    let database = TestDatabase::create_on(Backend::Postgres).await;
    let url = database.url.clone();
    let sys = common::process::start_on(database, &[]).await;
    let customer = sys.login("customer@example.com", "demo1234").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = keep_booking(&sys, customer.clone(), stop.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (before, _) = contents(&url).await;
    assert!(!before.is_empty());

    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("bookings.dump");
    // As in the README: pg_dump --format=custom --file=FILE "$DATABASE_URL"
    let out = Command::new("pg_dump")
        .arg("--format=custom")
        .arg(format!("--file={}", dump.display()))
        .arg(&url)
        .output()
        .expect("pg_dump (PostgreSQL's client tools)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stop.store(true, Ordering::Relaxed);
    writer.await.unwrap();

    // Into a new, empty database: pg_restore --no-owner --dbname="$NEW_URL" FILE
    let target = TestDatabase::create_on(Backend::Postgres).await;
    let out = Command::new("pg_restore")
        .arg("--no-owner")
        .arg(format!("--dbname={}", target.url))
        .arg(&dump)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (kept, history) = contents(&target.url).await;
    let missing: Vec<_> = before.difference(&kept).collect();
    assert!(
        missing.is_empty(),
        "bookings missing from the restore: {missing:?}"
    );
    let with_history: BTreeSet<i64> = history.iter().map(|(b, _)| *b).collect();
    assert!(
        kept.is_subset(&with_history),
        "every booking restored has its history"
    );
    // The restored database is this service's, as it was: migrations find nothing to do.
    let restored = db::Db::connect(&target.url).await.unwrap();
    restored.migrate().await.unwrap();
    restored.close().await;
}
