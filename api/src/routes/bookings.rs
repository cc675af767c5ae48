//! `/bookings`: create, list, read, change status, assign by hand.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json as JsonBody, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use shared::Status;
use shared::booking::permission::allowed_moves;
use shared::booking::transition::Change;
use shared::booking::validation::BookingInput;
use shared::booking::{Booking, BookingDetail, BookingFilter, BookingPage, IdempotencyKey};

use crate::AppState;
use crate::auth::{AdminUser, CurrentUser};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", post(create).get(list))
        .route("/{id}", get(detail))
        .route("/{id}/history", get(history))
        .route("/{id}/status", patch(change_status))
        .route("/{id}/assign", post(assign))
}

/// The longest `Idempotency-Key` accepted.
const MAX_IDEMPOTENCY_KEY: usize = 200;

/// The body of `POST /bookings`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BookingRequest {
    pub customer_name: String,
    pub customer_phone: String,
    pub customer_email: String,
    pub service_type: String,
    pub address: String,
    /// RFC 3339, e.g. `2026-12-01T09:30:00+01:00`.
    pub scheduled_date: String,
    #[serde(default)]
    pub notes: Option<String>,
}

impl From<BookingRequest> for BookingInput {
    fn from(r: BookingRequest) -> Self {
        BookingInput {
            customer_name: r.customer_name,
            customer_phone: r.customer_phone,
            customer_email: r.customer_email,
            service_type: r.service_type,
            address: r.address,
            scheduled_date: r.scheduled_date,
            notes: r.notes,
        }
    }
}

async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: HeaderMap,
    Json(body): Json<BookingRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let idempotency = match headers.get("idempotency-key") {
        None => None,
        Some(v) => {
            let key = v.to_str().map(str::trim).unwrap_or_default();
            if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY {
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
    let new = BookingInput::from(body).validate(state.db.now())?;
    let (booking, created) = state
        .bookings
        .create(&user.actor(), new, idempotency)
        .await?;
    if created {
        tracing::info!(booking_id = booking.id, "booking created");
    }
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, JsonBody(booking)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    status: Option<String>,
    provider_id: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn query_error(parameter: &str, message: &str) -> ApiError {
    ApiError::BadRequest {
        code: "invalid_query",
        message: format!("`{parameter}` {message}"),
        details: json!({"parameter": parameter}),
    }
}

/// Parses an optional positive integer parameter.
fn positive(parameter: &str, value: Option<&str>) -> Result<Option<i64>, ApiError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if n > 0 => Ok(Some(n)),
            _ => Err(query_error(parameter, "must be a positive whole number")),
        },
    }
}

async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<JsonBody<BookingPage>, ApiError> {
    let status = match query
        .status
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => Some(s.parse::<Status>().map_err(|_| {
            let names: Vec<_> = Status::ALL.iter().map(|s| s.as_str()).collect();
            query_error("status", &format!("must be one of {}", names.join(", ")))
        })?),
    };
    let limit = positive("limit", query.limit.as_deref())?.unwrap_or(20);
    if limit > 100 {
        return Err(query_error("limit", "must be at most 100"));
    }
    let q = query.q.filter(|q| !q.trim().is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(query_error("q", "must be at most 200 characters"));
    }
    let filter = BookingFilter {
        status,
        provider_id: positive("provider_id", query.provider_id.as_deref())?,
        q,
        before_id: positive("cursor", query.cursor.as_deref())?,
        limit: limit as u32,
    };
    Ok(JsonBody(state.bookings.list(&user.actor(), &filter).await?))
}

/// A booking's page: the booking, its trail, its attempts, and what the caller may do next.
#[derive(Serialize)]
struct DetailResponse {
    #[serde(flatten)]
    detail: BookingDetail,
    allowed_transitions: Vec<Status>,
}

async fn detail(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
) -> Result<JsonBody<DetailResponse>, ApiError> {
    let actor = user.actor();
    let detail = state.bookings.detail(&actor, id).await?;
    let allowed_transitions = allowed_moves(
        actor.role,
        detail.booking.relation_to(&actor),
        detail.booking.status,
    )
    .into_iter()
    .filter(|s| *s != Status::Assigned)
    .collect();
    Ok(JsonBody(DetailResponse {
        detail,
        allowed_transitions,
    }))
}

async fn history(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
) -> Result<JsonBody<Vec<shared::booking::HistoryEntry>>, ApiError> {
    Ok(JsonBody(state.bookings.history(&user.actor(), id).await?))
}

/// The body of `PATCH /bookings/{id}/status`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    pub status: Status,
    #[serde(default)]
    pub reason: Option<String>,
    /// An admin forcing the status past the state machine.
    #[serde(default, rename = "override")]
    pub is_override: bool,
    /// When given, the change applies only if the booking is still at this version.
    #[serde(default)]
    pub expected_version: Option<i64>,
}

async fn change_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<StatusChange>,
) -> Result<JsonBody<Booking>, ApiError> {
    let change = Change::to(body.status, body.reason, body.is_override)?;
    let booking = state
        .bookings
        .change(&user.actor(), id, &change, body.expected_version)
        .await?;
    tracing::info!(booking_id = id, to = %body.status, role = %user.role(), "status changed");
    Ok(JsonBody(booking))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    provider_id: i64,
    #[serde(default)]
    reason: Option<String>,
}

async fn assign(
    State(state): State<AppState>,
    admin: AdminUser,
    Id(id): Id,
    Json(body): Json<AssignBody>,
) -> Result<JsonBody<Booking>, ApiError> {
    let booking = state
        .bookings
        .assign_by_hand(&admin.actor(), id, body.provider_id, body.reason.as_deref())
        .await?;
    tracing::info!(
        booking_id = id,
        provider_id = body.provider_id,
        "assigned by hand"
    );
    Ok(JsonBody(booking))
}
