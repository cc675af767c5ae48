//! Ratings and reviews: `POST`/`PATCH /bookings/{id}/rating` (the booking's customer),
//! `GET /providers/{id}/reviews` (the provider and admins), `PATCH /admin/reviews/{id}`
//! (admins hide or show a comment). With their request and response types.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shared::rating::Rating;

use crate::AppState;
use crate::auth::{AdminUser, CurrentUser};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query, paging};

/// Under `/bookings`.
pub fn booking_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(rate, edit_rating))
}

/// Under `/providers`.
pub fn provider_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(reviews))
}

/// Under `/admin`.
pub fn admin_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(hide_review))
}

/// A booking's rating.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingView {
    pub booking_id: i64,
    pub provider_id: i64,
    #[schema(minimum = 1, maximum = 5)]
    pub stars: i64,
    /// `null` when none was given or an admin hid it (`hidden`); admins see it either way.
    #[schema(required = true)]
    pub comment: Option<String>,
    pub hidden: bool,
    /// Why an admin hid the comment (admins only).
    #[schema(required = true)]
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Until when the customer may change it.
    pub editable_until: DateTime<Utc>,
}

impl From<Rating> for RatingView {
    fn from(r: Rating) -> Self {
        RatingView {
            booking_id: r.booking_id,
            provider_id: r.provider_id,
            stars: r.stars,
            comment: r.comment,
            hidden: r.hidden,
            hidden_reason: r.hidden_reason,
            created_at: r.created_at,
            updated_at: r.updated_at,
            editable_until: r.editable_until,
        }
    }
}

/// Stars and an optional comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    #[schema(minimum = 1, maximum = 5)]
    #[serde(deserialize_with = "crate::extract::integer::deserialize")]
    pub stars: i64,
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

/// Rates a completed booking: its customer, once, within 30 days of completion. 409
/// `not_completed`, `already_rated` or `rating_window_closed`; 403 for anyone else who
/// may see the booking.
#[utoipa::path(
    post,
    path = "/{id}/rating",
    operation_id = "rateBooking",
    tag = "ratings",
    params(("id" = i64, Path, minimum = 1, description = "The booking")),
    request_body = RatingRequest,
    responses(
        (status = 201, description = "Rated", body = RatingView),
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
async fn rate(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<RatingRequest>,
) -> Result<(StatusCode, JsonBody<RatingView>), ApiError> {
    let rating = state
        .ratings
        .rate(&user.actor(), id, body.stars, body.comment.as_deref())
        .await?;
    Ok((StatusCode::CREATED, JsonBody(rating.into())))
}

/// Changes a rating: its customer, within 24 hours of giving it (409
/// `edit_window_closed` after).
#[utoipa::path(
    patch,
    path = "/{id}/rating",
    operation_id = "editRating",
    tag = "ratings",
    params(("id" = i64, Path, minimum = 1, description = "The booking")),
    request_body = RatingRequest,
    responses(
        (status = 200, description = "The rating as it now is", body = RatingView),
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
async fn edit_rating(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<RatingRequest>,
) -> Result<JsonBody<RatingView>, ApiError> {
    let rating = state
        .ratings
        .edit(&user.actor(), id, body.stars, body.comment.as_deref())
        .await?;
    Ok(JsonBody(rating.into()))
}

/// One page of a provider's reviews, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewPage {
    pub items: Vec<RatingView>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReviewsQuery {
    /// The `next_cursor` of the previous page.
    #[param(minimum = 1)]
    cursor: Option<i64>,
    /// Page size (default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// A provider's reviews, newest first: the provider themself and admins (anyone else gets
/// 404). A hidden comment comes back as `comment: null, hidden: true` (admins see it).
#[utoipa::path(
    get,
    path = "/{id}/reviews",
    operation_id = "listReviews",
    tag = "ratings",
    params(("id" = i64, Path, minimum = 1, description = "The provider"), ReviewsQuery),
    responses(
        (status = 200, description = "A page of reviews", body = ReviewPage),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn reviews(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Query(query): Query<ReviewsQuery>,
) -> Result<JsonBody<ReviewPage>, ApiError> {
    let limit = paging::limit(query.limit, 20, 100)?;
    paging::positive("cursor", query.cursor)?;
    let mut items = state
        .ratings
        .reviews(&user.actor(), id, query.cursor, limit + 1)
        .await?;
    let next_cursor = paging::next_cursor(&mut items, limit, |r| r.booking_id);
    Ok(JsonBody(ReviewPage {
        items: items.into_iter().map(RatingView::from).collect(),
        next_cursor,
    }))
}

/// Hiding or showing a review's comment.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HideReview {
    pub hidden: bool,
    /// Why; recorded in the booking's history. Not blank.
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = r"^[\s\S]*[^\t-\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][\s\S]*$"
    )]
    pub reason: String,
}

/// Hides a review's comment (or shows it again), with a reason recorded in the booking's
/// history; admins only. The stars still count.
#[utoipa::path(
    patch,
    path = "/reviews/{id}",
    operation_id = "hideReview",
    tag = "ratings",
    params(("id" = i64, Path, minimum = 1, description = "The booking the review is of")),
    request_body = HideReview,
    responses(
        (status = 200, description = "The review as it now is", body = RatingView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn hide_review(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Id(id): Id,
    Json(body): Json<HideReview>,
) -> Result<JsonBody<RatingView>, ApiError> {
    let rating = state
        .ratings
        .set_hidden(&admin.actor(), id, body.hidden, &body.reason)
        .await?;
    Ok(JsonBody(rating.into()))
}
