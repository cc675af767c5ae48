//! Store tests on a real SQLite file: transactions, compare-and-set, visibility, the
//! retry schedule (with a manual clock), dead jobs and admin retry, the audit trail.

mod common;

use std::collections::BTreeSet;

use common::{Core, StatusChange};
use db::{Backend, Db};
use queue::JobState;
use shared::account::NewUser;
use shared::booking::validation::BookingInput;
use shared::booking::{BookingFilter, BookingOrder, Cursor, IdempotencyKey};
use shared::console::{JobAction, JobSelection};
use shared::error::{DomainError, StoreError};
use shared::provider::NewProvider;
use shared::{Actor, Role, Status};

struct Fixture {
    core: Core,
    db: common::TestDb,
    admin: Actor,
    alice: Actor,
    bob: Actor,
    /// Providers offering plumbing, with logins.
    p1: Actor,
    p2: Actor,
}

async fn fixture() -> Fixture {
    let db = common::test_db(2000).await;
    let core = db.core.clone();
    let admin = common::user(&core, "admin@example.com", Role::Admin).await;
    let alice = common::user(&core, "alice@example.com", Role::Customer).await;
    let bob = common::user(&core, "bob@example.com", Role::Customer).await;
    let mut providers = Vec::new();
    for email in ["p1@example.com", "p2@example.com"] {
        let p = core
            .providers
            .create(
                &shared::Actor::system("setup"),
                NewProvider {
                    name: email.into(),
                    email: email.into(),
                    service_types: vec!["plumbing".into()],
                    available: true,
                    rating: 4.0,
                    login_password_hash: Some("x".into()),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        providers.push(
            core.accounts
                .user(p.user_id.unwrap())
                .await
                .unwrap()
                .unwrap()
                .actor(),
        );
    }
    let p2 = providers.pop().unwrap();
    let p1 = providers.pop().unwrap();
    Fixture {
        core,
        db,
        admin,
        alice,
        bob,
        p1,
        p2,
    }
}

/// Requests made so far in this test: each starts three hours after the one before, so
/// that no two overlap and one provider may hold them all.
static REQUESTS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

fn request() -> BookingInput {
    let n = REQUESTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let first: chrono::DateTime<chrono::Utc> = "2026-12-05T08:00:00Z".parse().unwrap();
    BookingInput {
        customer_name: "Alice".into(),
        customer_phone: "+44 20 7946 0958".into(),
        customer_email: "alice@example.com".into(),
        service_type: "plumbing".into(),
        address: "1 Pipe Lane".into(),
        starts_at: (first + chrono::Duration::hours(3 * n)).to_rfc3339(),
        starts_at_field: "starts_at",
        time_zone: None,
        notes: None,
    }
}

impl Fixture {
    async fn book(&self, who: &Actor) -> shared::booking::Booking {
        let new = request()
            .validate(self.core.db.now(), &self.core.bookings.rules())
            .unwrap();
        self.core.bookings.create(who, new, None).await.unwrap().0
    }

    fn change(status: Status) -> StatusChange {
        StatusChange {
            status,
            reason: None,
            is_override: false,
            absent: None,
            expected_version: None,
        }
    }
}

fn domain(e: StoreError) -> DomainError {
    match e {
        StoreError::Domain(d) => d,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

type Outcome = Result<(shared::booking::Booking, bool), StoreError>;

/// Asks for every booking of `asks` at once, each from a task of its own, and returns
/// their outcomes in order. The tests run on tokio's single-threaded runtime, where every
/// task hands its booking over before the store's intake takes any: they are then
/// written together (group commit), except on PostgreSQL those with an idempotency key,
/// which are written each by a statement of its own and race.
async fn book_at_once(
    core: &Core,
    asks: Vec<(Actor, BookingInput, Option<IdempotencyKey>)>,
) -> Vec<Outcome> {
    let tasks: Vec<_> = asks
        .into_iter()
        .map(|(who, request, key)| {
            let core = core.clone();
            let new = request
                .validate(core.db.now(), &core.bookings.rules())
                .unwrap();
            tokio::spawn(async move { core.bookings.create(&who, new, key).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

impl Fixture {
    /// Checks that the bookings in the database are exactly `created`, each with one job.
    async fn assert_written_exactly(&self, created: &BTreeSet<i64>) {
        let all = BookingFilter {
            limit: 100,
            ..Default::default()
        };
        let bookings = self.core.bookings.list(&self.admin, &all).await.unwrap();
        let jobs = self.core.jobs(None, None, 100).await;
        let listed: BTreeSet<i64> = bookings.items.iter().map(|b| b.id).collect();
        let booked: BTreeSet<i64> = jobs.iter().filter_map(|j| j.subject_id).collect();
        assert_eq!(&listed, created, "the bookings written");
        assert_eq!(&booked, created, "the bookings with a job");
        assert_eq!(jobs.len(), created.len(), "one job each");
    }
}

#[tokio::test]
async fn creating_a_booking_writes_its_history_row_and_first_job_together() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    assert_eq!(b.status, Status::Pending);
    assert_eq!(b.version, 1);
    let detail = f.core.bookings.detail(&f.alice, b.id).await.unwrap();
    assert_eq!(detail.history.len(), 1);
    assert_eq!(detail.history[0].old_status, None);
    assert_eq!(detail.history[0].changed_by_role, Role::Customer);
    let jobs = f.core.jobs(None, Some(b.id), 10).await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, JobState::Scheduled);
    assert_eq!(jobs[0].run_at, common::t0());
    assert_eq!(
        jobs[0].payload,
        serde_json::json!({"booking_id": b.id, "cycle": 1, "offer_timeout_secs": 900})
    );
}

#[tokio::test]
async fn a_booking_for_an_unknown_service_is_refused_and_nothing_is_written() {
    let f = fixture().await;
    let new = BookingInput {
        service_type: "astrology".into(),
        ..request()
    }
    .validate(f.core.db.now(), &f.core.bookings.rules())
    .unwrap();
    let err = domain(
        f.core
            .bookings
            .create(&f.alice, new, None)
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(err, DomainError::Validation(ref e) if e.contains_key("service_type")),
        "{err:?}"
    );
    let page = f
        .core
        .bookings
        .list(
            &f.admin,
            &BookingFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
    assert!(f.core.jobs(None, None, 10).await.is_empty());
}

#[tokio::test]
async fn the_same_idempotency_key_returns_the_same_booking_and_refuses_another_body() {
    let f = fixture().await;
    let key = |body: &str| {
        Some(IdempotencyKey {
            key: "k-1".into(),
            canonical_request: body.into(),
        })
    };
    let new = request()
        .validate(f.core.db.now(), &f.core.bookings.rules())
        .unwrap();
    let (first, created) = f
        .core
        .bookings
        .create(&f.alice, new.clone(), key("a"))
        .await
        .unwrap();
    assert!(created);
    let (again, created) = f
        .core
        .bookings
        .create(&f.alice, new.clone(), key("a"))
        .await
        .unwrap();
    assert!(!created);
    assert_eq!(again.id, first.id);
    let err = domain(
        f.core
            .bookings
            .create(&f.alice, new.clone(), key("b"))
            .await
            .unwrap_err(),
    );
    assert!(matches!(
        err,
        DomainError::Conflict {
            code: "idempotency_key_reused",
            ..
        }
    ));
    // Keys are per user: Bob's "k-1" is his own.
    let (bobs, created) = f.core.bookings.create(&f.bob, new, key("a")).await.unwrap();
    assert!(created);
    assert_ne!(bobs.id, first.id);
    assert_eq!(f.core.jobs(None, None, 10).await.len(), 2);
}

#[tokio::test]
async fn bookings_asked_for_at_once_are_each_written_or_refused_on_their_own() {
    // Every good one written once with its history row and job, every refused one leaving
    // nothing, a key sent twice at once making one booking.
    let f = fixture().await;
    let asks = (0..48)
        .map(|i| {
            let mut request = request();
            if i % 8 == 3 {
                request.service_type = "teleportation".into();
            }
            let key = match i {
                12 | 13 => Some(("same", "same body")),
                20 | 21 => Some(("clash", if i == 20 { "one body" } else { "another" })),
                _ => None,
            }
            .map(|(key, body)| IdempotencyKey {
                key: key.into(),
                canonical_request: body.into(),
            });
            (f.alice.clone(), request, key)
        })
        .collect();
    let mut created = BTreeSet::new();
    for (i, outcome) in book_at_once(&f.core, asks).await.into_iter().enumerate() {
        match (i, outcome) {
            (i, Err(e)) if i % 8 == 3 => assert!(
                matches!(domain(e), DomainError::Validation(ref fields) if fields.contains_key("service_type")),
                "booking {i}"
            ),
            (12 | 13, Ok((b, _))) => {
                created.insert(b.id);
            }
            (20 | 21, Ok((b, true))) => assert!(created.insert(b.id)),
            (20 | 21, Err(e)) => assert!(matches!(
                domain(e),
                DomainError::Conflict {
                    code: "idempotency_key_reused",
                    ..
                }
            )),
            (i, Ok((b, was_created))) => {
                assert!(was_created, "booking {i}");
                assert!(created.insert(b.id), "booking {i} has an id of its own");
            }
            (i, Err(e)) => panic!("booking {i}: {e:?}"),
        }
    }
    // 48 asked: 6 refused, 2 made one, 2 clashed: 40 bookings.
    assert_eq!(created.len(), 40);
    f.assert_written_exactly(&created).await;
    for id in &created {
        let detail = f.core.bookings.detail(&f.admin, *id).await.unwrap();
        assert_eq!(detail.history.len(), 1, "booking {id}");
    }
}

#[tokio::test]
async fn a_booking_refused_after_its_first_row_was_written_leaves_nothing() {
    // A test trigger breaks a foreign key when Bob's history row is written, after his
    // booking row: the refusal must take that row back, in a transaction shared with
    // Alice's bookings, which go on.
    let f = fixture().await;
    let bob = f.bob.user_id.unwrap();
    let trigger = match f.db.db.backend {
        Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_bob AFTER INSERT ON booking_history WHEN NEW.customer_id = {bob} \
             BEGIN INSERT INTO provider_services (provider_id, service_type) VALUES (-1, 'plumbing'); END"
        ),
        Backend::Postgres => format!(
            "CREATE FUNCTION refuse_bob() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             INSERT INTO provider_services (provider_id, service_type) VALUES (-1, 'plumbing'); \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_bob AFTER INSERT ON booking_history FOR EACH ROW \
             WHEN (NEW.customer_id = {bob}) EXECUTE FUNCTION refuse_bob()"
        ),
    };
    f.db.raw(&trigger).await.unwrap();
    let asks = (0..16)
        .map(|i| {
            let who = if i == 4 || i == 9 { &f.bob } else { &f.alice };
            (who.clone(), request(), None)
        })
        .collect();
    let mut created = BTreeSet::new();
    for (i, outcome) in book_at_once(&f.core, asks).await.into_iter().enumerate() {
        match (i, outcome) {
            (4 | 9, Err(StoreError::Domain(DomainError::Validation(_)))) => {}
            (4 | 9, other) => panic!("Bob's booking {i}: {other:?}"),
            (i, outcome) => {
                let (b, was_created) = outcome.unwrap();
                assert!(was_created, "booking {i}");
                created.insert(b.id);
            }
        }
    }
    assert_eq!(created.len(), 14);
    f.assert_written_exactly(&created).await;
}

#[tokio::test]
async fn a_booking_failing_for_an_unforeseen_reason_fails_alone() {
    // A trigger stands in for a fault: the database refuses one address. On SQLite the
    // transaction shared with the others is then abandoned and each booking is written
    // again in one of its own.
    let f = fixture().await;
    let trigger = match f.db.db.backend {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse_nowhere BEFORE INSERT ON bookings WHEN NEW.address = 'Nowhere' \
             BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse_nowhere() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.address = 'Nowhere' THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_nowhere BEFORE INSERT ON bookings FOR EACH ROW \
             EXECUTE FUNCTION refuse_nowhere()"
        }
    };
    f.db.raw(trigger).await.unwrap();
    let asks = (0..16)
        .map(|i| {
            let mut request = request();
            if i == 5 {
                request.address = "Nowhere".into();
            }
            (f.alice.clone(), request, None)
        })
        .collect();
    let mut created = BTreeSet::new();
    for (i, outcome) in book_at_once(&f.core, asks).await.into_iter().enumerate() {
        match (i, outcome) {
            (5, Err(StoreError::Db(_))) => {}
            (5, other) => panic!("the refused address: {other:?}"),
            (i, outcome) => {
                let (b, was_created) = outcome.unwrap();
                assert!(was_created, "booking {i}");
                created.insert(b.id);
            }
        }
    }
    assert_eq!(created.len(), 15);
    f.assert_written_exactly(&created).await;
}

#[tokio::test]
async fn a_stale_expected_version_is_a_conflict_and_changes_nothing() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let stale = StatusChange {
        expected_version: Some(b.version + 1),
        ..Fixture::change(Status::Cancelled)
    };
    let err = domain(
        f.core
            .change_status(&f.alice, b.id, stale)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        err,
        DomainError::VersionConflict {
            expected: 2,
            actual: 1
        }
    );
    let now = f.core.bookings.get(&f.alice, b.id).await.unwrap();
    assert_eq!((now.status, now.version), (Status::Pending, 1));
}

#[tokio::test]
async fn of_two_racing_writers_at_the_same_version_exactly_one_wins() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, alice) = (f.core.clone(), f.alice.clone());
        let change = StatusChange {
            expected_version: Some(1),
            ..Fixture::change(Status::Cancelled)
        };
        tasks.push(tokio::spawn(async move {
            store.change_status(&alice, b.id, change).await
        }));
    }
    let mut wins = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => wins += 1,
            Err(e) => assert!(matches!(
                domain(e),
                DomainError::VersionConflict { .. } | DomainError::InvalidTransition { .. }
            )),
        }
    }
    assert_eq!(wins, 1);
    assert_eq!(
        f.core.bookings.history(&f.admin, b.id).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn customers_see_only_their_bookings_and_providers_only_those_assigned_to_them() {
    let f = fixture().await;
    let a = f.book(&f.alice).await;
    let b = f.book(&f.bob).await;
    let all = BookingFilter {
        limit: 50,
        ..Default::default()
    };
    let ids =
        |page: shared::booking::BookingPage| page.items.iter().map(|b| b.id).collect::<Vec<_>>();
    assert_eq!(
        ids(f.core.bookings.list(&f.alice, &all).await.unwrap()),
        vec![a.id]
    );
    assert_eq!(
        ids(f.core.bookings.list(&f.admin, &all).await.unwrap()),
        vec![b.id, a.id]
    );
    assert!(ids(f.core.bookings.list(&f.p1, &all).await.unwrap()).is_empty());
    assert!(matches!(
        domain(f.core.bookings.get(&f.alice, b.id).await.unwrap_err()),
        DomainError::NotFound { .. }
    ));

    f.core
        .bookings
        .assign_by_hand(&f.admin, a.id, f.p1.provider_id.unwrap(), false, None)
        .await
        .unwrap();
    assert_eq!(
        ids(f.core.bookings.list(&f.p1, &all).await.unwrap()),
        vec![a.id]
    );
    assert!(ids(f.core.bookings.list(&f.p2, &all).await.unwrap()).is_empty());
    // The other provider can neither see nor act on it.
    let err = domain(
        f.core
            .change_status(&f.p2, a.id, Fixture::change(Status::Accepted))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, DomainError::NotFound { .. }));
    // A provider filtering on someone else's id gets nothing, not their bookings.
    let other = BookingFilter {
        provider_id: f.p1.provider_id,
        ..all.clone()
    };
    assert!(ids(f.core.bookings.list(&f.p2, &other).await.unwrap()).is_empty());
}

#[tokio::test]
async fn lists_filter_by_status_and_text_and_page_by_cursor() {
    let f = fixture().await;
    let mut made = Vec::new();
    for _ in 0..5 {
        made.push(f.book(&f.alice).await.id);
    }
    f.core
        .change_status(&f.alice, made[0], Fixture::change(Status::Cancelled))
        .await
        .unwrap();
    let page1 = f
        .core
        .bookings
        .list(
            &f.alice,
            &BookingFilter {
                limit: 2,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page1.items.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![made[4], made[3]]
    );
    let cursor = Cursor::decode(&page1.next_cursor.unwrap(), BookingOrder::Newest).unwrap();
    let page2 = f
        .core
        .bookings
        .list(
            &f.alice,
            &BookingFilter {
                limit: 2,
                after: Some(cursor),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page2.items.iter().map(|b| b.id).collect::<Vec<_>>(),
        vec![made[2], made[1]]
    );
    let cancelled = BookingFilter {
        status: Some(Status::Cancelled),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        f.core
            .bookings
            .list(&f.admin, &cancelled)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let text = |q: &str| BookingFilter {
        q: Some(q.into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(
        f.core
            .bookings
            .list(&f.admin, &text("pipe lane"))
            .await
            .unwrap()
            .items
            .len(),
        5
    );
    assert_eq!(
        f.core
            .bookings
            .list(&f.admin, &text("100%"))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    assert_eq!(
        f.core
            .bookings
            .list(&f.admin, &text("_"))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    // By the name of the provider who holds it (any case), and by its number.
    let p1 = f.p1.provider_id.unwrap();
    f.core
        .bookings
        .assign_by_hand(&f.admin, made[1], p1, false, None)
        .await
        .unwrap();
    let name = f.core.providers.get(p1).await.unwrap().unwrap().name;
    let found = async |who: &Actor, q: &str| {
        let page = f.core.bookings.list(who, &text(q)).await.unwrap();
        page.items.iter().map(|b| b.id).collect::<Vec<_>>()
    };
    assert_eq!(found(&f.admin, &name.to_uppercase()).await, vec![made[1]]);
    assert_eq!(found(&f.alice, &name).await, vec![made[1]]);
    assert!(found(&f.p2, &name).await.is_empty());
    assert_eq!(
        found(&f.admin, &format!("#{}", made[3])).await,
        vec![made[3]]
    );
}

#[tokio::test]
async fn a_rejection_schedules_the_next_attempt_after_the_base_delay_excluding_nobody_early() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let p1 = f.p1.provider_id.unwrap();
    f.core
        .bookings
        .assign_by_hand(&f.admin, b.id, p1, false, None)
        .await
        .unwrap();
    f.db.clock.advance(chrono::Duration::seconds(30));
    let rejected_at = f.core.db.now();
    let change = StatusChange {
        reason: Some("too far".into()),
        ..Fixture::change(Status::Rejected)
    };
    let after = f.core.change_status(&f.p1, b.id, change).await.unwrap();
    assert_eq!(after.status, Status::Rejected);
    assert_eq!(after.provider_id, None);
    let job = &f.core.jobs(None, Some(b.id), 10).await[0];
    assert_eq!(job.state, JobState::Retrying);
    assert_eq!(job.attempt, 2);
    assert_eq!(job.run_at, rejected_at + chrono::Duration::seconds(2));
    assert!(
        job.errors[0]
            .error
            .contains("rejected the booking: too far"),
        "{:?}",
        job.errors
    );
    let detail = f.core.bookings.detail(&f.admin, b.id).await.unwrap();
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(
        detail.attempts[0].outcome,
        shared::assignment::AttemptOutcome::Rejected
    );
    assert_eq!(detail.attempts[0].provider_id, Some(p1));
    let last = detail.history.last().unwrap();
    assert_eq!(
        (last.old_status, last.new_status),
        (Some(Status::Assigned), Status::Rejected)
    );
    assert_eq!(
        last.provider_id,
        Some(p1),
        "the rejecting provider is on the history row"
    );
    // The provider who rejected no longer holds or sees it.
    assert!(f.core.bookings.get(&f.p1, b.id).await.is_err());
}

#[tokio::test]
async fn each_manual_assignment_starts_a_fresh_cycle_so_its_rejection_waits_the_base_delay() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let p1 = f.p1.provider_id.unwrap();
    let mut waits = Vec::new();
    for _ in 0..4 {
        f.core
            .bookings
            .assign_by_hand(&f.admin, b.id, p1, false, None)
            .await
            .unwrap();
        let now = f.core.db.now();
        f.core
            .change_status(&f.p1, b.id, Fixture::change(Status::Rejected))
            .await
            .unwrap();
        let job = f.core.jobs(None, Some(b.id), 1).await.remove(0);
        waits.push((job.state, (job.run_at - now).num_milliseconds()));
    }
    assert!(
        waits.iter().all(|w| *w == (JobState::Retrying, 2000)),
        "{waits:?}"
    );
}

#[tokio::test]
async fn failures_within_one_cycle_wait_two_four_eight_seconds_then_the_job_is_dead() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let p1 = f.p1.provider_id.unwrap();
    let mut waits = Vec::new();
    for attempt in 1..=4_i64 {
        // Stand in for the worker: attempt `attempt` of cycle 1 assigned p1.
        let assigned = f
            .db
            .raw(&format!(
                "UPDATE bookings SET status = 'assigned', provider_id = {p1}, version = version + 1 \
                 WHERE id = {}; \
                 INSERT INTO assignment_attempts (booking_id, cycle, attempt, provider_id, outcome, \
                 created_at, updated_at) SELECT id, 1, {attempt}, {p1}, 'assigned', created_at, created_at \
                 FROM bookings WHERE id = {0}",
                b.id
            ))
            .await
            .unwrap();
        assert!(assigned > 0);
        f.db.clock.advance(chrono::Duration::seconds(100));
        let now = f.core.db.now();
        f.core
            .change_status(&f.p1, b.id, Fixture::change(Status::Rejected))
            .await
            .unwrap();
        let job = f.core.jobs(None, Some(b.id), 1).await.remove(0);
        waits.push((
            job.state,
            job.attempt,
            (job.run_at - now).num_milliseconds(),
        ));
    }
    assert_eq!(
        waits,
        vec![
            (JobState::Retrying, 2, 2000),
            (JobState::Retrying, 3, 4000),
            (JobState::Retrying, 4, 8000),
            (JobState::Dead, 4, 0),
        ]
    );
    let dead = f.core.jobs(Some(JobState::Dead), None, 10).await;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].errors.len(), 4, "every attempt's error is kept");
    let booking = f.core.bookings.get(&f.admin, b.id).await.unwrap();
    assert!(booking.assignment_exhausted);
    assert_eq!(
        booking.status,
        Status::Rejected,
        "the booking keeps its status"
    );
    let history = f.core.bookings.history(&f.admin, b.id).await.unwrap();
    assert!(
        history
            .last()
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .starts_with("assignment exhausted after 4 attempts")
    );

    // Only admins retry; a retry starts cycle 2 at attempt 1, due now.
    assert!(
        f.core
            .console()
            .act_on_jobs(&f.alice, JobAction::Retry, all_dead())
            .await
            .is_err()
    );
    let report = f
        .core
        .console()
        .act_on_jobs(&f.admin, JobAction::Retry, all_dead())
        .await
        .unwrap();
    assert_eq!((report.changed, report.skipped_count), (1, 0));
    let job = f.core.jobs(None, Some(b.id), 1).await.remove(0);
    assert_eq!(
        (job.state, job.attempt, job.run_at),
        (JobState::Scheduled, 1, f.core.db.now())
    );
    assert_eq!(job.payload["cycle"], 2);
    let booking = f.core.bookings.get(&f.admin, b.id).await.unwrap();
    assert!(!booking.assignment_exhausted);
    assert_eq!(booking.assignment_cycle, 2);
    // Retrying again skips it: it is no longer dead.
    let again = f
        .core
        .console()
        .act_on_jobs(
            &f.admin,
            JobAction::Retry,
            JobSelection::Ids(vec![job.id, 999]),
        )
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    assert_eq!(again.skipped.len(), 2);
    assert!(
        again.skipped[0]
            .reason
            .contains("only dead or cancelled jobs")
    );
    assert_eq!(again.skipped[1].reason, "no such job");
}

#[tokio::test]
async fn cancelling_cancels_the_pending_job_and_a_cancelled_booking_cannot_be_cancelled_again() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    f.core
        .change_status(&f.alice, b.id, Fixture::change(Status::Cancelled))
        .await
        .unwrap();
    let job = f.core.jobs(None, Some(b.id), 1).await.remove(0);
    assert_eq!(job.state, JobState::Cancelled);
    let err = domain(
        f.core
            .change_status(&f.alice, b.id, Fixture::change(Status::Cancelled))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        err,
        DomainError::InvalidTransition {
            from: Status::Cancelled,
            to: Status::Cancelled
        }
    );
}

#[tokio::test]
async fn an_override_needs_an_admin_and_a_reason_and_is_recorded_as_one() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    f.core
        .change_status(&f.alice, b.id, Fixture::change(Status::Cancelled))
        .await
        .unwrap();
    let forced = |reason: Option<&str>| StatusChange {
        status: Status::Pending,
        reason: reason.map(Into::into),
        is_override: true,
        absent: None,
        expected_version: None,
    };
    let err = domain(
        f.core
            .change_status(&f.admin, b.id, forced(None))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, DomainError::Validation(ref e) if e.contains_key("reason")));
    let err = domain(
        f.core
            .change_status(&f.alice, b.id, forced(Some("please")))
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, DomainError::NotPermitted { .. }));
    let after = f
        .core
        .change_status(&f.admin, b.id, forced(Some("cancelled by mistake")))
        .await
        .unwrap();
    assert_eq!(after.status, Status::Pending);
    let last = f
        .core
        .bookings
        .history(&f.admin, b.id)
        .await
        .unwrap()
        .pop()
        .unwrap();
    assert!(last.is_override);
    assert_eq!(last.changed_by_role, Role::Admin);
    assert_eq!(last.reason.as_deref(), Some("cancelled by mistake"));
    // Back to pending means assignment starts again, in a new cycle, now.
    let job = f.core.jobs(None, Some(b.id), 1).await.remove(0);
    assert_eq!((job.state, job.attempt), (JobState::Scheduled, 1));
    assert_eq!(job.payload["cycle"], 2);
}

