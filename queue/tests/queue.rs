//! The queue's conformance suite, on whichever backend `TEST_BACKEND` selects: claim
//! order and run_at, leases and their expiry, fencing, backoff stored with the job, dead
//! jobs and their retry, cancelling, retention, workers' liveness, and concurrent
//! claimers. Time is a manual clock, never a sleep.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{LEASE, Ping, test_queue};
use queue::{Failure, JobKind, JobState, RetryPolicy};

fn policy(base_ms: u64, max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_millis(base_ms),
        max_attempts,
    }
}

/// A listener of its own for wake-ups: a socket beside the SQLite file, or PostgreSQL's
/// notification channel.
enum WakeListener {
    File(db::wake::Listener),
    Channel(sqlx::postgres::PgListener),
}

/// Listens, then drops whatever the set-up's commits woke (PostgreSQL's notifications
/// are sent just after the commit, and could otherwise arrive during the test).
async fn wake_listener(q: &common::TestQueue) -> WakeListener {
    let mut listener = match q.db.pool() {
        db::Pool::Postgres(pool) => {
            let mut listener = sqlx::postgres::PgListener::connect_with(pool)
                .await
                .unwrap();
            listener.listen(db::wake::CHANNEL).await.unwrap();
            WakeListener::Channel(listener)
        }
        db::Pool::Sqlite(_) => {
            WakeListener::File(db::wake::Listener::bind(q.db.wake_folder().unwrap()).unwrap())
        }
    };
    while heard(&mut listener).await.is_some() {}
    listener
}

/// The queue `listener` was woken for, if any within half a second.
async fn heard(listener: &mut WakeListener) -> Option<String> {
    let within = Duration::from_millis(500);
    match listener {
        WakeListener::File(l) => {
            let mut buf = [0u8; 64];
            let n = tokio::time::timeout(within, l.socket.recv(&mut buf))
                .await
                .ok()?
                .unwrap();
            Some(String::from_utf8_lossy(&buf[..n]).into_owned())
        }
        WakeListener::Channel(l) => {
            let n = tokio::time::timeout(within, l.recv()).await.ok()?.unwrap();
            Some(n.payload().to_owned())
        }
    }
}

/// A transaction that enqueues a job due now wakes the listeners once it has committed;
/// one due later wakes nobody (the poll finds it then).
#[tokio::test]
async fn enqueueing_a_job_due_now_wakes_the_listeners_and_one_due_later_does_not() {
    let q = test_queue().await;
    let mut listener = wake_listener(&q).await;
    q.enqueue_in(1, 5, RetryPolicy::default()).await;
    assert_eq!(
        heard(&mut listener).await,
        None,
        "a job due later wakes nobody"
    );
    q.enqueue(2).await;
    assert_eq!(heard(&mut listener).await.as_deref(), Some(Ping::QUEUE));
}

/// A job given back unstarted (a worker stopping), and jobs whose lease expired, put
/// back by the next claim, are due for the other workers: both wake them.
#[tokio::test]
async fn a_job_given_back_or_reclaimed_from_an_expired_lease_wakes_the_listeners() {
    let q = test_queue().await;
    q.enqueue(1).await;
    q.enqueue(2).await;
    let first = q.claim_one("w1").await.unwrap();
    let mut listener = wake_listener(&q).await;
    assert!(q.queue.release(&first.lease).await.unwrap());
    assert_eq!(
        heard(&mut listener).await.as_deref(),
        Some(db::wake::ANY_QUEUE)
    );
    assert_eq!(q.claim("w1", 2).await.len(), 2);
    assert_eq!(
        heard(&mut listener).await,
        None,
        "a claim that reclaims nothing wakes nobody"
    );
    q.advance_ms(LEASE.as_millis() as i64 + 1000);
    assert!(q.claim_one("w2").await.is_some());
    assert_eq!(heard(&mut listener).await.as_deref(), Some(Ping::QUEUE));
}

