//! `/bookings`: create, list, read, change status, assign by hand; with the request and
//! response types of each, as the OpenAPI document shows them.

use std::collections::BTreeMap;

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use queue::JobState;
use shared::assignment::{AssignmentState, Attempt, AttemptOutcome};
use shared::booking::permission::allowed_moves;
use shared::booking::transition::Change;
use shared::booking::validation::BookingInput;
use shared::booking::{
    Absent, Booking, BookingDetail, BookingFilter, BookingOrder, BookingPage, Cursor, HistoryEntry,
    IdempotencyKey, PassedOn,
};
use shared::{Actor, Role, Status};

use crate::AppState;
use crate::auth::{AdminUser, CurrentUser};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query, query_instant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create, list))
        .routes(routes!(detail, reschedule))
        .routes(routes!(history))
        .routes(routes!(change_status))
        .routes(routes!(assign))
}

/// The longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// A booking to make.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub customer_name: String,
    /// 7 to 15 digits, optionally a leading `+`, and before each digit at most two of
    /// space, `(`, `)`, `.` and `-`.
    #[schema(
        max_length = 32,
        pattern = r"^\+?(?:[ ().-]{0,2}[0-9]){7,15}[ ().-]{0,2}$"
    )]
    pub customer_phone: String,
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
    )]
    pub customer_email: String,
    /// One of `GET /service-types`.
    #[schema(value_type = crate::routes::providers::ServiceTypeName)]
    pub service_type: String,
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub address: String,
    /// When the work starts: RFC 3339 with an offset, e.g. `2026-12-01T09:30:00+01:00`;
    /// on the 30-minute grid of the address's clock, at least `MIN_LEAD_MINUTES` from
    /// now, within a year, and a time someone can serve (`GET /availability`). The
    /// window lasts the service's `duration_minutes`.
    #[serde(default)]
    #[schema(format = DateTime)]
    pub starts_at: Option<String>,
    /// The former name of `starts_at`, still accepted; give one of the two.
    #[serde(default)]
    #[schema(format = DateTime, deprecated)]
    pub scheduled_date: Option<String>,
    /// The address's IANA time zone; the service area's (`SERVICE_TIME_ZONE`) when absent.
    #[serde(default)]
    #[schema(value_type = Option<crate::doc::TimeZoneName>)]
    pub time_zone: Option<String>,
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub notes: Option<String>,
}

impl TryFrom<BookingRequest> for BookingInput {
    type Error = ApiError;
    fn try_from(r: BookingRequest) -> Result<Self, ApiError> {
        let (starts_at, starts_at_field) = match (r.starts_at, r.scheduled_date) {
            (Some(start), None) => (start, "starts_at"),
            (None, Some(start)) => (start, "scheduled_date"),
            (Some(start), Some(alias)) if start == alias => (start, "starts_at"),
            (Some(_), Some(_)) => {
                return Err(ApiError::field(
                    "scheduled_date",
                    "is the old name of starts_at: give one of them",
                ));
            }
            (None, None) => {
                return Err(ApiError::field(
                    "starts_at",
                    "is required: when the work starts (GET /availability lists the times)",
                ));
            }
        };
        Ok(BookingInput {
            customer_name: r.customer_name,
            customer_phone: r.customer_phone,
            customer_email: r.customer_email,
            service_type: r.service_type,
            address: r.address,
            starts_at,
            starts_at_field,
            time_zone: r.time_zone,
            notes: r.notes,
        })
    }
}

