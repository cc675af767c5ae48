//! The operator console through the router: who may call each route (admins; others 403,
//! nobody signed in 401), what malformed filters and selections get, a job with its runs,
//! the actions' counts, pausing, and the audit rows they write.

mod common;

use axum::http::StatusCode;
use serde_json::{Value, json};

use common::TestApp;

fn routes() -> Vec<(&'static str, &'static str, Option<Value>)> {
    vec![
        ("GET", "/api/v1/admin/jobs", None),
        ("GET", "/api/v1/admin/jobs/1", None),
        (
            "POST",
            "/api/v1/admin/jobs/retry",
            Some(json!({"all_dead": true})),
        ),
        (
            "POST",
            "/api/v1/admin/jobs/cancel",
            Some(json!({"ids": [1]})),
        ),
        (
            "POST",
            "/api/v1/admin/jobs/run-now",
            Some(json!({"filter": {}})),
        ),
        ("GET", "/api/v1/admin/queues", None),
        ("POST", "/api/v1/admin/queues/assignment/pause", None),
        ("POST", "/api/v1/admin/queues/assignment/resume", None),
        ("GET", "/api/v1/admin/audit", None),
    ]
}

#[tokio::test]
async fn every_console_route_is_for_admins_only() {
    let app = TestApp::new().await;
    for (method, path, body) in routes() {
        let res = app.call(method, path, None, body.clone()).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    for who in ["customer", "priya"] {
        let token = app.demo(who).await;
        for (method, path, body) in routes() {
            let res = app.call(method, path, Some(&token), body.clone()).await;
            assert_eq!(
                (res.status, res.code()),
                (StatusCode::FORBIDDEN, "forbidden"),
                "{who}: {method} {path}: {}",
                res.body
            );
        }
    }
    // Nothing a refused caller tried was done, nor recorded.
    let admin = app.demo("admin").await;
    let queues = app.get("/api/v1/admin/queues", &admin).await.body;
    assert_eq!(queues[0]["paused"], false);
    let audit = app.get("/api/v1/admin/audit", &admin).await.body;
    assert_eq!(audit["items"], json!([]));
}

#[tokio::test]
async fn malformed_filters_and_selections_are_400s_naming_the_field() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    for (query, parameter) in [
        ("state=sleeping", "state"),
        ("queue=nonesuch", "queue"),
        ("booking_id=0", "booking_id"),
        ("created_from=yesterday", "created_from"),
        (
            "created_from=2026-12-02&created_to=2026-12-01",
            "created_to",
        ),
        ("sort=name", "sort"),
        ("cursor=abc", "cursor"),
        ("sort=run_at&cursor=12", "cursor"),
        ("limit=0", "limit"),
        ("q=a%00b", "q"),
        ("queue=a%00b", "queue"),
    ] {
        let res = app
            .get(&format!("/api/v1/admin/jobs?{query}"), &admin)
            .await;
        assert_eq!(
            (res.status, res.code()),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{query}: {}",
            res.body
        );
        assert!(
            res.body.to_string().contains(parameter),
            "{query}: {}",
            res.body
        );
    }
    for (body, field) in [
        (json!({}), "ids"),
        (json!({"ids": []}), "ids"),
        (json!({"ids": [1], "all_dead": true}), "ids"),
        (json!({"ids": [1], "filter": {}}), "ids"),
        // Named, a selection may not be null (the schema's oneOf refuses such a body).
        (json!({"all_dead": true, "ids": null}), "ids"),
        (json!({"all_dead": true, "filter": null}), "filter"),
        (json!({"ids": null}), "ids"),
        (json!({"filter": {"queue": "nonesuch"}}), "filter.queue"),
        (
            json!({"filter": {"created_to": "soon"}}),
            "filter.created_to",
        ),
        (json!({"filter": {"q": "a\u{0}b"}}), "filter.q"),
    ] {
        let res = app
            .call(
                "POST",
                "/api/v1/admin/jobs/cancel",
                Some(&admin),
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            res.body
        );
        assert!(
            res.body["error"]["details"]["fields"][field].is_string(),
            "{body}: {}",
            res.body
        );
    }
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/cancel",
            Some(&admin),
            Some(json!({"filter": {"color": "red"}})),
        )
        .await;
    assert!(res.status.is_client_error(), "{}", res.body);
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/retry",
            Some(&admin),
            Some(json!({"ids": (1..=1001).collect::<Vec<i64>>()})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get("/api/v1/admin/jobs/999", &admin).await.status,
        StatusCode::NOT_FOUND
    );
    // A job's id is checked as every other id in a path is.
    for id in ["0", "-1", "abc", "1.0"] {
        let res = app.get(&format!("/api/v1/admin/jobs/{id}"), &admin).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{id}");
        assert_eq!(res.code(), "invalid_id", "{id}");
    }
    let res = app
        .call(
            "POST",
            "/api/v1/admin/queues/nonesuch/pause",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    for query in ["action=explode", "actor=0", "from=soon", "cursor=-1"] {
        let res = app
            .get(&format!("/api/v1/admin/audit?{query}"), &admin)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{query}: {}", res.body);
    }
}

