//! `/admin/jobs`, `/admin/queues`, `/admin/audit`: the operator console. The job table
//! with its filters, a job with every run, the actions (retry, cancel, run now) on ids
//! or on everything a filter matches, pausing a queue, and the audit log. Admins only.

use std::collections::BTreeMap;

use axum::Json as JsonBody;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use queue::{Job, JobCursor, JobError, JobFilter, JobOrder, JobRun, JobState, QueueInfo};
use shared::StoreError;
use shared::console::{
    ActionReport, AuditAction, AuditEntry, AuditFilter, BookingSummary, JobAction, JobSelection,
    QUEUES,
};

use crate::AppState;
use crate::auth::{AdminUser, OperatorUser};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query, paging};

/// The routes that answer at once (under the request timeout).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(jobs))
        .routes(routes!(job))
        .routes(routes!(queues))
        .routes(routes!(pause))
        .routes(routes!(resume))
        .routes(routes!(audit))
}

/// The actions, which may work through 100,000 jobs a chunk at a time: outside the
/// request timeout, and carried on to the end if the caller goes away.
pub fn actions_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(retry))
        .routes(routes!(cancel))
        .routes(routes!(run_now))
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
    /// The booking an assignment job (or an offer's expiry) is about.
    #[schema(required = true)]
    pub booking_id: Option<i64>,
    /// That booking in a few words (absent when it is not a booking's job).
    #[schema(required = true)]
    pub booking: Option<JobBookingView>,
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

/// A booking as a job's row names it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobBookingView {
    pub service_type: String,
    pub customer_name: String,
    pub starts_at: DateTime<Utc>,
    /// The address's time zone.
    pub time_zone: String,
    pub status: shared::Status,
}

impl From<BookingSummary> for JobBookingView {
    fn from(b: BookingSummary) -> Self {
        JobBookingView {
            service_type: b.service_type,
            customer_name: b.customer_name,
            starts_at: b.starts_at,
            time_zone: b.time_zone,
            status: b.status,
        }
    }
}

/// The jobs as views, each with its booking in a few words (one query for them all).
async fn views(
    state: &AppState,
    operator: &OperatorUser,
    jobs: Vec<Job>,
) -> Result<Vec<JobView>, ApiError> {
    let ids: Vec<i64> = jobs.iter().filter_map(|j| j.subject_id).collect();
    let summaries = state
        .console
        .booking_summaries(&operator.actor(), &ids)
        .await?;
    Ok(jobs
        .into_iter()
        .map(|j| {
            let booking = j.subject_id.and_then(|id| summaries.get(&id).cloned());
            let mut view = JobView::from(j);
            view.booking = booking.map(JobBookingView::from);
            view
        })
        .collect())
}

impl From<Job> for JobView {
    fn from(j: Job) -> Self {
        JobView {
            booking_id: j.subject_id,
            booking: None,
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

/// How a run ended.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// It is running now.
    Running,
    /// It finished its work.
    Done,
    /// It ended in an error, or what it did came undone (an offer rejected or expired).
    Failed,
    /// Its lease expired before it finished (its worker stopped or lost the database).
    Lost,
}

/// One run of a job: an attempt as a worker ran it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobRunView {
    pub round: i64,
    pub attempt: i64,
    pub started_at: DateTime<Utc>,
    /// Absent while it runs.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub duration_ms: Option<i64>,
    /// The worker process that ran it.
    pub worker: String,
    pub outcome: RunOutcome,
    #[schema(required = true)]
    pub error: Option<String>,
}

impl From<JobRun> for JobRunView {
    fn from(r: JobRun) -> Self {
        JobRunView {
            round: r.round,
            attempt: r.attempt,
            started_at: r.started_at,
            finished_at: Some(r.finished_at),
            duration_ms: Some((r.finished_at - r.started_at).num_milliseconds()),
            worker: r.worker,
            outcome: match r.outcome.as_str() {
                "done" => RunOutcome::Done,
                "lost" => RunOutcome::Lost,
                _ => RunOutcome::Failed,
            },
            error: r.error,
        }
    }
}

/// A job with every run, oldest first (a running one last, unfinished).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobDetailView {
    #[serde(flatten)]
    pub job: JobView,
    pub attempts: Vec<JobRunView>,
}

/// One page of jobs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobPage {
    pub items: Vec<JobView>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// How many jobs match the filters, on every page.
    pub total: i64,
}

