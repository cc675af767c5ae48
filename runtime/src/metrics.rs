//! Metrics, per process, in Prometheus's text format (the `metrics` facade and its
//! Prometheus exporter). Every process installs one recorder at start; the API renders
//! its own at `GET /metrics` (admins only), a worker on `METRICS_ADDR` when set.
//!
//! What each metric means is in the README ("Metrics") and in the HELP lines below.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Buckets for times in seconds: 1 ms to 2 minutes.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0,
];

fn builder() -> PrometheusBuilder {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS)
        .expect("the buckets are not empty")
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_gauge!(
        "bookings",
        "Bookings by status (all of them, in the database)."
    );
    describe_gauge!("jobs", "Jobs by state (all of them, in the database).");
    describe_gauge!(
        "queue_paused",
        "1 while an operator has paused the queue (no worker claims from it), else 0."
    );
    describe_gauge!(
        "queue_oldest_due_seconds",
        "How long the queue's oldest due job has waited past its run time (0 when none is due)."
    );
    describe_gauge!(
        "workers_live",
        "Workers that have not stopped and have not missed three of their heartbeats."
    );
    describe_counter!(
        "bookings_created_total",
        "Bookings this API process created."
    );
    describe_gauge!(
        "event_streams_open",
        "Event streams (GET /events) this API process has open."
    );
    describe_counter!(
        "event_feed_reads_total",
        "Reads of the event feed, by reader: hub (the process's one reader, whose rows every open stream shares) or stream (a stream catching up after it resumed from an earlier row or fell behind)."
    );
    describe_counter!(
        "assignment_attempts_total",
        "Assignment attempts by outcome, recorded by the process that saw it: assigned, no_provider, error, lease_lost and noop in workers; rejected and no_show in the API."
    );
    describe_counter!(
        "assignment_transactions_total",
        "Transactions in which this worker committed assignment attempts; assignment_attempts_total over it is how many jobs a transaction held."
    );
    describe_histogram!(
        "assignment_create_to_assigned_seconds",
        Unit::Seconds,
        "From a booking's creation to its automatic assignment, over attempts and backoff."
    );
    describe_histogram!(
        "queue_job_duration_seconds",
        Unit::Seconds,
        "How long a job's run took, by queue and outcome (ok, error)."
    );
    describe_counter!(
        "queue_jobs_claimed_total",
        "Jobs this worker claimed, by queue."
    );
    describe_counter!(
        "queue_claim_errors_total",
        "Claims that failed on a database error (retried; a worker never stops for one)."
    );
}

/// The process's recorder, installed on first use (a process has one; tests that build
/// several apps in one process share it). Upkeep runs in the background.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let handle = builder()
                .install_recorder()
                .expect("no other metrics recorder was installed");
            describe();
            let upkeep = handle.clone();
            std::thread::spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(5));
                    upkeep.run_upkeep();
                }
            });
            handle
        })
        .clone()
}

/// Serves the process's metrics as Prometheus text on `listener` (bound to a worker's
/// `METRICS_ADDR`) until `shutdown` resolves: `GET /metrics` answers the current text.
pub async fn serve(
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let handle = handle();
    tracing::info!(addr = %listener.local_addr()?, "serving metrics");
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4",
                    )],
                    handle.render(),
                )
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
