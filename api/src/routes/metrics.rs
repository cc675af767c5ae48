//! `/metrics` (outside the API prefix; admins only): Prometheus text of bookings by
//! status, jobs by state and live workers.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::AppState;
use crate::auth::AdminUser;
use crate::error::ApiError;

pub async fn metrics(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<impl IntoResponse, ApiError> {
    let stats = state.overview.stats().await?;
    let mut out = String::from("# HELP bookings Bookings by status.\n# TYPE bookings gauge\n");
    for (status, n) in &stats.bookings_by_status {
        out.push_str(&format!("bookings{{status=\"{status}\"}} {n}\n"));
    }
    out.push_str("# HELP jobs Jobs by state.\n# TYPE jobs gauge\n");
    for (job_state, n) in &stats.jobs_by_state {
        out.push_str(&format!("jobs{{state=\"{}\"}} {n}\n", job_state.as_str()));
    }
    let live = stats.workers.iter().filter(|w| w.live).count();
    out.push_str(&format!(
        "# HELP workers_live Workers that have not missed three heartbeats.\n# TYPE workers_live gauge\nworkers_live {live}\n"
    ));
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