/// A booking as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingView {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    /// The window the work occupies, `[starts_at, ends_at)`.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The same as `starts_at`, under its former name.
    #[schema(deprecated)]
    pub scheduled_date: DateTime<Utc>,
    /// The address's time zone: pages show the window on its clock, labelled with it.
    #[schema(value_type = crate::doc::TimeZoneName)]
    pub time_zone: String,
    pub status: Status,
    #[schema(required = true)]
    pub provider_id: Option<i64>,
    #[schema(required = true)]
    pub notes: Option<String>,
    /// Changes with every write; send it back as `expected_version` to change only
    /// what you saw.
    pub version: i64,
    /// The assignment cycle in force: 1 at first, +1 at each retry or manual assignment.
    pub assignment_cycle: i64,
    /// Every attempt of the current cycle failed; an admin may retry or assign by hand.
    pub assignment_exhausted: bool,
    /// On a no-show, who was absent: `customer` (closed) or `provider` (sent again).
    #[schema(required = true)]
    pub absent: Option<Absent>,
    /// An admin allowed its window to overlap another of its provider's bookings.
    pub overlap_override: bool,
    /// While it is offered to its provider (`assigned`): when the offer lapses if they
    /// have not accepted or rejected it, and the booking goes to the next attempt.
    #[schema(required = true)]
    pub offer_expires_at: Option<DateTime<Utc>>,
    /// In a provider's record (`GET /bookings?handled=true`), for a booking they no longer
    /// hold: how it left them. Null for the bookings they hold, and in every other answer.
    #[schema(required = true)]
    pub passed_on: Option<PassedOn>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Booking> for BookingView {
    fn from(b: Booking) -> Self {
        BookingView {
            id: b.id,
            customer_id: b.customer_id,
            customer_name: b.customer_name,
            customer_phone: b.customer_phone,
            customer_email: b.customer_email,
            service_type: b.service_type,
            address: b.address,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            scheduled_date: b.starts_at,
            time_zone: b.time_zone.name().to_owned(),
            status: b.status,
            provider_id: b.provider_id,
            notes: b.notes,
            version: b.version,
            assignment_cycle: b.assignment_cycle,
            assignment_exhausted: b.assignment_exhausted,
            absent: b.absent,
            overlap_override: b.overlap_override,
            offer_expires_at: None,
            passed_on: None,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

impl BookingView {
    /// The booking with when its offer lapses, if it has one waiting.
    fn offered(b: Booking, offer_expires_at: Option<DateTime<Utc>>) -> Self {
        BookingView {
            offer_expires_at,
            ..BookingView::from(b)
        }
    }

    /// A booking its caller has just changed, as the lists show it.
    async fn after_change(state: &AppState, b: Booking) -> Result<Self, ApiError> {
        let deadline = state.bookings.offer_deadline(&b).await?;
        Ok(BookingView::offered(b, deadline))
    }
}

/// One row of a booking's audit trail: who changed what, in what role, when and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryView {
    pub id: i64,
    pub booking_id: i64,
    /// Absent on the row that records the booking's creation.
    #[schema(required = true)]
    pub old_status: Option<Status>,
    pub new_status: Status,
    /// The user who made the change: absent for the system, and, except for admins, for
    /// anyone but the viewer.
    #[schema(required = true)]
    pub changed_by: Option<i64>,
    /// Who made it: their name for admins; for others their own name, the customer's, or
    /// words ("Home services", "the provider", "another provider").
    pub changed_by_name: String,
    pub changed_by_role: Role,
    /// Why, when the viewer may know: admins always; others their own reasons (and a
    /// provider the customer's).
    #[schema(required = true)]
    pub reason: Option<String>,
    /// An admin forced the status past the rules.
    pub is_override: bool,
    /// The provider the change concerns; for a provider reading it, only when it is them.
    #[schema(required = true)]
    pub provider_id: Option<i64>,
    pub timestamp: DateTime<Utc>,
}

impl From<HistoryEntry> for HistoryView {
    fn from(h: HistoryEntry) -> Self {
        HistoryView {
            id: h.id,
            booking_id: h.booking_id,
            old_status: h.old_status,
            new_status: h.new_status,
            changed_by: h.changed_by,
            changed_by_name: h.changed_by_name,
            changed_by_role: h.changed_by_role,
            reason: h.reason,
            is_override: h.is_override,
            provider_id: h.provider_id,
            timestamp: h.timestamp,
        }
    }
}

impl HistoryView {
    /// A history row as `viewer` may see it. Admins see all of it. Others see every
    /// change of status, but who made it only in words ("Home services" for the system
    /// and the staff, "the provider" or "another provider" for providers other than the
    /// viewer), and reasons only their own, or, for the booking's provider, the
    /// customer's too: no worker names, no admins' names or private reasons, no other
    /// provider's reasons.
    pub fn for_viewer(h: HistoryEntry, viewer: &Actor) -> HistoryView {
        let mut v = HistoryView::from(h);
        if viewer.sees_everything() {
            return v;
        }
        // A provider learns nothing of the colleagues offered the booking before them.
        if viewer.role == Role::Provider && v.provider_id != viewer.provider_id {
            v.provider_id = None;
        }
        let own = v.changed_by.is_some() && v.changed_by == viewer.user_id;
        if own {
            return v;
        }
        let keep_reason = viewer.role == Role::Provider && v.changed_by_role == Role::Customer;
        if !keep_reason {
            v.reason = None;
        }
        v.changed_by_name = match (v.changed_by_role, viewer.role) {
            (Role::System | Role::Admin | Role::Viewer, _) => "Home services".into(),
            (Role::Provider, Role::Customer) => "the provider".into(),
            (Role::Provider, _) => "another provider".into(),
            (Role::Customer, Role::Provider) => v.changed_by_name,
            (Role::Customer, _) => "the customer".into(),
        };
        v.changed_by = None;
        v
    }
}

/// One assignment attempt: whom it chose or why nobody, and what came of it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: i64,
    pub booking_id: i64,
    pub cycle: i64,
    pub attempt: i64,
    #[schema(required = true)]
    pub provider_id: Option<i64>,
    pub outcome: AttemptOutcome,
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Admins only: whom the attempt considered, the chosen first, then the others
    /// nearest to being chosen, each with the first reason they were not (at most 20).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<Vec<CandidateView>>,
    /// Admins only: how many more providers of the service were considered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub others_not_listed: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A provider an attempt considered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CandidateView {
    pub provider_id: i64,
    pub chosen: bool,
    /// Why they were chosen, or the first reason they were not: `off hours`,
    /// `overlapping booking #N`, `unavailable`, `declined before`, `offer expired
    /// before`, `ranked lower: ...`.
    pub reason: String,
}

impl AttemptView {
    /// The attempt as `role` sees it: admins with its candidates.
    fn for_role(a: Attempt, role: Role) -> AttemptView {
        let explained = role.sees_everything();
        let explanation = a.explanation.clone().unwrap_or_default();
        AttemptView {
            candidates: explained.then(|| {
                explanation
                    .listed
                    .into_iter()
                    .map(|c| CandidateView {
                        provider_id: c.provider_id,
                        chosen: c.chosen,
                        reason: c.reason,
                    })
                    .collect()
            }),
            others_not_listed: explained.then_some(explanation.others_not_listed),
            ..AttemptView::from(a)
        }
    }
}

impl From<Attempt> for AttemptView {
    fn from(a: Attempt) -> Self {
        AttemptView {
            id: a.id,
            booking_id: a.booking_id,
            cycle: a.cycle,
            attempt: a.attempt,
            provider_id: a.provider_id,
            outcome: a.outcome,
            reason: a.reason,
            candidates: None,
            others_not_listed: None,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Where the booking's assignment stands: "attempt 2 of 4, next try at ...".
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub job_id: i64,
    pub cycle: i64,
    pub attempt: i64,
    pub max_attempts: i64,
    pub state: JobState,
    /// When the next attempt runs, while one is waiting.
    #[schema(required = true)]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[schema(required = true)]
    pub last_error: Option<String>,
    pub exhausted: bool,
}

impl From<AssignmentState> for AssignmentView {
    fn from(s: AssignmentState) -> Self {
        AssignmentView {
            job_id: s.job_id,
            cycle: s.cycle,
            attempt: s.attempt,
            max_attempts: s.max_attempts,
            state: s.state,
            next_attempt_at: s.next_attempt_at,
            last_error: s.last_error,
            exhausted: s.exhausted,
        }
    }
}

impl AssignmentView {
    /// The assignment as `viewer` may see it. The job's last error is written for
    /// operators: it names the provider and quotes their reason for declining, which
    /// only an admin sees (as in the history, [`HistoryView::for_viewer`]). Anyone else
    /// gets what happened in plain words, from `last_outcome`, the outcome of the
    /// booking's latest attempt.
    fn for_viewer(
        s: AssignmentState,
        viewer: &Actor,
        last_outcome: Option<AttemptOutcome>,
    ) -> Self {
        let mut v = AssignmentView::from(s);
        if !viewer.sees_everything() && v.last_error.is_some() {
            v.last_error = last_outcome.and_then(said_plainly).map(str::to_owned);
        }
        v
    }
}

/// A failed attempt's outcome as a customer or a provider is told it.
fn said_plainly(outcome: AttemptOutcome) -> Option<&'static str> {
    match outcome {
        AttemptOutcome::NoProvider => Some("no provider was free at that time"),
        AttemptOutcome::Rejected => Some("the provider declined the booking"),
        AttemptOutcome::NoShow => Some("the provider did not show"),
        AttemptOutcome::Expired => Some("the provider did not answer in time"),
        AttemptOutcome::Error => Some("the attempt failed; it is tried again"),
        AttemptOutcome::Assigned | AttemptOutcome::Manual => None,
    }
}

/// A booking with everything its page shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingDetailView {
    #[serde(flatten)]
    pub booking: BookingView,
    pub history: Vec<HistoryView>,
    pub attempts: Vec<AttemptView>,
    #[schema(required = true)]
    pub assignment: Option<AssignmentView>,
    /// Provider id -> name, for every provider the page mentions.
    pub provider_names: BTreeMap<String, String>,
    /// The statuses the caller may move this booking to now.
    pub allowed_transitions: Vec<Status>,
    /// The customer's rating of it, once given.
    #[schema(required = true)]
    pub rating: Option<crate::routes::ratings::RatingView>,
}

/// One page of bookings, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingPageView {
    pub items: Vec<BookingView>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
    /// How many bookings match the filter, on all pages together: for admins and
    /// viewers; null for customers and providers.
    #[schema(required = true)]
    pub total: Option<i64>,
}

