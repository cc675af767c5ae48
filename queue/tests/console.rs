//! What operators see and do, on whichever backend `TEST_BACKEND` selects: every run of a
//! job kept with it (worker, start, finish, outcome, error), the job table's filters and
//! orders, "run now" and cancel, and pausing a queue. Time is a manual clock.

mod common;

use std::time::Duration;

use common::{LEASE, Ping, test_queue};
use queue::{JobCursor, JobFilter, JobKind, JobOrder, JobState, RetryPolicy};

fn policy(base_ms: u64, max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(base_ms),
        max_attempts,
    }
}

#[tokio::test]
async fn every_run_is_kept_with_its_worker_times_outcome_and_error() {
    let q = test_queue().await;
    let id = q.enqueue_in(1, 0, policy(1000, 4)).await;

    // Attempt 1 fails after 40 ms on w1.
    let run = q.claim_one("w1").await.unwrap();
    q.advance_ms(40);
    q.in_tx(async |tx| queue::fail(tx, &run.lease, "nobody free").await)
        .await
        .unwrap();
    // Attempt 2's worker dies: its lease expires and the next claim puts it back.
    q.advance_ms(1000);
    let lost = q.claim_one("w2").await.unwrap();
    q.advance_ms(LEASE.as_millis() as i64);
    let rescued = q.claim_one("w3").await.unwrap();
    assert_eq!(rescued.lost_lease_of.as_deref(), Some("w2"));
    // w3 records the lost attempt (which adds no run of its own) ...
    q.in_tx(async |tx| queue::fail(tx, &rescued.lease, "lost").await)
        .await
        .unwrap();
    // ... and a worker shutting down gives attempt 3 back unstarted: not a run either.
    q.advance_ms(2000);
    let unstarted = q.claim_one("w4").await.unwrap();
    assert!(q.queue.release(&unstarted.lease).await.unwrap());
    // Attempt 3 succeeds on w5 after 7 ms.
    let last = q.claim_one("w5").await.unwrap();
    assert_eq!(last.attempt, 3);
    let running = q.queue.get(id).await.unwrap().unwrap();
    assert_eq!(running.claimed_at, Some(q.db.now()));
    q.advance_ms(7);
    assert!(
        q.in_tx(async |tx| queue::complete(tx, &last.lease).await)
            .await
    );

    let info = q.queue.queues(&[Ping::QUEUE]).await.unwrap().remove(0);
    assert_eq!(info.last_hour.len(), 60);
    let now_minute = info.last_hour.last().unwrap();
    assert!(
        now_minute.minute <= q.db.now()
            && q.db.now() - now_minute.minute < chrono::Duration::minutes(1)
    );
    let (done, failed) = info
        .last_hour
        .iter()
        .fold((0, 0), |(d, f), m| (d + m.done, f + m.failed));
    assert_eq!((done, failed), (1, 2), "one done; one failed and one lost");
    let runs = q.queue.runs(id).await.unwrap();
    let seen: Vec<(i64, &str, &str, Option<&str>, i64)> = runs
        .iter()
        .map(|r| {
            (
                r.attempt,
                r.worker.as_str(),
                r.outcome.as_str(),
                r.error.as_deref(),
                (r.finished_at - r.started_at).num_milliseconds(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "w1", "failed", Some("nobody free"), 40),
            (
                2,
                "w2",
                "lost",
                Some("the lease of w2 expired before the attempt finished"),
                LEASE.as_millis() as i64
            ),
            (3, "w5", "done", None, 7),
        ]
    );
    assert!(runs.iter().all(|r| r.round == 1));
    let _ = lost;

    // What attempt 3 did comes undone later (an offer rejected): its run failed after all.
    q.advance_ms(100);
    q.in_tx(async |tx| queue::fail_attempt(tx, id, 3, "the provider rejected it").await)
        .await;
    let runs = q.queue.runs(id).await.unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(
        (runs[2].outcome.as_str(), runs[2].error.as_deref()),
        ("failed", Some("the provider rejected it"))
    );

    // A dead job's last run, and the runs go when retention purges the job.
    let dead_id = q.enqueue_in(2, 0, policy(1000, 1)).await;
    let only = q.claim_one("w6").await.unwrap();
    q.in_tx(async |tx| queue::fail(tx, &only.lease, "boom").await)
        .await
        .unwrap();
    let runs = q.queue.runs(dead_id).await.unwrap();
    assert_eq!(
        runs.iter()
            .map(|r| (r.outcome.as_str(), r.error.as_deref()))
            .collect::<Vec<_>>(),
        vec![("failed", Some("boom"))]
    );
    let done_id = q.enqueue(3).await;
    let done = q
        .claim("w7", 10)
        .await
        .into_iter()
        .find(|j| j.id() == done_id)
        .unwrap();
    assert!(
        q.in_tx(async |tx| queue::complete(tx, &done.lease).await)
            .await
    );
    assert_eq!(q.queue.runs(done_id).await.unwrap().len(), 1);
    q.advance_ms(1);
    q.queue.purge_finished(q.db.now()).await.unwrap();
    assert!(q.queue.runs(done_id).await.unwrap().is_empty());
    assert_eq!(
        q.queue.runs(dead_id).await.unwrap().len(),
        1,
        "dead jobs are kept"
    );
}

#[tokio::test]
async fn a_paused_queue_is_not_claimed_from_until_resumed_and_its_jobs_keep_their_times() {
    let q = test_queue().await;
    let id = q.enqueue(1).await;
    let before = q.queue.get(id).await.unwrap().unwrap();
    assert!(
        q.in_tx(async |tx| queue::pause(tx, Ping::QUEUE, "Ada").await)
            .await
    );
    assert!(
        !q.in_tx(async |tx| queue::pause(tx, Ping::QUEUE, "Bo").await)
            .await,
        "pausing twice changes nothing"
    );
    q.advance_ms(5000);
    assert!(
        q.claim_one("w1").await.is_none(),
        "a paused queue is not claimed from"
    );
    // Another queue is not paused by it.
    let info = q.queue.queues(&[Ping::QUEUE, "other"]).await.unwrap();
    assert_eq!(info.len(), 2);
    let pings = info.iter().find(|i| i.name == Ping::QUEUE).unwrap();
    assert_eq!(
        pings.paused.as_ref().map(|(_, by)| by.as_str()),
        Some("Ada")
    );
    assert_eq!(pings.depth[&JobState::Scheduled], 1);
    assert_eq!(pings.oldest_due_ms, Some(5000));
    let other = info.iter().find(|i| i.name == "other").unwrap();
    assert_eq!((other.paused.is_none(), other.oldest_due_ms), (true, None));
    // The metrics' gauges (paused, oldest due) say the same, without the counts.
    let gauges = q.queue.gauges(&[Ping::QUEUE, "other"]).await.unwrap();
    let said: Vec<_> = gauges
        .iter()
        .map(|g| {
            (
                g.name.as_str(),
                g.paused.as_ref().map(|(_, by)| by.as_str()),
                g.oldest_due_ms,
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            ("other", None, None),
            (Ping::QUEUE, Some("Ada"), Some(5000))
        ]
    );

    assert!(
        q.in_tx(async |tx| queue::resume(tx, Ping::QUEUE).await)
            .await
    );
    assert!(
        !q.in_tx(async |tx| queue::resume(tx, Ping::QUEUE).await)
            .await
    );
    let job = q.claim_one("w1").await.expect("claimed again once resumed");
    assert_eq!((job.id(), job.run_at), (id, before.run_at));
}

#[tokio::test]
async fn run_now_and_cancel_change_only_waiting_jobs() {
    let q = test_queue().await;
    let later = q.enqueue_in(1, 60_000, RetryPolicy::default()).await;
    let running = q.enqueue(2).await;
    q.claim_one("w1").await.unwrap();
    q.queue
        .register_worker(&queue::WorkerRegistration {
            name: "w1".into(),
            hostname: "h".into(),
            pid: 1,
            concurrency: 1,
            heartbeat: Duration::from_secs(1),
        })
        .await
        .unwrap();
    let workers = q.queue.workers().await.unwrap();
    assert_eq!(
        workers[0].running,
        vec![running],
        "what each worker runs now"
    );
    assert!(q.in_tx(async |tx| queue::run_now(tx, later).await).await);
    assert_eq!(
        q.queue.get(later).await.unwrap().unwrap().run_at,
        q.db.now()
    );
    assert!(!q.in_tx(async |tx| queue::run_now(tx, running).await).await);
    assert!(!q.in_tx(async |tx| queue::cancel(tx, running).await).await);
    assert_eq!(
        q.queue.get(running).await.unwrap().unwrap().state,
        JobState::Running
    );
    assert!(q.in_tx(async |tx| queue::cancel(tx, later).await).await);
    let cancelled = q.queue.get(later).await.unwrap().unwrap();
    assert_eq!(
        (cancelled.state, cancelled.finished_at),
        (JobState::Cancelled, Some(q.db.now()))
    );
    assert!(!q.in_tx(async |tx| queue::run_now(tx, later).await).await);
    // A cancelled job can be retried: a new round, due now.
    assert!(
        q.in_tx(async |tx| queue::retry(tx, later, None, RetryPolicy::default()).await)
            .await
    );
    let retried = q.queue.get(later).await.unwrap().unwrap();
    assert_eq!(
        (retried.state, retried.round, retried.attempt),
        (JobState::Scheduled, 2, 1)
    );
}

#[tokio::test]
async fn the_job_table_filters_by_queue_error_text_and_creation_and_pages_by_run_time() {
    let q = test_queue().await;
    let a = q.enqueue_in(1, 3000, RetryPolicy::default()).await;
    q.advance_ms(1000);
    let b = q.enqueue_in(2, 1500, RetryPolicy::default()).await;
    let c = q.enqueue_in(3, 1500, RetryPolicy::default()).await;
    q.advance_ms(1000);
    let d = q.enqueue_in(4, 0, policy(10, 4)).await;
    let run = q.claim_one("w").await.unwrap();
    assert_eq!(run.id(), d);
    q.in_tx(async |tx| queue::fail(tx, &run.lease, "Provider 50%_off REJECTED").await)
        .await
        .unwrap();
    let ids = |jobs: Vec<queue::Job>| jobs.iter().map(|j| j.id).collect::<Vec<_>>();
    let all = JobFilter {
        limit: 10,
        ..Default::default()
    };
    let list = |f: JobFilter| {
        let queue = q.queue.clone();
        async move { ids(queue.list(&f).await.unwrap()) }
    };
    assert_eq!(list(all.clone()).await, vec![d, c, b, a]);
    // Error text: any case, with % and _ taken literally.
    for text in ["rejected", "50%_OFF"] {
        let f = JobFilter {
            error_text: Some(text.into()),
            ..all.clone()
        };
        assert_eq!(list(f.clone()).await, vec![d], "{text}");
        assert_eq!(q.queue.count_matching(&f).await.unwrap(), 1);
    }
    let f = JobFilter {
        error_text: Some("50%x".into()),
        ..all.clone()
    };
    assert_eq!(list(f).await, Vec::<i64>::new());
    // Queue.
    let other = JobFilter {
        queue: Some("other".into()),
        ..all.clone()
    };
    assert_eq!(list(other).await, Vec::<i64>::new());
    let pings = JobFilter {
        queue: Some(Ping::QUEUE.into()),
        ..all.clone()
    };
    assert_eq!(q.queue.count_matching(&pings).await.unwrap(), 4);
    // Created from (included) to (excluded): b and c were created at t0 + 1 s.
    let t0 = common::t0();
    let created = JobFilter {
        created_from: Some(t0 + chrono::Duration::seconds(1)),
        created_to: Some(t0 + chrono::Duration::seconds(2)),
        ..all.clone()
    };
    assert_eq!(list(created).await, vec![c, b]);
    // By run time: d (retrying, due at t0 + 2.01 s), b and c (t0 + 2.5 s, the tie broken
    // by id, across the page break), a (t0 + 3 s); two per page.
    let by_run = JobFilter {
        order: JobOrder::RunAt,
        limit: 2,
        ..all.clone()
    };
    let first = q.queue.list(&by_run).await.unwrap();
    assert_eq!(ids(first.clone()), vec![d, b]);
    let second = q
        .queue
        .list(&JobFilter {
            after: Some(JobCursor::of(first.last().unwrap())),
            ..by_run.clone()
        })
        .await
        .unwrap();
    assert_eq!(ids(second), vec![c, a]);
    // Bulk actions walk matching ids in chunks.
    assert_eq!(q.queue.matching_ids(&all, 0, 2).await.unwrap(), vec![a, b]);
    assert_eq!(q.queue.matching_ids(&all, b, 2).await.unwrap(), vec![c, d]);
    assert!(q.queue.matching_ids(&all, d, 2).await.unwrap().is_empty());
    let retrying = JobFilter {
        state: Some(JobState::Retrying),
        ..all
    };
    assert_eq!(
        q.queue.matching_ids(&retrying, 0, 10).await.unwrap(),
        vec![d]
    );
}
