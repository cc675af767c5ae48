//! `/providers` and `/service-types`, with their request and response types.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shared::Role;
use shared::provider::{NewProvider, Provider, ProviderUpdate, ServiceType};
use shared::schedule::Calendar;
use shared::schedule::calendar::{CalendarInput, DateHours, Hours, WEEKDAYS, WeeklyHours};

use crate::AppState;
use crate::auth::{AdminUser, CurrentUser, password};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(update))
        .routes(routes!(calendar, set_calendar))
}

pub fn service_types_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(service_types))
        .routes(routes!(update_service_type))
}

/// A provider as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderView {
    pub id: i64,
    /// The provider's login, when it has one.
    #[schema(required = true)]
    pub user_id: Option<i64>,
    pub name: String,
    pub email: String,
    #[schema(required = true)]
    pub phone: Option<String>,
    /// Taking work right now.
    pub available: bool,
    /// 0 to 5, the rank matching prefers higher: the Bayesian average of their reviews
    /// (C = 5, the prior the mean of all reviews), or the rating an admin gave them
    /// while they have no reviews.
    pub rating: f64,
    /// How many reviews they have.
    pub rating_count: i64,
    /// The plain mean of their reviews' stars; `null` without reviews.
    #[schema(required = true)]
    pub rating_mean: Option<f64>,
    #[schema(value_type = Vec<ServiceTypeName>)]
    pub service_types: Vec<String>,
    /// Bookings assigned, accepted or in progress.
    pub active_bookings: i64,
    /// Their own time zone, their calendar's.
    #[schema(value_type = crate::doc::TimeZoneName)]
    pub time_zone: String,
    /// Whether they set working hours (`GET /providers/{id}/calendar`); without, they
    /// work every day, all day.
    pub has_calendar: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// False once an admin deactivated them: offered no work, not assignable.
    pub active: bool,
    /// When they were deactivated; `null` while active.
    #[schema(required = true)]
    pub deactivated_at: Option<DateTime<Utc>>,
}

impl From<Provider> for ProviderView {
    fn from(p: Provider) -> Self {
        ProviderView {
            id: p.id,
            user_id: p.user_id,
            name: p.name,
            email: p.email,
            phone: p.phone,
            available: p.available,
            rating: p.rating,
            rating_count: p.rating_count,
            rating_mean: p.rating_mean,
            service_types: p.service_types,
            active_bookings: p.active_bookings,
            time_zone: p.time_zone.name().to_owned(),
            has_calendar: p.has_calendar,
            created_at: p.created_at,
            updated_at: p.updated_at,
            active: p.deactivated_at.is_none(),
            deactivated_at: p.deactivated_at,
        }
    }
}

/// The services this product offers (migrations/*/0001: `service_types`); a test checks
/// that the list here is the database's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceTypeName {
    Plumbing,
    Cleaning,
    Electrical,
    Hvac,
    Handyman,
    Gardening,
}

impl ServiceTypeName {
    pub const ALL: [ServiceTypeName; 6] = [
        ServiceTypeName::Plumbing,
        ServiceTypeName::Cleaning,
        ServiceTypeName::Electrical,
        ServiceTypeName::Hvac,
        ServiceTypeName::Handyman,
        ServiceTypeName::Gardening,
    ];
}

/// A service customers can book.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceTypeView {
    #[schema(value_type = ServiceTypeName)]
    pub name: String,
    pub label: String,
    /// How long a booking of it lasts: its window is this long from its start.
    #[schema(minimum = 15, maximum = 1440)]
    pub duration_minutes: i64,
    /// How many providers offer it and are taking work; with none it cannot be booked.
    pub providers: i64,
}

impl From<ServiceType> for ServiceTypeView {
    fn from(s: ServiceType) -> Self {
        ServiceTypeView {
            name: s.name,
            label: s.label,
            duration_minutes: s.duration_minutes,
            providers: s.providers,
        }
    }
}

/// A service's new duration.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceType {
    /// A multiple of 15, from 15 to 1440.
    #[serde(deserialize_with = "crate::extract::integer::deserialize")]
    #[schema(minimum = 15, maximum = 1440, multiple_of = 15)]
    pub duration_minutes: i64,
}

