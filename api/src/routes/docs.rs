//! `/api/v1/openapi.json` (the API described for clients and tools) and `/metrics`
//! (Prometheus text: bookings by status, jobs by state, live workers; admins only).

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::AdminUser;
use crate::error::ApiError;

/// The OpenAPI document, kept beside the crate and checked against the router by tests.
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

/// A worker is counted live when it has not stopped and beat within this many seconds.
const LIVE_WITHIN_SECS: i64 = 30;

pub async fn metrics(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<impl IntoResponse, ApiError> {
    let stats = state.store.stats().await?;
    let mut out = String::from("# HELP bookings Bookings by status.\n# TYPE bookings gauge\n");
    for (status, n) in &stats.bookings_by_status {
        out.push_str(&format!("bookings{{status=\"{status}\"}} {n}\n"));
    }
    out.push_str("# HELP jobs Jobs by state.\n# TYPE jobs gauge\n");
    for (job_state, n) in &stats.jobs_by_state {
        out.push_str(&format!("jobs{{state=\"{job_state}\"}} {n}\n"));
    }
    let now = state.store.now();
    let live = stats
        .workers
        .iter()
        .filter(|w| {
            w.stopped_at.is_none() && (now - w.last_heartbeat_at).num_seconds() < LIVE_WITHIN_SECS
        })
        .count();
    out.push_str(&format!(
        "# HELP workers_live Workers that beat within {LIVE_WITHIN_SECS} s.\n# TYPE workers_live gauge\nworkers_live {live}\n"
    ));
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
