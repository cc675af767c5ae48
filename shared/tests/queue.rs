//! The queue conformance suite: claim order, run_at, leases and their expiry, fencing,
//! backoff, dead jobs, admin retry, retention, and the assignment job's choice of
//! provider. Time is a manual clock, never a sleep. Everything goes through the `Store`
//! interface, so the same suite can run against every backend the store supports.

mod common;

use common::t0;
use std::time::Duration;

use shared::booking::validation::BookingRequest;
use shared::clock::ManualClock;
use shared::store::{
    ASSIGNMENT_QUEUE, AssignmentOutcome, ClaimedJob, JobSelection, JobState, NewProvider,
    ProviderUpdate, StatusChange,
};
use shared::{Actor, Role, Status, Store};

const LEASE: Duration = Duration::from_secs(10);

struct Q {
    store: Store,
    clock: ManualClock,
    customer: Actor,
    admin: Actor,
    _db: common::TestDb,
}

/// A fresh store on its own database, with a customer and an admin and no providers.
async fn queue(base_ms: u64) -> Q {
    let db = common::test_db(base_ms).await;
    let customer = common::user(&db.store, "c@example.com", Role::Customer).await;
    let admin = common::user(&db.store, "a@example.com", Role::Admin).await;
    Q {
        store: db.store.clone(),
        clock: db.clock.clone(),
        customer,
        admin,
        _db: db,
    }
}

impl Q {
    fn request(&self, service: &str) -> BookingRequest {
        BookingRequest {
            customer_name: "C".into(),
            customer_phone: "5550100199".into(),
            customer_email: "c@example.com".into(),
            service_type: service.into(),
            address: "1 Road".into(),
            scheduled_date: "2026-12-10T10:00:00Z".into(),
            notes: None,
        }
    }

    async fn book(&self, service: &str) -> i64 {
        let new = self.request(service).validate(self.store.now()).unwrap();
        self.store
            .create_booking(&self.customer, new, None)
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
        self.store.create_provider(p).await.unwrap().id
    }

    async fn claim(&self, owner: &str, n: u32) -> Vec<ClaimedJob> {
        self.store
            .claim_jobs(ASSIGNMENT_QUEUE, owner, n, LEASE)
            .await
            .unwrap()
    }

    async fn claim_one(&self, owner: &str) -> Option<ClaimedJob> {
        self.claim(owner, 1).await.pop()
    }

    fn advance_ms(&self, ms: i64) {
        self.clock.advance(chrono::Duration::milliseconds(ms));
    }

    async fn job_of(&self, booking: i64) -> shared::store::Job {
        self.store
            .list_jobs(None, Some(booking), None, 1)
            .await
            .unwrap()
            .remove(0)
    }

    async fn provider_actor(&self, provider_id: i64) -> Actor {
        let p = self.store.provider(provider_id).await.unwrap().unwrap();
        self.store
            .user(p.user_id.unwrap())
            .await
            .unwrap()
            .unwrap()
            .actor()
    }
}

#[tokio::test]
async fn claims_take_due_jobs_in_run_at_order_and_never_early() {
    let q = queue(2000).await;
    let a = q.book("plumbing").await;
    q.advance_ms(5);
    let b = q.book("plumbing").await;
    let jobs = q.claim("w1", 10).await;
    assert_eq!(
        jobs.iter()
            .map(|j| j.payload.booking_id)
            .collect::<Vec<_>>(),
        vec![a, b]
    );
    assert!(
        q.claim("w2", 10).await.is_empty(),
        "claimed jobs are not claimed twice"
    );

    // A job due in the future is not claimed one millisecond early.
    let c = q.book("plumbing").await;
    let job = q.claim_one("w1").await.unwrap();
    assert_eq!(job.payload.booking_id, c);
    q.store.run_assignment(&job, "w1").await.unwrap(); // no provider: retry in 2 s
    q.advance_ms(1999);
    assert!(
        q.claim_one("w1").await.is_none(),
        "a retry must not start before its run_at"
    );
    q.advance_ms(1);
    let retry = q.claim_one("w1").await.unwrap();
    assert_eq!((retry.payload.booking_id, retry.attempt), (c, 2));
}