impl From<BookingPage> for BookingPageView {
    fn from(mut p: BookingPage) -> Self {
        BookingPageView {
            items: p
                .items
                .into_iter()
                .map(|b| {
                    let passed_on = p.passed_on.remove(&b.id);
                    let deadline = p.offer_deadlines.remove(&b.id);
                    BookingView {
                        passed_on,
                        ..BookingView::offered(b, deadline)
                    }
                })
                .collect(),
            next_cursor: p.next_cursor,
            total: p.total,
        }
    }
}

/// Makes a booking and enqueues its assignment, in one transaction. With an
/// `Idempotency-Key` already used for the same body, answers 200 with the booking it
/// made; for another body, 422 `idempotency_key_reused`.
#[utoipa::path(
    post,
    path = "",
    operation_id = "createBooking",
    tag = "bookings",
    request_body = BookingRequest,
    params(
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: 1 to 200 visible characters", min_length = 1, max_length = 200, pattern = r"^[!-~]+$"),
    ),
    responses(
        (status = 201, description = "Booked", body = BookingView, links(
            ("GetBooking" = (operation_id = "getBooking", parameters(("id" = "$response.body#/id")))),
            ("GetBookingHistory" = (operation_id = "getBookingHistory", parameters(("id" = "$response.body#/id")))),
            ("ChangeBookingStatus" = (operation_id = "changeBookingStatus", parameters(("id" = "$response.body#/id")))),
            ("AssignBooking" = (operation_id = "assignBooking", parameters(("id" = "$response.body#/id")))),
        )),
        (status = 200, description = "Already booked with this Idempotency-Key", body = BookingView),
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
async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<BookingRequest>,
) -> Result<(StatusCode, JsonBody<BookingView>), ApiError> {
    let idempotency = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().unwrap_or_default();
            if key.is_empty()
                || key.len() > MAX_IDEMPOTENCY_KEY
                || !key.bytes().all(|b| b.is_ascii_graphic())
            {
                return Err(ApiError::BadRequest {
                    code: "invalid_idempotency_key",
                    message: format!(
                        "Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} visible ASCII characters"
                    ),
                    details: json!({}),
                });
            }
            Some(IdempotencyKey {
                key: key.to_owned(),
                canonical_request: serde_json::to_string(&body)
                    .map_err(|e| ApiError::Internal(e.to_string()))?,
            })
        }
    };
    // A retry gets the first answer, whatever the clock says now.
    if let Some(key) = &idempotency
        && let Some(booking) = state.bookings.replayed(&user.actor(), key).await?
    {
        return Ok((StatusCode::OK, JsonBody(booking.into())));
    }
    let new = BookingInput::try_from(body)?.validate(state.db.now(), &state.bookings.rules())?;
    let (booking, created) = state
        .bookings
        .create(&user.actor(), new, idempotency)
        .await?;
    if created {
        tracing::info!(booking_id = booking.id, "booking created");
        metrics::counter!("bookings_created_total").increment(1);
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, JsonBody(booking.into())))
}

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
enum ListOrder {
    /// Newest first.
    #[default]
    Newest,
    /// Soonest start first: an agenda.
    StartsAt,
}

