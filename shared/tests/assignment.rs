//! The assignment room against a real database: the job claimed from the queue, the
//! provider it chooses (and that the rule in SQL chooses as the rule in Rust does), what
//! each kind of failure leads to (nobody eligible, an error, a lost lease, a provider who
//! declines), dead jobs and their retry, and retention. Time is a manual clock, never a
//! sleep; the same suite runs on SQLite and PostgreSQL.

mod common;

use std::time::Duration;

use common::{Core, StatusChange, booking_of, cycle_of, t0};
use db::ManualClock;
use queue::{ClaimedJob, Handler, JobKind, JobState};
use shared::assignment::matching::{self, Candidate, Declined};
use shared::assignment::{AssignProvider, AssignmentOutcome, AttemptOutcome, ExpireOffer};
use shared::booking::validation::BookingInput;
use shared::booking::{BookingFilter, IdempotencyKey};
use shared::console::{JobAction, JobSelection};
use shared::provider::NewProvider;
use shared::schedule::calendar::{CalendarInput, WeeklyHours};
use shared::{Actor, Role, Status};

const LEASE: Duration = Duration::from_secs(10);

struct Q {
    core: Core,
    clock: ManualClock,
    customer: Actor,
    admin: Actor,
    /// Bookings made so far: each starts three hours after the one before, so that no
    /// two overlap and a provider may hold them all.
    booked: std::sync::atomic::AtomicI64,
    _db: common::TestDb,
}

/// A fresh core on its own database, with a customer and an admin and no providers.
async fn setup(base_ms: u64) -> Q {
    let db = common::test_db(base_ms).await;
    let customer = common::user(&db.core, "c@example.com", Role::Customer).await;
    let admin = common::user(&db.core, "a@example.com", Role::Admin).await;
    Q {
        core: db.core.clone(),
        clock: db.clock.clone(),
        customer,
        admin,
        booked: Default::default(),
        _db: db,
    }
}

impl Q {
    fn request(&self, service: &str) -> BookingInput {
        let n = self
            .booked
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let start: chrono::DateTime<chrono::Utc> = "2026-12-10T08:00:00Z".parse().unwrap();
        BookingInput {
            customer_name: "C".into(),
            customer_phone: "5550100199".into(),
            customer_email: "c@example.com".into(),
            service_type: service.into(),
            address: "1 Road".into(),
            starts_at: (start + chrono::Duration::hours(3 * n)).to_rfc3339(),
            starts_at_field: "starts_at",
            time_zone: None,
            notes: None,
        }
    }

    /// Books `service` in the next slot; someone must be able to serve it then.
    async fn book(&self, service: &str) -> i64 {
        let rules = self.core.bookings.rules();
        let new = self
            .request(service)
            .validate(self.core.db.now(), &rules)
            .unwrap();
        self.core
            .bookings
            .create(&self.customer, new, None)
            .await
            .unwrap()
            .0
            .id
    }

    async fn provider(&self, name: &str, services: &[&str], rating: f64) -> i64 {
        let p = NewProvider {
            name: name.into(),
            email: format!("{name}@example.com"),
            service_types: services.iter().map(|s| s.to_string()).collect(),
            available: true,
            rating,
            login_password_hash: Some("-".into()),
            ..Default::default()
        };
        self.core
            .providers
            .create(&shared::Actor::system("setup"), p)
            .await
            .unwrap()
            .id
    }

    /// Books `service` with a provider who then stops taking work: at the booking's
    /// first attempt nobody is eligible.
    async fn book_then_nobody_available(&self, service: &str) -> i64 {
        let n = self.booked.load(std::sync::atomic::Ordering::Relaxed);
        let stand_in = self.provider(&format!("standin{n}"), &[service], 1.0).await;
        let b = self.book(service).await;
        common::stop_taking_work(&self.core, stand_in).await;
        b
    }

    /// Claims up to `n` due jobs for `owner`.
    async fn claim(&self, owner: &str, n: u32) -> Vec<ClaimedJob> {
        self.core
            .queue
            .claim(AssignProvider::QUEUE, owner, n, LEASE)
            .await
            .unwrap()
    }

    async fn claim_one(&self, owner: &str) -> Option<ClaimedJob> {
        self.claim(owner, 1).await.pop()
    }

    async fn run(&self, worker: &str, job: &ClaimedJob) -> AssignmentOutcome {
        self.core.assignment_by(worker).run(job).await.unwrap()
    }

    fn advance_ms(&self, ms: i64) {
        self.clock.advance(chrono::Duration::milliseconds(ms));
    }

    async fn job_of(&self, booking: i64) -> queue::Job {
        self.core.jobs(None, Some(booking), 1).await.remove(0)
    }

    async fn provider_actor(&self, provider_id: i64) -> Actor {
        let p = self.core.providers.get(provider_id).await.unwrap().unwrap();
        self.core
            .accounts
            .user(p.user_id.unwrap())
            .await
            .unwrap()
            .unwrap()
            .actor()
    }

    async fn assigned_count(&self, booking: i64) -> usize {
        let history = self
            .core
            .bookings
            .history(&self.admin, booking)
            .await
            .unwrap();
        history
            .iter()
            .filter(|h| h.new_status == Status::Assigned)
            .count()
    }
}

#[tokio::test]
async fn a_new_booking_s_job_is_claimable_at_once_and_its_retry_not_one_millisecond_early() {
    let q = setup(2000).await;
    let b = q.book_then_nobody_available("plumbing").await;
    let job = q.claim_one("w1").await.expect("due at once");
    assert_eq!((booking_of(&job), cycle_of(&job), job.attempt), (b, 1, 1));
    assert_eq!(
        q.run("w1", &job).await,
        AssignmentOutcome::NoProvider { dead: false }
    );
    q.advance_ms(1999);
    assert!(
        q.claim_one("w1").await.is_none(),
        "a retry must not start before its run_at"
    );
    q.advance_ms(1);
    let retry = q.claim_one("w1").await.unwrap();
    assert_eq!((booking_of(&retry), retry.attempt), (b, 2));
}