/// The order of the job table.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum JobSort {
    /// Newest first.
    #[default]
    Id,
    /// By run time, the next due first.
    RunAt,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct JobsQuery {
    /// Only jobs in this state.
    state: Option<JobState>,
    /// Only jobs of this queue.
    #[param(pattern = r"^[^\x00]*$")]
    queue: Option<String>,
    /// Only this booking's jobs.
    #[param(minimum = 1)]
    booking_id: Option<i64>,
    /// Only jobs whose errors contain this text (any attempt's; case-insensitive; no
    /// control characters).
    #[param(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    q: Option<String>,
    /// Created at or after: a time (RFC 3339) or a day (YYYY-MM-DD, from its start in
    /// the service area's time zone).
    created_from: Option<String>,
    /// Created before: a time (RFC 3339) or a day (YYYY-MM-DD, to its end).
    created_to: Option<String>,
    /// `id` (newest first, the default) or `run_at` (the next due first).
    #[param(inline)]
    sort: Option<JobSort>,
    /// The `next_cursor` of the previous page.
    cursor: Option<String>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// The filters a list, a count or a bulk action shares.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobFilterBody {
    pub state: Option<JobState>,
    pub queue: Option<String>,
    #[serde(
        default,
        deserialize_with = "crate::extract::integer::option::deserialize"
    )]
    #[schema(minimum = 1)]
    pub booking_id: Option<i64>,
    /// Text the job's errors contain (no control characters).
    #[schema(max_length = 200, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub q: Option<String>,
    /// A time (RFC 3339) or a day (YYYY-MM-DD).
    pub created_from: Option<String>,
    /// A time (RFC 3339) or a day (YYYY-MM-DD, to its end).
    pub created_to: Option<String>,
}

impl JobFilterBody {
    /// The queue's filter; `invalid` makes the error for a parameter (a query's or a
    /// body's).
    fn to_filter(
        &self,
        state: &AppState,
        invalid: fn(&str, String) -> ApiError,
    ) -> Result<JobFilter, ApiError> {
        if let Some(id) = self.booking_id
            && id < 1
        {
            return Err(invalid(
                "booking_id",
                "must be a positive whole number".into(),
            ));
        }
        if let Some(queue) = &self.queue
            && !QUEUES.contains(&queue.as_str())
        {
            return Err(invalid(
                "queue",
                format!("must be one of: {}", QUEUES.join(", ")),
            ));
        }
        if let Some(q) = &self.q {
            if q.chars().count() > 200 {
                return Err(invalid("q", "must be at most 200 characters".into()));
            }
            if shared::input::has_control(q) {
                return Err(invalid("q", "must not contain control characters".into()));
            }
        }
        let zone = state.settings.schedule.service_time_zone;
        let instant = |name: &str, value: &Option<String>, end: bool| {
            value
                .as_deref()
                .map(|v| {
                    parse_instant(v, zone, end).ok_or_else(|| {
                        invalid(
                            name,
                            "must be a time (RFC 3339) or a day (YYYY-MM-DD)".into(),
                        )
                    })
                })
                .transpose()
        };
        let created_from = instant("created_from", &self.created_from, false)?;
        let created_to = instant("created_to", &self.created_to, true)?;
        if let (Some(from), Some(to)) = (created_from, created_to)
            && to <= from
        {
            return Err(invalid("created_to", "must be after created_from".into()));
        }
        Ok(JobFilter {
            state: self.state,
            queue: self.queue.clone(),
            subject_id: self.booking_id,
            error_text: self.q.clone().filter(|q| !q.trim().is_empty()),
            created_from,
            created_to,
            ..Default::default()
        })
    }
}

