//! Time-aware dispatch through the router: availability, calendars and who may touch
//! them, service durations, refusals that name their field, provider_busy, the "why"
//! of an attempt for admins only, no-shows that say who was absent, moves, agendas.

mod common;

use axum::http::StatusCode;
use serde_json::{Value, json};

use common::{TestApp, booking_body, next_start};
use queue::JobKind;
use shared::assignment::AssignProvider;

fn day_range(days_ahead: i64) -> (String, String) {
    let from = testkit::grid_start(chrono::Duration::days(days_ahead));
    (
        from.to_rfc3339(),
        (from + chrono::Duration::days(1)).to_rfc3339(),
    )
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

/// Runs every due assignment job as a worker would.
async fn run_jobs(app: &TestApp) {
    let jobs = app
        .state
        .queue
        .claim(
            AssignProvider::QUEUE,
            "w",
            50,
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap();
    let worker = shared::Assignment::new(app.state.db.clone(), "w");
    for job in jobs {
        worker.run(&job).await.unwrap();
    }
}

/// The ids of every page of the list at `path` as `token`, following `next_cursor`.
async fn every_page(app: &TestApp, path: &str, token: &str) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut at = path.to_owned();
        if let Some(c) = &cursor {
            at.push_str(&format!("&cursor={c}"));
        }
        let page = app.get(&at, token).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        for item in page.body["items"].as_array().unwrap() {
            ids.push(item["id"].as_i64().unwrap());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    ids
}

#[tokio::test]
async fn availability_lists_slots_for_any_signed_in_user_and_refuses_a_bad_range_with_400() {
    let app = TestApp::new().await;
    let customer = app.demo("customer").await;
    let (from, to) = day_range(3);
    let path = format!(
        "/api/v1/availability?service_type=plumbing&from={}&to={}",
        enc(&from),
        enc(&to)
    );
    assert_eq!(
        app.call("GET", &path, None, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let res = app.get(&path, &customer).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["duration_minutes"], 120);
    assert_eq!(res.body["time_zone"], "UTC");
    let slots = res.body["slots"].as_array().unwrap();
    assert_eq!(
        slots.len(),
        48,
        "two plumbers who work all day: every half hour"
    );
    assert_eq!(slots[0]["starts_at"], json!(from.replace("+00:00", "Z")));
    assert_eq!(slots[0]["providers"], 2);
    // The zone is read as a booking's: blank is the service area's, blanks around a
    // name do not count.
    for (zone, read) in [("", "UTC"), ("%20Europe%2FBerlin%20", "Europe/Berlin")] {
        let res = app
            .get(&format!("{path}&time_zone={zone}"), &customer)
            .await;
        assert_eq!(res.status, StatusCode::OK, "{zone}: {}", res.body);
        assert_eq!(res.body["time_zone"], read);
    }

    // A slot taken by both plumbers is gone; by one, it has one left.
    let admin = app.demo("admin").await;
    let priya = app.provider_id(&app.demo("priya").await).await;
    let marco = app.provider_id(&app.demo("marco").await).await;
    let mut taken = Vec::new();
    for provider in [priya, marco] {
        let mut body = booking_body();
        body["starts_at"] = json!(from);
        let b = app
            .call("POST", "/api/v1/bookings", Some(&customer), Some(body))
            .await;
        assert_eq!(b.status, StatusCode::CREATED, "{}", b.body);
        taken.push(b.body["id"].as_i64().unwrap());
        let path = format!("/api/v1/bookings/{}/assign", b.body["id"]);
        let res = app
            .call(
                "POST",
                &path,
                Some(&admin),
                Some(json!({"provider_id": provider})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let slots = app.get(&path, &customer).await.body["slots"].clone();
    let first = &slots.as_array().unwrap()[0];
    let two_hours_later = (chrono::DateTime::parse_from_rfc3339(&from).unwrap()
        + chrono::Duration::hours(2))
    .with_timezone(&chrono::Utc);
    assert_eq!(
        first["starts_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        two_hours_later
    );
    // Moving one of them, its own window is not in its way: its start is free again,
    // for its own provider.
    let moving = app
        .get(&format!("{path}&moving={}", taken[0]), &customer)
        .await;
    assert_eq!(moving.status, StatusCode::OK, "{}", moving.body);
    assert_eq!(
        moving.body["slots"][0],
        json!({"starts_at": from.replace("+00:00", "Z"), "providers": 1})
    );
    // Only a booking the caller may see.
    let stranger = app.customer("olive").await;
    let res = app
        .get(&format!("{path}&moving={}", taken[0]), &stranger)
        .await;
    assert_eq!(
        (res.status, res.code()),
        (StatusCode::BAD_REQUEST, "invalid_query")
    );
    assert_eq!(res.body["error"]["details"]["parameter"], "moving");
    // Both busy then: a booking at that time is refused, naming the field.
    let mut body = booking_body();
    body["starts_at"] = json!(from);
    let refused = app
        .call("POST", "/api/v1/bookings", Some(&customer), Some(body))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body["error"]["details"]["fields"]["starts_at"]
            .as_str()
            .unwrap()
            .contains("nobody can do plumbing")
    );
    // Nobody gardens: the service is refused, and listed with no providers.
    let mut body = booking_body();
    body["service_type"] = json!("gardening");
    let refused = app
        .call("POST", "/api/v1/bookings", Some(&customer), Some(body))
        .await;
    assert!(refused.body["error"]["details"]["fields"]["service_type"].is_string());
    let types = app.get("/api/v1/service-types", &customer).await.body;
    let gardening = types
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "gardening")
        .unwrap();
    assert_eq!(gardening["providers"], 0);
    assert_eq!(gardening["duration_minutes"], 180);

    for bad in [
        format!("service_type=plumbing&from={}&to={}", enc(&to), enc(&from)),
        format!("service_type=plumbing&from={}", enc(&from)),
        format!("service_type=plumbing&from=soon&to={}", enc(&to)),
        format!(
            "service_type=plumbing&from={}&to={}",
            enc(&from),
            enc(&(chrono::Utc::now() + chrono::Duration::days(40)).to_rfc3339())
        ),
        format!("service_type=juggling&from={}&to={}", enc(&from), enc(&to)),
        format!(
            "service_type=plumbing&from={}&to={}&time_zone=Mars%2FOlympus",
            enc(&from),
            enc(&to)
        ),
    ] {
        let res = app
            .get(&format!("/api/v1/availability?{bad}"), &customer)
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{bad}: {}", res.body);
    }
}

#[tokio::test]
async fn a_calendar_is_read_and_written_by_its_provider_or_an_admin_and_nobody_else() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let priya = app.demo("priya").await;
    let marco = app.demo("marco").await;
    let customer = app.demo("customer").await;
    let id = app.provider_id(&priya).await;
    let path = format!("/api/v1/providers/{id}/calendar");

    let unset = app.get(&path, &priya).await;
    assert_eq!(unset.status, StatusCode::OK);
    assert_eq!(unset.body["set"], false);
    assert_eq!(unset.body["weekly"].as_array().unwrap().len(), 7);
    assert_eq!(
        unset.body["weekly"][0],
        json!({"weekday": "mon", "start": "00:00", "end": "24:00"})
    );
    for stranger in [&marco, &customer] {
        assert_eq!(app.get(&path, stranger).await.status, StatusCode::NOT_FOUND);
        let res = app
            .call(
                "PUT",
                &path,
                Some(stranger),
                Some(json!({"time_zone": "UTC"})),
            )
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }

    let calendar = json!({
        "time_zone": " Europe/Berlin ",
        "weekly": [
            {"weekday": "mon", "start": "09:00", "end": "12:00"},
            {"weekday": "mon", "start": "13:00", "end": "17:00"},
            {"weekday": "sat", "start": "10:00", "end": "14:00"}
        ],
        "exceptions": [
            {"date": "2026-12-24", "ranges": []},
            {"date": "2026-12-27", "ranges": [{"start": "10:00", "end": "14:00"}]}
        ]
    });
    let res = app
        .call("PUT", &path, Some(&priya), Some(calendar.clone()))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["set"], true);
    let read = app.get(&path, &admin).await.body;
    assert_eq!(
        read["time_zone"], "Europe/Berlin",
        "stored without the blanks"
    );
    assert_eq!(read["weekly"], calendar["weekly"]);
    assert_eq!(read["exceptions"], calendar["exceptions"]);
    let me = app.get("/api/v1/providers", &priya).await.body;
    assert_eq!(me[0]["time_zone"], "Europe/Berlin");
    assert_eq!(me[0]["has_calendar"], true);

    let bad = json!({
        "time_zone": "Mars/Olympus",
        "weekly": [
            {"weekday": "mon", "start": "09:00", "end": "12:00"},
            {"weekday": "mon", "start": "11:00", "end": "13:00"},
            {"weekday": "tue", "start": "12:00", "end": "09:00"},
            {"weekday": "wed", "start": "9:00", "end": "25:00"}
        ],
        "exceptions": [{"date": "2026-02-30", "ranges": []}]
    });
    let res = app.call("PUT", &path, Some(&admin), Some(bad)).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let fields = res.body["error"]["details"]["fields"].as_object().unwrap();
    for field in [
        "time_zone",
        "weekly.mon",
        "weekly[2]",
        "weekly[3]",
        "exceptions[0].date",
    ] {
        assert!(fields.contains_key(field), "{field}: {fields:?}");
    }
    assert_eq!(
        app.get(&path, &admin).await.body["time_zone"],
        "Europe/Berlin",
        "nothing written"
    );
}

#[tokio::test]
async fn admins_change_a_service_s_duration_and_new_bookings_get_it() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let path = "/api/v1/service-types/plumbing";
    let res = app
        .call(
            "PATCH",
            path,
            Some(&customer),
            Some(json!({"duration_minutes": 90})),
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    for bad in [
        json!({"duration_minutes": 10}),
        json!({"duration_minutes": 100}),
        json!({"duration_minutes": 1500}),
    ] {
        let res = app.call("PATCH", path, Some(&admin), Some(bad)).await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    }
    let res = app
        .call(
            "PATCH",
            "/api/v1/service-types/juggling",
            Some(&admin),
            Some(json!({"duration_minutes": 90})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .call(
            "PATCH",
            path,
            Some(&admin),
            Some(json!({"duration_minutes": 90})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.body["duration_minutes"], 90);
    let b = app.book(&customer).await;
    let start: chrono::DateTime<chrono::Utc> = b["starts_at"].as_str().unwrap().parse().unwrap();
    let end: chrono::DateTime<chrono::Utc> = b["ends_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(end - start, chrono::Duration::minutes(90));
    assert_eq!(b["scheduled_date"], b["starts_at"], "the old name stays");
    assert_eq!(b["time_zone"], "UTC");
}

#[tokio::test]
async fn an_overlapping_assignment_by_hand_is_409_provider_busy_unless_overridden_with_a_reason() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya = app.provider_id(&app.demo("priya").await).await;
    let start = next_start();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut body = booking_body();
        body["starts_at"] = json!(start);
        let res = app
            .call("POST", "/api/v1/bookings", Some(&customer), Some(body))
            .await;
        ids.push(res.body["id"].as_i64().unwrap());
    }
    let assign = |id: i64, body: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            app.call(
                "POST",
                &format!("/api/v1/bookings/{id}/assign"),
                Some(&admin),
                Some(body),
            )
            .await
        }
    };
    assert_eq!(
        assign(ids[0], json!({"provider_id": priya})).await.status,
        StatusCode::OK
    );
    let busy = assign(ids[1], json!({"provider_id": priya})).await;
    assert_eq!(busy.status, StatusCode::CONFLICT);
    assert_eq!(busy.code(), "provider_busy");
    assert_eq!(busy.body["error"]["details"]["booking_id"], ids[0]);
    assert_eq!(busy.body["error"]["details"]["provider_id"], priya);
    let no_reason = assign(ids[1], json!({"provider_id": priya, "override": true})).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let allowed = assign(
        ids[1],
        json!({"provider_id": priya, "override": true, "reason": "two jobs in one building"}),
    )
    .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    assert_eq!(allowed.body["overlap_override"], true);
    let detail = app
        .get(&format!("/api/v1/bookings/{}", ids[1]), &admin)
        .await
        .body;
    let last = detail["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["is_override"], true);
    assert_eq!(last["reason"], "two jobs in one building");
}

#[tokio::test]
async fn admins_see_why_an_attempt_chose_whom_it_chose_and_nobody_else_does() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya = app.demo("priya").await;
    let b = app.book(&customer).await;
    run_jobs(&app).await;
    let path = format!("/api/v1/bookings/{}", b["id"]);
    let detail = app.get(&path, &admin).await.body;
    let attempt = &detail["attempts"][0];
    let candidates = attempt["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 2, "both plumbers: {attempt}");
    assert_eq!(candidates[0]["chosen"], true);
    assert_eq!(candidates[0]["provider_id"], detail["provider_id"]);
    assert!(
        candidates[1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("ranked lower")
    );
    assert_eq!(attempt["others_not_listed"], 0);
    let other = candidates[1]["provider_id"].to_string();
    assert!(
        detail["provider_names"][&other].is_string(),
        "the page can name them"
    );
    for who in [&customer, &priya] {
        let seen = app.get(&path, who).await.body;
        assert!(seen["attempts"][0].get("candidates").is_none(), "{seen}");
        assert!(seen["attempts"][0].get("others_not_listed").is_none());
    }
}

#[tokio::test]
async fn a_no_show_says_who_was_absent_and_a_move_keeps_a_free_provider() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya = app.demo("priya").await;
    let priya_id = app.provider_id(&priya).await;
    let b = app.book(&customer).await;
    let path = format!("/api/v1/bookings/{}", b["id"]);
    app.call(
        "POST",
        &format!("{path}/assign"),
        Some(&admin),
        Some(json!({"provider_id": priya_id})),
    )
    .await;
    let accept = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&priya),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(accept.status, StatusCode::OK);
    // Three days ahead: too early to say anyone was absent, and the provider cannot
    // say it of themselves.
    let early = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&customer),
            Some(json!({"status": "no_show", "absent": "provider"})),
        )
        .await;
    assert_eq!(
        (early.status, early.code()),
        (StatusCode::CONFLICT, "too_early")
    );
    assert!(early.body["error"]["details"]["from"].is_string());
    let wrong = app
        .call(
            "PATCH",
            &format!("{path}/status"),
            Some(&customer),
            Some(json!({"status": "no_show", "absent": "customer"})),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body["error"]["details"]["fields"]["absent"].is_string());

    // The customer moves it: priya is free then, keeps it, and is asked again.
    let new_start = next_start();
    let moved = app
        .call(
            "PATCH",
            &path,
            Some(&customer),
            Some(json!({"starts_at": new_start})),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.body);
    assert_eq!(moved.body["status"], "assigned");
    assert_eq!(moved.body["provider_id"], priya_id);
    assert_eq!(
        moved.body["starts_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        new_start.parse::<chrono::DateTime<chrono::Utc>>().unwrap()
    );
    let history = app.get(&format!("{path}/history"), &customer).await.body;
    let last = history.as_array().unwrap().last().unwrap();
    assert!(
        last["reason"]
            .as_str()
            .unwrap()
            .starts_with("rescheduled from")
    );
    // Strangers learn nothing; nonsense is refused by field.
    let bob = app.customer("bob").await;
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&bob),
            Some(json!({"starts_at": next_start()})),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app
        .call(
            "PATCH",
            &path,
            Some(&customer),
            Some(json!({"starts_at": "later"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.body["error"]["details"]["fields"]["starts_at"].is_string());
}

#[tokio::test]
async fn a_provider_s_agenda_is_in_time_order_and_their_record_says_how_each_job_left_them() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya = app.demo("priya").await;
    let priya_id = app.provider_id(&priya).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(app.book(&customer).await["id"].as_i64().unwrap());
    }
    // Assigned in reverse order of time: the agenda is by start, not by id.
    for id in ids.iter().rev() {
        let res = app
            .call(
                "POST",
                &format!("/api/v1/bookings/{id}/assign"),
                Some(&admin),
                Some(json!({"provider_id": priya_id})),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let declined = ids[4];
    let res = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{declined}/status"),
            Some(&priya),
            Some(json!({"status": "rejected", "reason": "too far"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK);

    let seen = every_page(
        &app,
        "/api/v1/bookings?active=true&order=starts_at&limit=2",
        &priya,
    )
    .await;
    assert_eq!(seen, ids[..4], "soonest first, every active job");
    let wrong_order = app
        .get("/api/v1/bookings?order=starts_at&cursor=42", &priya)
        .await;
    assert_eq!(wrong_order.status, StatusCode::BAD_REQUEST);

    // Her record keeps the one she declined, read-only and without contact details.
    let record = app
        .get("/api/v1/bookings?handled=true&limit=100", &priya)
        .await
        .body;
    let items = record["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    // Page by page, the same record in the same order (newest first): those she holds and
    // the one she declined, merged.
    let paged = every_page(&app, "/api/v1/bookings?handled=true&limit=2", &priya).await;
    let whole: Vec<i64> = items.iter().map(|b| b["id"].as_i64().unwrap()).collect();
    assert_eq!(paged, whole);
    // By start, or searched, the record is read whole, not from its newest page's worth.
    let by_start = every_page(
        &app,
        "/api/v1/bookings?handled=true&order=starts_at&limit=2",
        &priya,
    )
    .await;
    assert_eq!(by_start, ids, "booked in order of start");
    let oldest = ids[0];
    let searched = every_page(
        &app,
        &format!("/api/v1/bookings?handled=true&q=%23{oldest}&limit=2"),
        &priya,
    )
    .await;
    assert_eq!(searched, vec![oldest]);
    let gone = items.iter().find(|b| b["id"] == declined).unwrap();
    assert_eq!(gone["customer_phone"], "");
    // Searched, the one she declined is found by what she sees of it (the customer's
    // name), not by what she no longer sees (the phone, the e-mail address): by the
    // index of trigrams (three characters or more on SQLite) and by LIKE alike.
    let held = &ids[..4];
    for (q, found) in [
        ("Casey", ids.as_slice()),
        ("010%200199", held),
        ("casey%40example", held),
        ("19", held),
    ] {
        let mut searched = every_page(
            &app,
            &format!("/api/v1/bookings?handled=true&q={q}&limit=2"),
            &priya,
        )
        .await;
        searched.sort();
        assert_eq!(searched, found, "q={q}");
    }
    let page = app
        .get(&format!("/api/v1/bookings/{declined}"), &priya)
        .await;
    assert_eq!(page.status, StatusCode::OK, "she can still open it");
    assert_eq!(page.body["allowed_transitions"], json!([]));
    assert_eq!(page.body["customer_email"], "");
    assert!(
        page.body["history"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["provider_id"] == priya_id)
    );
    // Marco, never offered it, still learns nothing.
    let marco = app.demo("marco").await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{declined}"), &marco)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Her record says how each one left her: the one she declined, and one an operator
    // gave to Marco; those she holds say nothing.
    let marco_id = app.provider_id(&marco).await;
    let taken = ids[0];
    let res = app
        .call(
            "POST",
            &format!("/api/v1/bookings/{taken}/assign"),
            Some(&admin),
            Some(json!({"provider_id": marco_id, "reason": "closer"})),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let record = app
        .get("/api/v1/bookings?handled=true&limit=100", &priya)
        .await
        .body;
    let passed: Vec<(i64, Value)> = record["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["id"].as_i64().unwrap(), b["passed_on"].clone()))
        .collect();
    for (id, passed_on) in &passed {
        let expected = match *id {
            id if id == declined => json!("declined"),
            id if id == taken => json!("taken_back"),
            _ => Value::Null,
        };
        assert_eq!(passed_on, &expected, "#{id} in {passed:?}");
    }
    assert_eq!(passed.len(), 5);
    // Nowhere else: her agenda, a booking's page.
    let page = app
        .get(&format!("/api/v1/bookings/{declined}"), &priya)
        .await;
    assert_eq!(page.body["passed_on"], Value::Null);
}

/// An offer says when it lapses unanswered: in the answer that made it, on its provider's
/// agenda and page, and in operators' lists. Answered, or read by a provider who passed
/// it on while it is offered to another, it says nothing of a deadline. The provider who
/// has it next is not told who passed it on.
#[tokio::test]
async fn an_offer_says_when_it_lapses_until_it_is_answered() {
    let app = TestApp::new().await;
    let admin = app.demo("admin").await;
    let customer = app.demo("customer").await;
    let priya = app.demo("priya").await;
    let marco = app.demo("marco").await;
    let priya_id = app.provider_id(&priya).await;
    let marco_id = app.provider_id(&marco).await;
    let id = app.book(&customer).await["id"].as_i64().unwrap();
    let unassigned = app.get(&format!("/api/v1/bookings/{id}"), &admin).await;
    assert_eq!(unassigned.body["offer_expires_at"], Value::Null);

    let path = format!("/api/v1/bookings/{id}/assign");
    let assign = |provider: i64| {
        app.call(
            "POST",
            &path,
            Some(&admin),
            Some(json!({"provider_id": provider})),
        )
    };
    let before = chrono::Utc::now();
    let assigned = assign(priya_id).await;
    assert_eq!(assigned.status, StatusCode::OK, "{}", assigned.body);
    let due = &assigned.body["offer_expires_at"];
    let at: chrono::DateTime<chrono::Utc> = due.as_str().unwrap().parse().unwrap();
    // The offer's timeout, 15 minutes unless configured, from the assignment.
    let timeout = chrono::Duration::minutes(15);
    assert!(
        at >= before + timeout - chrono::Duration::seconds(1)
            && at <= chrono::Utc::now() + timeout + chrono::Duration::seconds(1),
        "{at} is not 15 minutes after the assignment at {before}"
    );
    let on_agenda = app
        .get("/api/v1/bookings?active=true&order=starts_at", &priya)
        .await;
    assert_eq!(on_agenda.body["items"][0]["id"], id);
    assert_eq!(&on_agenda.body["items"][0]["offer_expires_at"], due);
    let page = app.get(&format!("/api/v1/bookings/{id}"), &priya).await;
    assert_eq!(&page.body["offer_expires_at"], due);
    let operators = app.get("/api/v1/bookings?status=assigned", &admin).await;
    assert_eq!(&operators.body["items"][0]["offer_expires_at"], due);

    // Declined and offered to Marco: his deadline, which Priya's record does not show.
    let declined = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{id}/status"),
            Some(&priya),
            Some(json!({"status": "rejected", "reason": "too far"})),
        )
        .await;
    assert_eq!(declined.status, StatusCode::OK, "{}", declined.body);
    assert_eq!(declined.body["offer_expires_at"], Value::Null);
    let reassigned = assign(marco_id).await;
    assert_eq!(reassigned.status, StatusCode::OK, "{}", reassigned.body);
    assert!(reassigned.body["offer_expires_at"].is_string());
    let record = app.get("/api/v1/bookings?handled=true", &priya).await;
    let item = record.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap();
    assert_eq!(item["status"], "assigned");
    assert_eq!(item["offer_expires_at"], Value::Null);
    let her_page = app.get(&format!("/api/v1/bookings/{id}"), &priya).await;
    assert_eq!(her_page.body["offer_expires_at"], Value::Null);

    // Marco reads that another provider had it before him, not which one; operators do.
    let his_page = app.get(&format!("/api/v1/bookings/{id}"), &marco).await;
    let providers_named = |page: &Value| -> Vec<Value> {
        page["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["provider_id"].clone())
            .collect()
    };
    let named = providers_named(&his_page.body);
    assert!(named.contains(&json!(marco_id)), "{named:?}");
    assert!(!named.contains(&json!(priya_id)), "{named:?}");
    let declined_row = his_page.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["new_status"] == "rejected")
        .unwrap();
    assert_eq!(declined_row["changed_by_name"], "another provider");
    let operators_page = app.get(&format!("/api/v1/bookings/{id}"), &admin).await;
    assert!(providers_named(&operators_page.body).contains(&json!(priya_id)));

    // Accepted, the offer has no deadline any more.
    let accepted = app
        .call(
            "PATCH",
            &format!("/api/v1/bookings/{id}/status"),
            Some(&marco),
            Some(json!({"status": "accepted"})),
        )
        .await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(accepted.body["offer_expires_at"], Value::Null);
    let page = app.get(&format!("/api/v1/bookings/{id}"), &marco).await;
    assert_eq!(page.body["offer_expires_at"], Value::Null);
}