#[tokio::test]
async fn with_nobody_eligible_attempts_run_at_base_then_double_then_the_job_is_dead() {
    let q = setup(500).await;
    let b = q.book_then_nobody_available("electrical").await;
    let mut starts = Vec::new();
    let mut outcomes = Vec::new();
    loop {
        let Some(job) = q.claim_one("w1").await else {
            // Move time to the next due job, as a polling worker would find it.
            let next = q.job_of(b).await;
            if next.state == JobState::Dead {
                break;
            }
            let wait = (next.run_at - q.core.db.now()).num_milliseconds();
            assert!(wait > 0);
            q.advance_ms(wait);
            continue;
        };
        starts.push((q.core.db.now() - t0()).num_milliseconds());
        outcomes.push(q.run("w1", &job).await);
    }
    assert_eq!(
        starts,
        vec![0, 500, 1500, 3500],
        "attempts at +0, then +0.5 s, +1 s, +2 s after each failure"
    );
    assert_eq!(
        outcomes.last(),
        Some(&AssignmentOutcome::NoProvider { dead: true })
    );
    let job = q.job_of(b).await;
    assert_eq!((job.state, job.attempt), (JobState::Dead, 4));
    assert_eq!(job.errors.len(), 4);
    assert!(
        job.errors
            .iter()
            .all(|e| e.error.contains("no eligible provider"))
    );
    let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
    assert!(detail.booking.assignment_exhausted);
    assert_eq!(detail.booking.status, Status::Pending);
    assert!(
        detail
            .history
            .last()
            .unwrap()
            .reason
            .as_deref()
            .unwrap()
            .starts_with("assignment exhausted after 4 attempts")
    );
    assert_eq!(detail.assignment.unwrap().state, JobState::Dead);

    // An admin adds a provider and retries: a new cycle assigns it.
    let p = q.provider("eve", &["electrical"], 3.0).await;
    let report = q
        .core
        .console()
        .act_on_jobs(&q.admin, JobAction::Retry, JobSelection::Ids(vec![job.id]))
        .await
        .unwrap();
    assert_eq!((report.changed, report.skipped_count), (1, 0));
    let job = q.claim_one("w1").await.unwrap();
    assert_eq!((job.attempt, cycle_of(&job), job.round), (1, 2, 2));
    assert_eq!(
        q.run("w1", &job).await,
        AssignmentOutcome::Assigned { provider_id: p }
    );
    let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
    assert_eq!(
        detail.attempts.len(),
        5,
        "earlier attempts stay in the record"
    );
    assert!(!detail.booking.assignment_exhausted);
}

#[tokio::test]
async fn a_run_that_fails_is_a_failed_attempt_with_backoff_recorded_by_its_worker() {
    let q = setup(2000).await;
    let b = q.book_then_nobody_available("plumbing").await;
    let job = q.claim_one("w1").await.unwrap();
    // As the runtime reports a run that returned an error, timed out or panicked.
    Handler::failed(&q.core.assignment_by("w1"), &job, "timed out")
        .await
        .unwrap();
    let row = q.job_of(b).await;
    assert_eq!((row.state, row.attempt), (JobState::Retrying, 2));
    assert_eq!(row.run_at, q.core.db.now() + chrono::Duration::seconds(2));
    assert_eq!(
        row.last_error.as_deref(),
        Some("error while assigning (w1): timed out")
    );
    let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
    assert_eq!(detail.attempts.len(), 1);
    assert_eq!(detail.attempts[0].outcome, AttemptOutcome::Error);
}

/// A run of an old cycle that fails after its booking started a new one (an admin sent
/// it back to dispatch) is simply done: no failed attempt, and the new cycle's job is
/// untouched.
#[tokio::test]
async fn a_failed_run_of_a_superseded_cycle_is_done_without_a_failed_attempt() {
    let q = setup(2000).await;
    let b = q.book_then_nobody_available("plumbing").await;
    let old = q.claim_one("w1").await.unwrap();
    for (status, is_override) in [(Status::Cancelled, false), (Status::Pending, true)] {
        let change = StatusChange {
            status,
            reason: Some("sent back to dispatch".into()),
            is_override,
            absent: None,
            expected_version: None,
        };
        q.core.change_status(&q.admin, b, change).await.unwrap();
    }
    Handler::failed(&q.core.assignment_by("w1"), &old, "timed out")
        .await
        .unwrap();
    let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
    assert_eq!(detail.attempts, []);
    let jobs = q.core.jobs(None, Some(b), 10).await;
    let states: Vec<(i64, JobState, i64)> =
        jobs.iter().map(|j| (j.id, j.state, j.attempt)).collect();
    assert!(
        states.contains(&(old.id(), JobState::Done, 1)),
        "{states:?}"
    );
    let new = q.claim_one("w1").await.unwrap();
    assert_eq!((cycle_of(&new), new.attempt), (2, 1));
}

/// What a worker reports of an assignment: its outcome by name, and how long the
/// booking waited from its creation, in seconds (on the manual clock: exactly).
#[tokio::test]
async fn an_assignment_reports_its_outcome_and_the_seconds_its_booking_waited() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    // The test's runtime runs every task on this thread.
    let _local = metrics::set_default_local_recorder(&recorder);
    let q = setup(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    q.book("plumbing").await;
    q.advance_ms(1500);
    let job = q.claim_one("w1").await.unwrap();
    assert_eq!(
        q.run("w1", &job).await,
        AssignmentOutcome::Assigned { provider_id: p }
    );
    let reported: Vec<(String, Vec<String>, DebugValue)> = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let labels = key.labels().map(|l| format!("{}={}", l.key(), l.value()));
            (key.name().to_owned(), labels.collect(), value)
        })
        .collect();
    assert!(
        reported.contains(&(
            "assignment_attempts_total".into(),
            vec!["outcome=assigned".into()],
            DebugValue::Counter(1)
        )),
        "{reported:?}"
    );
    assert!(
        reported.contains(&(
            "assignment_create_to_assigned_seconds".into(),
            vec![],
            DebugValue::Histogram(vec![1.5.into()])
        )),
        "{reported:?}"
    );
}

/// How many write transactions the core's process has committed so far.
fn commits(q: &Q) -> u64 {
    *q.core.db.commits().borrow()
}

