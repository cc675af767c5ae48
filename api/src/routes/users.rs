//! `/admin/users`: the accounts, creating operators' accounts, disabling and enabling
//! them, and one-time password-reset links; admins only. With their request and response
//! types.

use axum::Json as JsonBody;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shared::Role;
use shared::account::{NewUser, UserFilter, UserSummary};

use crate::AppState;
use crate::auth::{AdminUser, new_secret, password};
use crate::error::ApiError;
use crate::extract::{Id, Json, Query, paging};

/// How long a reset link works.
const RESET_LINK_LIFE: chrono::Duration = chrono::Duration::hours(1);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(update_user))
        .routes(routes!(reset_link))
}

/// An account as an admin sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminUserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// For a provider's login, the provider record it acts for.
    #[schema(required = true)]
    pub provider_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// A disabled account cannot sign in, and its sessions ended when it was disabled.
    pub disabled: bool,
    #[schema(required = true)]
    pub disabled_at: Option<DateTime<Utc>>,
    /// Sessions not ended and not past their absolute expiry.
    pub live_sessions: i64,
}

impl From<UserSummary> for AdminUserView {
    fn from(s: UserSummary) -> Self {
        let u = s.user;
        AdminUserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            provider_id: u.provider_id,
            created_at: u.created_at,
            disabled: u.disabled_at.is_some(),
            disabled_at: u.disabled_at,
            live_sessions: s.live_sessions,
        }
    }
}

/// One page of accounts, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserPage {
    pub items: Vec<AdminUserView>,
    /// Pass back as `cursor` for the next page; absent on the last page.
    #[schema(required = true)]
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UsersQuery {
    /// Only accounts of this role.
    role: Option<Role>,
    /// A piece of the name or e-mail, any case.
    #[param(max_length = 200, pattern = r"^[^\x00]*$")]
    q: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(minimum = 1)]
    cursor: Option<i64>,
    /// Page size (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// The accounts, newest first, with how many live sessions each has.
#[utoipa::path(
    get,
    path = "/users",
    operation_id = "listUsers",
    tag = "admin",
    params(UsersQuery),
    responses(
        (status = 200, description = "A page of accounts", body = UserPage),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn list_users(
    State(state): State<AppState>,
    _admin: AdminUser,
    Query(query): Query<UsersQuery>,
) -> Result<JsonBody<UserPage>, ApiError> {
    let limit = paging::limit(query.limit, 50, 200)?;
    paging::positive("cursor", query.cursor)?;
    let search = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if search.as_ref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::invalid_query(
            "q",
            "must be at most 200 characters",
        ));
    }
    let filter = UserFilter {
        role: query.role,
        search,
        before_id: query.cursor,
        limit: limit + 1,
    };
    let mut items = state.accounts.users(&filter).await?;
    let next_cursor = paging::next_cursor(&mut items, limit, |u| u.user.id);
    let items = items.into_iter().map(AdminUserView::from).collect();
    Ok(JsonBody(UserPage { items, next_cursor }))
}

/// The role of an operator's account.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OperatorRole {
    /// Sees and does everything in the console.
    Admin,
    /// Sees everything an admin sees; every action is refused (403).
    Viewer,
}

impl From<OperatorRole> for Role {
    fn from(role: OperatorRole) -> Role {
        match role {
            OperatorRole::Admin => Role::Admin,
            OperatorRole::Viewer => Role::Viewer,
        }
    }
}

/// An operator's account to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
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
    /// At least 8 characters; the account's owner can change it after signing in.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    pub role: OperatorRole,
}

/// Creates an admin's or a viewer's account (customers sign up themselves; a provider's
/// login comes with the provider). A taken e-mail is 409 `duplicate_email`. Recorded in
/// the audit log.
#[utoipa::path(
    post,
    path = "/users",
    operation_id = "createUser",
    tag = "admin",
    request_body = CreateUser,
    responses(
        (status = 201, description = "The account", body = AdminUserView),
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
async fn create_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Json(body): Json<CreateUser>,
) -> Result<(StatusCode, JsonBody<AdminUserView>), ApiError> {
    let (name, email, password_hash) =
        password::new_account(&body.name, &body.email, body.password).await?;
    let role = Role::from(body.role);
    let user = state
        .accounts
        .create_operator(
            &admin.actor(),
            NewUser {
                email,
                name,
                password_hash,
                role,
            },
        )
        .await?;
    tracing::info!(user_id = user.id, by = admin.id, %role, "operator account created");
    Ok((
        StatusCode::CREATED,
        JsonBody(AdminUserView::from(UserSummary {
            user,
            live_sessions: 0,
        })),
    ))
}

/// What an admin changes about an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// True disables the account (its sessions end at once; sign-in is refused with
    /// `account_disabled`); false enables it again.
    pub disabled: bool,
}

/// Disables or enables an account. An admin cannot disable their own (409
/// `cannot_disable_self`).
#[utoipa::path(
    patch,
    path = "/users/{id}",
    operation_id = "updateUser",
    tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "The account")),
    request_body = UpdateUser,
    responses(
        (status = 200, description = "The account as it is now", body = AdminUserView),
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
async fn update_user(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Id(id): Id,
    Json(body): Json<UpdateUser>,
) -> Result<JsonBody<AdminUserView>, ApiError> {
    let user = state
        .accounts
        .set_disabled(id, body.disabled, &admin.actor())
        .await?;
    tracing::info!(
        user_id = id,
        by = admin.id,
        disabled = body.disabled,
        "account {}",
        if body.disabled { "disabled" } else { "enabled" }
    );
    let live_sessions = state.accounts.live_sessions(id).await?;
    Ok(JsonBody(AdminUserView::from(UserSummary {
        user,
        live_sessions,
    })))
}

/// A one-time password-reset link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResetLink {
    /// Give it to the account's owner: it opens the page that sets a new password.
    pub url: String,
    pub expires_at: DateTime<Utc>,
}

/// Issues a one-time password-reset link for an account, valid for an hour (until e-mail
/// delivery exists, the admin passes it on). Using it ends every session of the account.
#[utoipa::path(
    post,
    path = "/users/{id}/reset-link",
    operation_id = "createResetLink",
    tag = "admin",
    params(("id" = i64, Path, minimum = 1, description = "The account")),
    responses(
        (status = 201, description = "The link", body = ResetLink),
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
async fn reset_link(
    State(state): State<AppState>,
    AdminUser(admin): AdminUser,
    Id(id): Id,
    headers: HeaderMap,
) -> Result<(StatusCode, JsonBody<ResetLink>), ApiError> {
    let token = new_secret();
    let expires_at = state
        .accounts
        .create_reset(id, &token, &admin.actor(), RESET_LINK_LIFE)
        .await?;
    tracing::info!(user_id = id, by = admin.id, "password-reset link issued");
    // The token goes after `#`: browsers send no fragment to servers or in Referer. The
    // configured address first: a request's `Host` is whatever reached this process.
    let origin = match &state.settings.public_url {
        Some(url) => url.clone(),
        None => headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(|host| {
                let scheme = if state.settings.cookie_secure {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{host}")
            })
            .unwrap_or_default(),
    };
    Ok((
        StatusCode::CREATED,
        JsonBody(ResetLink {
            url: format!("{origin}/reset-password#token={token}"),
            expires_at,
        }),
    ))
}