/// Commits a transaction that says it made jobs of `queue` claimable (and writes nothing).
async fn wake(q: &common::TestQueue, queue: &str) {
    let mut tx = q.db.write().await.unwrap();
    tx.wake(queue);
    tx.commit().await.unwrap();
}

/// Whether `wakeup` fires within half a second.
async fn fired(wakeup: &queue::JobWakeup) -> bool {
    tokio::time::timeout(Duration::from_millis(500), wakeup.notified())
        .await
        .is_ok()
}

/// A worker's wake-up fires when its queue, or any queue, is named by a commit, and not
/// for another queue.
#[tokio::test]
async fn a_worker_s_wakeup_fires_for_its_queue_and_for_any_queue_but_not_for_another() {
    let q = test_queue().await;
    let wakeup = q.queue.wakeup(Ping::QUEUE);
    // PostgreSQL's listener connects in the background: wake until it hears.
    let mut listening = false;
    for _ in 0..20 {
        wake(&q, Ping::QUEUE).await;
        if fired(&wakeup).await {
            listening = true;
            break;
        }
    }
    assert!(listening, "the wake-up never fired for its own queue");
    while fired(&wakeup).await {}

    wake(&q, "another-queue").await;
    assert!(!fired(&wakeup).await, "woken for another queue");
    wake(&q, db::wake::ANY_QUEUE).await;
    assert!(fired(&wakeup).await, "not woken for any queue");
    wake(&q, Ping::QUEUE).await;
    assert!(fired(&wakeup).await, "not woken for its own queue");
}

/// An operator's retry of a dead job, and run-now of a waiting one, wake the listeners
/// of every queue once they have committed; a retry or run-now that changes nothing
/// wakes nobody.
#[tokio::test]
async fn a_retry_or_run_now_that_changes_a_job_wakes_the_listeners_and_one_that_does_not_wakes_nobody()
 {
    let q = test_queue().await;
    let dead = q.enqueue_in(1, 0, policy(0, 1)).await;
    let claimed = q.claim_one("w1").await.unwrap();
    q.in_tx(async |tx| queue::fail(tx, &claimed.lease, "boom").await)
        .await
        .unwrap();
    let waiting = q.enqueue_in(2, 60_000, RetryPolicy::default()).await;
    let mut listener = wake_listener(&q).await;
    assert!(!q.in_tx(async |tx| queue::run_now(tx, dead).await).await);
    let retried = async |id| {
        q.in_tx(async |tx| queue::retry(tx, id, None, RetryPolicy::default()).await)
            .await
    };
    assert!(!retried(waiting).await);
    assert_eq!(
        heard(&mut listener).await,
        None,
        "nothing changed, nobody woken"
    );
    assert!(retried(dead).await);
    assert_eq!(
        heard(&mut listener).await.as_deref(),
        Some(db::wake::ANY_QUEUE)
    );
    assert!(q.in_tx(async |tx| queue::run_now(tx, waiting).await).await);
    assert_eq!(
        heard(&mut listener).await.as_deref(),
        Some(db::wake::ANY_QUEUE)
    );
}

/// A worker asks how many slots it has free once its claim holds the write lock: runs
/// that end while it waits for the lock free slots that the claim fills.
#[tokio::test]
async fn a_claim_asks_how_many_to_take_once_it_holds_the_write_lock() {
    let q = test_queue().await;
    for n in 0..5 {
        q.enqueue(n).await;
    }
    let limit = std::sync::atomic::AtomicU32::new(1);
    let asked = || limit.load(std::sync::atomic::Ordering::SeqCst);
    let held = q.db.write().await.unwrap();
    let claim = q.queue.claim_up_to(Ping::QUEUE, "w1", asked, LEASE);
    tokio::pin!(claim);
    if q.db.backend() == db::Backend::Sqlite {
        tokio::select! {
            biased;
            _ = &mut claim => panic!("a claim does not begin while another write holds the lock"),
            _ = std::future::ready(()) => {}
        }
        limit.store(3, std::sync::atomic::Ordering::SeqCst);
    }
    drop(held);
    let claimed = claim.await.unwrap();
    let expected = match q.db.backend() {
        db::Backend::Sqlite => 3,
        // Writers do not wait for each other to begin: the claim asked at once.
        db::Backend::Postgres => 1,
    };
    assert_eq!(claimed.len(), expected);
    assert_eq!(q.claim("w2", 10).await.len(), 5 - expected);
}