/// What a list may filter on.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only bookings in this status.
    status: Option<Status>,
    /// Only bookings a provider holds (assigned, accepted, in progress).
    active: Option<bool>,
    /// Only bookings held by this provider.
    #[param(minimum = 1)]
    provider_id: Option<i64>,
    /// Only bookings of this service type (its name, e.g. `plumbing`).
    #[param(max_length = 100, pattern = r"^[^\x00]*$")]
    service_type: Option<String>,
    /// Text search over name, e-mail, phone, address, service, notes and the provider's
    /// name; `57` or `#57` also finds booking 57. (No stored text holds a NUL: one is
    /// refused.)
    #[param(max_length = 200, pattern = r"^[^\x00]*$")]
    q: Option<String>,
    /// Only bookings starting at or after this (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Only bookings starting before this (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// A provider's record: every booking they were offered, held or handled, those
    /// they declined or let expire too (read-only, without the customer's contact
    /// details), instead of those they hold now.
    handled: Option<bool>,
    /// Only bookings waiting for an operator (`assignment_exhausted`: nobody could be
    /// assigned, or an operator cancelled the search).
    waiting: Option<bool>,
    /// `newest` (default) or `starts_at` (soonest first).
    #[param(inline)]
    order: Option<ListOrder>,
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    #[param(pattern = r"^[0-9]{1,15}\.[1-9][0-9]{0,17}$")]
    cursor: Option<String>,
}