#[tokio::test]
async fn the_jobs_a_worker_runs_at_once_are_written_in_one_transaction() {
    let q = setup(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    for _ in 0..4 {
        q.book("plumbing").await;
    }
    let jobs = q.claim("w", 4).await;
    assert_eq!(jobs.len(), 4);
    let before = commits(&q);
    // As the runtime runs them: four runs at once through the handler. (The test's
    // runtime has one thread, so all four are waiting before the writer takes them.)
    let assignment = q.core.assignment_by("w");
    let run = |i: usize| Handler::run(&assignment, &jobs[i]);
    let (a, b, c, d) = tokio::join!(run(0), run(1), run(2), run(3));
    assert_eq!(commits(&q) - before, 1, "one commit for the four");
    for (job, outcome) in jobs.iter().zip([a, b, c, d]) {
        assert_eq!(
            outcome.unwrap(),
            AssignmentOutcome::Assigned { provider_id: p }
        );
        let booking = q
            .core
            .bookings
            .get(&q.admin, booking_of(job))
            .await
            .unwrap();
        assert_eq!(
            (booking.status, booking.provider_id),
            (Status::Assigned, Some(p))
        );
        assert_eq!(q.assigned_count(booking.id).await, 1);
        assert_eq!(q.job_of(booking.id).await.state, JobState::Done);
    }
}

#[tokio::test]
async fn in_a_shared_transaction_an_assignment_that_fails_or_lost_its_lease_leaves_nothing_and_the_others_are_written()
 {
    let q = setup(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let ids = [
        q.book("plumbing").await,
        q.book("plumbing").await,
        q.book("plumbing").await,
        q.book("plumbing").await,
    ];
    // A trigger stands in for a fault in the middle of an assignment's writes: the
    // database refuses the attempt record of the second booking, after (on SQLite) its
    // booking row and history row were written.
    let trigger = match q.core.db.backend() {
        db::Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_attempt BEFORE INSERT ON assignment_attempts \
             WHEN NEW.booking_id = {} BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
            ids[1]
        ),
        db::Backend::Postgres => format!(
            "CREATE FUNCTION refuse_attempt() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.booking_id = {} THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_attempt BEFORE INSERT ON assignment_attempts FOR EACH ROW \
             EXECUTE FUNCTION refuse_attempt()",
            ids[1]
        ),
    };
    q._db.raw(&trigger).await.unwrap();
    let mut jobs = q.claim("w", 4).await;
    assert_eq!(jobs.iter().map(booking_of).collect::<Vec<_>>(), ids);
    // The fourth was taken over by another worker meanwhile: this claim no longer holds it.
    jobs[3].lease.token = "taken over".into();
    let before = commits(&q);
    let outcomes = q
        .core
        .assignment_by("w")
        .run_together(&jobs.iter().collect::<Vec<_>>())
        .await;
    // One commit: the refused assignment was rolled back to its savepoint, then tried
    // again alone, which failed and committed nothing.
    assert_eq!(commits(&q) - before, 1);
    let mut outcomes = outcomes.into_iter();
    for expected in [
        Some(AssignmentOutcome::Assigned { provider_id: p }),
        None,
        Some(AssignmentOutcome::Assigned { provider_id: p }),
        Some(AssignmentOutcome::LeaseLost),
    ] {
        match (expected, outcomes.next().unwrap()) {
            (Some(expected), outcome) => assert_eq!(outcome.unwrap(), expected),
            (None, outcome) => assert!(
                outcome
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("refused by a test trigger")),
                "{outcome:?}"
            ),
        }
    }
    for (id, assigned) in [
        (ids[0], true),
        (ids[1], false),
        (ids[2], true),
        (ids[3], false),
    ] {
        let booking = q.core.bookings.detail(&q.admin, id).await.unwrap();
        let history = q.core.bookings.history(&q.admin, id).await.unwrap();
        let job = q.job_of(id).await;
        if assigned {
            assert_eq!(booking.booking.status, Status::Assigned);
            assert_eq!((history.len(), booking.attempts.len()), (2, 1));
            assert_eq!(job.state, JobState::Done);
        } else {
            // Nothing of it was written: the booking as it was made, its job still held
            // (the runtime records the failed attempt, fenced on the lease).
            assert_eq!(
                (booking.booking.status, booking.booking.version),
                (Status::Pending, 1)
            );
            assert_eq!((history.len(), booking.attempts.len()), (1, 0));
            assert_eq!(job.state, JobState::Running);
        }
    }
}

/// In a batch, a job whose booking no longer awaits it and one for which nobody is
/// eligible end as each would alone (on SQLite they are rolled back to their savepoints
/// and run alone after the batch), while the others are assigned.
#[tokio::test]
async fn in_a_batch_a_job_with_nothing_to_do_or_nobody_eligible_ends_as_it_would_alone() {
    let q = setup(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let a = q.book("plumbing").await;
    let b = q.book_then_nobody_available("cleaning").await;
    let c = q.book("plumbing").await;
    let d = q.book("plumbing").await;
    let jobs = q.claim("w", 4).await;
    assert_eq!(
        jobs.iter().map(booking_of).collect::<Vec<_>>(),
        [a, b, c, d]
    );
    // The customer cancels c after its job was claimed.
    let cancel = StatusChange {
        status: Status::Cancelled,
        reason: None,
        is_override: false,
        absent: None,
        expected_version: None,
    };
    q.core.change_status(&q.customer, c, cancel).await.unwrap();
    let outcomes: Vec<AssignmentOutcome> = q
        .core
        .assignment_by("w")
        .run_together(&jobs.iter().collect::<Vec<_>>())
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        outcomes,
        [
            AssignmentOutcome::Assigned { provider_id: p },
            AssignmentOutcome::NoProvider { dead: false },
            AssignmentOutcome::NoOp,
            AssignmentOutcome::Assigned { provider_id: p },
        ]
    );
    for (id, state, status, attempts) in [
        (
            a,
            JobState::Done,
            Status::Assigned,
            vec![AttemptOutcome::Assigned],
        ),
        (
            b,
            JobState::Retrying,
            Status::Pending,
            vec![AttemptOutcome::NoProvider],
        ),
        (c, JobState::Done, Status::Cancelled, vec![]),
        (
            d,
            JobState::Done,
            Status::Assigned,
            vec![AttemptOutcome::Assigned],
        ),
    ] {
        assert_eq!(q.job_of(id).await.state, state, "booking {id}");
        let detail = q.core.bookings.detail(&q.admin, id).await.unwrap();
        assert_eq!(detail.booking.status, status, "booking {id}");
        let outcomes: Vec<AttemptOutcome> = detail.attempts.iter().map(|a| a.outcome).collect();
        assert_eq!(outcomes, attempts, "booking {id}");
    }
}