#[tokio::test]
async fn claims_take_due_jobs_in_run_at_order_and_never_early() {
    let q = test_queue().await;
    let later = q.enqueue_in(2, 5, RetryPolicy::default()).await;
    let sooner = q.enqueue(1).await;
    let first = q.claim("w1", 10).await;
    assert_eq!(
        first.iter().map(|j| j.id()).collect::<Vec<_>>(),
        vec![sooner]
    );
    q.advance_ms(4);
    assert!(
        q.claim("w1", 10).await.is_empty(),
        "not one millisecond early"
    );
    q.advance_ms(1);
    let second = q.claim("w2", 10).await;
    assert_eq!(
        second.iter().map(|j| j.id()).collect::<Vec<_>>(),
        vec![later]
    );
    assert_eq!(second[0].payload_as::<Ping>().unwrap(), Ping { n: 2 });
    assert!(
        q.claim("w3", 10).await.is_empty(),
        "claimed jobs are not claimed twice"
    );
}

#[tokio::test]
async fn a_failed_attempt_waits_the_stored_backoff_doubling_then_the_job_is_dead() {
    let q = test_queue().await;
    let id = q.enqueue_in(7, 0, policy(500, 4)).await;
    let mut starts = Vec::new();
    loop {
        let Some(job) = q.claim_one("w1").await else {
            let row = q.job(id).await;
            if row.state == JobState::Dead {
                break;
            }
            let wait = (row.run_at - q.db.now()).num_milliseconds();
            assert!(wait > 0, "a retrying job is due in the future");
            // One millisecond before it is due, it is still not claimable.
            q.advance_ms(wait - 1);
            assert!(q.claim_one("w1").await.is_none());
            q.advance_ms(1);
            continue;
        };
        starts.push((q.db.now() - common::t0()).num_milliseconds());
        let failure = q
            .in_tx(async |tx| queue::fail(tx, &job.lease, &format!("boom {}", job.attempt)).await)
            .await
            .expect("the claim holds the job");
        assert_eq!(failure.is_dead(), job.attempt == 4);
    }
    assert_eq!(
        starts,
        vec![0, 500, 1500, 3500],
        "+0, then +0.5 s, +1 s, +2 s after each failure"
    );
    let job = q.job(id).await;
    assert_eq!((job.state, job.attempt), (JobState::Dead, 4));
    assert_eq!(
        job.errors
            .iter()
            .map(|e| (e.round, e.attempt, e.error.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, 1, "boom 1"),
            (1, 2, "boom 2"),
            (1, 3, "boom 3"),
            (1, 4, "boom 4")
        ]
    );
    assert_eq!(job.last_error.as_deref(), Some("boom 4"));
    assert_eq!(job.finished_at, Some(q.db.now()));
}

#[tokio::test]
async fn the_backoff_is_the_one_stored_with_the_job_not_the_failing_process_s() {
    let q = test_queue().await;
    // Enqueued with a 300 ms base: whoever records the failure waits 300 ms.
    q.enqueue_in(1, 0, policy(300, 2)).await;
    let job = q.claim_one("w1").await.unwrap();
    let failure = q
        .in_tx(async |tx| queue::fail(tx, &job.lease, "x").await)
        .await;
    assert_eq!(
        failure,
        Some(Failure::Retrying {
            next_attempt: 2,
            run_at: q.db.now() + chrono::Duration::milliseconds(300)
        })
    );
    q.advance_ms(300);
    let job = q.claim_one("w2").await.unwrap();
    assert_eq!(job.attempt, 2);
    let failure = q
        .in_tx(async |tx| queue::fail(tx, &job.lease, "y").await)
        .await;
    assert_eq!(failure, Some(Failure::Dead { attempts: 2 }));
}