#[tokio::test]
async fn the_history_table_refuses_updates_and_deletes_and_bad_statuses() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let update = f.db.raw("UPDATE booking_history SET reason = 'x'").await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    let delete = f.db.raw("DELETE FROM booking_history").await;
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    let bad =
        f.db.raw(&format!(
            "UPDATE bookings SET status = 'teleported' WHERE id = {}",
            b.id
        ))
        .await;
    // SQLite: "CHECK constraint failed"; PostgreSQL: "violates check constraint".
    let bad = bad.unwrap_err().to_string().to_lowercase();
    assert!(bad.contains("check constraint"), "{bad}");
}

#[tokio::test]
async fn events_after_a_position_are_only_those_the_caller_may_see() {
    let f = fixture().await;
    let start = f.core.feed.latest_position().await.unwrap();
    let a = f.book(&f.alice).await;
    let b = f.book(&f.bob).await;
    let seen = |batch: shared::feed::EventBatch| {
        batch
            .events
            .iter()
            .map(|e| e.entry.booking_id)
            .collect::<Vec<_>>()
    };
    settled(&f.core, start, 2).await;
    assert_eq!(
        seen(f.core.feed.after(&f.alice, start, 100).await.unwrap()),
        vec![a.id]
    );
    assert_eq!(
        seen(f.core.feed.after(&f.admin, start, 100).await.unwrap()),
        vec![a.id, b.id]
    );
    let nothing = f.core.feed.after(&f.p1, start, 100).await.unwrap();
    assert!(nothing.events.is_empty());
    // Rows the caller may not see are still passed over.
    assert_eq!(nothing.next, f.core.feed.latest_position().await.unwrap());
    f.core
        .bookings
        .assign_by_hand(&f.admin, b.id, f.p1.provider_id.unwrap(), false, None)
        .await
        .unwrap();
    let all = settled(&f.core, start, 3).await;
    assert_eq!(
        seen(f.core.feed.after(&f.p1, start, 100).await.unwrap()),
        vec![b.id]
    );
    assert!(!all.more);
    let resumed = f
        .core
        .feed
        .after(&f.admin, all.events[0].position, 100)
        .await
        .unwrap();
    assert_eq!(resumed.events, all.events[1..]);
    // A read stopped by its limit says so, and the next read goes on from there.
    let first = f.core.feed.after(&f.admin, start, 1).await.unwrap();
    assert!(first.more);
    assert_eq!(first.events, all.events[..1]);
    let rest = f.core.feed.after(&f.admin, first.next, 100).await.unwrap();
    assert_eq!(rest.events, all.events[1..]);
}

