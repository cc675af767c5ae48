//! `/bookings`: create, list, read, change status, assign by hand.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use axum::{Json as JsonBody, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use shared::Status;
use shared::booking::Booking;
use shared::booking::permission::allowed_moves;
use shared::booking::validation::BookingRequest;
use shared::store::{BookingDetail, BookingFilter, BookingPage, IdempotencyKey, StatusChange};

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
    let new = body.validate(state.store.now())?;
    let (booking, created) = state
        .store
        .create_booking(&user.actor(), new, idempotency)
        .await?;
    if created {
        tracing::info!(booking_id = booking.id, "booking created");
        state.events.nudge();
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
    Ok(JsonBody(
        state.store.list_bookings(&user.actor(), &filter).await?,
    ))
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
    let detail = state.store.booking_detail(&actor, id).await?;
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
    Ok(JsonBody(state.store.history_for(&user.actor(), id).await?))
}

async fn change_status(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(change): Json<StatusChange>,
) -> Result<JsonBody<Booking>, ApiError> {
    let to = change.status;
    let booking = state.store.change_status(&user.actor(), id, change).await?;
    tracing::info!(booking_id = id, to = %to, role = %user.role(), "status changed");
    state.events.nudge();
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
        .store
        .assign_by_hand(&admin.actor(), id, body.provider_id, body.reason.as_deref())
        .await?;
    tracing::info!(
        booking_id = id,
        provider_id = body.provider_id,
        "assigned by hand"
    );
    state.events.nudge();
    Ok(JsonBody(booking))
}