#[tokio::test]
async fn an_expired_lease_is_a_failed_attempt_and_fences_out_the_old_holder() {
    let q = test_queue().await;
    let id = q.enqueue_in(1, 0, policy(1000, 2)).await;
    let lost = q.claim_one("w1").await.unwrap();
    q.advance_ms(9_999);
    assert!(q.claim_one("w2").await.is_none(), "the lease still holds");
    q.advance_ms(1);
    let rescuer = q
        .claim_one("w2")
        .await
        .expect("claimable once the lease expired");
    assert_eq!(rescuer.id(), lost.id());
    assert_ne!(rescuer.lease.token, lost.lease.token);
    assert_eq!(rescuer.attempt, 1);
    assert_eq!(
        rescuer.lost_lease_of.as_deref(),
        Some("w1"),
        "the claimer learns that the attempt was lost, so that it records it as failed"
    );

    // The old holder can neither finish, fail, renew nor release the job.
    assert!(
        !q.in_tx(async |tx| queue::complete(tx, &lost.lease).await)
            .await
    );
    assert_eq!(
        q.in_tx(async |tx| queue::fail(tx, &lost.lease, "late").await)
            .await,
        None
    );
    assert!(
        !q.in_tx(async |tx| queue::touch(tx, &lost.lease).await)
            .await
    );
    assert!(!q.queue.renew(&lost.lease, LEASE).await.unwrap());
    assert!(!q.queue.release(&lost.lease).await.unwrap());

    // Recorded as failed, the next attempt waits its backoff like any other.
    let failure = q
        .in_tx(async |tx| queue::fail(tx, &rescuer.lease, "the lease of w1 expired").await)
        .await;
    assert!(matches!(
        failure,
        Some(Failure::Retrying {
            next_attempt: 2,
            ..
        })
    ));
    assert!(q.claim_one("w3").await.is_none(), "not again at once");
    q.advance_ms(1000);
    let second = q.claim_one("w3").await.unwrap();
    assert_eq!((second.attempt, second.lost_lease_of.clone()), (2, None));

    // A worker that dies on the last attempt leaves a dead job, not a loop.
    q.advance_ms(10_000);
    let last = q.claim_one("w4").await.unwrap();
    assert_eq!(
        (last.attempt, last.lost_lease_of.as_deref()),
        (2, Some("w3"))
    );
    let failure = q
        .in_tx(async |tx| queue::fail(tx, &last.lease, "lost again").await)
        .await;
    assert_eq!(failure, Some(Failure::Dead { attempts: 2 }));
    assert_eq!(q.job(id).await.state, JobState::Dead);
}

#[tokio::test]
async fn renewing_a_lease_keeps_the_job_from_other_workers() {
    let q = test_queue().await;
    q.enqueue(1).await;
    let job = q.claim_one("w1").await.unwrap();
    q.advance_ms(8_000);
    assert!(q.queue.renew(&job.lease, LEASE).await.unwrap());
    q.advance_ms(8_000);
    assert!(
        q.claim_one("w2").await.is_none(),
        "renewed at +8 s, the lease runs to +18 s"
    );
    q.advance_ms(2_000);
    assert!(q.claim_one("w2").await.is_some());
}

#[tokio::test]
async fn a_released_job_is_claimable_at_once_by_another_worker_with_its_attempt_unspent() {
    let q = test_queue().await;
    q.enqueue(1).await;
    let job = q.claim_one("w1").await.unwrap();
    assert!(q.queue.release(&job.lease).await.unwrap());
    let again = q.claim_one("w2").await.unwrap();
    assert_eq!(
        (again.id(), again.attempt, again.lost_lease_of),
        (job.id(), 1, None)
    );
}