/// A page of the bookings the caller may see (customers their own, providers those they
/// hold, or with `handled` every one they were offered, admins all), newest first or by
/// start.
#[utoipa::path(
    get,
    path = "",
    operation_id = "listBookings",
    tag = "bookings",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of bookings", body = BookingPageView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<JsonBody<BookingPageView>, ApiError> {
    let positive = |parameter: &str, value: Option<i64>| match value {
        Some(n) if n < 1 => Err(ApiError::invalid_query(
            parameter,
            "must be a positive whole number",
        )),
        other => Ok(other),
    };
    let limit = positive("limit", query.limit)?.unwrap_or(20);
    if limit > 100 {
        return Err(ApiError::invalid_query("limit", "must be at most 100"));
    }
    let q = query.q.filter(|q| !q.trim().is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid_query(
            "q",
            "must be at most 200 characters",
        ));
    }
    let service_type = query
        .service_type
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty());
    if service_type
        .as_ref()
        .is_some_and(|s| s.chars().count() > 100)
    {
        return Err(ApiError::invalid_query(
            "service_type",
            "must be at most 100 characters",
        ));
    }
    let order = match query.order.unwrap_or_default() {
        ListOrder::Newest => BookingOrder::Newest,
        ListOrder::StartsAt => BookingOrder::StartsAt,
    };
    let after = match query.cursor.as_deref() {
        None => None,
        Some(c) => Some(Cursor::decode(c, order).ok_or_else(|| {
            ApiError::invalid_query(
                "cursor",
                "must be a next_cursor from a page of the same order",
            )
        })?),
    };
    let instant = |parameter: &str, value: Option<&str>| {
        value.map(|v| query_instant(parameter, v)).transpose()
    };
    let filter = BookingFilter {
        status: query.status,
        active: query.active.unwrap_or(false),
        provider_id: positive("provider_id", query.provider_id)?,
        service_type,
        q,
        from: instant("from", query.from.as_deref())?,
        to: instant("to", query.to.as_deref())?,
        handled: query.handled.unwrap_or(false),
        waiting: query.waiting.unwrap_or(false),
        order,
        after,
        limit: limit as u32,
    };
    let page = state.bookings.list(&user.actor(), &filter).await?;
    Ok(JsonBody(page.into()))
}

