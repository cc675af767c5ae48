//! `/providers` and `/service-types`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use axum::{Json as JsonBody, Router};
use serde::Deserialize;

use shared::Role;
use shared::provider::{NewProvider, Provider, ProviderUpdate, ServiceType};

use crate::AppState;
use crate::auth::{AdminUser, CurrentUser, password};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(list).post(create))
        .route("/{id}", patch(update))
}

pub async fn service_types(
    State(state): State<AppState>,
    _user: CurrentUser,
) -> Result<JsonBody<Vec<ServiceType>>, ApiError> {
    Ok(JsonBody(state.providers.service_types().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    service_type: Option<String>,
}

/// Admins see every provider (optionally those offering one service); a provider sees
/// their own record; customers see none.
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<ListQuery>,
) -> Result<JsonBody<Vec<Provider>>, ApiError> {
    match user.role() {
        Role::Admin => {
            let service = query
                .service_type
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty());
            Ok(JsonBody(state.providers.list(service).await?))
        }
        Role::Provider => {
            let own = match user.0.provider_id {
                Some(id) => state.providers.get(id).await?.into_iter().collect(),
                None => Vec::new(),
            };
            Ok(JsonBody(own))
        }
        _ => Err(ApiError::Forbidden(
            "only admins and providers may list providers".into(),
        )),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    email: String,
    #[serde(default)]
    phone: Option<String>,
    service_types: Vec<String>,
    #[serde(default = "yes")]
    available: bool,
    #[serde(default)]
    rating: f64,
    /// With a password, the provider also gets a login with this e-mail.
    #[serde(default)]
    password: Option<String>,
}

fn yes() -> bool {
    true
}

async fn create(
    State(state): State<AppState>,
    _admin: AdminUser,
    Json(body): Json<CreateBody>,
) -> Result<impl IntoResponse, ApiError> {
    let login_password_hash = match body.password {
        Some(p) => {
            password::check_new(&p)?;
            Some(password::hash(p).await?)
        }
        None => None,
    };
    let provider = state
        .providers
        .create(NewProvider {
            name: body.name,
            email: body.email,
            phone: body.phone,
            service_types: body.service_types,
            available: body.available,
            rating: body.rating,
            login_password_hash,
        })
        .await?;
    tracing::info!(provider_id = provider.id, "provider created");
    Ok((StatusCode::CREATED, JsonBody(provider)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    name: Option<String>,
    phone: Option<String>,
    available: Option<bool>,
    rating: Option<f64>,
    service_types: Option<Vec<String>>,
}

/// Admins change anything; a provider may switch their own availability, nothing else.
async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Id(id): Id,
    Json(body): Json<UpdateBody>,
) -> Result<JsonBody<Provider>, ApiError> {
    let update = ProviderUpdate {
        name: body.name,
        phone: body.phone,
        available: body.available,
        rating: body.rating,
        service_types: body.service_types,
    };
    match user.role() {
        Role::Admin => {}
        Role::Provider if user.0.provider_id == Some(id) => {
            if !update.is_availability_only() {
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
    Ok(JsonBody(state.providers.update(id, update).await?))
}