/// `value` as an instant: RFC 3339, or a day of `zone` (its start, or with `end` the
/// start of the next day).
fn parse_instant(value: &str, zone: chrono_tz::Tz, end: bool) -> Option<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Some(t.with_timezone(&Utc));
    }
    let day = shared::input::date(value)?;
    let day = if end { day.succ_opt()? } else { day };
    let midnight = day.and_hms_opt(0, 0, 0)?;
    // A day that starts in a gap (a DST change at midnight) starts at its first instant.
    midnight
        .and_local_timezone(zone)
        .earliest()
        .or_else(|| {
            (midnight + chrono::Duration::hours(1))
                .and_local_timezone(zone)
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// The job table, filtered, newest first or by run time.
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
    operator: OperatorUser,
    Query(query): Query<JobsQuery>,
) -> Result<JsonBody<JobPage>, ApiError> {
    let limit = paging::limit(query.limit, 50, 200)?;
    let body = JobFilterBody {
        state: query.state,
        queue: query.queue,
        booking_id: query.booking_id,
        q: query.q,
        created_from: query.created_from,
        created_to: query.created_to,
    };
    let mut filter = body.to_filter(&state, ApiError::invalid_query)?;
    let sort = query.sort.unwrap_or_default();
    filter.order = match sort {
        JobSort::Id => JobOrder::Newest,
        JobSort::RunAt => JobOrder::RunAt,
    };
    filter.after = query
        .cursor
        .as_deref()
        .map(|c| {
            parse_cursor(c, sort).ok_or_else(|| {
                ApiError::invalid_query("cursor", "must be a next_cursor of this listing")
            })
        })
        .transpose()?;
    filter.limit = limit + 1;
    let total = state
        .console
        .count_matching(&operator.actor(), &filter)
        .await?;
    let mut items = state.queue.list(&filter).await.map_err(StoreError::from)?;
    let next_cursor = if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(|j| cursor_of(j, sort))
    } else {
        None
    };
    let items = views(&state, &operator, items).await?;
    Ok(JsonBody(JobPage {
        items,
        next_cursor,
        total,
    }))
}

/// The cursor after `job`: its id, or for the run-time order its run time (ms) and id.
fn cursor_of(job: &Job, sort: JobSort) -> String {
    match sort {
        JobSort::Id => job.id.to_string(),
        JobSort::RunAt => format!("{}_{}", job.run_at.timestamp_millis(), job.id),
    }
}

fn parse_cursor(cursor: &str, sort: JobSort) -> Option<JobCursor> {
    match sort {
        JobSort::Id => {
            let id: i64 = cursor.parse().ok().filter(|id| *id > 0)?;
            Some(JobCursor {
                run_at: DateTime::<Utc>::MIN_UTC,
                id,
            })
        }
        JobSort::RunAt => {
            let (ms, id) = cursor.split_once('_')?;
            Some(JobCursor {
                run_at: DateTime::from_timestamp_millis(ms.parse().ok()?)?,
                id: id.parse().ok()?,
            })
        }
    }
}

/// A job with every run.
#[utoipa::path(
    get,
    path = "/jobs/{id}",
    operation_id = "getJob",
    tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "The job's id")),
    responses(
        (status = 200, description = "The job and its runs", body = JobDetailView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn job(
    State(state): State<AppState>,
    operator: OperatorUser,
    Id(id): Id,
) -> Result<JsonBody<JobDetailView>, ApiError> {
    let not_found = || ApiError::NotFound(format!("job {id} was not found"));
    let job = state
        .queue
        .get(id)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(not_found)?;
    let mut attempts: Vec<JobRunView> = state
        .queue
        .runs(id)
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .map(JobRunView::from)
        .collect();
    if job.state == JobState::Running {
        attempts.push(JobRunView {
            round: job.round,
            attempt: job.attempt,
            started_at: job.claimed_at.unwrap_or(job.updated_at),
            finished_at: None,
            duration_ms: None,
            worker: job.lease_owner.clone().unwrap_or_default(),
            outcome: RunOutcome::Running,
            error: None,
        });
    }
    let job = views(&state, &operator, vec![job])
        .await?
        .pop()
        .ok_or_else(not_found)?;
    Ok(JsonBody(JobDetailView { job, attempts }))
}

/// Which jobs an action is for: `ids` (1 to 1,000), or `filter` (every job it matches),
/// or `all_dead: true` (the filter `{state: dead}`); exactly one.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobActionRequest {
    // Named, each is what it says: `null` is no selection, refused (the schema's oneOf).
    #[serde(
        default,
        deserialize_with = "crate::extract::integer::present_vec::deserialize"
    )]
    pub ids: Option<Vec<i64>>,
    #[serde(default, deserialize_with = "crate::extract::present")]
    pub filter: Option<JobFilterBody>,
    #[serde(default)]
    pub all_dead: bool,
}