#[tokio::test]
async fn an_offer_s_expiry_run_with_assignments_expires_the_offer_and_nothing_is_not_a_transaction()
{
    let q = setup(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let offered = q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(
        q.run("w", &job).await,
        AssignmentOutcome::Assigned { provider_id: p }
    );
    // Nobody answers the offer; meanwhile another booking comes in.
    q.advance_ms(15 * 60 * 1000);
    let other = q.book("plumbing").await;
    let jobs = q.claim("w", 10).await;
    assert_eq!(jobs.len(), 2);
    let assignment = q.core.assignment_by("w");
    let outcomes = assignment
        .run_together(&jobs.iter().collect::<Vec<_>>())
        .await;
    for (job, outcome) in jobs.iter().zip(outcomes) {
        let (booking, expected) = if job.kind == ExpireOffer::KIND {
            (offered, AssignmentOutcome::Expired { provider_id: p })
        } else {
            (other, AssignmentOutcome::Assigned { provider_id: p })
        };
        assert_eq!(booking_of(job), booking);
        assert_eq!(outcome.unwrap(), expected);
    }
    let expired = q.core.bookings.get(&q.admin, offered).await.unwrap();
    assert_eq!(expired.status, Status::Rejected);
    let before = commits(&q);
    assert!(assignment.run_together(&[]).await.is_empty());
    assert_eq!(commits(&q), before, "no jobs, no transaction");
}

#[tokio::test]
async fn a_lost_lease_is_a_failed_attempt_and_the_old_holder_changes_nothing() {
    let q = setup(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let b = q.book("plumbing").await;
    let lost = q.claim_one("w1").await.unwrap();
    q.advance_ms(10_000);
    let rescuer = q
        .claim_one("w2")
        .await
        .expect("claimable once the lease expired");
    assert_eq!(rescuer.lost_lease_of.as_deref(), Some("w1"));

    // The old holder can neither assign nor record a failure.
    assert_eq!(q.run("w1", &lost).await, AssignmentOutcome::LeaseLost);
    q.core
        .assignment_by("w1")
        .record_failure(&lost, "late")
        .await
        .unwrap();
    assert_eq!(q.job_of(b).await.state, JobState::Running);
    assert_eq!(
        q.core.bookings.get(&q.admin, b).await.unwrap().status,
        Status::Pending
    );

    // The new holder records the lost attempt (as the runtime does): retried after the base delay.
    q.core
        .assignment_by("w2")
        .record_failure(&rescuer, "the lease of w1 expired")
        .await
        .unwrap();
    assert!(
        q.claim_one("w2").await.is_none(),
        "not again at once: a crashing job must not loop"
    );
    q.advance_ms(2000);
    let second = q.claim_one("w2").await.unwrap();
    assert_eq!(second.attempt, 2);
    assert_eq!(
        q.run("w2", &second).await,
        AssignmentOutcome::Assigned { provider_id: p }
    );
    assert_eq!(q.assigned_count(b).await, 1);
    let history = q.core.bookings.history(&q.admin, b).await.unwrap();
    assert_eq!(history.last().unwrap().changed_by_name, "w2");
    assert_eq!(history.last().unwrap().changed_by_role, Role::System);
}

#[tokio::test]
async fn the_eligible_provider_is_the_least_busy_then_best_rated_then_lowest_id_and_never_one_who_rejected()
 {
    let q = setup(1000).await;
    let low = q.provider("low", &["plumbing"], 3.0).await;
    let high = q.provider("high", &["plumbing"], 4.9).await;
    let twin = q.provider("twin", &["plumbing"], 4.9).await;
    let away = q.provider("away", &["plumbing"], 5.0).await;
    q.provider("cleaner", &["cleaning"], 5.0).await;
    common::stop_taking_work(&q.core, away).await;

    let mut chosen = Vec::new();
    for _ in 0..4 {
        q.book("plumbing").await;
        let job = q.claim_one("w").await.unwrap();
        match q.run("w", &job).await {
            AssignmentOutcome::Assigned { provider_id } => chosen.push(provider_id),
            other => panic!("{other:?}"),
        }
    }
    // Rating breaks the tie at equal load, id breaks a tie of rating; then load counts.
    assert_eq!(chosen, vec![high, twin, low, high]);

    // `twin` rejects: the next attempt (after the base delay) never offers it to `twin` again.
    let booking = q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(
        q.run("w", &job).await,
        AssignmentOutcome::Assigned { provider_id: twin }
    );
    let twin_actor = q.provider_actor(twin).await;
    let reject = StatusChange {
        status: Status::Rejected,
        reason: Some("van broke down".into()),
        is_override: false,
        absent: None,
        expected_version: None,
    };
    q.core
        .change_status(&twin_actor, booking, reject)
        .await
        .unwrap();
    assert!(
        q.claim_one("w").await.is_none(),
        "not before the base delay"
    );
    q.advance_ms(1000);
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(job.attempt, 2);
    let AssignmentOutcome::Assigned { provider_id } = q.run("w", &job).await else {
        panic!()
    };
    assert!(provider_id != twin && provider_id != away);
    let attempts = q
        .core
        .bookings
        .detail(&q.admin, booking)
        .await
        .unwrap()
        .attempts;
    assert_eq!(attempts[0].outcome, AttemptOutcome::Rejected);
    assert_eq!(attempts[0].reason.as_deref(), Some("van broke down"));
    assert_eq!(attempts[1].outcome, AttemptOutcome::Assigned);
}

/// Jobs that share a transaction never wait for a provider another transaction holds:
/// two such transactions, each holding a provider the other's next job wants, would wait
/// for each other until PostgreSQL broke the deadlock a second later by failing one whole.
/// A job that would wait is tried again alone once the others are committed, and waits
/// there, holding no other provider.
#[tokio::test]
async fn on_postgresql_jobs_sharing_a_transaction_never_wait_for_a_held_provider() {
    let q = setup(1000).await;
    if q.core.db.backend() != db::Backend::Postgres {
        // SQLite writes one transaction at a time: no provider is ever held.
        return;
    }
    let ann = q.provider("ann", &["plumbing"], 5.0).await;
    let ids = [q.book("plumbing").await, q.book("plumbing").await];
    let jobs = q.claim("w", 2).await;
    assert_eq!(jobs.iter().map(booking_of).collect::<Vec<_>>(), ids);
    let held = hold(&q, &[ann]).await;
    let before = commits(&q);
    let assignment = q.core.assignment_by("w");
    let run = tokio::spawn(async move {
        assignment
            .run_together(&jobs.iter().collect::<Vec<_>>())
            .await
    });
    // The shared transaction commits while Ann is still held: it did not wait for her.
    let mut shared_committed = false;
    for _ in 0..500 {
        if commits(&q) > before {
            shared_committed = true;
            break;
        }
        assert!(!run.is_finished(), "{:?}", run.await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        shared_committed,
        "the shared transaction waited for a provider another transaction holds"
    );
    // Once she is free, each job, run alone after the shared transaction, gets her.
    held.commit().await.unwrap();
    let outcomes = run.await.unwrap();
    for outcome in outcomes {
        assert_eq!(
            outcome.unwrap(),
            AssignmentOutcome::Assigned { provider_id: ann }
        );
    }
    for id in ids {
        let booking = q.core.bookings.get(&q.admin, id).await.unwrap();
        assert_eq!(
            (booking.status, booking.provider_id),
            (Status::Assigned, Some(ann))
        );
    }
}

/// A transaction of its own that holds the rows of `providers` (PostgreSQL), as another
/// assignment choosing them does until it commits.
async fn hold(q: &Q, providers: &[i64]) -> db::Tx {
    let mut tx = q.core.db.write().await.unwrap();
    for id in providers {
        db::on!(tx, |c| {
            sqlx::query_scalar::<_, i64>("SELECT id FROM providers WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_one(c)
                .await
        })
        .unwrap();
    }
    tx
}

/// Runs `job` in a task of its own; returns once the run waits for a row lock (it fails
/// the test if the run ends first, or never waits).
async fn run_until_it_waits(q: &Q, job: ClaimedJob) -> tokio::task::JoinHandle<AssignmentOutcome> {
    let assignment = q.core.assignment_by("w");
    let run = tokio::spawn(async move { assignment.run(&job).await.unwrap() });
    for _ in 0..500 {
        let waiting: i64 = db::on!(q.core.db, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(p)
            .await
        })
        .unwrap();
        if waiting > 0 {
            return run;
        }
        assert!(!run.is_finished(), "{:?}", run.await);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the assignment never waited for a held provider");
}

/// PostgreSQL runs assignments side by side: each locks the provider it chooses until it
/// commits. A provider another assignment holds is passed over for the next in rank; when
/// every one is held, the assignment waits for the best, and once it has them looks again
/// whether the holder gave them an overlapping booking meanwhile.
#[tokio::test]
async fn on_postgresql_a_provider_held_by_another_assignment_is_passed_over_or_waited_for() {
    let q = setup(1000).await;
    if q.core.db.backend() != db::Backend::Postgres {
        // SQLite writes one transaction at a time: no provider is ever held.
        return;
    }
    let ann = q.provider("ann", &["plumbing"], 5.0).await;
    let bob = q.provider("bob", &["plumbing"], 4.0).await;
    let cy = q.provider("cy", &["plumbing"], 3.0).await;

    // Ann, the best, is held: Bob, the next, without waiting.
    q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    let held = hold(&q, &[ann]).await;
    assert_eq!(
        q.run("w", &job).await,
        AssignmentOutcome::Assigned { provider_id: bob }
    );
    held.commit().await.unwrap();

    // Everyone held: it waits for the best (Ann; Bob works that day already).
    q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    let held = hold(&q, &[ann, bob, cy]).await;
    let run = run_until_it_waits(&q, job).await;
    held.commit().await.unwrap();
    assert_eq!(
        run.await.unwrap(),
        AssignmentOutcome::Assigned { provider_id: ann }
    );

    // Everyone held by a transaction that gives each of them another booking at this
    // one's time: once it has them, it finds each busy, and nobody is left.
    let b = q.book("plumbing").await;
    let others = [
        q.book("plumbing").await,
        q.book("plumbing").await,
        q.book("plumbing").await,
    ];
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(booking_of(&job), b);
    let mut held = hold(&q, &[ann, bob, cy]).await;
    for (other, provider) in others.iter().zip([ann, bob, cy]) {
        db::exec!(held, |c| {
            sqlx::query(
                "UPDATE bookings SET status = 'assigned', provider_id = $1, \
                 starts_at = (SELECT starts_at FROM bookings WHERE id = $2), \
                 ends_at = (SELECT ends_at FROM bookings WHERE id = $2) WHERE id = $3",
            )
            .bind(provider)
            .bind(b)
            .bind(other)
            .execute(c)
            .await
        })
        .unwrap();
    }
    let run = run_until_it_waits(&q, job).await;
    held.commit().await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("it gives up once everyone is busy")
        .unwrap();
    assert_eq!(outcome, AssignmentOutcome::NoProvider { dead: false });
    let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
    let why = detail.attempts[0].explanation.clone().unwrap();
    let mut reasons: Vec<(i64, String)> = why
        .listed
        .iter()
        .map(|c| (c.provider_id, c.reason.clone()))
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        others
            .iter()
            .zip([ann, bob, cy])
            .map(|(other, p)| (p, format!("overlapping booking #{other}")))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn the_facts_the_store_gathers_lead_to_whom_the_rule_chooses_from_facts_found_apart() {
    // Random providers (rating, availability, trade, working hours) and random earlier
    // refusals: the store's choice is the one `matching::choose` makes from the facts
    // this test works out on its own from what it reads back (calendars, bookings,
    // attempts).
    let q = setup(1).await;
    let mut seed: u64 = 0x5eed_cafe;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % n
    };
    let mornings = CalendarInput {
        time_zone: "UTC".into(),
        weekly: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .map(|d| WeeklyHours {
                weekday: d.into(),
                start: "06:00".into(),
                end: "13:00".into(),
            })
            .to_vec(),
        exceptions: vec![],
    };
    // One plumber who is always there, so that every booking can be made.
    q.provider("anchor", &["plumbing"], 1.0).await;
    for i in 0..12 {
        let services: &[&str] = if next(4) == 0 {
            &["cleaning"]
        } else {
            &["plumbing"]
        };
        let rating = [3.5, 4.0, 4.5, 4.5, 5.0][next(5) as usize];
        let id = q.provider(&format!("p{i}"), services, rating).await;
        if next(5) == 0 {
            common::stop_taking_work(&q.core, id).await;
        }
        if next(3) == 0 {
            q.core
                .providers
                .set_calendar(&q.admin, id, &mornings)
                .await
                .unwrap();
        }
    }
    let mut chose_someone = 0;
    for round in 0..25 {
        q.book("plumbing").await;
        // The job claimed may be an earlier booking's retry: the facts are its booking's.
        let job = q.claim_one("w").await.unwrap();
        let b = booking_of(&job);
        let facts: Vec<Candidate> = {
            let providers = q.core.providers.list(Some("plumbing")).await.unwrap();
            let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
            let booking = &detail.booking;
            let all = q
                .core
                .bookings
                .list(
                    &q.admin,
                    &BookingFilter {
                        limit: 100,
                        ..Default::default()
                    },
                )
                .await
                .unwrap()
                .items;
            let mut facts = Vec::new();
            for p in &providers {
                let (calendar, _) = q.core.providers.calendar(&q.admin, p.id).await.unwrap();
                let held: Vec<_> = all
                    .iter()
                    .filter(|o| o.provider_id == Some(p.id) && o.status.is_active_for_provider())
                    .collect();
                let overlapping = held
                    .iter()
                    .filter(|o| {
                        o.id != b && o.starts_at < booking.ends_at && booking.starts_at < o.ends_at
                    })
                    .min_by_key(|o| o.starts_at)
                    .map(|o| o.id);
                let day = booking.starts_at.date_naive();
                let declined = detail
                    .attempts
                    .iter()
                    .filter(|a| a.provider_id == Some(p.id))
                    .filter_map(|a| match a.outcome {
                        AttemptOutcome::Rejected => Some(Declined::Rejected),
                        AttemptOutcome::NoShow => Some(Declined::NoShow),
                        AttemptOutcome::Expired => Some(Declined::Expired),
                        _ => None,
                    })
                    .next_back();
                facts.push(Candidate {
                    provider_id: p.id,
                    available: p.available,
                    working: calendar.covers(booking.starts_at, booking.ends_at),
                    overlapping,
                    declined,
                    load_that_day: held
                        .iter()
                        .filter(|o| o.starts_at.date_naive() == day)
                        .count() as i64,
                    rating: p.rating,
                    held_elsewhere: false,
                });
            }
            facts
        };
        let expected = matching::choose(&facts);
        let outcome = q.run("w", &job).await;
        match (expected, &outcome) {
            (Some(p), AssignmentOutcome::Assigned { provider_id }) => {
                assert_eq!(*provider_id, p, "round {round}");
                chose_someone += 1;
            }
            (None, AssignmentOutcome::NoProvider { .. }) => {}
            (e, o) => panic!("round {round}: the rule says {e:?}, the store did {o:?}"),
        }
        // The attempt keeps its reasons: the chosen first, each other one with theirs.
        let attempts = q.core.bookings.detail(&q.admin, b).await.unwrap().attempts;
        let explained = attempts
            .iter()
            .find(|a| a.attempt == job.attempt && a.cycle == cycle_of(&job))
            .and_then(|a| a.explanation.clone())
            .expect("an explanation");
        assert_eq!(
            explained,
            matching::explain(&facts, expected),
            "round {round}"
        );
        // Now and then the chosen provider declines and the booking tries again.
        if let AssignmentOutcome::Assigned { provider_id } = outcome
            && next(3) == 0
        {
            let who = q.provider_actor(provider_id).await;
            let reject = StatusChange {
                status: Status::Rejected,
                reason: None,
                is_override: false,
                absent: None,
                expected_version: None,
            };
            q.core.change_status(&who, b, reject).await.unwrap();
            q.advance_ms(10);
        }
    }
    assert!(
        chose_someone > 10,
        "the rounds exercised choices: {chose_someone}"
    );
}

#[tokio::test]
async fn a_job_for_a_booking_no_longer_awaiting_assignment_or_a_superseded_cycle_is_a_no_op() {
    let q = setup(1000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let b = q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    // Meanwhile an admin assigns by hand: the claimed job must not assign again.
    q.core
        .bookings
        .assign_by_hand(&q.admin, b, p, false, None)
        .await
        .unwrap();
    assert_eq!(q.run("w", &job).await, AssignmentOutcome::NoOp);
    assert_eq!(q.assigned_count(b).await, 1);
    assert_eq!(q.job_of(b).await.state, JobState::Done);

    // Forced back to pending: a new cycle's job; the old cycle's claimed job does nothing.
    let c = q.book("plumbing").await;
    let old = q.claim_one("w").await.unwrap();
    let force = StatusChange {
        status: Status::Pending,
        reason: Some("redo".into()),
        is_override: true,
        absent: None,
        expected_version: None,
    };
    q.core
        .change_status(
            &q.admin,
            c,
            StatusChange {
                status: Status::Cancelled,
                reason: None,
                is_override: false,
                absent: None,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    q.core.change_status(&q.admin, c, force).await.unwrap();
    assert_eq!(q.run("w", &old).await, AssignmentOutcome::NoOp);
    let new = q.claim_one("w").await.unwrap();
    assert_eq!((booking_of(&new), cycle_of(&new)), (c, 2));
    assert!(matches!(
        q.run("w", &new).await,
        AssignmentOutcome::Assigned { .. }
    ));
}

#[tokio::test]
async fn finished_jobs_and_idempotency_keys_are_purged_after_retention_and_dead_jobs_are_kept() {
    let q = setup(1).await;
    q.provider("pat", &["plumbing"], 4.0).await;
    let keyed = IdempotencyKey {
        key: "k".into(),
        canonical_request: "{}".into(),
    };
    let new = q
        .request("plumbing")
        .validate(q.core.db.now(), &q.core.bookings.rules())
        .unwrap();
    let (done, _) = q
        .core
        .bookings
        .create(&q.customer, new, Some(keyed.clone()))
        .await
        .unwrap();
    let replayed = q.core.bookings.replayed(&q.customer, &keyed).await.unwrap();
    assert_eq!(replayed.map(|b| b.id), Some(done.id));
    let job = q.claim_one("w").await.unwrap();
    q.run("w", &job).await;
    let dead = q.book_then_nobody_available("gardening").await;
    for _ in 0..4 {
        q.advance_ms(100);
        let job = q.claim_one("w").await.unwrap();
        q.run("w", &job).await;
    }
    assert_eq!(q.job_of(dead).await.state, JobState::Dead);
    q.advance_ms(60_000);
    let before = q.core.db.now() - chrono::Duration::seconds(30);
    assert_eq!(q.core.queue.purge_finished(before).await.unwrap(), 1);
    assert_eq!(
        q.core
            .bookings
            .purge_idempotency_keys(before)
            .await
            .unwrap(),
        1
    );
    let purge_again = q.core.bookings.purge_idempotency_keys(before).await;
    assert_eq!(purge_again.unwrap(), 0);
    // The key is forgotten: a request with it is a new one.
    let replayed = q.core.bookings.replayed(&q.customer, &keyed).await.unwrap();
    assert_eq!(replayed, None);
    assert!(q.core.jobs(None, Some(done.id), 1).await.is_empty());
    assert_eq!(q.job_of(dead).await.state, JobState::Dead);
}

#[tokio::test]
async fn a_retry_of_dead_jobs_skips_what_is_not_dead_or_no_longer_awaits_assignment_and_says_why() {
    let q = setup(1).await;
    q.provider("pat", &["plumbing"], 4.0).await;
    let dead = q.book_then_nobody_available("gardening").await;
    for _ in 0..4 {
        q.advance_ms(10);
        let job = q.claim_one("w").await.unwrap();
        q.run("w", &job).await;
    }
    let cancelled = q.book_then_nobody_available("gardening").await;
    for _ in 0..4 {
        q.advance_ms(10);
        let job = q.claim_one("w").await.unwrap();
        q.run("w", &job).await;
    }
    let live = q.book("plumbing").await;
    q.core
        .change_status(
            &q.admin,
            cancelled,
            StatusChange {
                status: Status::Cancelled,
                reason: None,
                is_override: false,
                absent: None,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    let (dead_job, cancelled_job, live_job) = (
        q.job_of(dead).await.id,
        q.job_of(cancelled).await.id,
        q.job_of(live).await.id,
    );
    let customer_tries = q
        .core
        .console()
        .act_on_jobs(&q.customer, JobAction::Retry, JobSelection::Ids(vec![1]))
        .await;
    assert!(customer_tries.is_err(), "only admins retry");
    let report = q
        .core
        .console()
        .act_on_jobs(
            &q.admin,
            JobAction::Retry,
            JobSelection::Ids(vec![live_job, dead_job, cancelled_job, 9999, dead_job]),
        )
        .await
        .unwrap();
    assert_eq!(report.changed, 1);
    assert_eq!(
        q.core.queue.get(dead_job).await.unwrap().unwrap().state,
        JobState::Scheduled
    );
    let reasons: Vec<(i64, &str)> = report
        .skipped
        .iter()
        .map(|s| (s.id, s.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == live_job && r.contains("scheduled"))
    );
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == cancelled_job && r.contains("cancelled")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|(id, r)| *id == 9999 && r.contains("no such job"))
    );
    let history = q.core.bookings.history(&q.admin, dead).await.unwrap();
    assert_eq!(
        history.last().unwrap().reason.as_deref(),
        Some("assignment retried by an admin (cycle 2)")
    );
}

/// Books `service` a day or more after the clock's now, wherever it has been moved.
async fn book_soon(q: &Q, service: &str) -> i64 {
    use chrono::DurationRound;
    let mut input = q.request(service);
    let n = q.booked.load(std::sync::atomic::Ordering::Relaxed);
    let start = q
        .core
        .db
        .now()
        .duration_trunc(chrono::Duration::hours(1))
        .unwrap()
        + chrono::Duration::days(1)
        + chrono::Duration::hours(3 * n);
    input.starts_at = start.to_rfc3339();
    let new = input
        .validate(q.core.db.now(), &q.core.bookings.rules())
        .unwrap();
    q.core
        .bookings
        .create(&q.customer, new, None)
        .await
        .unwrap()
        .0
        .id
}

/// A booking of `service` assigned to `provider` by hand and worked to completion (the
/// clock moved to its start); its id.
async fn completed(q: &Q, service: &str, provider: i64) -> i64 {
    let b = book_soon(q, service).await;
    q.core
        .bookings
        .assign_by_hand(&q.admin, b, provider, false, None)
        .await
        .unwrap();
    let p = q.provider_actor(provider).await;
    q.core
        .change_status(&p, b, change(Status::Accepted))
        .await
        .unwrap();
    let start = q
        .core
        .bookings
        .detail(&q.admin, b)
        .await
        .unwrap()
        .booking
        .starts_at;
    q.clock.advance(start - q.core.db.now());
    for s in [Status::InProgress, Status::Completed] {
        q.core.change_status(&p, b, change(s)).await.unwrap();
    }
    b
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

fn conflict_code(e: shared::StoreError) -> &'static str {
    match e {
        shared::StoreError::Domain(shared::DomainError::Conflict { code, .. }) => code,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rating_is_its_customer_s_once_and_in_time_and_moves_the_provider_s_rank() {
    let q = setup(2000).await;
    let ratings = &q.core.ratings;
    // The admin typed Pia ahead of Ola.
    let pia = q.provider("pia", &["plumbing"], 4.0).await;
    let ola = q.provider("ola", &["plumbing"], 3.0).await;
    let pia_actor = q.provider_actor(pia).await;
    let stranger = common::user(&q.core, "s@example.com", Role::Customer).await;

    // Not before the work is done.
    let open = book_soon(&q, "plumbing").await;
    q.core
        .bookings
        .assign_by_hand(&q.admin, open, pia, false, None)
        .await
        .unwrap();
    let err = ratings.rate(&q.customer, open, 5, None).await.unwrap_err();
    assert_eq!(conflict_code(err), "not_completed");
    q.core
        .change_status(&q.customer, open, change(Status::Cancelled))
        .await
        .unwrap();

    let b = completed(&q, "plumbing", pia).await;
    // Only its customer: not the provider, not an admin on the customer's behalf, and a
    // stranger does not learn the booking exists.
    for who in [&pia_actor, &q.admin] {
        let err = ratings.rate(who, b, 5, None).await.unwrap_err();
        assert!(
            matches!(
                err,
                shared::StoreError::Domain(shared::DomainError::NotPermitted { .. })
            ),
            "{err:?}"
        );
    }
    let err = ratings.rate(&stranger, b, 5, None).await.unwrap_err();
    assert!(matches!(
        err,
        shared::StoreError::Domain(shared::DomainError::NotFound { .. })
    ));
    // Stars 1 to 5, a comment of at most 1,000 characters.
    for (stars, comment) in [(0, None), (6, None), (4, Some("x".repeat(1001)))] {
        let err = ratings
            .rate(&q.customer, b, stars, comment.as_deref())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                shared::StoreError::Domain(shared::DomainError::Validation(_))
            ),
            "{stars} {err:?}"
        );
    }

    let given = ratings
        .rate(&q.customer, b, 2, Some("  Late, and left a mess.  "))
        .await
        .unwrap();
    assert_eq!(given.comment.as_deref(), Some("Late, and left a mess."));
    let err = ratings.rate(&q.customer, b, 5, None).await.unwrap_err();
    assert_eq!(conflict_code(err), "already_rated");
    let pia_now = q.core.providers.get(pia).await.unwrap().unwrap();
    assert_eq!((pia_now.rating_count, pia_now.rating_mean), (1, Some(2.0)));

    // Changed within a day: the sum follows; after a day, no more.
    q.clock.advance(chrono::Duration::hours(23));
    ratings.edit(&q.customer, b, 1, None).await.unwrap();
    let pia_now = q.core.providers.get(pia).await.unwrap().unwrap();
    assert_eq!((pia_now.rating_count, pia_now.rating_mean), (1, Some(1.0)));
    q.clock.advance(chrono::Duration::hours(2));
    let err = ratings.edit(&q.customer, b, 5, None).await.unwrap_err();
    assert_eq!(conflict_code(err), "edit_window_closed");

    // Ola gets a 5. The mean of all reviews is 3: Pia ranks (5·3 + 1) / 6 = 2.67 and
    // Ola (5·3 + 5) / 6 = 3.33, although the admin had typed Pia ahead, 4 to 3.
    let o = completed(&q, "plumbing", ola).await;
    ratings
        .rate(&q.customer, o, 5, Some("Spotless"))
        .await
        .unwrap();
    let providers = &q.core.providers;
    let rank = |id| async move { providers.get(id).await.unwrap().unwrap().rating };
    assert!((rank(pia).await - 16.0 / 6.0).abs() < 1e-9);
    assert!((rank(ola).await - 20.0 / 6.0).abs() < 1e-9);
    // Matching follows the rank (both free, no load that day): Ola.
    let next = book_soon(&q, "plumbing").await;
    let job = q.claim_one("w1").await.unwrap();
    assert_eq!(booking_of(&job), next);
    assert_eq!(
        q.run("w1", &job).await,
        AssignmentOutcome::Assigned { provider_id: ola }
    );

    // Too late to rate: 30 days after completion.
    let late = completed(&q, "plumbing", pia).await;
    q.clock.advance(chrono::Duration::days(31));
    let err = ratings.rate(&q.customer, late, 5, None).await.unwrap_err();
    assert_eq!(conflict_code(err), "rating_window_closed");

    // An admin hides a comment, with a reason in the trail; the stars still count.
    let hidden = ratings
        .set_hidden(&q.admin, o, true, "Names a neighbour")
        .await
        .unwrap();
    assert!(hidden.hidden);
    assert_eq!(
        hidden.comment.as_deref(),
        Some("Spotless"),
        "admins still see it"
    );
    let ola_actor = q.provider_actor(ola).await;
    let seen = ratings.reviews(&ola_actor, ola, None, 10).await.unwrap();
    assert_eq!((seen[0].comment.clone(), seen[0].hidden), (None, true));
    assert_eq!(seen[0].stars, 5);
    let trail = q.core.bookings.detail(&q.admin, o).await.unwrap().history;
    assert!(
        trail
            .iter()
            .any(|h| h.reason.as_deref() == Some("review comment hidden: Names a neighbour")),
        "{trail:?}"
    );
    // Another provider does not read Ola's reviews.
    assert!(ratings.reviews(&pia_actor, ola, None, 10).await.is_err());
}

#[tokio::test]
async fn a_deactivated_provider_is_no_candidate_and_gives_back_what_they_hold_until_reactivated() {
    let q = setup(2000).await;
    let ada = q.provider("ada", &["plumbing"], 5.0).await;
    let bo = q.provider("bo", &["plumbing"], 1.0).await;
    let plumbers = |types: Vec<shared::provider::ServiceType>| {
        types
            .into_iter()
            .find(|t| t.name == "plumbing")
            .unwrap()
            .providers
    };
    assert_eq!(plumbers(q.core.providers.service_types().await.unwrap()), 2);

    // Only an admin deactivates: not a viewer, not the provider.
    let viewer = common::user(&q.core, "v@example.com", Role::Viewer).await;
    for who in [viewer, q.provider_actor(ada).await] {
        assert!(
            q.core
                .bookings
                .set_provider_active(&who, ada, false)
                .await
                .is_err()
        );
    }
    let released = q
        .core
        .bookings
        .set_provider_active(&q.admin, ada, false)
        .await
        .unwrap();
    assert_eq!(released, Vec::<i64>::new());
    assert_eq!(plumbers(q.core.providers.service_types().await.unwrap()), 1);
    let deactivated = q.core.providers.get(ada).await.unwrap().unwrap();
    assert!(deactivated.deactivated_at.is_some());

    // Ada rates higher, but she is no candidate: Bo gets it, and the attempt's
    // explanation does not list her at all.
    let b = q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(
        q.run("w", &job).await,
        AssignmentOutcome::Assigned { provider_id: bo }
    );
    let detail = q.core.bookings.detail(&q.admin, b).await.unwrap();
    let explanation = detail.attempts[0].explanation.as_ref().unwrap();
    assert_eq!(explanation.others_not_listed, 0);
    let considered: Vec<i64> = explanation.listed.iter().map(|c| c.provider_id).collect();
    assert_eq!(considered, vec![bo]);

    // Bo leaves too: the booking he held goes back to dispatch at once, in a new cycle,
    // and now nobody can be booked for plumbing, nor found for it.
    let released = q
        .core
        .bookings
        .set_provider_active(&q.admin, bo, false)
        .await
        .unwrap();
    assert_eq!(released, vec![b]);
    let back = q.core.bookings.get(&q.admin, b).await.unwrap();
    assert_eq!((back.status, back.provider_id), (Status::Pending, None));
    assert_eq!(back.assignment_cycle, 2);
    assert_eq!(plumbers(q.core.providers.service_types().await.unwrap()), 0);
    let rules = q.core.bookings.rules();
    let refused = q
        .core
        .bookings
        .create(
            &q.customer,
            q.request("plumbing")
                .validate(q.core.db.now(), &rules)
                .unwrap(),
            None,
        )
        .await;
    assert!(refused.is_err());
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(cycle_of(&job), 2);
    assert_eq!(
        q.run("w", &job).await,
        AssignmentOutcome::NoProvider { dead: false }
    );

    // Ada back: the next attempt finds her.
    q.core
        .bookings
        .set_provider_active(&q.admin, ada, true)
        .await
        .unwrap();
    assert_eq!(
        q.core
            .providers
            .get(ada)
            .await
            .unwrap()
            .unwrap()
            .deactivated_at,
        None
    );
    q.advance_ms(2000);
    let job = q.claim_one("w").await.unwrap();
    assert_eq!(booking_of(&job), b);
    assert_eq!(
        q.run("w", &job).await,
        AssignmentOutcome::Assigned { provider_id: ada }
    );
    assert_eq!(q.assigned_count(b).await, 2);
}
