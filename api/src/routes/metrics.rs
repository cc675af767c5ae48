//! `/metrics` (outside the API prefix; admins only): this API process's metrics in
//! Prometheus's text format (see `runtime::metrics` and the README's "Metrics"), with
//! the database's counts (bookings by status, jobs by state, live workers, each queue's
//! pause and oldest due job) as gauges read at each scrape.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::OperatorUser;
use crate::error::ApiError;

pub async fn metrics(
    State(state): State<AppState>,
    operator: OperatorUser,
) -> Result<impl IntoResponse, ApiError> {
    let stats = state.overview.stats().await?;
    for (status, n) in &stats.bookings_by_status {
        metrics::gauge!("bookings", "status" => status.as_str()).set(*n as f64);
    }
    for (job_state, n) in &stats.jobs_by_state {
        metrics::gauge!("jobs", "state" => job_state.as_str()).set(*n as f64);
    }
    let live = stats.workers.iter().filter(|w| w.live).count();
    metrics::gauge!("workers_live").set(live as f64);
    for queue in state.console.queue_gauges(&operator.actor()).await? {
        metrics::gauge!("queue_paused", "queue" => queue.name.clone()).set(if queue.paused {
            1.0
        } else {
            0.0
        });
        metrics::gauge!("queue_oldest_due_seconds", "queue" => queue.name)
            .set(queue.oldest_due_ms.unwrap_or(0) as f64 / 1000.0);
    }
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        runtime::metrics::handle().render(),
    ))
}