#[tokio::test]
async fn an_admin_filters_acts_pauses_and_reads_what_was_done() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let admin = app.demo("admin").await;
    let first = app.book(&customer).await;
    let second = app.book(&customer).await;

    // The table: by booking, with a total; a job with its (not yet any) runs.
    let page = app
        .get(
            &format!(
                "/api/v1/admin/jobs?booking_id={}&queue=assignment",
                first["id"]
            ),
            &admin,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body["total"], 1);
    let job = page.body["items"][0].clone();
    assert_eq!(job["booking_id"], first["id"]);
    assert_eq!(job["booking"]["service_type"], first["service_type"]);
    assert_eq!(job["booking"]["customer_name"], first["customer_name"]);
    assert_eq!(job["booking"]["starts_at"], first["starts_at"]);
    assert_eq!(job["booking"]["status"], "pending");
    let detail = app
        .get(&format!("/api/v1/admin/jobs/{}", job["id"]), &admin)
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(
        (detail.body["id"].clone(), detail.body["attempts"].clone()),
        (job["id"].clone(), json!([]))
    );
    let sorted = app
        .get("/api/v1/admin/jobs?sort=run_at&limit=1", &admin)
        .await
        .body;
    assert_eq!(sorted["total"], 2);
    let next = sorted["next_cursor"].as_str().unwrap().to_owned();
    let rest = app
        .get(
            &format!("/api/v1/admin/jobs?sort=run_at&limit=1&cursor={next}"),
            &admin,
        )
        .await
        .body;
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_ne!(rest["items"][0]["id"], sorted["items"][0]["id"]);
    let today = app
        .get(
            "/api/v1/admin/jobs?created_from=2000-01-01&created_to=2000-01-02",
            &admin,
        )
        .await
        .body;
    assert_eq!(today["total"], 0);

    // Pause, then cancel everything matching: both waiting jobs.
    let paused = app
        .call(
            "POST",
            "/api/v1/admin/queues/assignment/pause",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(
        (paused.status, paused.body["paused"].clone()),
        (StatusCode::OK, json!(true))
    );
    assert_eq!(paused.body["paused_by"], "Ada Admin");
    assert_eq!(paused.body["depth"]["scheduled"], 2);
    let metrics = app.get("/metrics", &admin).await.body;
    assert!(
        metrics
            .as_str()
            .unwrap()
            .contains("queue_paused{queue=\"assignment\"} 1")
    );
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/cancel",
            Some(&admin),
            Some(json!({"filter": {"state": "scheduled"}})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(
        res.body,
        json!({"changed": 2, "skipped": [], "skipped_count": 0})
    );
    let booking = app
        .get(&format!("/api/v1/bookings/{}", second["id"]), &admin)
        .await
        .body;
    assert_eq!(booking["assignment_exhausted"], true, "{booking}");
    // Retry one by id, run it now (already due), resume.
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/retry",
            Some(&admin),
            Some(json!({"ids": [job["id"]]})),
        )
        .await;
    assert_eq!(res.body["changed"], 1, "{}", res.body);
    let res = app
        .call(
            "POST",
            "/api/v1/admin/jobs/run-now",
            Some(&admin),
            Some(json!({"ids": [job["id"]]})),
        )
        .await;
    assert_eq!(res.body["changed"], 1, "{}", res.body);
    let resumed = app
        .call(
            "POST",
            "/api/v1/admin/queues/assignment/resume",
            Some(&admin),
            None,
        )
        .await;
    assert_eq!(resumed.body["paused"], false);

    let audit = app.get("/api/v1/admin/audit", &admin).await;
    assert_eq!(audit.status, StatusCode::OK);
    let rows: Vec<(String, String, i64, String)> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["subject"].as_str().unwrap().to_owned(),
                e["count"].as_i64().unwrap(),
                e["actor_name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let job_subject = format!("job {}", job["id"]);
    let expected = vec![
        ("resume_queue", "queue assignment", 1),
        ("run_jobs_now", job_subject.as_str(), 1),
        ("retry_jobs", job_subject.as_str(), 1),
        ("cancel_jobs", "jobs matching state=scheduled", 2),
        ("pause_queue", "queue assignment", 1),
    ];
    assert_eq!(
        rows.iter()
            .map(|(a, s, n, _)| (a.as_str(), s.as_str(), *n))
            .collect::<Vec<_>>(),
        expected
    );
    assert!(rows.iter().all(|(_, _, _, who)| who == "Ada Admin"));
    let only = app
        .get("/api/v1/admin/audit?action=pause_queue", &admin)
        .await
        .body;
    assert_eq!(only["items"].as_array().unwrap().len(), 1);
    let page = app.get("/api/v1/admin/audit?limit=2", &admin).await.body;
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let next = app
        .get(
            &format!("/api/v1/admin/audit?limit=2&cursor={cursor}"),
            &admin,
        )
        .await
        .body;
    assert_eq!(next["items"][0]["action"], "retry_jobs");
}