/// The schema says what the handler checks: exactly one of the three selections.
impl utoipa::PartialSchema for JobActionRequest {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{
            AdditionalProperties, ArrayBuilder, ObjectBuilder, OneOfBuilder, Type,
        };
        use utoipa::openapi::{KnownFormat, SchemaFormat};
        let closed =
            |o: ObjectBuilder| o.additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let boolean = |value: bool| {
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .enum_values(Some([value]))
        };
        let ids = closed(
            ObjectBuilder::new()
                .property(
                    "ids",
                    ArrayBuilder::new()
                        .items(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))),
                        )
                        .min_items(Some(1))
                        .max_items(Some(1000)),
                )
                .property("all_dead", boolean(false))
                .required("ids"),
        );
        let filter = closed(
            ObjectBuilder::new()
                .property("filter", <JobFilterBody as utoipa::PartialSchema>::schema())
                .property("all_dead", boolean(false))
                .required("filter"),
        );
        let all_dead = closed(
            ObjectBuilder::new()
                .property("all_dead", boolean(true))
                .required("all_dead"),
        );
        OneOfBuilder::new()
            .item(ids)
            .item(filter)
            .item(all_dead)
            .into()
    }
}

impl ToSchema for JobActionRequest {}

impl JobActionRequest {
    fn selection(self, state: &AppState) -> Result<JobSelection, ApiError> {
        match (self.ids, self.filter, self.all_dead) {
            (Some(ids), None, false) => {
                if ids.is_empty() {
                    Err(ApiError::field("ids", "must name at least one job"))
                } else if ids.len() > 1000 {
                    Err(ApiError::field("ids", "must name at most 1000 jobs"))
                } else {
                    Ok(JobSelection::Ids(ids))
                }
            }
            (None, Some(filter), false) => Ok(JobSelection::Matching(
                filter.to_filter(state, |p, m| ApiError::field(&format!("filter.{p}"), m))?,
            )),
            (None, None, true) => Ok(JobSelection::Matching(JobFilter {
                state: Some(JobState::Dead),
                ..Default::default()
            })),
            (None, None, false) => Err(ApiError::field(
                "ids",
                "give the job ids, a filter, or all_dead: true",
            )),
            _ => Err(ApiError::field(
                "ids",
                "give one of ids, filter and all_dead, not several",
            )),
        }
    }
}

/// A job that was not changed, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SkippedJobView {
    pub id: i64,
    pub reason: String,
}

/// What an action did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ActionReportView {
    /// How many jobs it changed.
    pub changed: u64,
    /// The jobs it skipped, with the reason (the first 1,000).
    pub skipped: Vec<SkippedJobView>,
    /// How many it skipped in all.
    pub skipped_count: u64,
}

impl From<ActionReport> for ActionReportView {
    fn from(r: ActionReport) -> Self {
        ActionReportView {
            changed: r.changed,
            skipped: r
                .skipped
                .into_iter()
                .map(|s| SkippedJobView {
                    id: s.id,
                    reason: s.reason,
                })
                .collect(),
            skipped_count: r.skipped_count,
        }
    }
}

/// Runs an action to its end even if the caller goes away (each chunk commits alone).
async fn act(
    state: AppState,
    admin: AdminUser,
    action: JobAction,
    body: JobActionRequest,
) -> Result<JsonBody<ActionReportView>, ApiError> {
    let selection = body.selection(&state)?;
    let actor = admin.actor();
    let console = state.console.clone();
    let report = tokio::spawn(async move { console.act_on_jobs(&actor, action, selection).await })
        .await
        .map_err(|e| ApiError::Internal(format!("the action stopped: {e}")))??;
    Ok(JsonBody(report.into()))
}

