//! `/admin/stats`: the overview counts and the workers; admins only. (The job table and
//! the operator's actions are in [`super::jobs`].)

use std::collections::BTreeMap;

use axum::Json as JsonBody;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use queue::WorkerInfo;
use shared::overview::Stats;

use crate::AppState;
use crate::auth::OperatorUser;
use crate::error::ApiError;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(stats))
}

/// A worker process as it last reported itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WorkerView {
    pub name: String,
    pub hostname: String,
    pub pid: i64,
    pub concurrency: i64,
    pub heartbeat_ms: i64,
    pub started_at: DateTime<Utc>,
    pub last_heartbeat_at: DateTime<Utc>,
    /// Set when it shut down cleanly.
    #[schema(required = true)]
    pub stopped_at: Option<DateTime<Utc>>,
    /// Not stopped, and has not missed three of its heartbeats.
    pub live: bool,
    /// The jobs it runs now, by id.
    pub running: Vec<i64>,
}

impl From<WorkerInfo> for WorkerView {
    fn from(w: WorkerInfo) -> Self {
        WorkerView {
            name: w.name,
            hostname: w.hostname,
            pid: w.pid,
            concurrency: w.concurrency,
            heartbeat_ms: w.heartbeat_ms,
            started_at: w.started_at,
            last_heartbeat_at: w.last_heartbeat_at,
            stopped_at: w.stopped_at,
            live: w.live,
            running: w.running,
        }
    }
}

/// The overview: bookings by status, jobs by state, workers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatsView {
    /// Status -> count, every status present.
    pub bookings_by_status: BTreeMap<String, i64>,
    /// State -> count, every state present.
    pub jobs_by_state: BTreeMap<String, i64>,
    pub workers: Vec<WorkerView>,
}

impl From<Stats> for StatsView {
    fn from(s: Stats) -> Self {
        StatsView {
            bookings_by_status: s
                .bookings_by_status
                .into_iter()
                .map(|(status, n)| (status.as_str().to_owned(), n))
                .collect(),
            jobs_by_state: s
                .jobs_by_state
                .into_iter()
                .map(|(state, n)| (state.as_str().to_owned(), n))
                .collect(),
            workers: s.workers.into_iter().map(WorkerView::from).collect(),
        }
    }
}

/// Bookings by status, jobs by state, and the workers with their heartbeats.
#[utoipa::path(
    get,
    path = "/stats",
    operation_id = "getStats",
    tag = "admin",
    responses(
        (status = 200, description = "The overview", body = StatsView),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn stats(
    State(state): State<AppState>,
    _operator: OperatorUser,
) -> Result<JsonBody<StatsView>, ApiError> {
    Ok(JsonBody(state.overview.stats().await?.into()))
}