#[tokio::test]
async fn an_expired_lease_makes_the_job_claimable_again_and_fences_out_the_old_holder() {
    let q = queue(2000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let b = q.book("plumbing").await;
    let dead_worker = q.claim_one("w1").await.unwrap();
    q.advance_ms(9_999);
    assert!(q.claim_one("w2").await.is_none(), "the lease still holds");
    q.advance_ms(1);
    let rescuer = q
        .claim_one("w2")
        .await
        .expect("claimable once the lease expired");
    assert_eq!(rescuer.id, dead_worker.id);
    assert_ne!(rescuer.lease_token, dead_worker.lease_token);
    assert_eq!(
        rescuer.attempt, 1,
        "a worker's death is not a failed attempt"
    );

    // The old holder can neither finish, fail, renew nor release the job.
    assert_eq!(
        q.store.run_assignment(&dead_worker, "w1").await.unwrap(),
        AssignmentOutcome::LeaseLost
    );
    assert!(!q.store.fail_job(&dead_worker, "boom", "w1").await.unwrap());
    assert!(!q.store.renew_lease(&dead_worker, LEASE).await.unwrap());
    assert!(!q.store.release_job(&dead_worker).await.unwrap());
    assert!(!q.store.complete_job(&dead_worker).await.unwrap());
    assert_eq!(
        q.store.booking_for(&q.admin, b).await.unwrap().status,
        Status::Pending
    );

    assert_eq!(
        q.store.run_assignment(&rescuer, "w2").await.unwrap(),
        AssignmentOutcome::Assigned { provider_id: p }
    );
    let history = q.store.history_for(&q.admin, b).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.new_status == Status::Assigned)
            .count(),
        1
    );
    assert_eq!(history.last().unwrap().changed_by_name, "w2");
    assert_eq!(history.last().unwrap().changed_by_role, Role::System);
}

#[tokio::test]
async fn renewing_a_lease_keeps_the_job_from_other_workers() {
    let q = queue(2000).await;
    q.book("plumbing").await;
    let job = q.claim_one("w1").await.unwrap();
    q.advance_ms(8_000);
    assert!(q.store.renew_lease(&job, LEASE).await.unwrap());
    q.advance_ms(8_000);
    assert!(
        q.claim_one("w2").await.is_none(),
        "renewed at +8 s, the lease runs to +18 s"
    );
    q.advance_ms(2_000);
    assert!(q.claim_one("w2").await.is_some());
}

#[tokio::test]
async fn a_released_job_is_claimable_at_once_by_another_worker() {
    let q = queue(2000).await;
    q.book("plumbing").await;
    let job = q.claim_one("w1").await.unwrap();
    assert!(q.store.release_job(&job).await.unwrap());
    let again = q.claim_one("w2").await.unwrap();
    assert_eq!((again.id, again.attempt), (job.id, 1));
}