#[tokio::test]
async fn a_completed_job_is_done_and_cannot_be_completed_or_failed_again() {
    let q = test_queue().await;
    let id = q.enqueue(1).await;
    let job = q.claim_one("w1").await.unwrap();
    assert!(q.in_tx(async |tx| queue::touch(tx, &job.lease).await).await);
    assert!(
        q.in_tx(async |tx| queue::complete(tx, &job.lease).await)
            .await
    );
    let row = q.job(id).await;
    assert_eq!(
        (row.state, row.finished_at),
        (JobState::Done, Some(q.db.now()))
    );
    assert!(
        !q.in_tx(async |tx| queue::complete(tx, &job.lease).await)
            .await
    );
    assert_eq!(
        q.in_tx(async |tx| queue::fail(tx, &job.lease, "x").await)
            .await,
        None
    );
}

fn commits(q: &common::TestQueue) -> u64 {
    *q.db.commits().borrow()
}

/// Completions handed over together (a worker's runs ending at once) are written in one
/// transaction, and each is fenced on its own lease: one whose claim was lost changes
/// nothing and is answered false, the others are done.
#[tokio::test]
async fn completions_arriving_together_share_one_commit_and_each_is_fenced_on_its_own_lease() {
    let q = test_queue().await;
    let ids = [
        q.enqueue(1).await,
        q.enqueue(2).await,
        q.enqueue(3).await,
        q.enqueue(4).await,
    ];
    let mut jobs = q.claim("w1", 4).await;
    assert_eq!(jobs.iter().map(|j| j.id()).collect::<Vec<_>>(), ids);
    // The third was taken over by another worker meanwhile: this claim no longer holds it.
    jobs[2].lease.token = "taken over".into();
    let before = commits(&q);
    // Handed over from one task, as runs ending at once are: the completing task takes
    // them all once this task waits for the answers.
    let done =
        futures_util::future::join_all(jobs.iter().map(|j| q.queue.complete(&j.lease))).await;
    let done: Vec<bool> = done.into_iter().map(Result::unwrap).collect();
    assert_eq!(done, [true, true, false, true]);
    assert_eq!(commits(&q) - before, 1, "one transaction for the four");
    for (id, state) in ids.into_iter().zip([
        JobState::Done,
        JobState::Done,
        JobState::Running,
        JobState::Done,
    ]) {
        assert_eq!(q.job(id).await.state, state);
    }
    // One alone is written as it arrives.
    q.enqueue(5).await;
    let job = q.claim_one("w1").await.unwrap();
    let before = commits(&q);
    assert!(q.queue.complete(&job.lease).await.unwrap());
    assert_eq!(commits(&q) - before, 1);
    assert_eq!(q.job(job.id()).await.state, JobState::Done);
}