/// Admins change how long a service lasts. Bookings made from then on get the new
/// duration; those made before keep their windows.
#[utoipa::path(
    patch,
    path = "/service-types/{name}",
    operation_id = "updateServiceType",
    tag = "providers",
    params(("name" = ServiceTypeName, Path, description = "The service type")),
    request_body = UpdateServiceType,
    responses(
        (status = 200, description = "The service type as it now is", body = ServiceTypeView),
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
async fn update_service_type(
    State(state): State<AppState>,
    admin: AdminUser,
    axum::extract::Path(name): axum::extract::Path<String>,
    Json(body): Json<UpdateServiceType>,
) -> Result<JsonBody<ServiceTypeView>, ApiError> {
    match state
        .providers
        .set_duration(&admin.actor(), &name, body.duration_minutes)
        .await?
    {
        Some(updated) => {
            tracing::info!(service_type = %name, duration_minutes = body.duration_minutes, "service duration changed");
            Ok(JsonBody(updated.into()))
        }
        None => Err(ApiError::NotFound(format!(
            "there is no service type `{name}`"
        ))),
    }
}

/// A weekday, as calendars name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WeekdayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl WeekdayName {
    fn as_str(self) -> &'static str {
        shared::schedule::calendar::WEEKDAYS[self as usize]
    }

    fn parse(s: &str) -> WeekdayName {
        use WeekdayName::*;
        [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
            .into_iter()
            .find(|d| d.as_str() == s)
            .unwrap_or(Mon)
    }
}

/// Hours worked every `weekday`, from `start` to `end` (`HH:MM`, 00:00 to 24:00) in the
/// provider's time zone.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHoursView {
    pub weekday: WeekdayName,
    #[schema(
        pattern = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
        example = "09:00"
    )]
    pub start: String,
    #[schema(
        pattern = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
        example = "17:00"
    )]
    pub end: String,
}

/// From `start` to `end` (`HH:MM`).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoursView {
    #[schema(
        pattern = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
        example = "10:00"
    )]
    pub start: String,
    #[schema(
        pattern = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$|^24:00$",
        example = "14:00"
    )]
    pub end: String,
}

/// A date's hours instead of its weekday's: none is a day off.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DateHoursView {
    #[schema(value_type = String, format = Date, example = "2026-12-24")]
    pub date: String,
    #[serde(default)]
    #[schema(max_items = 10)]
    pub ranges: Vec<HoursView>,
}

/// A provider's working calendar, in their own time zone: weekly hours (several ranges
/// a day allowed) and dated exceptions, each replacing that date's weekly hours.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarBody {
    #[schema(value_type = crate::doc::TimeZoneName)]
    pub time_zone: String,
    #[serde(default)]
    #[schema(max_items = 70)]
    pub weekly: Vec<WeeklyHoursView>,
    #[serde(default)]
    #[schema(max_items = 400)]
    pub exceptions: Vec<DateHoursView>,
}

/// A provider's calendar as it stands. Without one set, it reads as every day, all day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalendarView {
    pub provider_id: i64,
    #[schema(value_type = crate::doc::TimeZoneName)]
    pub time_zone: String,
    pub weekly: Vec<WeeklyHoursView>,
    pub exceptions: Vec<DateHoursView>,
    /// Whether the provider set one; `false`: working every day, all day.
    pub set: bool,
}