/// The booking as `viewer` may see it: admins all of it; a customer the booking, its
/// history in words ([`HistoryView::for_viewer`]) and the name of the provider who holds
/// it, not the attempts; a provider the same, with their own attempts.
fn detail_view(
    detail: BookingDetail,
    viewer: &Actor,
    allowed_transitions: Vec<Status>,
) -> BookingDetailView {
    let role = viewer.role;
    let holder = detail.booking.provider_id;
    let last_outcome = detail
        .attempts
        .iter()
        .max_by_key(|a| (a.cycle, a.attempt, a.id))
        .map(|a| a.outcome);
    let shown = |provider: Option<i64>| {
        role.sees_everything()
            || (provider.is_some() && (provider == holder || provider == viewer.provider_id))
    };
    let offer_expires_at = detail.assignment.as_ref().and_then(|a| a.offer_expires_at);
    BookingDetailView {
        booking: BookingView::offered(detail.booking, offer_expires_at),
        history: detail
            .history
            .into_iter()
            .map(|h| HistoryView::for_viewer(h, viewer))
            .collect(),
        attempts: detail
            .attempts
            .into_iter()
            .filter(|a| {
                role.sees_everything()
                    || (role == Role::Provider
                        && a.provider_id.is_some()
                        && a.provider_id == viewer.provider_id)
            })
            .map(|a| AttemptView::for_role(a, role))
            .collect(),
        assignment: detail
            .assignment
            .map(|s| AssignmentView::for_viewer(s, viewer, last_outcome)),
        provider_names: detail
            .provider_names
            .into_iter()
            .filter(|(id, _)| shown(Some(*id)))
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        allowed_transitions,
        rating: None,
    }
}

/// A booking with its history, attempts, assignment state and what the caller may do
/// next. Someone else's booking is 404, as if it did not exist.
#[utoipa::path(
    get,
    path = "/{id}",
    operation_id = "getBooking",
    tag = "bookings",
    params(("id" = i64, Path, minimum = 1, description = "The booking's id")),
    responses(
        (status = 200, description = "The booking", body = BookingDetailView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
) -> Result<JsonBody<BookingDetailView>, ApiError> {
    let actor = user.actor();
    let detail = state.bookings.detail(&actor, id).await?;
    let allowed = allowed_moves(
        actor.role,
        detail.booking.relation_to(&actor),
        detail.booking.status,
    )
    .into_iter()
    .filter(|s| *s != Status::Assigned)
    .collect();
    let mut view = detail_view(detail, &actor, allowed);
    view.rating = state.ratings.of_booking(&actor, id).await?.map(Into::into);
    Ok(JsonBody(view))
}

/// A booking's audit trail, oldest first.
#[utoipa::path(
    get,
    path = "/{id}/history",
    operation_id = "getBookingHistory",
    tag = "bookings",
    params(("id" = i64, Path, minimum = 1, description = "The booking's id")),
    responses(
        (status = 200, description = "The trail", body = Vec<HistoryView>),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
) -> Result<JsonBody<Vec<HistoryView>>, ApiError> {
    let actor = user.actor();
    let history = state.bookings.history(&actor, id).await?;
    Ok(JsonBody(
        history
            .into_iter()
            .map(|h| HistoryView::for_viewer(h, &actor))
            .collect(),
    ))
}

/// A status one may ask for: every status but `assigned`, which takes a provider and
/// goes through `POST /bookings/{id}/assign`.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedStatus {
    Pending,
    Accepted,
    InProgress,
    Completed,
    Cancelled,
    Rejected,
    NoShow,
}