/// A shared transaction that fails leaves nothing of it behind, and each completion is
/// written again alone: the one the database refuses fails by itself.
#[tokio::test]
async fn when_a_shared_completion_fails_each_is_written_alone_and_only_the_refused_one_fails() {
    let q = test_queue().await;
    let ids = [q.enqueue(1).await, q.enqueue(2).await, q.enqueue(3).await];
    // A trigger stands in for a fault in the middle of the shared transaction: the
    // database refuses to end the second job.
    let trigger = match q.db.backend() {
        db::Backend::Sqlite => format!(
            "CREATE TRIGGER refuse_done BEFORE UPDATE OF state ON jobs \
             WHEN NEW.id = {} AND NEW.state = 'done' BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END",
            ids[1]
        ),
        // On PostgreSQL it also counts its refusals in a sequence, which no rollback
        // takes back: how many times the refused completion was tried.
        db::Backend::Postgres => format!(
            "CREATE SEQUENCE refusals; \
             CREATE FUNCTION refuse_done() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
             IF NEW.id = {} AND NEW.state = 'done' THEN PERFORM nextval('refusals'); \
             RAISE EXCEPTION 'refused by a test trigger'; END IF; \
             RETURN NEW; END $$; \
             CREATE TRIGGER refuse_done BEFORE UPDATE ON jobs FOR EACH ROW \
             EXECUTE FUNCTION refuse_done()",
            ids[1]
        ),
    };
    let refusals = async || match q.db.pool() {
        db::Pool::Postgres(pool) => Some(
            sqlx::query_scalar::<_, i64>(
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM refusals",
            )
            .fetch_one(pool)
            .await
            .unwrap(),
        ),
        db::Pool::Sqlite(_) => None,
    };
    let trigger = sqlx::AssertSqlSafe(trigger);
    q.in_tx(async |tx| Ok(db::exec!(tx, |c| sqlx::raw_sql(trigger).execute(c).await)?))
        .await;
    let jobs = q.claim("w1", 3).await;
    let before = commits(&q);
    let done = q
        .queue
        .complete_together(&jobs.iter().map(|j| &j.lease).collect::<Vec<_>>())
        .await;
    assert!(matches!(done[0], Ok(true)), "{:?}", done[0]);
    assert!(
        done[1]
            .as_ref()
            .is_err_and(|e| e.to_string().contains("refused by a test trigger")),
        "{:?}",
        done[1]
    );
    assert!(matches!(done[2], Ok(true)), "{:?}", done[2]);
    // The shared transaction committed nothing; the first and third, alone, one each.
    assert_eq!(commits(&q) - before, 2);
    for (id, state) in ids
        .into_iter()
        .zip([JobState::Done, JobState::Running, JobState::Done])
    {
        assert_eq!(q.job(id).await.state, state);
    }
    // Tried in the shared transaction, then alone.
    assert!(matches!(refusals().await, Some(2) | None));
    // A completion by itself is tried once: its failure is its own.
    let before = commits(&q);
    let alone = q.queue.complete_together(&[&jobs[1].lease]).await;
    assert!(alone[0].is_err(), "{alone:?}");
    assert!(matches!(refusals().await, Some(3) | None));
    // None: no transaction at all.
    assert!(q.queue.complete_together(&[]).await.is_empty());
    assert_eq!(commits(&q), before);
}

#[tokio::test]
async fn work_undone_later_reopens_the_finished_job_as_a_failed_attempt() {
    let q = test_queue().await;
    let id = q.enqueue_in(1, 0, policy(2000, 4)).await;
    let job = q.claim_one("w1").await.unwrap();
    q.in_tx(async |tx| queue::complete(tx, &job.lease).await)
        .await;
    q.advance_ms(60_000);
    let failure = q
        .in_tx(async |tx| queue::fail_attempt(tx, id, 1, "declined").await)
        .await;
    assert_eq!(
        failure,
        Failure::Retrying {
            next_attempt: 2,
            run_at: q.db.now() + chrono::Duration::seconds(2)
        }
    );
    let row = q.job(id).await;
    assert_eq!(
        (row.state, row.attempt, row.finished_at),
        (JobState::Retrying, 2, None)
    );
}

#[tokio::test]
async fn a_dead_job_retried_starts_a_new_round_at_attempt_one_due_now() {
    let q = test_queue().await;
    let id = q.enqueue_in(1, 0, policy(100, 1)).await;
    let job = q.claim_one("w1").await.unwrap();
    q.in_tx(async |tx| queue::fail(tx, &job.lease, "first round").await)
        .await;
    assert_eq!(q.job(id).await.state, JobState::Dead);
    // Not dead: nothing to retry.
    let other = q.enqueue(2).await;
    assert!(
        !q.in_tx(async |tx| queue::retry(tx, other, None, RetryPolicy::default()).await)
            .await
    );

    let payload = serde_json::json!({"n": 9});
    assert!(
        q.in_tx(async |tx| queue::retry(tx, id, Some(&payload), policy(700, 3)).await)
            .await
    );
    let row = q.job(id).await;
    assert_eq!(
        (
            row.state,
            row.attempt,
            row.round,
            row.max_attempts,
            row.backoff_base_ms
        ),
        (JobState::Scheduled, 1, 2, 3, 700)
    );
    assert_eq!(row.payload, payload);
    assert_eq!(row.errors.len(), 1, "earlier errors stay in the record");
    let again = q.claim("w1", 10).await;
    assert!(again.iter().any(|j| j.id() == id && j.round == 2));
}

