//! `/admin`: the job table (list, retry) and the overview counts. Admins only.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json as JsonBody, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use queue::{Job, JobFilter, JobKind, JobState};
use shared::assignment::{AssignProvider, JobSelection, RetryReport};
use shared::overview::Stats;

use crate::AppState;
use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::extract::{Json, Query};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/jobs", get(jobs))
        .route("/jobs/retry", post(retry))
        .route("/stats", get(stats))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JobsQuery {
    state: Option<String>,
    booking_id: Option<i64>,
    cursor: Option<i64>,
    limit: Option<u32>,
}

/// A job as the admin pages show it: the queue's row, and the booking it is about.
#[derive(Serialize)]
struct JobView {
    #[serde(flatten)]
    job: Job,
    /// The booking an assignment job is about.
    booking_id: Option<i64>,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        let booking_id = job.subject_id.filter(|_| job.kind == AssignProvider::KIND);
        JobView { job, booking_id }
    }
}

#[derive(Serialize)]
struct JobPage {
    items: Vec<JobView>,
    next_cursor: Option<String>,
}

async fn jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<JobsQuery>,
) -> Result<JsonBody<JobPage>, ApiError> {
    let job_state = match query
        .state
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(JobState::parse(s).ok_or_else(|| {
            let names: Vec<_> = JobState::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::BadRequest {
                code: "invalid_query",
                message: format!("`state` must be one of {}", names.join(", ")),
                details: json!({"parameter": "state"}),
            }
        })?),
    };
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let filter = JobFilter {
        state: job_state,
        kind: None,
        subject_id: query.booking_id,
        before_id: query.cursor,
        limit: limit + 1,
    };
    let mut items = state
        .queue
        .list(&filter)
        .await
        .map_err(shared::StoreError::from)?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|j| j.id.to_string())
    } else {
        None
    };
    let items = items.into_iter().map(JobView::from).collect();
    Ok(JsonBody(JobPage { items, next_cursor }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RetryBody {
    #[serde(default)]
    ids: Option<Vec<i64>>,
    #[serde(default)]
    all_dead: bool,
}

async fn retry(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(body): Json<RetryBody>,
) -> Result<JsonBody<RetryReport>, ApiError> {
    let selection = match (body.ids, body.all_dead) {
        (Some(_), true) => {
            return Err(ApiError::field(
                "ids",
                "give either ids or all_dead, not both",
            ));
        }
        (Some(ids), false) if ids.is_empty() => {
            return Err(ApiError::field("ids", "must name at least one job"));
        }
        (Some(ids), false) if ids.len() > 1000 => {
            return Err(ApiError::field("ids", "must name at most 1000 jobs"));
        }
        (Some(ids), false) => JobSelection::Ids(ids),
        (None, true) => JobSelection::AllDead,
        (None, false) => {
            return Err(ApiError::field(
                "ids",
                "give the job ids to retry, or all_dead: true",
            ));
        }
    };
    let report = state
        .assignment
        .retry_dead(&admin.actor(), selection)
        .await?;
    tracing::info!(
        retried = report.retried.len(),
        skipped = report.skipped.len(),
        "jobs retried"
    );
    Ok(JsonBody(report))
}

async fn stats(
    State(state): State<AppState>,
    _admin: AdminUser,
) -> Result<JsonBody<Stats>, ApiError> {
    Ok(JsonBody(state.overview.stats().await?))
}
