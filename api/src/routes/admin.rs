//! `/admin`: the job table (list, retry) and the overview counts; admins only. With
//! their request and response types.

use std::collections::BTreeMap;

use axum::Json as JsonBody;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use queue::{Job, JobError, JobFilter, JobKind, JobState, WorkerInfo};
use shared::StoreError;
use shared::assignment::{AssignProvider, JobSelection, RetryReport};
use shared::overview::Stats;

use crate::AppState;
use crate::auth::AdminUser;
use crate::error::ApiError;
use crate::extract::{Json, Query, paging};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jobs))
        .routes(routes!(retry))
        .routes(routes!(stats))
}

/// One failed attempt of a job.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobErrorView {
    /// 1, and +1 each time the job was retried after it died.
    pub round: i64,
    pub attempt: i64,
    pub error: String,
    pub at: DateTime<Utc>,
}

impl From<JobError> for JobErrorView {
    fn from(e: JobError) -> Self {
        JobErrorView {
            round: e.round,
            attempt: e.attempt,
            error: e.error,
            at: e.at,
        }
    }
}

/// A job as the admin pages show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobView {
    pub id: i64,
    pub queue: String,
    pub kind: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// The booking an assignment job is about.
    #[schema(required = true)]
    pub booking_id: Option<i64>,
    pub state: JobState,
    pub attempt: i64,
    pub max_attempts: i64,
    pub backoff_base_ms: i64,
    pub round: i64,
    /// When it runs (a scheduled or retrying job), or ran.
    pub run_at: DateTime<Utc>,
    #[schema(required = true)]
    pub lease_owner: Option<String>,
    #[schema(required = true)]
    pub lease_expires_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    pub errors: Vec<JobErrorView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            booking_id: j.subject_id.filter(|_| j.kind == AssignProvider::KIND),
            id: j.id,
            queue: j.queue,
            kind: j.kind,
            payload: j.payload,
            state: j.state,
            attempt: j.attempt,
            max_attempts: j.max_attempts,
            backoff_base_ms: j.backoff_base_ms,
            round: j.round,
            run_at: j.run_at,
            lease_owner: j.lease_owner,
            lease_expires_at: j.lease_expires_at,
            last_error: j.last_error,
            errors: j.errors.into_iter().map(JobErrorView::from).collect(),
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

/// One page of jobs, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct JobsQuery {
    /// Only jobs in this state.
    state: Option<JobState>,
    /// Only this booking's jobs.
    #[param(minimum = 1)]
    booking_id: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(minimum = 1)]
    cursor: Option<i64>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// The job table, newest first.
#[utoipa::path(
    get,
    path = "/jobs",
    operation_id = "listJobs",
    tag = "admin",
    params(JobsQuery),
    responses(
        (status = 200, description = "A page of jobs", body = JobPage),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn jobs(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<JobsQuery>,
) -> Result<JsonBody<JobPage>, ApiError> {
    let limit = paging::limit(query.limit, 50, 200)?;
    paging::positive("booking_id", query.booking_id)?;
    paging::positive("cursor", query.cursor)?;
    let filter = JobFilter {
        state: query.state,
        kind: None,
        subject_id: query.booking_id,
        before_id: query.cursor,
        limit: limit + 1,
    };
    let mut items = state.queue.list(&filter).await.map_err(StoreError::from)?;
    let next_cursor = paging::next_cursor(&mut items, limit, |j| j.id);
    let items = items.into_iter().map(JobView::from).collect();
    Ok(JsonBody(JobPage { items, next_cursor }))
}

/// Which dead jobs to retry: `ids` (1 to 1,000), or `all_dead: true`; not both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRequest {
    #[serde(
        default,
        deserialize_with = "crate::extract::integer::option_vec::deserialize"
    )]
    pub ids: Option<Vec<i64>>,
    #[serde(default)]
    pub all_dead: bool,
}

/// The schema says what the handler checks: exactly one of the two selections.
impl utoipa::PartialSchema for RetryRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let boolean = |value: bool| {
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .enum_values(Some([value]))
        };
        let ids = ObjectBuilder::new()
            .property(
                "ids",
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                        utoipa::openapi::SchemaFormat::KnownFormat(
                            utoipa::openapi::KnownFormat::Int64,
                        ),
                    )))
                    .min_items(Some(1))
                    .max_items(Some(1000)),
            )
            .property("all_dead", boolean(false))
            .required("ids")
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        let all_dead = ObjectBuilder::new()
            .property("all_dead", boolean(true))
            .required("all_dead")
            .additional_properties(Some(
                utoipa::openapi::schema::AdditionalProperties::FreeForm(false),
            ));
        OneOfBuilder::new().item(ids).item(all_dead).into()
    }
}

impl ToSchema for RetryRequest {}

/// A job that was not retried, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkippedJobView {
    pub id: i64,
    pub reason: String,
}

/// What a retry did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RetryReportView {
    pub retried: Vec<i64>,
    pub skipped: Vec<SkippedJobView>,
}

impl From<RetryReport> for RetryReportView {
    fn from(r: RetryReport) -> Self {
        RetryReportView {
            retried: r.retried,
            skipped: r
                .skipped
                .into_iter()
                .map(|s| SkippedJobView {
                    id: s.id,
                    reason: s.reason,
                })
                .collect(),
        }
    }
}

/// Retries dead assignment jobs: each starts a new cycle of its booking at attempt 1,
/// now. Jobs that are not dead, or whose booking moved on, are skipped with the reason.
#[utoipa::path(
    post,
    path = "/jobs/retry",
    operation_id = "retryJobs",
    tag = "admin",
    request_body = RetryRequest,
    responses(
        (status = 200, description = "What was retried and what was skipped", body = RetryReportView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn retry(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(body): Json<RetryRequest>,
) -> Result<JsonBody<RetryReportView>, ApiError> {
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
    Ok(JsonBody(report.into()))
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
    _admin: AdminUser,
) -> Result<JsonBody<StatsView>, ApiError> {
    Ok(JsonBody(state.overview.stats().await?.into()))
}