#[tokio::test]
async fn with_nobody_eligible_attempts_run_at_base_then_double_then_the_job_is_dead() {
    let q = queue(500).await;
    let b = q.book("electrical").await;
    let mut starts = Vec::new();
    let mut outcomes = Vec::new();
    loop {
        let Some(job) = q.claim_one("w1").await else {
            // Move time to the next due job, as a polling worker would find it.
            let next = q.job_of(b).await;
            if next.state == JobState::Dead {
                break;
            }
            let wait = (next.run_at - q.store.now()).num_milliseconds();
            assert!(wait > 0);
            q.advance_ms(wait);
            continue;
        };
        starts.push((q.store.now() - t0()).num_milliseconds());
        outcomes.push(q.store.run_assignment(&job, "w1").await.unwrap());
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
    let booking = q.store.booking_for(&q.admin, b).await.unwrap();
    assert!(booking.assignment_exhausted);
    assert_eq!(booking.status, Status::Pending);

    // An admin adds a provider and retries: a new cycle assigns it.
    let p = q.provider("eve", &["electrical"], 3.0).await;
    let report = q
        .store
        .retry_jobs(&q.admin, JobSelection::Ids(vec![job.id]))
        .await
        .unwrap();
    assert_eq!(report.retried, vec![job.id]);
    let job = q.claim_one("w1").await.unwrap();
    assert_eq!((job.attempt, job.payload.cycle), (1, 2));
    assert_eq!(
        q.store.run_assignment(&job, "w1").await.unwrap(),
        AssignmentOutcome::Assigned { provider_id: p }
    );
    let detail = q.store.booking_detail(&q.admin, b).await.unwrap();
    assert_eq!(
        detail.attempts.len(),
        5,
        "earlier attempts stay in the record"
    );
    assert!(!detail.booking.assignment_exhausted);
}

#[tokio::test]
async fn a_job_error_is_a_failed_attempt_with_backoff() {
    let q = queue(2000).await;
    let b = q.book("plumbing").await;
    let job = q.claim_one("w1").await.unwrap();
    assert!(q.store.fail_job(&job, "timed out", "w1").await.unwrap());
    let row = q.job_of(b).await;
    assert_eq!((row.state, row.attempt), (JobState::Retrying, 2));
    assert_eq!(row.run_at, q.store.now() + chrono::Duration::seconds(2));
    assert!(row.last_error.unwrap().contains("timed out"));
}

#[tokio::test]
async fn the_eligible_provider_is_the_least_busy_then_best_rated_then_lowest_id_and_never_one_who_rejected()
 {
    let q = queue(1000).await;
    let low = q.provider("low", &["plumbing"], 3.0).await;
    let high = q.provider("high", &["plumbing"], 4.9).await;
    let twin = q.provider("twin", &["plumbing"], 4.9).await;
    let away = q.provider("away", &["plumbing"], 5.0).await;
    q.provider("cleaner", &["cleaning"], 5.0).await;
    q.store
        .update_provider(
            away,
            ProviderUpdate {
                available: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();

    let mut chosen = Vec::new();
    for _ in 0..4 {
        q.book("plumbing").await;
        let job = q.claim_one("w").await.unwrap();
        match q.store.run_assignment(&job, "w").await.unwrap() {
            AssignmentOutcome::Assigned { provider_id } => chosen.push(provider_id),
            other => panic!("{other:?}"),
        }
    }
    // Rating breaks the tie at equal load, id breaks a tie of rating; then load counts.
    assert_eq!(chosen, vec![high, twin, low, high]);

    // `high` rejects: the next attempt (after the base delay) never offers it to `high` again.
    let booking = q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    let AssignmentOutcome::Assigned { provider_id } =
        q.store.run_assignment(&job, "w").await.unwrap()
    else {
        panic!()
    };
    assert_eq!(provider_id, twin);
    let twin_actor = q.provider_actor(twin).await;
    let reject = StatusChange {
        status: Status::Rejected,
        reason: None,
        is_override: false,
        expected_version: None,
    };
    q.store
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
    let AssignmentOutcome::Assigned { provider_id } =
        q.store.run_assignment(&job, "w").await.unwrap()
    else {
        panic!()
    };
    assert_ne!(provider_id, twin);
    assert_ne!(provider_id, away);
}

#[tokio::test]
async fn a_job_for_a_booking_no_longer_awaiting_assignment_or_a_superseded_cycle_is_a_no_op() {
    let q = queue(1000).await;
    let p = q.provider("pat", &["plumbing"], 4.0).await;
    let b = q.book("plumbing").await;
    let job = q.claim_one("w").await.unwrap();
    // Meanwhile an admin assigns by hand: the claimed job must not assign again.
    q.store.assign_by_hand(&q.admin, b, p, None).await.unwrap();
    assert_eq!(
        q.store.run_assignment(&job, "w").await.unwrap(),
        AssignmentOutcome::NoOp
    );
    let history = q.store.history_for(&q.admin, b).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.new_status == Status::Assigned)
            .count(),
        1
    );
    assert_eq!(q.job_of(b).await.state, JobState::Done);
}

#[tokio::test]
async fn done_jobs_and_idempotency_keys_are_purged_after_retention_and_dead_jobs_are_kept() {
    let q = queue(1).await;
    q.provider("pat", &["plumbing"], 4.0).await;
    let keyed = shared::store::IdempotencyKey {
        key: "k".into(),
        canonical_request: "{}".into(),
    };
    let new = q.request("plumbing").validate(q.store.now()).unwrap();
    let (done, _) = q
        .store
        .create_booking(&q.customer, new, Some(keyed))
        .await
        .unwrap();
    let done = done.id;
    let job = q.claim_one("w").await.unwrap();
    q.store.run_assignment(&job, "w").await.unwrap();
    let dead = q.book("gardening").await;
    for _ in 0..4 {
        q.advance_ms(100);
        let job = q.claim_one("w").await.unwrap();
        q.store.run_assignment(&job, "w").await.unwrap();
    }
    assert_eq!(q.job_of(dead).await.state, JobState::Dead);
    q.advance_ms(60_000);
    let purged = q
        .store
        .purge_before(q.store.now() - chrono::Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(purged, (1, 1));
    assert!(
        q.store
            .list_jobs(None, Some(done), None, 1)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(q.job_of(dead).await.state, JobState::Dead);
}

#[tokio::test]
async fn many_concurrent_claimers_never_take_the_same_job() {
    let q = queue(1000).await;
    for _ in 0..50 {
        q.book("plumbing").await;
    }
    let mut tasks = Vec::new();
    for w in 0..5 {
        let store = q.store.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let jobs = store
                    .claim_jobs(ASSIGNMENT_QUEUE, &format!("w{w}"), 3, LEASE)
                    .await
                    .unwrap();
                if jobs.is_empty() {
                    return mine;
                }
                mine.extend(jobs.into_iter().map(|j| j.id));
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (50, 50));
}
