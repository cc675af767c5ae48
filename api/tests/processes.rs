//! The acceptance checks of the queue, with real processes: the `api` binary and
//! `worker` binaries on one test database (SQLite or PostgreSQL), talked to over HTTP.

mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use common::process::{ms_between, signal};

fn assigned(b: &Value) -> bool {
    b["status"] == "assigned"
}

#[tokio::test]
async fn two_workers_assign_a_new_booking_within_a_second_and_sixty_at_once_each_exactly_once() {
    let mut sys = common::process::start(&[]).await;
    sys.add_worker(&[]);
    sys.add_worker(&[]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    // Both workers are up once they show in the stats.
    sys.wait_for_workers(&admin, 2, Duration::from_secs(20))
        .await;

    let first = sys.book(&customer, "plumbing").await;
    let b = sys
        .wait_for(&customer, first, Duration::from_secs(1), assigned)
        .await;
    assert_eq!(b["history"][1]["changed_by_role"], "system");

    let mut tasks = Vec::new();
    for _ in 0..60 {
        let (client, url, token, start) = (
            sys.client.clone(),
            sys.at("/api/v1/bookings"),
            customer.clone(),
            sys.next_start(),
        );
        tasks.push(tokio::spawn(async move {
            let body = json!({
                "customer_name": "Casey", "customer_phone": "555 010 0199", "customer_email": "casey@example.com",
                "service_type": "cleaning", "address": "9 Elm Street",
                "starts_at": start,
            });
            let res = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
            assert_eq!(res.status(), 201);
            res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.unwrap());
    }
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;
    assert!(sys.exited_workers().is_empty(), "no worker exited");
}

#[tokio::test]
async fn a_rejected_booking_goes_to_another_provider_no_sooner_than_the_base_delay() {
    let mut sys = common::process::start(&[("ASSIGN_BACKOFF_BASE_MS", "500")]).await;
    sys.add_worker(&[]);
    sys.add_worker(&[]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    // Attempts are the staff's: the customer's view has none.
    let admin = sys.login("admin@example.com", "demo1234").await;
    let id = sys.book(&customer, "plumbing").await;
    let b = sys
        .wait_for(&customer, id, Duration::from_secs(5), assigned)
        .await;
    let first = b["provider_id"].as_i64().unwrap();
    let emails = HashMap::from([(1, "priya@example.com"), (2, "marco@example.com")]);
    let holder = sys.login(emails[&first], "demo1234").await;
    let other = sys.login(emails[&(3 - first)], "demo1234").await;
    let path = format!("/api/v1/bookings/{id}/status");
    // The provider who does not hold it can do nothing with it.
    let (status, _) = sys
        .call(
            Method::PATCH,
            &path,
            &other,
            Some(json!({"status": "rejected"})),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = sys
        .call(
            Method::PATCH,
            &path,
            &holder,
            Some(json!({"status": "rejected", "reason": "ill"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let b = sys
        .wait_for(&admin, id, Duration::from_secs(5), |b| {
            assigned(b) && b["provider_id"].as_i64() != Some(first)
        })
        .await;
    assert_eq!(b["provider_id"].as_i64(), Some(3 - first));
    let history = b["history"].as_array().unwrap();
    let rejected = history
        .iter()
        .find(|h| h["new_status"] == "rejected")
        .unwrap();
    let reassigned = history.last().unwrap();
    let waited = ms_between(&rejected["timestamp"], &reassigned["timestamp"]);
    assert!(
        waited >= 500,
        "offered again after {waited} ms, before the 500 ms base delay"
    );
    assert_eq!(b["attempts"][1]["attempt"], 2);
    // The first provider keeps it in their record, read-only; the second may accept it.
    let (status, theirs) = sys
        .call(
            Method::GET,
            &format!("/api/v1/bookings/{id}"),
            &holder,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(theirs["allowed_transitions"], json!([]));
    let (status, _) = sys
        .call(
            Method::PATCH,
            &path,
            &other,
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn with_nobody_eligible_the_job_dies_after_attempts_at_half_one_and_two_seconds_and_a_retry_assigns_a_new_provider()
 {
    let mut sys = common::process::start(&[("ASSIGN_BACKOFF_BASE_MS", "500")]).await;
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    // No demo provider gardens: a gardener joins, a garden is booked, and the gardener
    // stops taking work before any worker runs.
    let (status, gardener) = sys
        .call(
            Method::POST,
            "/api/v1/providers",
            &admin,
            Some(
                json!({"name": "Gus", "email": "gus@example.com", "service_types": ["gardening"]}),
            ),
        )
        .await;
    assert_eq!(status, 201);
    let id = sys.book(&customer, "gardening").await;
    let gus = format!("/api/v1/providers/{}", gardener["id"]);
    let (status, _) = sys
        .call(
            Method::PATCH,
            &gus,
            &admin,
            Some(json!({"available": false})),
        )
        .await;
    assert_eq!(status, 200);
    sys.add_worker(&[]);
    sys.add_worker(&[]);
    let b = sys
        .wait_for(&admin, id, Duration::from_secs(10), |b| {
            b["assignment"]["state"] == "dead"
        })
        .await;
    let attempts = b["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 4);
    for (k, min_gap) in [(1, 500), (2, 1000), (3, 2000)] {
        let gap = ms_between(&attempts[k - 1]["created_at"], &attempts[k]["created_at"]);
        assert!(
            gap >= min_gap,
            "attempt {} ran {gap} ms after attempt {k}, before {min_gap} ms",
            k + 1
        );
        assert!(
            gap < min_gap + 1000,
            "attempt {} ran {gap} ms after attempt {k}",
            k + 1
        );
    }
    assert!(b["assignment_exhausted"].as_bool().unwrap());
    let dead = sys.get("/api/v1/admin/jobs?state=dead", &admin).await;
    let job = &dead["items"][0];
    assert_eq!(job["booking_id"], id);
    assert_eq!(job["errors"].as_array().unwrap().len(), 4);
    assert!(
        job["last_error"]
            .as_str()
            .unwrap()
            .contains("no eligible provider")
    );

    let (status, _) = sys
        .call(
            Method::PATCH,
            &gus,
            &admin,
            Some(json!({"available": true})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, report) = sys
        .call(
            Method::POST,
            "/api/v1/admin/jobs/retry",
            &admin,
            Some(json!({"ids": [job["id"]]})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        report,
        json!({"changed": 1, "skipped": [], "skipped_count": 0}),
        "the one dead job was retried"
    );
    let b = sys
        .wait_for(&customer, id, Duration::from_secs(2), assigned)
        .await;
    assert_eq!(b["provider_id"], gardener["id"]);
    assert_eq!(b["assignment_exhausted"], false);
}

#[tokio::test]
async fn a_sigkilled_worker_s_jobs_are_run_by_another_after_its_lease_expires_and_none_twice() {
    let mut sys = common::process::start(&[("JOB_LEASE_MS", "1500")]).await;
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    let mut ids = Vec::new();
    for _ in 0..120 {
        ids.push(sys.book(&customer, "cleaning").await);
    }
    let victim = sys.add_worker(&[("WORKER_CONCURRENCY", "4"), ("WORKER_POLL_MS", "10")]);
    // Freeze the worker at a moment it holds leases, then kill it.
    let deadline = Instant::now() + Duration::from_secs(20);
    let held = loop {
        signal(victim, "-STOP");
        let running = sys.get("/api/v1/admin/jobs?state=running", &admin).await;
        let held = running["items"].as_array().unwrap().len();
        if held > 0 {
            break held;
        }
        signal(victim, "-CONT");
        assert!(Instant::now() < deadline, "the worker never held a job");
        tokio::time::sleep(Duration::from_millis(3)).await;
    };
    signal(victim, "-KILL");
    let killed_at = Instant::now();
    sys.add_worker(&[("WORKER_POLL_MS", "10")]);
    for id in &ids {
        sys.wait_for(&customer, *id, Duration::from_secs(20), assigned)
            .await;
    }
    assert!(
        killed_at.elapsed() >= Duration::from_millis(1500),
        "the held jobs waited for the lease"
    );
    let counts = sys.assignments(&admin, &ids).await;
    assert!(
        counts.values().all(|n| *n == 1),
        "held {held}; assignments per booking: {counts:?}"
    );
    let done = sys
        .get("/api/v1/admin/jobs?state=done&limit=200", &admin)
        .await;
    let rescued = done["items"].as_array().unwrap().iter().filter(|j| {
        j["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("expired"))
    });
    assert_eq!(
        rescued.count(),
        held,
        "every job the dead worker held was run again after its lease expired"
    );
}

async fn no_stall_with_poll(poll_ms: &str) {
    let mut sys = common::process::start(&[]).await;
    sys.add_worker(&[("WORKER_POLL_MS", poll_ms)]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    for i in 0..15 {
        // Arrivals at uneven intervals, so that some land while the worker sleeps.
        tokio::time::sleep(Duration::from_millis(37 * (i % 4))).await;
        let id = sys.book(&customer, "electrical").await;
        sys.wait_for(&customer, id, Duration::from_secs(1), assigned)
            .await;
        let (_, b) = sys
            .call(
                Method::PATCH,
                &format!("/api/v1/bookings/{id}/status"),
                &customer,
                Some(json!({"status": "cancelled"})),
            )
            .await;
        assert_eq!(b["status"], "cancelled");
    }
}

#[tokio::test]
async fn a_worker_polling_every_10_ms_never_stalls() {
    no_stall_with_poll("10").await;
}

#[tokio::test]
async fn a_worker_polling_every_50_ms_never_stalls() {
    no_stall_with_poll("50").await;
}

#[tokio::test]
async fn a_worker_stops_on_sigterm_with_exit_zero_leaving_no_job_running() {
    let mut sys = common::process::start(&[]).await;
    let pid = sys.add_worker(&[]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    let id = sys.book(&customer, "plumbing").await;
    sys.wait_for(&customer, id, Duration::from_secs(5), assigned)
        .await;
    signal(pid, "-TERM");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = sys.workers[0].try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(status.success(), "{status:?}");
    let stats = sys.get("/api/v1/admin/stats", &admin).await;
    assert!(stats["workers"][0]["stopped_at"].is_string());
    assert_eq!(stats["jobs_by_state"]["running"], 0);
}

#[tokio::test]
async fn a_worker_serves_its_metrics_of_claims_runs_and_assignments_on_metrics_addr() {
    let mut sys = common::process::start(&[]).await;
    let port = testkit::free_port();
    let addr = format!("127.0.0.1:{port}");
    sys.add_worker(&[("METRICS_ADDR", addr.as_str())]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    let id = sys.book(&customer, "plumbing").await;
    sys.wait_for(&customer, id, Duration::from_secs(10), |b| {
        b["status"] == "assigned"
    })
    .await;
    // The job's run is recorded as it ends, a moment after its transaction commits.
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let text = loop {
        let text = reqwest::get(format!("http://{addr}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text.contains("queue_job_duration_seconds_count") || std::time::Instant::now() > deadline
        {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    for expected in [
        "assignment_attempts_total{outcome=\"assigned\"} 1",
        "assignment_create_to_assigned_seconds_count 1",
        "queue_job_duration_seconds_count{queue=\"assignment\",outcome=\"ok\"} 1",
        "queue_jobs_claimed_total{queue=\"assignment\"} 1",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }
}

#[tokio::test]
async fn two_workers_stop_claiming_from_a_paused_queue_and_start_again_once_it_is_resumed() {
    let mut sys = common::process::start(&[]).await;
    // A one-second poll: on SQLite the pause and the resume are seen at the next poll.
    sys.add_worker(&[("WORKER_POLL_MS", "1000")]);
    sys.add_worker(&[("WORKER_POLL_MS", "1000")]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    sys.wait_for_workers(&admin, 2, Duration::from_secs(20))
        .await;
    let (status, queue) = sys
        .call(
            Method::POST,
            "/api/v1/admin/queues/assignment/pause",
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (status, queue["paused"].clone()),
        (200, json!(true)),
        "{queue}"
    );
    // Past one poll interval, every worker has seen the pause: nothing is claimed.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ids = [
        sys.book(&customer, "plumbing").await,
        sys.book(&customer, "cleaning").await,
    ];
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for id in ids {
        let b = sys.get(&format!("/api/v1/bookings/{id}"), &customer).await;
        assert_eq!(b["status"], "pending", "claimed from a paused queue: {b}");
    }
    let jobs = sys.get("/api/v1/admin/jobs?state=scheduled", &admin).await;
    assert_eq!(jobs["total"], 2, "{jobs}");
    let (status, queue) = sys
        .call(
            Method::POST,
            "/api/v1/admin/queues/assignment/resume",
            &admin,
            None,
        )
        .await;
    assert_eq!((status, queue["paused"].clone()), (200, json!(false)));
    // The next poll claims them (a generous bound: timing is the benchmark's business).
    for id in ids {
        sys.wait_for(&customer, id, Duration::from_secs(10), assigned)
            .await;
    }
    sys.assert_each_assigned_once(&customer, &admin, &ids).await;
    // Each assignment's run is on record, by one of the two workers.
    let job = &sys
        .get("/api/v1/admin/jobs?state=done&queue=assignment", &admin)
        .await["items"][0];
    let detail = sys
        .get(&format!("/api/v1/admin/jobs/{}", job["id"]), &admin)
        .await;
    let attempts = detail["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1, "{detail}");
    assert_eq!(attempts[0]["outcome"], "done");
    let workers = sys.get("/api/v1/admin/stats", &admin).await["workers"].clone();
    assert!(
        workers
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["name"] == attempts[0]["worker"]),
        "{detail} {workers}"
    );
    assert!(sys.exited_workers().is_empty(), "no worker exited");
}

/// A worker polling only every 10 s still takes a new booking at once, and the jobs of a
/// queue resumed: the commit wakes it (PostgreSQL's notification; on SQLite a datagram
/// to the worker's socket beside the database file). With the poll alone, each would
/// wait up to 10 s.
#[tokio::test]
async fn a_worker_polling_every_10_s_is_woken_at_once_by_a_new_booking_and_by_a_resume() {
    let mut sys = common::process::start(&[]).await;
    sys.add_worker(&[("WORKER_POLL_MS", "10000")]);
    let customer = sys.login("customer@example.com", "demo1234").await;
    let admin = sys.login("admin@example.com", "demo1234").await;
    sys.wait_for_workers(&admin, 1, Duration::from_secs(20))
        .await;
    // Its first claim found nothing: it waits out its poll.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..3 {
        let id = sys.book(&customer, "plumbing").await;
        sys.wait_for(&customer, id, Duration::from_secs(2), assigned)
            .await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (status, _) = sys
        .call(
            Method::POST,
            "/api/v1/admin/queues/assignment/pause",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    let id = sys.book(&customer, "cleaning").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let b = sys.get(&format!("/api/v1/bookings/{id}"), &customer).await;
    assert_eq!(b["status"], "pending", "claimed from a paused queue: {b}");
    let (status, _) = sys
        .call(
            Method::POST,
            "/api/v1/admin/queues/assignment/resume",
            &admin,
            None,
        )
        .await;
    assert_eq!(status, 200);
    sys.wait_for(&customer, id, Duration::from_secs(2), assigned)
        .await;
    assert!(sys.exited_workers().is_empty(), "no worker exited");
}