/// Retries dead or cancelled assignment jobs: each starts a new cycle of its booking at
/// attempt 1, now. Jobs in other states, or whose booking moved on, are skipped with the
/// reason. A filter is worked through 200 jobs per transaction, outside the request
/// timeout.
#[utoipa::path(
    post,
    path = "/jobs/retry",
    operation_id = "retryJobs",
    tag = "admin",
    request_body = JobActionRequest,
    responses(
        (status = 200, description = "How many were retried, and what was skipped", body = ActionReportView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
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
    Json(body): Json<JobActionRequest>,
) -> Result<JsonBody<ActionReportView>, ApiError> {
    act(state, admin, JobAction::Retry, body).await
}

/// Cancels scheduled or retrying assignment jobs; a booking whose current assignment it
/// was waits for an operator (marked exhausted, with a history row). Running jobs are
/// never touched.
#[utoipa::path(
    post,
    path = "/jobs/cancel",
    operation_id = "cancelJobs",
    tag = "admin",
    request_body = JobActionRequest,
    responses(
        (status = 200, description = "How many were cancelled, and what was skipped", body = ActionReportView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn cancel(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(body): Json<JobActionRequest>,
) -> Result<JsonBody<ActionReportView>, ApiError> {
    act(state, admin, JobAction::Cancel, body).await
}

/// Makes scheduled or retrying jobs due now (a job waiting on its backoff runs at once).
#[utoipa::path(
    post,
    path = "/jobs/run-now",
    operation_id = "runJobsNow",
    tag = "admin",
    request_body = JobActionRequest,
    responses(
        (status = 200, description = "How many were made due, and what was skipped", body = ActionReportView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn run_now(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(body): Json<JobActionRequest>,
) -> Result<JsonBody<ActionReportView>, ApiError> {
    act(state, admin, JobAction::RunNow, body).await
}

/// A queue as operators see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    pub name: String,
    /// No worker claims from a paused queue.
    pub paused: bool,
    #[schema(required = true)]
    pub paused_at: Option<DateTime<Utc>>,
    /// Who paused it.
    #[schema(required = true)]
    pub paused_by: Option<String>,
    /// State -> count, every state present.
    pub depth: BTreeMap<String, i64>,
    /// How long the oldest due job has waited past its run time (absent when none is due).
    #[schema(required = true)]
    pub oldest_due_age_ms: Option<i64>,
    /// Runs that ended in each of the last 60 minutes, oldest first.
    pub last_hour: Vec<MinuteRunsView>,
}

/// The runs of a queue that ended in one minute.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MinuteRunsView {
    /// The minute's start.
    pub minute: DateTime<Utc>,
    pub done: i64,
    /// Failed, or lost (the lease expired first).
    pub failed: i64,
}

impl From<QueueInfo> for QueueView {
    fn from(q: QueueInfo) -> Self {
        QueueView {
            name: q.name,
            paused: q.paused.is_some(),
            paused_at: q.paused.as_ref().map(|(at, _)| *at),
            paused_by: q.paused.map(|(_, by)| by),
            depth: q
                .depth
                .into_iter()
                .map(|(s, n)| (s.as_str().to_owned(), n))
                .collect(),
            oldest_due_age_ms: q.oldest_due_ms,
            last_hour: q
                .last_hour
                .into_iter()
                .map(|m| MinuteRunsView {
                    minute: m.minute,
                    done: m.done,
                    failed: m.failed,
                })
                .collect(),
        }
    }
}

/// The queues: depth by state, the oldest due job's wait, paused or not.
#[utoipa::path(
    get,
    path = "/queues",
    operation_id = "listQueues",
    tag = "admin",
    responses(
        (status = 200, description = "Every queue", body = Vec<QueueView>),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn queues(
    State(state): State<AppState>,
    operator: OperatorUser,
) -> Result<JsonBody<Vec<QueueView>>, ApiError> {
    let queues = state.console.queues(&operator.actor()).await?;
    Ok(JsonBody(queues.into_iter().map(QueueView::from).collect()))
}

async fn set_paused(
    state: AppState,
    admin: AdminUser,
    name: String,
    paused: bool,
) -> Result<JsonBody<QueueView>, ApiError> {
    if !QUEUES.contains(&name.as_str()) {
        return Err(ApiError::NotFound(format!("no queue is named `{name}`")));
    }
    let actor = admin.actor();
    state.console.set_paused(&actor, &name, paused).await?;
    let queue = state
        .console
        .queues(&actor)
        .await?
        .into_iter()
        .find(|q| q.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("no queue is named `{name}`")))?;
    Ok(JsonBody(queue.into()))
}

/// Pauses a queue: every worker stops claiming from it within one poll interval; jobs
/// keep their run times. Pausing a paused queue changes nothing.
#[utoipa::path(
    post,
    path = "/queues/{name}/pause",
    operation_id = "pauseQueue",
    tag = "admin",
    params(("name" = String, Path, description = "The queue's name")),
    responses(
        (status = 200, description = "The queue, paused", body = QueueView),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn pause(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(name): Path<String>,
) -> Result<JsonBody<QueueView>, ApiError> {
    set_paused(state, admin, name, true).await
}

/// Resumes a paused queue: workers claim again at their next poll (at once on
/// PostgreSQL). Resuming a running queue changes nothing.
#[utoipa::path(
    post,
    path = "/queues/{name}/resume",
    operation_id = "resumeQueue",
    tag = "admin",
    params(("name" = String, Path, description = "The queue's name")),
    responses(
        (status = 200, description = "The queue, running", body = QueueView),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn resume(
    State(state): State<AppState>,
    admin: AdminUser,
    Path(name): Path<String>,
) -> Result<JsonBody<QueueView>, ApiError> {
    set_paused(state, admin, name, false).await
}

/// One row of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub id: i64,
    pub actor_id: i64,
    /// The actor's name now.
    #[schema(required = true)]
    pub actor_name: Option<String>,
    pub actor_role: String,
    pub action: AuditAction,
    /// What it was done to, in words.
    pub subject: String,
    /// How many things it changed.
    pub count: i64,
    #[schema(required = true)]
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(e: AuditEntry) -> Self {
        AuditEntryView {
            id: e.id,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            actor_role: e.actor_role,
            action: e.action,
            subject: e.subject,
            count: e.count,
            detail: e.detail,
            at: e.at,
        }
    }
}

/// One page of the audit log, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditEntryView>,
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only this user's actions.
    #[param(minimum = 1)]
    actor: Option<i64>,
    /// Only this action.
    action: Option<AuditAction>,
    /// At or after: a time (RFC 3339) or a day (YYYY-MM-DD).
    from: Option<String>,
    /// Before: a time (RFC 3339) or a day (YYYY-MM-DD, to its end).
    to: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(minimum = 1)]
    cursor: Option<i64>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// The audit log of operator actions, newest first.
#[utoipa::path(
    get,
    path = "/audit",
    operation_id = "listAudit",
    tag = "admin",
    params(AuditQuery),
    responses(
        (status = 200, description = "A page of the audit log", body = AuditPage),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn audit(
    State(state): State<AppState>,
    operator: OperatorUser,
    Query(query): Query<AuditQuery>,
) -> Result<JsonBody<AuditPage>, ApiError> {
    let limit = paging::limit(query.limit, 50, 200)?;
    paging::positive("actor", query.actor)?;
    paging::positive("cursor", query.cursor)?;
    let zone = state.settings.schedule.service_time_zone;
    let instant = |name: &str, value: Option<&str>, end: bool| {
        value
            .map(|v| {
                parse_instant(v, zone, end).ok_or_else(|| {
                    ApiError::invalid_query(name, "must be a time (RFC 3339) or a day (YYYY-MM-DD)")
                })
            })
            .transpose()
    };
    let filter = AuditFilter {
        actor_id: query.actor,
        action: query.action,
        from: instant("from", query.from.as_deref(), false)?,
        to: instant("to", query.to.as_deref(), true)?,
        before_id: query.cursor,
        limit: limit + 1,
    };
    let mut items = state.console.audit(&operator.actor(), &filter).await?;
    let next_cursor = paging::next_cursor(&mut items, limit, |e| e.id);
    Ok(JsonBody(AuditPage {
        items: items.into_iter().map(AuditEntryView::from).collect(),
        next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_is_a_time_or_a_day_of_the_service_area() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(
            parse_instant("2026-12-02T10:00:00+01:00", berlin, false),
            Some(at("2026-12-02T09:00:00Z"))
        );
        assert_eq!(
            parse_instant("2026-12-02", berlin, false),
            Some(at("2026-12-01T23:00:00Z"))
        );
        assert_eq!(
            parse_instant("2026-12-02", berlin, true),
            Some(at("2026-12-02T23:00:00Z"))
        );
        assert_eq!(parse_instant("yesterday", berlin, false), None);
        assert_eq!(parse_instant("2026-13-01", berlin, false), None);
    }

    #[test]
    fn a_cursor_is_read_back_as_it_was_written() {
        let run_at = "2026-12-02T10:00:00.123Z".parse::<DateTime<Utc>>().unwrap();
        let c = parse_cursor(
            &format!("{}_{}", run_at.timestamp_millis(), 42),
            JobSort::RunAt,
        );
        assert_eq!(c, Some(JobCursor { run_at, id: 42 }));
        assert_eq!(parse_cursor("42", JobSort::Id).map(|c| c.id), Some(42));
        assert_eq!(parse_cursor("0", JobSort::Id), None);
        assert_eq!(parse_cursor("x_1", JobSort::RunAt), None);
        assert_eq!(parse_cursor("12", JobSort::RunAt), None);
    }
}