#[tokio::test]
async fn cancelling_a_subject_s_jobs_stops_pending_and_dead_ones_and_leaves_running_ones() {
    let q = test_queue().await;
    let pending = q.enqueue_in(5, 60_000, RetryPolicy::default()).await;
    let running = q.enqueue(5).await;
    let elsewhere = q.enqueue_in(6, 60_000, RetryPolicy::default()).await;
    let held = q.claim_one("w1").await.unwrap();
    assert_eq!(held.id(), running);
    let n = q
        .in_tx(async |tx| queue::cancel_pending(tx, Ping::KIND, 5).await)
        .await;
    assert_eq!(n, 1);
    assert_eq!(q.job(pending).await.state, JobState::Cancelled);
    assert_eq!(q.job(running).await.state, JobState::Running);
    assert_eq!(q.job(elsewhere).await.state, JobState::Scheduled);
    let latest = q
        .in_tx(async |tx| queue::latest(tx, Ping::KIND, 5).await)
        .await
        .unwrap();
    assert_eq!(latest.id, running.max(pending));
}

#[tokio::test]
async fn done_and_cancelled_jobs_are_purged_after_retention_and_dead_jobs_are_kept() {
    let q = test_queue().await;
    let done = q.enqueue_in(1, 0, policy(1, 1)).await;
    let job = q.claim_one("w").await.unwrap();
    q.in_tx(async |tx| queue::complete(tx, &job.lease).await)
        .await;
    let dead = q.enqueue_in(2, 0, policy(1, 1)).await;
    let job = q.claim_one("w").await.unwrap();
    q.in_tx(async |tx| queue::fail(tx, &job.lease, "x").await)
        .await;
    let cancelled = q.enqueue_in(3, 1000, RetryPolicy::default()).await;
    q.in_tx(async |tx| queue::cancel_pending(tx, Ping::KIND, 3).await)
        .await;
    let pending = q.enqueue_in(4, 999_999, RetryPolicy::default()).await;

    let cutoff = q.db.now();
    assert_eq!(
        q.queue.purge_finished(cutoff).await.unwrap(),
        0,
        "nothing finished before now"
    );
    q.advance_ms(1);
    assert_eq!(q.queue.purge_finished(q.db.now()).await.unwrap(), 2);
    let left: HashSet<i64> = q
        .queue
        .list(&queue::JobFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .iter()
        .map(|j| j.id)
        .collect();
    assert_eq!(left, HashSet::from([dead, pending]));
    assert!(!left.contains(&done) && !left.contains(&cancelled));
}

#[tokio::test]
async fn jobs_are_listed_newest_first_by_state_kind_and_subject_and_counted_by_state() {
    let q = test_queue().await;
    let a = q.enqueue(1).await;
    let b = q.enqueue(2).await;
    let c = q.enqueue(2).await;
    q.claim_one("w").await.unwrap();
    let list = |filter: queue::JobFilter| {
        let queue = q.queue.clone();
        async move {
            queue
                .list(&filter)
                .await
                .unwrap()
                .iter()
                .map(|j| j.id)
                .collect::<Vec<_>>()
        }
    };
    let all = queue::JobFilter {
        limit: 10,
        ..Default::default()
    };
    assert_eq!(list(all.clone()).await, vec![c, b, a]);
    assert_eq!(
        list(queue::JobFilter {
            subject_id: Some(2),
            ..all.clone()
        })
        .await,
        vec![c, b]
    );
    assert_eq!(
        list(queue::JobFilter {
            state: Some(JobState::Running),
            ..all.clone()
        })
        .await,
        vec![a]
    );
    assert_eq!(
        list(queue::JobFilter {
            after: Some(queue::JobCursor {
                run_at: chrono::DateTime::<chrono::Utc>::MIN_UTC,
                id: c,
            }),
            limit: 1,
            ..all.clone()
        })
        .await,
        vec![b]
    );
    assert_eq!(
        list(queue::JobFilter {
            kind: Some("other".into()),
            ..all
        })
        .await,
        Vec::<i64>::new()
    );
    let counts = q.queue.count_by_state().await.unwrap();
    assert_eq!(counts[&JobState::Running], 1);
    assert_eq!(counts[&JobState::Scheduled], 2);
    assert_eq!(counts[&JobState::Dead], 0);
}

#[tokio::test]
async fn many_concurrent_claimers_never_take_the_same_job() {
    let q = test_queue().await;
    let mut tx = q.db.write().await.unwrap();
    let now = tx.now();
    for n in 0..200 {
        queue::enqueue(&mut tx, &Ping { n }, now, RetryPolicy::default())
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut tasks = Vec::new();
    for w in 0..8 {
        let queue = q.queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let owner = format!("w{w}");
                match queue::retry_transient("claiming", 50, || {
                    queue.claim(Ping::QUEUE, &owner, 7, LEASE)
                })
                .await
                {
                    Ok(jobs) if jobs.is_empty() => return mine,
                    Ok(jobs) => mine.extend(jobs.iter().map(|j| j.id())),
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(seen.insert(id), "job {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), 200);
}

#[tokio::test]
async fn a_worker_is_live_while_it_beats_and_not_after_it_stops_or_misses_three_beats() {
    let q = test_queue().await;
    let registration = queue::WorkerRegistration {
        name: "host-1-abcd".into(),
        hostname: "host".into(),
        pid: 1,
        concurrency: 4,
        heartbeat: Duration::from_secs(5),
    };
    q.queue.register_worker(&registration).await.unwrap();
    let live = async || q.queue.workers().await.unwrap()[0].live;
    assert!(live().await);
    q.advance_ms(14_000);
    assert!(live().await);
    q.advance_ms(1_000);
    assert!(!live().await, "three missed beats");
    q.queue.heartbeat("host-1-abcd").await.unwrap();
    assert!(live().await);
    q.queue.worker_stopped("host-1-abcd").await.unwrap();
    let w = &q.queue.workers().await.unwrap()[0];
    assert!(!w.live && w.stopped_at.is_some());
    assert_eq!((w.concurrency, w.heartbeat_ms), (4, 5000));
}

#[tokio::test]
async fn on_postgresql_workers_with_wrong_clocks_neither_delay_due_jobs_nor_steal_live_leases() {
    use std::sync::Arc;
    // Whatever TEST_BACKEND says: hosts with their own clocks only exist on PostgreSQL.
    let database = testkit::TestDatabase::create_on(db::Backend::Postgres).await;
    let on_host = |skew_s: i64| {
        let url = database.url.clone();
        async move {
            let clock = Arc::new(db::OffsetClock {
                base: Arc::new(db::SystemClock),
                offset: chrono::Duration::seconds(skew_s),
            });
            queue::Queue::new(db::Db::connect_with_local_clock(&url, clock).await.unwrap())
        }
    };
    let honest = on_host(0).await;
    honest.db().migrate().await.unwrap();
    let (slow, fast) = (on_host(-20).await, on_host(15).await);

    // Each host reads the server's clock to within half a round trip, a millisecond or
    // so on a busy machine: a job due 100 ms ago is due for every host.
    let mut tx = honest.db().write().await.unwrap();
    let due = tx.now() - chrono::Duration::milliseconds(100);
    queue::enqueue(&mut tx, &Ping { n: 1 }, due, RetryPolicy::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // 20 s slow, yet the job due a moment ago is due for it.
    let held = slow.claim(Ping::QUEUE, "slow", 1, LEASE).await.unwrap();
    assert_eq!(held.len(), 1);
    // 15 s fast, yet the 10 s lease taken a moment ago is still live for it.
    assert!(
        fast.claim(Ping::QUEUE, "fast", 1, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
}
