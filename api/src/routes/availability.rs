//! `/availability`: the start times at which a service can be booked.

use axum::Json as JsonBody;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shared::error::{DomainError, StoreError};
use shared::schedule::Availability;
use shared::schedule::rules::MAX_AVAILABILITY_RANGE;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::extract::{Query, query_instant};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(availability))
}

/// Which service, over which range.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AvailabilityQuery {
    /// One of `GET /service-types`.
    #[param(value_type = crate::routes::providers::ServiceTypeName)]
    service_type: String,
    /// The range's start (RFC 3339); starts within the lead time from now are left out.
    #[param(value_type = String, format = DateTime)]
    from: String,
    /// The range's end (RFC 3339), after `from` and at most 14 days later.
    #[param(value_type = String, format = DateTime)]
    to: String,
    /// The zone whose clock the 30-minute grid follows; the service area's when absent or
    /// blank.
    #[param(value_type = Option<crate::doc::TimeZoneName>)]
    time_zone: Option<String>,
    /// A booking being moved (one the caller may see): its own window is not counted as
    /// busy, so that it can move by less than its length.
    #[param(minimum = 1)]
    moving: Option<i64>,
}

/// A start time, and how many providers could take a booking then.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    pub starts_at: DateTime<Utc>,
    #[schema(minimum = 1)]
    pub providers: u32,
}

/// The bookable starts of a service.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AvailabilityView {
    #[schema(value_type = crate::routes::providers::ServiceTypeName)]
    pub service_type: String,
    /// How long a booking of it lasts.
    pub duration_minutes: i64,
    /// The zone whose clock the grid follows.
    #[schema(value_type = crate::doc::TimeZoneName)]
    pub time_zone: String,
    /// In time order.
    pub slots: Vec<SlotView>,
}

impl From<Availability> for AvailabilityView {
    fn from(a: Availability) -> Self {
        AvailabilityView {
            service_type: a.service_type,
            duration_minutes: a.duration_minutes,
            time_zone: a.time_zone.name().to_owned(),
            slots: a
                .slots
                .into_iter()
                .map(|s| SlotView {
                    starts_at: s.starts_at,
                    providers: s.providers,
                })
                .collect(),
        }
    }
}

/// The start times on a 30-minute grid at which at least one provider who offers the
/// service and is taking work is working (by their calendar, in their own time zone)
/// and free for the service's whole duration. Any signed-in user may ask.
#[utoipa::path(
    get,
    path = "/availability",
    operation_id = "getAvailability",
    tag = "bookings",
    params(AvailabilityQuery),
    responses(
        (status = 200, description = "The bookable starts", body = AvailabilityView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn availability(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<AvailabilityQuery>,
) -> Result<JsonBody<AvailabilityView>, ApiError> {
    let from = query_instant("from", &query.from)?;
    let to = query_instant("to", &query.to)?;
    if to <= from {
        return Err(ApiError::invalid_query("to", "must be after `from`"));
    }
    if to - from > MAX_AVAILABILITY_RANGE {
        return Err(ApiError::invalid_query(
            "to",
            "must be at most 14 days after `from`",
        ));
    }
    // As a booking's: blank is the service area's zone, and blanks around a name do not
    // count.
    let time_zone = match query.time_zone.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(shared::schedule::calendar::time_zone(name).ok_or_else(|| {
            ApiError::invalid_query(
                "time_zone",
                "must be an IANA time zone such as Europe/Berlin",
            )
        })?),
    };
    let types = state.providers.service_types().await?;
    if !types.iter().any(|t| t.name == query.service_type) {
        return Err(ApiError::invalid_query(
            "service_type",
            "must be one of GET /service-types",
        ));
    }
    if let Some(id) = query.moving {
        // Only a booking the caller may see (and so move, if theirs): another's is no
        // business of theirs, not even as a window left out.
        let visible = match state.bookings.get(&user.actor(), id).await {
            Ok(_) => true,
            Err(StoreError::Domain(DomainError::NotFound { .. })) => false,
            Err(e) => return Err(e.into()),
        };
        if !visible {
            return Err(ApiError::invalid_query(
                "moving",
                "must be the number of a booking of yours",
            ));
        }
    }
    let found = state
        .schedule
        .availability(&query.service_type, from, to, time_zone, query.moving)
        .await?;
    Ok(JsonBody(found.into()))
}