impl From<CalendarBody> for CalendarInput {
    fn from(b: CalendarBody) -> Self {
        CalendarInput {
            time_zone: b.time_zone,
            weekly: b
                .weekly
                .into_iter()
                .map(|w| WeeklyHours {
                    weekday: w.weekday.as_str().to_owned(),
                    start: w.start,
                    end: w.end,
                })
                .collect(),
            exceptions: b
                .exceptions
                .into_iter()
                .map(|d| DateHours {
                    date: d.date,
                    ranges: d
                        .ranges
                        .into_iter()
                        .map(|r| Hours {
                            start: r.start,
                            end: r.end,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

fn calendar_view(provider_id: i64, calendar: &Calendar, set: bool) -> CalendarView {
    let input = if set {
        calendar.to_input()
    } else {
        CalendarInput {
            time_zone: calendar.time_zone.name().to_owned(),
            weekly: WEEKDAYS
                .iter()
                .map(|d| WeeklyHours {
                    weekday: (*d).to_owned(),
                    start: "00:00".into(),
                    end: "24:00".into(),
                })
                .collect(),
            exceptions: Vec::new(),
        }
    };
    CalendarView {
        provider_id,
        time_zone: input.time_zone,
        weekly: input
            .weekly
            .into_iter()
            .map(|w| WeeklyHoursView {
                weekday: WeekdayName::parse(&w.weekday),
                start: w.start,
                end: w.end,
            })
            .collect(),
        exceptions: input
            .exceptions
            .into_iter()
            .map(|d| DateHoursView {
                date: d.date,
                ranges: d
                    .ranges
                    .into_iter()
                    .map(|r| HoursView {
                        start: r.start,
                        end: r.end,
                    })
                    .collect(),
            })
            .collect(),
        set,
    }
}

/// A provider's calendar: the provider themselves or an admin (anyone else gets 404).
#[utoipa::path(
    get,
    path = "/{id}/calendar",
    operation_id = "getProviderCalendar",
    tag = "providers",
    params(("id" = i64, Path, minimum = 1, description = "The provider's id")),
    responses(
        (status = 200, description = "The calendar", body = CalendarView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn calendar(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
) -> Result<JsonBody<CalendarView>, ApiError> {
    let (calendar, set) = state.providers.calendar(&user.actor(), id).await?;
    Ok(JsonBody(calendar_view(id, &calendar, set)))
}

/// Replaces a provider's calendar: the provider themselves or an admin. Bookings they
/// already hold stay theirs; matching and availability follow the new hours at once.
#[utoipa::path(
    put,
    path = "/{id}/calendar",
    operation_id = "putProviderCalendar",
    tag = "providers",
    params(("id" = i64, Path, minimum = 1, description = "The provider's id")),
    request_body = CalendarBody,
    responses(
        (status = 200, description = "The calendar as it now is", body = CalendarView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
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
async fn set_calendar(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<CalendarBody>,
) -> Result<JsonBody<CalendarView>, ApiError> {
    let calendar = state
        .providers
        .set_calendar(&user.actor(), id, &body.into())
        .await?;
    tracing::info!(provider_id = id, "calendar set");
    Ok(JsonBody(calendar_view(id, &calendar, true)))
}

/// What can be booked, by label.
#[utoipa::path(
    get,
    path = "/service-types",
    operation_id = "listServiceTypes",
    tag = "providers",
    responses(
        (status = 200, description = "The service types", body = Vec<ServiceTypeView>),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn service_types(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<JsonBody<Vec<ServiceTypeView>>, ApiError> {
    let types = state.providers.service_types().await?;
    Ok(JsonBody(
        types.into_iter().map(ServiceTypeView::from).collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only providers offering this service (admins).
    #[param(pattern = r"^[^\x00]*$")]
    service_type: Option<String>,
}

/// Admins see every provider (or those offering one service); a provider sees their own
/// record; customers are refused.
#[utoipa::path(
    get,
    path = "",
    operation_id = "listProviders",
    tag = "providers",
    params(ListQuery),
    responses(
        (status = 200, description = "Providers, by id", body = Vec<ProviderView>),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
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
) -> Result<JsonBody<Vec<ProviderView>>, ApiError> {
    let providers = match user.role() {
        Role::Admin | Role::Viewer => {
            let service = query
                .service_type
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            state.providers.list(service).await?
        }
        Role::Provider => match user.0.provider_id {
            Some(id) => state.providers.get(id).await?.into_iter().collect(),
            None => Vec::new(),
        },
        _ => {
            return Err(ApiError::Forbidden(
                "only admins and providers may list providers".into(),
            ));
        }
    };
    Ok(JsonBody(
        providers.into_iter().map(ProviderView::from).collect(),
    ))
}

/// A provider to create; with a `password`, they also get a login with this e-mail.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProvider {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: String,
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
    )]
    pub email: String,
    /// Empty for none.
    #[serde(default)]
    #[schema(
        max_length = 32,
        pattern = r"^(?:\+?(?:[ ().-]{0,2}[0-9]){7,15}[ ().-]{0,2})?$"
    )]
    pub phone: Option<String>,
    /// At least one of `GET /service-types`.
    #[schema(min_items = 1, value_type = Vec<ServiceTypeName>)]
    pub service_types: Vec<String>,
    #[serde(default = "yes")]
    #[schema(default = true)]
    pub available: bool,
    #[serde(default)]
    #[schema(minimum = 0.0, maximum = 5.0, default = 0.0)]
    pub rating: f64,
    #[serde(default)]
    #[schema(min_length = 8, max_length = 128)]
    pub password: Option<String>,
}

fn yes() -> bool {
    true
}

/// Admins add a provider.
#[utoipa::path(
    post,
    path = "",
    operation_id = "createProvider",
    tag = "providers",
    request_body = CreateProvider,
    responses(
        (status = 201, description = "The provider", body = ProviderView, links(
            ("UpdateProvider" = (operation_id = "updateProvider", parameters(("id" = "$response.body#/id")))),
        )),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
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
async fn create(
    State(state): State<AppState>,
    admin: AdminUser,
    Json(body): Json<CreateProvider>,
) -> Result<(StatusCode, JsonBody<ProviderView>), ApiError> {
    let login_password_hash = match body.password {
        Some(p) => {
            password::check_new("password", &p)?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    let provider = state
        .providers
        .create(
            &admin.actor(),
            NewProvider {
                name: body.name,
                email: body.email,
                phone: body.phone,
                service_types: body.service_types,
                available: body.available,
                rating: body.rating,
                login_password_hash,
            },
        )
        .await?;
    tracing::info!(provider_id = provider.id, "provider created");
    Ok((StatusCode::CREATED, JsonBody(provider.into())))
}

/// A partial update: what is absent stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProvider {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// Their login's e-mail changes with it (admins only). Another provider's or
    /// account's is 409 `duplicate_email`.
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
    )]
    pub email: Option<String>,
    /// Empty clears it.
    #[schema(
        max_length = 32,
        pattern = r"^(?:\+?(?:[ ().-]{0,2}[0-9]){7,15}[ ().-]{0,2})?$"
    )]
    pub phone: Option<String>,
    pub available: Option<bool>,
    #[schema(minimum = 0.0, maximum = 5.0)]
    pub rating: Option<f64>,
    #[schema(min_items = 1, value_type = Option<Vec<ServiceTypeName>>)]
    pub service_types: Option<Vec<String>>,
    /// Admins only. False deactivates them: they are offered no work and cannot be
    /// assigned, and the bookings they hold and have not started go back to dispatch at
    /// once. True reactivates them.
    pub active: Option<bool>,
}

/// Admins change anything, and deactivate or reactivate a provider; a provider may
/// switch their own availability, nothing else.
#[utoipa::path(
    patch,
    path = "/{id}",
    operation_id = "updateProvider",
    tag = "providers",
    params(("id" = i64, Path, minimum = 1, description = "The provider's id")),
    request_body = UpdateProvider,
    responses(
        (status = 200, description = "The provider as it now is", body = ProviderView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 404, response = crate::error::responses::NotFound),
        (status = 409, response = crate::error::responses::Conflict),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<UpdateProvider>,
) -> Result<JsonBody<ProviderView>, ApiError> {
    let active = body.active;
    let update = ProviderUpdate {
        name: body.name,
        email: body.email,
        phone: body.phone,
        available: body.available,
        rating: body.rating,
        service_types: body.service_types,
    };
    match user.role() {
        Role::Admin => {}
        Role::Provider if user.0.provider_id == Some(id) => {
            if !update.is_availability_only() || active.is_some() {
                return Err(ApiError::Forbidden(
                    "a provider may only change their own availability".into(),
                ));
            }
        }
        Role::Provider => return Err(ApiError::NotFound(format!("provider {id} was not found"))),
        _ => {
            return Err(ApiError::Forbidden(
                "only admins and providers may change providers".into(),
            ));
        }
    }
    let actor = user.actor();
    let Some(active) = active else {
        return Ok(JsonBody(
            state.providers.update(&actor, id, update).await?.into(),
        ));
    };
    if !update.fields_set().is_empty() {
        state.providers.update(&actor, id, update).await?;
    }
    let released = state
        .bookings
        .set_provider_active(&actor, id, active)
        .await?;
    tracing::info!(provider_id = id, active, released = ?released, "provider {}", if active { "reactivated" } else { "deactivated" });
    let provider = state
        .providers
        .get(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("provider {id} was not found")))?;
    Ok(JsonBody(provider.into()))
}