impl From<RequestedStatus> for Status {
    fn from(s: RequestedStatus) -> Self {
        match s {
            RequestedStatus::Pending => Status::Pending,
            RequestedStatus::Accepted => Status::Accepted,
            RequestedStatus::InProgress => Status::InProgress,
            RequestedStatus::Completed => Status::Completed,
            RequestedStatus::Cancelled => Status::Cancelled,
            RequestedStatus::Rejected => Status::Rejected,
            RequestedStatus::NoShow => Status::NoShow,
        }
    }
}

/// A status asked for: a move along the rules, or an admin's override with a reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    /// The status to move to.
    pub status: RequestedStatus,
    /// Why (at most 1,000 characters), recorded in the history; an override needs one. A
    /// rejection, a no-show, a cancellation and a completion (a note on the work) keep it;
    /// accepting and starting take none.
    #[serde(default)]
    pub reason: Option<String>,
    /// An admin forcing the status past the rules.
    #[serde(default, rename = "override")]
    pub is_override: bool,
    /// For a no-show, who was absent (read only for `no_show`). From `accepted` it can
    /// only be the provider (they never started), from `in_progress` only the customer;
    /// an override to `no_show` must say.
    #[serde(default)]
    pub absent: Option<Absent>,
    /// When given, the change applies only if the booking is still at this version.
    #[serde(
        default,
        deserialize_with = "crate::extract::integer::option::deserialize"
    )]
    pub expected_version: Option<i64>,
}

/// Moves a booking: the customer cancels; the assigned provider accepts, rejects,
/// starts, completes or marks a no-show; an admin makes any legal move, or forces any
/// status with `override` and a reason. A rejection or no-show schedules the next
/// assignment attempt.
#[utoipa::path(
    patch,
    path = "/{id}/status",
    operation_id = "changeBookingStatus",
    tag = "bookings",
    params(("id" = i64, Path, minimum = 1, description = "The booking's id")),
    request_body = StatusChange,
    responses(
        (status = 200, description = "The booking as it now is", body = BookingView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 409, response = crate::error::responses::Conflict),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn change_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<StatusChange>,
) -> Result<JsonBody<BookingView>, ApiError> {
    let to = Status::from(body.status);
    let absent = body.absent.filter(|_| to == Status::NoShow);
    let change = Change::to(to, body.reason, absent, body.is_override)?;
    let booking = state
        .bookings
        .change(&user.actor(), id, &change, body.expected_version)
        .await?;
    tracing::info!(booking_id = id, to = %to, role = %user.role(), "status changed");
    Ok(JsonBody(BookingView::after_change(&state, booking).await?))
}

/// The schema says what the handler checks: a plain move, or an override that carries a
/// reason with something in it.
impl utoipa::PartialSchema for StatusChange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, OneOfBuilder, Type};
        use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};
        let boolean = |value: bool| {
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .enum_values(Some([value]))
        };
        let reason = |required: bool| {
            let text = ObjectBuilder::new().max_length(Some(1000));
            if required {
                text.schema_type(Type::String)
                    .pattern(Some(shared::input::patterns::NOT_BLANK))
            } else {
                text.schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::String,
                    Type::Null,
                ]))
            }
        };
        let version = || {
            ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                    Type::Integer,
                    Type::Null,
                ]))
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                .description(Some(
                    "When given, the change applies only if the booking is still at this version",
                ))
        };
        let status = || -> RefOr<utoipa::openapi::schema::Schema> {
            utoipa::openapi::Ref::from_schema_name("RequestedStatus").into()
        };
        let absent = || -> RefOr<utoipa::openapi::schema::Schema> {
            utoipa::openapi::schema::OneOfBuilder::new()
                .item(utoipa::openapi::Ref::from_schema_name("Absent"))
                .item(ObjectBuilder::new().schema_type(Type::Null))
                .description(Some("For a no-show, who was absent"))
                .into()
        };
        let plain = ObjectBuilder::new()
            .description(Some("A move along the rules"))
            .property("status", status())
            .property("reason", reason(false))
            .property("override", boolean(false))
            .property("absent", absent())
            .property("expected_version", version())
            .required("status")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        let forced = ObjectBuilder::new()
            .description(Some("An admin's override: any status, with a reason"))
            .property("status", status())
            .property("reason", reason(true))
            .property("override", boolean(true))
            .property("absent", absent())
            .property("expected_version", version())
            .required("status")
            .required("reason")
            .required("override")
            .additional_properties(Some(AdditionalProperties::FreeForm(false)));
        OneOfBuilder::new().item(plain).item(forced).into()
    }
}

