//! The runtime on apalis, in this process, against a real database and the real clock:
//! a run's lease lives exactly as long as the run, whatever ends it (a timeout, a
//! panic), failed runs are recorded through the handler, and a worker claims only as
//! many jobs as it has free slots.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::Ping;
use db::Db;
use queue::runtime::Settings;
use queue::{BoxError, ClaimedJob, Handler, JobKind, JobState, Queue, RetryPolicy};
use testkit::TestDatabase;

/// What the test handler's runs do.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Behaviour {
    /// Never finish (until the timeout drops the run).
    Hang,
    Panic,
    /// Wait until the test lets it finish, then complete the job.
    WaitForGo,
}

#[derive(Debug, Clone)]
struct TestHandler {
    queue: Queue,
    behaviour: Behaviour,
    /// Whether recording a failure works (`false`: it fails for good, not transiently).
    recording_works: bool,
    /// Errors the runtime asked to record, in order.
    failures: Arc<Mutex<Vec<String>>>,
    go: Arc<tokio::sync::Semaphore>,
}

impl Handler for TestHandler {
    type Output = ();

    fn queue(&self) -> &'static str {
        Ping::QUEUE
    }

    async fn run(&self, job: &ClaimedJob) -> Result<(), BoxError> {
        match self.behaviour {
            Behaviour::Hang => std::future::pending().await,
            Behaviour::Panic => panic!("the handler panicked on purpose"),
            Behaviour::WaitForGo => {
                self.go.acquire().await?.forget();
                let mut tx = self.queue.db().write().await?;
                queue::complete(&mut tx, &job.lease).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    }

    async fn failed(&self, job: &ClaimedJob, error: &str) -> Result<(), BoxError> {
        self.failures.lock().unwrap().push(error.to_owned());
        if !self.recording_works {
            return Err("refused on purpose (a non-transient error)".into());
        }
        let mut tx = self.queue.db().write().await?;
        queue::fail(&mut tx, &job.lease, error).await?;
        tx.commit().await?;
        Ok(())
    }
}

struct Running {
    queue: Queue,
    handler: TestHandler,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    _database: TestDatabase,
}

async fn start(
    behaviour: Behaviour,
    recording_works: bool,
    concurrency: u32,
    lease_ms: u64,
    timeout_ms: u64,
) -> Running {
    let database = TestDatabase::create().await;
    let db = Db::connect(&database.url).await.unwrap();
    db.migrate().await.unwrap();
    let queue = Queue::new(db);
    let handler = TestHandler {
        queue: queue.clone(),
        behaviour,
        recording_works,
        failures: Arc::default(),
        go: Arc::new(tokio::sync::Semaphore::new(0)),
    };
    let settings = Settings {
        name: "test-worker".into(),
        hostname: "test".into(),
        concurrency,
        poll: Duration::from_millis(20),
        lease: Duration::from_millis(lease_ms),
        timeout: Duration::from_millis(timeout_ms),
        heartbeat: Duration::from_secs(1),
        retention: Duration::from_secs(3600),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(
        queue::runtime::run(queue.clone(), handler.clone(), settings, async move {
            let _ = stopped.await;
        })
        .map_unit(),
    );
    Running {
        queue,
        handler,
        stop: Some(stop),
        task,
        _database: database,
    }
}

trait MapUnit {
    fn map_unit(self) -> impl Future<Output = ()> + Send;
}
impl<F: Future<Output = Result<(), apalis::prelude::BoxDynError>> + Send> MapUnit for F {
    async fn map_unit(self) {
        self.await.expect("the worker ran and stopped cleanly");
    }
}

impl Running {
    async fn enqueue(&self, n: i64, policy: RetryPolicy) -> i64 {
        let mut tx = self.queue.db().write().await.unwrap();
        let now = tx.now();
        let id = queue::enqueue(&mut tx, &Ping { n }, now, policy)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    }

    async fn jobs(&self) -> Vec<queue::Job> {
        self.queue
            .list(&queue::JobFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
    }

    async fn count(&self, state: JobState) -> usize {
        self.jobs()
            .await
            .iter()
            .filter(|j| j.state == state)
            .count()
    }

    async fn wait_until(
        &self,
        within: Duration,
        what: &str,
        mut done: impl AsyncFnMut(&Running) -> bool,
    ) {
        let deadline = Instant::now() + within;
        while !done(self).await {
            assert!(
                Instant::now() < deadline,
                "{what} did not happen within {within:?}: {:?}",
                self.jobs().await
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(10), &mut self.task)
            .await
            .expect("stops")
            .unwrap();
    }
}

#[tokio::test]
async fn a_run_that_times_out_stops_renewing_its_lease_even_when_its_failure_cannot_be_recorded() {
    // The run hangs and is dropped at 150 ms; recording the failure then fails for good.
    // The lease (600 ms) must lapse, so that the job is claimed again and its lost attempt
    // recorded: a renewer left behind would keep it `running` for ever.
    let w = start(Behaviour::Hang, false, 1, 600, 150).await;
    w.enqueue(1, RetryPolicy::default()).await;
    w.wait_until(
        Duration::from_secs(5),
        "a second failure to record",
        async |w| w.handler.failures.lock().unwrap().len() >= 2,
    )
    .await;
    let failures = w.handler.failures.lock().unwrap().clone();
    assert!(failures[0].to_lowercase().contains("time"), "{failures:?}");
    assert!(
        failures[1].contains("the lease of test-worker expired"),
        "{failures:?}"
    );
    w.stop().await;
}

#[tokio::test]
async fn a_panicking_run_is_recorded_as_a_failed_attempt_with_backoff() {
    let w = start(Behaviour::Panic, true, 2, 5000, 5000).await;
    let id = w
        .enqueue(
            1,
            RetryPolicy {
                base: Duration::from_secs(60),
                max_attempts: 3,
            },
        )
        .await;
    w.wait_until(
        Duration::from_secs(5),
        "the failure to be recorded",
        async |w| w.count(JobState::Retrying).await == 1,
    )
    .await;
    let job = w.jobs().await.into_iter().find(|j| j.id == id).unwrap();
    assert_eq!(job.attempt, 2);
    assert!(
        job.run_at > w.queue.db().now() + chrono::Duration::seconds(50),
        "the backoff holds"
    );
    assert!(job.last_error.unwrap().contains("panicked on purpose"));
    assert!(job.lease_expires_at.is_none());
    w.stop().await;
}

#[tokio::test]
async fn a_worker_claims_only_as_many_jobs_as_it_has_free_slots() {
    let w = start(Behaviour::WaitForGo, true, 2, 10_000, 30_000).await;
    for n in 0..6 {
        w.enqueue(n, RetryPolicy::default()).await;
    }
    w.wait_until(Duration::from_secs(5), "two jobs to run", async |w| {
        w.count(JobState::Running).await == 2
    })
    .await;
    // Several polls later, still only the two it can run.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(w.count(JobState::Running).await, 2);
    for finished in 1..=4 {
        w.handler.go.add_permits(1);
        w.wait_until(Duration::from_secs(5), "a job to finish", async |w| {
            w.count(JobState::Done).await == finished
        })
        .await;
        tokio::time::sleep(Duration::from_millis(150)).await;
        let running = w.count(JobState::Running).await;
        assert_eq!(
            running, 2,
            "one slot freed, one job claimed (after {finished} done)"
        );
    }
    w.handler.go.add_permits(2);
    w.wait_until(Duration::from_secs(5), "every job to finish", async |w| {
        w.count(JobState::Done).await == 6
    })
    .await;
    w.stop().await;
}