/// The feed after `start` as an admin sees it, once it holds `count` rows. (On
/// PostgreSQL a committed row joins the feed when a sequencer places it: the API's event
/// poller does, here the test.)
async fn settled(core: &Core, start: i64, count: usize) -> shared::feed::EventBatch {
    let admin = Actor::system("test");
    for _ in 0..500 {
        core.feed.sequence().await.unwrap();
        let batch = core.feed.after(&admin, start, 100).await.unwrap();
        if batch.events.len() >= count {
            assert_eq!(batch.events.len(), count, "{:?}", batch.events);
            return batch;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the feed did not reach {count} rows in 5 s");
}

#[tokio::test]
async fn manual_assignment_cancels_pending_jobs_and_needs_a_provider_offering_the_service() {
    let f = fixture().await;
    let b = f.book(&f.alice).await;
    let cleaner = f
        .core
        .providers
        .create(
            &shared::Actor::system("setup"),
            NewProvider {
                name: "Cleo".into(),
                email: "cleo@example.com".into(),
                service_types: vec!["cleaning".into()],
                available: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let err = domain(
        f.core
            .bookings
            .assign_by_hand(&f.admin, b.id, cleaner.id, false, None)
            .await
            .unwrap_err(),
    );
    assert!(matches!(
        err,
        DomainError::Conflict {
            code: "provider_lacks_service",
            ..
        }
    ));
    let err = domain(
        f.core
            .bookings
            .assign_by_hand(&f.admin, b.id, 9999, false, None)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        err,
        DomainError::NotFound {
            entity: "provider",
            id: 9999
        }
    );
    let err = domain(
        f.core
            .bookings
            .assign_by_hand(&f.alice, b.id, f.p1.provider_id.unwrap(), false, None)
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, DomainError::NotPermitted { .. }));
    let assigned = f
        .core
        .bookings
        .assign_by_hand(
            &f.admin,
            b.id,
            f.p1.provider_id.unwrap(),
            false,
            Some("VIP"),
        )
        .await
        .unwrap();
    assert_eq!(
        (assigned.status, assigned.provider_id),
        (Status::Assigned, f.p1.provider_id)
    );
    let job = f.core.jobs(None, Some(b.id), 1).await.remove(0);
    assert_eq!(job.state, JobState::Cancelled);
    let p = f
        .core
        .providers
        .get(f.p1.provider_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.active_bookings, 1);
}

#[tokio::test]
async fn a_duplicate_email_is_a_conflict_for_users_and_providers() {
    let f = fixture().await;
    let again = NewUser {
        email: "ALICE@example.com".into(),
        name: "A".into(),
        password_hash: "x".into(),
        role: Role::Customer,
    };
    let err = domain(f.core.accounts.create_user(again).await.unwrap_err());
    assert!(matches!(
        err,
        DomainError::Conflict {
            code: "duplicate_email",
            ..
        }
    ));
    let dup = NewProvider {
        name: "P".into(),
        email: "p1@example.com".into(),
        service_types: vec!["plumbing".into()],
        ..Default::default()
    };
    let err = domain(
        f.core
            .providers
            .create(&shared::Actor::system("setup"), dup)
            .await
            .unwrap_err(),
    );
    assert!(matches!(
        err,
        DomainError::Conflict {
            code: "duplicate_email",
            ..
        }
    ));
}

#[tokio::test]
async fn a_provider_s_load_follows_its_bookings_through_every_kind_of_change() {
    let f = fixture().await;
    let p1 = f.p1.provider_id.unwrap();
    let load = || async {
        f.core
            .providers
            .get(p1)
            .await
            .unwrap()
            .unwrap()
            .active_bookings
    };
    let a = f.book(&f.alice).await;
    let b = f.book(&f.alice).await;
    f.core
        .bookings
        .assign_by_hand(&f.admin, a.id, p1, false, None)
        .await
        .unwrap();
    f.core
        .bookings
        .assign_by_hand(&f.admin, b.id, p1, false, None)
        .await
        .unwrap();
    assert_eq!(load().await, 2);
    f.core
        .change_status(&f.p1, a.id, Fixture::change(Status::Accepted))
        .await
        .unwrap();
    // Work starts at most an hour before the window.
    f.db.clock
        .advance(a.starts_at - chrono::Duration::hours(1) - f.core.db.now());
    f.core
        .change_status(&f.p1, a.id, Fixture::change(Status::InProgress))
        .await
        .unwrap();
    assert_eq!(
        load().await,
        2,
        "moving between active statuses keeps the load"
    );
    f.core
        .change_status(&f.p1, a.id, Fixture::change(Status::Completed))
        .await
        .unwrap();
    assert_eq!(load().await, 1);
    f.core
        .change_status(&f.p1, b.id, Fixture::change(Status::Rejected))
        .await
        .unwrap();
    assert_eq!(load().await, 0);
    let forced = StatusChange {
        status: Status::InProgress,
        reason: Some("fix".into()),
        is_override: true,
        absent: None,
        expected_version: None,
    };
    f.core.change_status(&f.admin, a.id, forced).await.unwrap();
    assert_eq!(load().await, 1, "an override back to work counts again");
}

/// Every dead job (what `{all_dead: true}` selects).
fn all_dead() -> JobSelection {
    JobSelection::Matching(queue::JobFilter {
        state: Some(JobState::Dead),
        ..Default::default()
    })
}

#[tokio::test]
async fn two_processes_sent_one_key_at_once_make_one_booking_and_both_answer_with_it() {
    // Each "process" has its own connections and its own intake: on PostgreSQL both may
    // look for the key before either writes it, and the loser, refused by the key's
    // uniqueness, must answer with the winner's booking, not an error.
    let f = fixture().await;
    let other = Db::connect(&f.db.db.url)
        .await
        .unwrap()
        .with_clock(std::sync::Arc::new(f.db.clock.clone()));
    let other = Core::new(other, f.core.policy);
    let new = request()
        .validate(f.core.db.now(), &f.core.bookings.rules())
        .unwrap();
    let mut created = BTreeSet::new();
    for round in 0..20 {
        let key = || {
            Some(IdempotencyKey {
                key: format!("race-{round}"),
                canonical_request: "the same body".into(),
            })
        };
        let (a, b) = tokio::join!(
            f.core.bookings.create(&f.alice, new.clone(), key()),
            other.bookings.create(&f.alice, new.clone(), key()),
        );
        let ((a, a_made), (b, b_made)) = (a.unwrap(), b.unwrap());
        assert_eq!(a.id, b.id, "round {round}");
        assert!(a_made != b_made, "round {round}: exactly one made it");
        created.insert(a.id);
    }
    assert_eq!(created.len(), 20);
    f.assert_written_exactly(&created).await;
}

/// The bookings by status and service, counted afresh.
async fn recount(db: &Db) -> std::collections::BTreeMap<(Status, String), i64> {
    let rows: Vec<(String, String, i64)> = db::on!(db, |p| {
        sqlx::query_as(
            "SELECT status, service_type, COUNT(*) FROM bookings GROUP BY status, service_type",
        )
        .fetch_all(p)
        .await
    })
    .unwrap();
    rows.into_iter()
        .map(|(status, service, n)| ((status.parse().unwrap(), service), n))
        .collect()
}

#[tokio::test]
async fn the_kept_counts_equal_a_recount_after_a_random_mix_of_changes() {
    let f = fixture().await;
    // A small generator of our own, seeded by the clock, the seed printed for a rerun.
    let seed = std::env::var("COUNTS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| chrono::Utc::now().timestamp_micros() as u64);
    println!("COUNTS_SEED={seed}");
    let mut state = seed | 1;
    let mut next = |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    let p1 = f.p1.provider_id.unwrap();
    f.core
        .providers
        .create(
            &shared::Actor::system("setup"),
            NewProvider {
                name: "Cleaner".into(),
                email: "cleaner@example.com".into(),
                service_types: vec!["cleaning".into()],
                available: true,
                rating: 4.0,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut made: Vec<i64> = Vec::new();
    let reason = Some("counts test".to_string());
    for _ in 0..80 {
        let pick = |k: u64| made[k as usize % made.len().max(1)];
        match if made.is_empty() { 0 } else { next(5) } {
            0 => {
                let mut ask = request();
                ask.service_type = ["plumbing", "cleaning"][next(2) as usize].into();
                let new = ask
                    .validate(f.core.db.now(), &f.core.bookings.rules())
                    .unwrap();
                let who = if next(2) == 0 { &f.alice } else { &f.bob };
                made.push(f.core.bookings.create(who, new, None).await.unwrap().0.id);
            }
            1 => {
                let id = pick(next(1000));
                let _ = f
                    .core
                    .change_status(&f.admin, id, Fixture::change(Status::Cancelled))
                    .await;
            }
            2 => {
                let id = pick(next(1000));
                let _ = f
                    .core
                    .bookings
                    .assign_by_hand(&f.admin, id, p1, false, reason.as_deref())
                    .await;
            }
            3 => {
                let id = pick(next(1000));
                let status = Status::ALL[next(Status::ALL.len() as u64) as usize];
                let change = StatusChange {
                    reason: reason.clone(),
                    is_override: true,
                    ..Fixture::change(status)
                };
                let _ = f.core.change_status(&f.admin, id, change).await;
            }
            _ => {
                let id = pick(next(1000));
                let _ = f
                    .core
                    .change_status(&f.p1, id, Fixture::change(Status::Accepted))
                    .await;
            }
        }
    }
    let expected = recount(&f.core.db).await;
    assert!(
        expected.len() > 2,
        "the mix reached several statuses: {expected:?}"
    );
    let kept = shared::booking::counts::read(&f.core.db).await.unwrap();
    assert_eq!(kept.0, expected, "COUNTS_SEED={seed}");
    // The overview and a list's total read them.
    let stats = f.core.overview.stats().await.unwrap();
    for status in Status::ALL {
        let want: i64 = expected
            .iter()
            .filter(|((s, _), _)| *s == status)
            .map(|(_, n)| n)
            .sum();
        assert_eq!(stats.bookings_by_status[&status], want, "{status:?}");
    }
    let total = async |filter: BookingFilter| {
        f.core
            .bookings
            .list(&f.admin, &BookingFilter { limit: 1, ..filter })
            .await
            .unwrap()
            .total
            .unwrap()
    };
    let sum = |keep: &dyn Fn(Status, &str) -> bool| -> i64 {
        expected
            .iter()
            .filter(|((s, service), _)| keep(*s, service))
            .map(|(_, n)| n)
            .sum()
    };
    assert_eq!(total(BookingFilter::default()).await, sum(&|_, _| true));
    assert_eq!(
        total(BookingFilter {
            status: Some(Status::Cancelled),
            service_type: Some("cleaning".into()),
            ..Default::default()
        })
        .await,
        sum(&|s, service| s == Status::Cancelled && service == "cleaning")
    );
    assert_eq!(
        total(BookingFilter {
            active: true,
            ..Default::default()
        })
        .await,
        sum(&|s, _| s.is_active_for_provider())
    );
    assert_eq!(
        total(BookingFilter {
            active: true,
            status: Some(Status::Pending),
            ..Default::default()
        })
        .await,
        0
    );
    // A filter the counts do not keep is counted in full, and agrees.
    assert_eq!(
        total(BookingFilter {
            provider_id: Some(p1),
            ..Default::default()
        })
        .await,
        f.core
            .bookings
            .list(
                &f.admin,
                &BookingFilter {
                    provider_id: Some(p1),
                    limit: 100,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .items
            .len() as i64
    );
}

#[tokio::test]
async fn on_postgresql_the_counts_fold_their_deltas_and_stay_equal_to_a_recount() {
    let f = fixture().await;
    if f.core.db.backend() != Backend::Postgres {
        return;
    }
    for _ in 0..30 {
        let b = f.book(&f.alice).await;
        f.core
            .change_status(&f.alice, b.id, Fixture::change(Status::Cancelled))
            .await
            .unwrap();
    }
    let rows = async || -> i64 {
        db::on!(&f.core.db, |p| {
            sqlx::query_scalar("SELECT COUNT(*) FROM booking_counts")
                .fetch_one(p)
                .await
        })
        .unwrap()
    };
    // 30 creations and 30 cancellations: 90 delta rows, fewer than a read folds.
    assert_eq!(rows().await, 90);
    let expected = recount(&f.core.db).await;
    assert_eq!(
        shared::booking::counts::read(&f.core.db).await.unwrap().0,
        expected
    );
    assert_eq!(rows().await, 90, "not folded yet");
    // Past a thousand rows, a read folds them: one row per status and service is left
    // (pending's sum is zero: none).
    f.db.raw(
        "INSERT INTO booking_counts (status, service_type, n) \
         SELECT 'pending', 'plumbing', CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END \
         FROM generate_series(1, 1000) AS i",
    )
    .await
    .unwrap();
    assert_eq!(
        shared::booking::counts::read(&f.core.db).await.unwrap().0,
        expected
    );
    assert_eq!(rows().await, 1);
    assert_eq!(
        shared::booking::counts::read(&f.core.db).await.unwrap().0,
        expected
    );
}

#[tokio::test]
async fn a_search_matching_by_text_and_by_provider_pages_in_order_through_every_filter() {
    let f = fixture().await;
    let (p1, p2) = (f.p1.provider_id.unwrap(), f.p2.provider_id.unwrap());
    for (id, name) in [(p1, "Crew One"), (p2, "Crew Two")] {
        let renamed =
            f.db.raw(&format!(
                "UPDATE providers SET name = '{name}' WHERE id = {id}"
            ))
            .await
            .unwrap();
        assert_eq!(renamed, 1);
    }
    // Eleven bookings starting in another order than they were made; "Crew One" is in the
    // notes of some, others are held by Crew One, one both, one by Crew Two; half are Bob's.
    let first: chrono::DateTime<chrono::Utc> = "2026-12-05T08:00:00Z".parse().unwrap();
    let (by_text, held, held_by_two) = ([1, 4, 5, 8], [2, 3, 5, 6, 9], 7);
    let mut made = Vec::new();
    for i in 0..11_usize {
        let mut ask = request();
        ask.starts_at = (first + chrono::Duration::hours(3 * ((7 * i as i64) % 11))).to_rfc3339();
        if by_text.contains(&i) {
            ask.notes = Some("ask for Crew One at the gate".into());
        }
        let new = ask
            .validate(f.core.db.now(), &f.core.bookings.rules())
            .unwrap();
        let who = if i % 2 == 0 { &f.alice } else { &f.bob };
        let booking = f.core.bookings.create(who, new, None).await.unwrap().0;
        let holder = if held.contains(&i) {
            Some(p1)
        } else {
            (i == held_by_two).then_some(p2)
        };
        if let Some(holder) = holder {
            f.core
                .bookings
                .assign_by_hand(&f.admin, booking.id, holder, false, None)
                .await
                .unwrap();
        }
        made.push(booking);
    }
    // Every page of two of a search, in `order`, and the total the first page gave.
    let pages = async |who: &Actor, q: &str, filter: BookingFilter| {
        let mut ids = Vec::new();
        let mut after = None;
        let mut total = None;
        loop {
            let page = f
                .core
                .bookings
                .list(
                    who,
                    &BookingFilter {
                        q: Some(q.into()),
                        limit: 2,
                        after,
                        ..filter.clone()
                    },
                )
                .await
                .unwrap();
            total = total.or(Some(page.total));
            ids.extend(page.items.iter().map(|b| b.id));
            assert!(ids.len() <= 11, "the pages do not end: {ids:?}");
            match page.next_cursor {
                Some(c) => after = Cursor::decode(&c, filter.order),
                None => return (ids, total.flatten()),
            }
        }
    };
    // The ids of the bookings `keep` keeps, newest first.
    let newest = |keep: &dyn Fn(usize, &shared::booking::Booking) -> bool| {
        let mut ids: Vec<i64> = made
            .iter()
            .enumerate()
            .filter(|(i, b)| keep(*i, b))
            .map(|(_, b)| b.id)
            .collect();
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids
    };
    let crew_one = |i: usize| by_text.contains(&i) || held.contains(&i);

    let all = newest(&|i, _| crew_one(i));
    assert_eq!(all.len(), 8);
    assert_eq!(
        pages(&f.admin, "crew one", BookingFilter::default()).await,
        (all.clone(), Some(8))
    );
    let mut soonest: Vec<(chrono::DateTime<chrono::Utc>, i64)> = made
        .iter()
        .filter(|b| all.contains(&b.id))
        .map(|b| (b.starts_at, b.id))
        .collect();
    soonest.sort_unstable();
    let soonest: Vec<i64> = soonest.into_iter().map(|(_, id)| id).collect();
    assert_ne!(soonest, all);
    let by_start = BookingFilter {
        order: BookingOrder::StartsAt,
        ..Default::default()
    };
    assert_eq!(
        pages(&f.admin, "Crew One", by_start).await,
        (soonest, Some(8))
    );
    // A name both providers share: the bookings of either.
    let either = newest(&|i, _| crew_one(i) || i == held_by_two);
    assert_eq!(either.len(), 9);
    assert_eq!(
        pages(&f.admin, "crew", BookingFilter::default()).await,
        (either, Some(9))
    );
    // Every other filter holds in each way of matching.
    let pending = BookingFilter {
        status: Some(Status::Pending),
        ..Default::default()
    };
    let unheld = newest(&|i, _| crew_one(i) && !held.contains(&i));
    assert_eq!(unheld.len(), 3);
    assert_eq!(
        pages(&f.admin, "Crew One", pending).await,
        (unheld, Some(3))
    );
    let alices = newest(&|i, b| crew_one(i) && b.customer_id == f.alice.user_id.unwrap());
    assert_eq!(alices.len(), 4);
    assert_eq!(
        pages(&f.alice, "Crew One", BookingFilter::default()).await,
        (alices, None)
    );
}

#[tokio::test]
async fn text_search_finds_a_piece_of_any_field_in_any_case_and_follows_a_change() {
    let f = fixture().await;
    let mut ask = request();
    ask.address = "12 Orchard Close".into();
    ask.notes = Some("Gate code 4411, the blue door".into());
    let new = ask
        .validate(f.core.db.now(), &f.core.bookings.rules())
        .unwrap();
    let id = f
        .core
        .bookings
        .create(&f.alice, new, None)
        .await
        .unwrap()
        .0
        .id;
    f.book(&f.bob).await;
    let found = async |q: &str| {
        let filter = BookingFilter {
            q: Some(q.into()),
            limit: 10,
            ..Default::default()
        };
        let page = f.core.bookings.list(&f.admin, &filter).await.unwrap();
        assert_eq!(page.total, Some(page.items.len() as i64), "{q}");
        page.items.iter().map(|b| b.id).collect::<Vec<_>>()
    };
    assert_eq!(found("blue d").await, vec![id]);
    assert_eq!(found("ATE COD").await, vec![id]);
    assert_eq!(found("orchard").await, vec![id]);
    // Two characters: read without the index, the same answer.
    assert_eq!(found("41").await, vec![id]);
    assert!(found("door\"").await.is_empty());
    assert!(found("\"blue").await.is_empty());
    assert!(found("zzqx").await.is_empty());
    // A change to a searched field (none of the API's changes makes one; an operator's
    // correction in the database might) is searched as it now reads.
    let moved =
        f.db.raw(&format!(
            "UPDATE bookings SET address = '9 Mill Lane' WHERE id = {id}"
        ))
        .await
        .unwrap();
    assert_eq!(moved, 1);
    assert_eq!(found("mill lane").await, vec![id]);
    assert!(found("orchard").await.is_empty());
    assert_eq!(
        found("blue d").await,
        vec![id],
        "the other fields stay found"
    );
}