impl ToSchema for StatusChange {
    fn schemas(schemas: &mut Vec<(String, RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push(("RequestedStatus".into(), RequestedStatus::schema()));
        schemas.push(("Absent".into(), Absent::schema()));
    }
}

/// An admin's choice of provider.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    #[serde(deserialize_with = "crate::extract::integer::deserialize")]
    pub provider_id: i64,
    /// Why; needed to allow an overlap.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
    /// Allow the booking's window to overlap another active booking of the provider
    /// (recorded as an override, with the reason).
    #[serde(default, rename = "override")]
    pub allow_overlap: bool,
}

/// An admin assigns a provider by hand: a new assignment cycle, closed at once; pending
/// assignment jobs are cancelled; the offer expires unless answered in time. A provider
/// busy then (another active booking overlaps) is 409 `provider_busy` naming it, unless
/// `override` with a reason. A booking another provider holds and has not started
/// (assigned, accepted) is reassigned in the same step, the history saying from whom; its
/// own holder is 409 `already_assigned`, a deactivated provider 409 `provider_inactive`.
#[utoipa::path(
    post,
    path = "/{id}/assign",
    operation_id = "assignBooking",
    tag = "bookings",
    params(("id" = i64, Path, minimum = 1, description = "The booking's id")),
    request_body = AssignRequest,
    responses(
        (status = 200, description = "The booking, assigned", body = BookingView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 409, response = crate::error::responses::Conflict),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn assign(
    State(state): State<AppState>,
    admin: AdminUser,
    Id(id): Id,
    Json(body): Json<AssignRequest>,
) -> Result<JsonBody<BookingView>, ApiError> {
    let booking = state
        .bookings
        .assign_by_hand(
            &admin.actor(),
            id,
            body.provider_id,
            body.allow_overlap,
            body.reason.as_deref(),
        )
        .await?;
    tracing::info!(
        booking_id = id,
        provider_id = body.provider_id,
        "assigned by hand"
    );
    Ok(JsonBody(BookingView::after_change(&state, booking).await?))
}

/// A move to another start (the window keeps its length).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// The new start: a bookable one (`GET /availability`), RFC 3339 with an offset.
    #[schema(format = DateTime)]
    pub starts_at: String,
    /// When given, the move applies only if the booking is still at this version.
    #[serde(
        default,
        deserialize_with = "crate::extract::integer::option::deserialize"
    )]
    pub expected_version: Option<i64>,
}

/// Moves a booking to another bookable start: its customer until two hours before it
/// starts (409 `too_late` after), an admin until the work starts. A provider who holds
/// it and is free then keeps it and is asked to accept again; otherwise it goes back to
/// dispatch. The history records the move.
#[utoipa::path(
    patch,
    path = "/{id}",
    operation_id = "rescheduleBooking",
    tag = "bookings",
    params(("id" = i64, Path, minimum = 1, description = "The booking's id")),
    request_body = RescheduleRequest,
    responses(
        (status = 200, description = "The booking as it now is", body = BookingView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 409, response = crate::error::responses::Conflict),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn reschedule(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<RescheduleRequest>,
) -> Result<JsonBody<BookingView>, ApiError> {
    let booking = state
        .bookings
        .reschedule(&user.actor(), id, &body.starts_at, body.expected_version)
        .await?;
    tracing::info!(booking_id = id, role = %user.role(), "booking rescheduled");
    Ok(JsonBody(BookingView::after_change(&state, booking).await?))
}
