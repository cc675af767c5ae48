//! The operator console's room on whichever backend `TEST_BACKEND` selects: actions on
//! jobs by ids and by filter, a chunk per transaction, with running jobs untouched and
//! the counts returned; pausing a queue; the audit log of every operator action.

mod common;

use common::Core;
use queue::{JobFilter, JobKind, JobState};
use shared::assignment::AssignProvider;
use shared::booking::validation::BookingInput;
use shared::console::{AuditAction, AuditFilter, CHUNK, JobAction, JobSelection};
use shared::error::{DomainError, StoreError};
use shared::provider::NewProvider;
use shared::{Actor, Role, Status};

struct Fixture {
    core: Core,
    db: common::TestDb,
    admin: Actor,
    alice: Actor,
}

async fn fixture() -> Fixture {
    let db = common::test_db(2000).await;
    let core = db.core.clone();
    let admin = common::user(&core, "admin@example.com", Role::Admin).await;
    let alice = common::user(&core, "alice@example.com", Role::Customer).await;
    core.providers
        .create(
            &admin,
            NewProvider {
                name: "Pat".into(),
                email: "pat@example.com".into(),
                service_types: vec!["plumbing".into()],
                available: true,
                rating: 4.0,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    Fixture {
        core,
        db,
        admin,
        alice,
    }
}

impl Fixture {
    /// `n` bookings, two hours apart, each with its assignment job scheduled.
    async fn book(&self, n: i64) -> Vec<i64> {
        let first: chrono::DateTime<chrono::Utc> = "2026-12-05T08:00:00Z".parse().unwrap();
        let mut ids = Vec::new();
        for i in 0..n {
            let new = BookingInput {
                customer_name: "Alice".into(),
                customer_phone: "+44 20 7946 0958".into(),
                customer_email: "alice@example.com".into(),
                service_type: "plumbing".into(),
                address: "1 Pipe Lane".into(),
                starts_at: (first + chrono::Duration::hours(2 * i)).to_rfc3339(),
                starts_at_field: "starts_at",
                time_zone: None,
                notes: None,
            }
            .validate(self.core.db.now(), &self.core.bookings.rules())
            .unwrap();
            ids.push(
                self.core
                    .bookings
                    .create(&self.alice, new, None)
                    .await
                    .unwrap()
                    .0
                    .id,
            );
        }
        ids
    }

    /// Makes every assignment job dead, as four failed attempts would (and the bookings
    /// exhausted), underneath the core: hundreds of dead jobs without running 4 x n
    /// attempts.
    async fn kill_all(&self) {
        self.db
            .raw(
                "UPDATE jobs SET state = 'dead', attempt = 4, last_error = 'no eligible provider', \
                 finished_at = run_at WHERE kind = 'assign_provider'; \
                 UPDATE bookings SET assignment_exhausted = TRUE",
            )
            .await
            .unwrap();
    }

    async fn state_counts(&self) -> std::collections::BTreeMap<JobState, i64> {
        self.core.queue.count_by_state().await.unwrap()
    }
}

fn dead() -> JobSelection {
    JobSelection::Matching(JobFilter {
        state: Some(JobState::Dead),
        ..Default::default()
    })
}

#[tokio::test]
async fn a_filter_retries_every_dead_job_chunk_by_chunk_and_the_audit_log_says_so() {
    let f = fixture().await;
    let n = (2 * CHUNK + 50) as i64;
    let bookings = f.book(n).await;
    f.kill_all().await;
    // One booking moved on meanwhile: its dead job is skipped, with the reason.
    let moved = bookings[7];
    f.core
        .change_status(
            &f.alice,
            moved,
            common::StatusChange {
                status: Status::Cancelled,
                reason: Some("plans changed".into()),
                is_override: false,
                absent: None,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    // Cancelling a booking cancels its dead job too: make it dead again, as if the
    // cancel had come after an attempt that is still being recorded.
    f.db.raw(&format!(
        "UPDATE jobs SET state = 'dead' WHERE subject_id = {moved}"
    ))
    .await
    .unwrap();

    let report = f
        .core
        .console()
        .act_on_jobs(&f.admin, JobAction::Retry, dead())
        .await
        .unwrap();
    assert_eq!(report.changed, n as u64 - 1);
    assert_eq!(report.skipped_count, 1);
    assert!(
        report.skipped[0]
            .reason
            .contains("no longer awaits assignment"),
        "{:?}",
        report.skipped
    );
    let counts = f.state_counts().await;
    assert_eq!(
        (counts[&JobState::Scheduled], counts[&JobState::Dead]),
        (n - 1, 1)
    );
    for id in [bookings[0], bookings[CHUNK], bookings[n as usize - 1]] {
        let b = f.core.bookings.get(&f.admin, id).await.unwrap();
        assert_eq!((b.assignment_cycle, b.assignment_exhausted), (2, false));
        let job = f.core.jobs(None, Some(id), 1).await.remove(0);
        assert_eq!(
            (job.state, job.round, job.payload["cycle"].as_i64()),
            (JobState::Scheduled, 2, Some(2))
        );
    }
    let audit = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let last = &audit[0];
    assert_eq!(
        (
            last.action,
            last.subject.as_str(),
            last.count,
            last.detail.as_deref(),
            last.actor_id
        ),
        (
            AuditAction::RetryJobs,
            "jobs matching state=dead",
            n - 1,
            Some("1 skipped"),
            f.admin.user_id.unwrap()
        )
    );
    assert_eq!(last.actor_name.as_deref(), Some("admin"));
}

#[tokio::test]
async fn cancel_and_run_now_leave_running_jobs_alone_and_a_cancelled_booking_waits_for_an_operator()
{
    let f = fixture().await;
    let bookings = f.book(3).await;
    let running = f
        .core
        .queue
        .claim(
            AssignProvider::QUEUE,
            "w1",
            1,
            std::time::Duration::from_secs(30),
        )
        .await
        .unwrap()
        .remove(0);
    let job_of = async |booking: i64| f.core.jobs(None, Some(booking), 1).await.remove(0);
    let ids: Vec<i64> = {
        let mut ids = Vec::new();
        for b in &bookings {
            ids.push(job_of(*b).await.id);
        }
        ids
    };
    assert!(ids.contains(&running.id()));

    // Run now: the two waiting jobs, not the running one.
    f.db.raw(match f.db.db.backend {
        db::Backend::Sqlite => "UPDATE jobs SET run_at = run_at + 60000 WHERE state = 'scheduled'",
        db::Backend::Postgres => {
            "UPDATE jobs SET run_at = run_at + interval '1 minute' WHERE state = 'scheduled'"
        }
    })
    .await
    .unwrap();
    for id in &ids {
        let job = f.core.queue.get(*id).await.unwrap().unwrap();
        if *id != running.id() {
            assert!(job.run_at > f.core.db.now());
        }
    }
    let report = f
        .core
        .console()
        .act_on_jobs(&f.admin, JobAction::RunNow, JobSelection::Ids(ids.clone()))
        .await
        .unwrap();
    assert_eq!((report.changed, report.skipped_count), (2, 1));
    assert_eq!(report.skipped[0].id, running.id());
    assert!(
        report.skipped[0]
            .reason
            .contains("running jobs are never touched")
    );
    for id in &ids {
        let job = f.core.queue.get(*id).await.unwrap().unwrap();
        if *id != running.id() {
            assert_eq!(job.run_at, f.core.db.now());
        }
    }

    // Cancel everything: the two waiting jobs; their bookings wait for an operator.
    let report = f
        .core
        .console()
        .act_on_jobs(
            &f.admin,
            JobAction::Cancel,
            JobSelection::Matching(JobFilter::default()),
        )
        .await
        .unwrap();
    assert_eq!((report.changed, report.skipped_count), (2, 1));
    let still = f.core.queue.get(running.id()).await.unwrap().unwrap();
    assert_eq!(
        still.state,
        JobState::Running,
        "a running job is never touched"
    );
    // The two wait for an operator, and the list of those waiting holds them alone.
    let waiting = f
        .core
        .bookings
        .list(
            &f.admin,
            &shared::booking::BookingFilter {
                waiting: true,
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let running_booking = f
        .core
        .queue
        .get(running.id())
        .await
        .unwrap()
        .unwrap()
        .subject_id
        .unwrap();
    let mut expected: Vec<i64> = bookings
        .iter()
        .copied()
        .filter(|b| *b != running_booking)
        .collect();
    expected.reverse();
    assert_eq!(
        waiting.items.iter().map(|b| b.id).collect::<Vec<_>>(),
        expected,
        "newest first"
    );
    assert_eq!(waiting.total, Some(2));
    for b in &bookings {
        let job = job_of(*b).await;
        if job.id == running.id() {
            continue;
        }
        assert_eq!(job.state, JobState::Cancelled);
        let booking = f.core.bookings.get(&f.admin, *b).await.unwrap();
        assert!(booking.assignment_exhausted);
        let history = f.core.bookings.history(&f.admin, *b).await.unwrap();
        let last = history.last().unwrap();
        assert_eq!(last.changed_by_role, Role::Admin);
        assert!(
            last.reason
                .as_deref()
                .unwrap()
                .starts_with("assignment cancelled by an admin")
        );
        // ... and a cancelled job can be retried.
        let retried = f
            .core
            .console()
            .act_on_jobs(&f.admin, JobAction::Retry, JobSelection::Ids(vec![job.id]))
            .await
            .unwrap();
        assert_eq!(retried.changed, 1);
        assert_eq!(job_of(*b).await.state, JobState::Scheduled);
    }
    // Cancelling twice skips: nothing waits any more but the retried jobs.
    let again = f
        .core
        .console()
        .act_on_jobs(
            &f.admin,
            JobAction::Cancel,
            JobSelection::Ids(vec![running.id(), 9999]),
        )
        .await
        .unwrap();
    assert_eq!(again.changed, 0);
    assert_eq!(
        again
            .skipped
            .iter()
            .map(|s| s.reason.as_str())
            .collect::<Vec<_>>(),
        vec![
            "the job is running; running jobs are never touched",
            "no such job"
        ]
    );
    let actions: Vec<AuditAction> = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::CancelJobs,
            AuditAction::RetryJobs,
            AuditAction::RetryJobs,
            AuditAction::CancelJobs,
            AuditAction::RunJobsNow,
            AuditAction::CreateProvider,
        ]
    );
}

#[tokio::test]
async fn only_admins_act_pausing_is_recorded_and_the_audit_log_is_append_only() {
    let f = fixture().await;
    for action in [JobAction::Retry, JobAction::Cancel, JobAction::RunNow] {
        let refused = f
            .core
            .console()
            .act_on_jobs(&f.alice, action, JobSelection::Ids(vec![1]))
            .await;
        assert!(
            matches!(
                refused,
                Err(StoreError::Domain(DomainError::NotPermitted { .. }))
            ),
            "{refused:?}"
        );
    }
    assert!(
        f.core
            .console()
            .set_paused(&f.alice, "assignment", true)
            .await
            .is_err()
    );
    assert!(
        f.core
            .console()
            .audit(
                &f.alice,
                &AuditFilter {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .is_err()
    );
    assert!(
        f.core
            .console()
            .set_paused(&f.admin, "nonesuch", true)
            .await
            .is_err()
    );

    assert!(
        f.core
            .console()
            .set_paused(&f.admin, "assignment", true)
            .await
            .unwrap()
    );
    assert!(
        !f.core
            .console()
            .set_paused(&f.admin, "assignment", true)
            .await
            .unwrap()
    );
    let queues = f.core.console().queues(&f.admin).await.unwrap();
    assert_eq!(queues.len(), 1);
    assert_eq!(
        queues[0].paused.as_ref().map(|(_, by)| by.as_str()),
        Some("admin")
    );
    f.book(1).await;
    assert!(
        f.core
            .queue
            .claim(
                AssignProvider::QUEUE,
                "w1",
                10,
                std::time::Duration::from_secs(30)
            )
            .await
            .unwrap()
            .is_empty(),
        "nothing is claimed from a paused queue"
    );
    assert!(
        f.core
            .console()
            .set_paused(&f.admin, "assignment", false)
            .await
            .unwrap()
    );
    assert_eq!(
        f.core
            .queue
            .claim(
                AssignProvider::QUEUE,
                "w1",
                10,
                std::time::Duration::from_secs(30)
            )
            .await
            .unwrap()
            .len(),
        1
    );

    let pauses = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                action: Some(AuditAction::PauseQueue),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        pauses
            .iter()
            .map(|e| (e.subject.as_str(), e.count, e.detail.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("queue assignment", 0, Some("was paused already")),
            ("queue assignment", 1, None)
        ]
    );
    // Paging and the time filter.
    let all = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(all.len(), 4, "{all:?}");
    let page = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                before_id: Some(all[1].id),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        page.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![all[2].id, all[3].id]
    );
    let later = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                from: Some(f.core.db.now() + chrono::Duration::seconds(1)),
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(later.is_empty());

    for sql in [
        "UPDATE operator_actions SET count = 9",
        "DELETE FROM operator_actions",
    ] {
        assert!(f.db.raw(sql).await.is_err(), "{sql} must be refused");
    }
}

#[tokio::test]
async fn manual_assignment_overrides_and_provider_changes_are_in_the_audit_log() {
    let f = fixture().await;
    let booking = f.book(1).await[0];
    let pat = f.core.providers.list(None).await.unwrap()[0].id;
    f.core
        .bookings
        .assign_by_hand(&f.admin, booking, pat, false, None)
        .await
        .unwrap();
    f.core
        .change_status(
            &f.admin,
            booking,
            common::StatusChange {
                status: Status::Completed,
                reason: Some("done on the phone".into()),
                is_override: true,
                absent: None,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    f.core
        .providers
        .update(
            &f.admin,
            pat,
            shared::provider::ProviderUpdate {
                phone: Some("+44 20 7946 0000".into()),
                available: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let rows = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let seen: Vec<(AuditAction, &str, Option<&str>)> = rows
        .iter()
        .map(|e| (e.action, e.subject.as_str(), e.detail.as_deref()))
        .collect();
    let b = format!("booking {booking}");
    let p = format!("provider {pat}");
    assert_eq!(
        seen,
        vec![
            (
                AuditAction::UpdateProvider,
                p.as_str(),
                Some("phone, available")
            ),
            (
                AuditAction::OverrideStatus,
                b.as_str(),
                Some("assigned to completed: done on the phone")
            ),
            (
                AuditAction::AssignBooking,
                b.as_str(),
                Some(format!("to provider {pat}").as_str())
            ),
            (
                AuditAction::CreateProvider,
                format!("provider {pat} (Pat)").as_str(),
                None
            ),
        ]
    );
    // A provider's own change of availability is not an operator action.
    let before = rows.len();
    f.core
        .providers
        .update(
            &Actor::system("pat"),
            pat,
            shared::provider::ProviderUpdate {
                available: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let after = f
        .core
        .console()
        .audit(
            &f.admin,
            &AuditFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(after.len(), before);
}

#[tokio::test]
async fn forcing_rejected_on_a_booking_nobody_holds_fails_no_attempt() {
    let f = fixture().await;
    let booking = f.book(1).await[0];
    let before = f.core.jobs(None, Some(booking), 1).await.remove(0);
    let forced = f
        .core
        .change_status(
            &f.admin,
            booking,
            common::StatusChange {
                status: Status::Rejected,
                reason: Some("the customer asked to wait".into()),
                is_override: true,
                absent: None,
                expected_version: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(forced.status, Status::Rejected);
    let after = f.core.jobs(None, Some(booking), 1).await.remove(0);
    assert_eq!(
        (after.id, after.state, after.attempt, after.errors.len()),
        (before.id, JobState::Scheduled, 1, 0),
        "no attempt of anyone failed: the assignment goes on as it stood"
    );
    let detail = f.core.bookings.get(&f.admin, booking).await.unwrap();
    assert!(!detail.assignment_exhausted);
}
