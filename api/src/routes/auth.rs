//! `/auth`: sign up, sign in, sign out (here or everywhere), change or reset a password,
//! who am I, and the demo logins; with their request and response types.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Extension;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use shared::Role;
use shared::account::{NewUser, OwnDetails, SessionEnd, User};

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_COOKIE, new_secret, password, request_token};
use crate::error::ApiError;
use crate::extract::Json;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(change_password))
        .routes(routes!(reset_password))
        .routes(routes!(me, update_me))
        .routes(routes!(demo))
}

/// A customer signing up.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
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
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
}

/// Signing in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(min_length = 1, max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

/// A signed-in user.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserView {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// For a provider's login, the provider record it acts for.
    #[schema(required = true)]
    pub provider_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            provider_id: u.provider_id,
            created_at: u.created_at,
        }
    }
}

/// A session: the token (also set as the HttpOnly `session` cookie) and who it is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub user: UserView,
    pub expires_at: DateTime<Utc>,
}

/// Creates a customer account and signs it in.
#[utoipa::path(
    post,
    path = "/register",
    operation_id = "register",
    tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Signed up and in", body = Session),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 409, response = crate::error::responses::Conflict),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(())
)]
async fn register(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(body): Json<RegisterRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let (name, email, password_hash) =
        password::new_account(&body.name, &body.email, body.password).await?;
    let user = state
        .accounts
        .create_user(NewUser {
            email,
            name,
            password_hash,
            role: Role::Customer,
        })
        .await?;
    tracing::info!(user_id = user.id, "customer registered");
    let (jar, session) = start_session(&state, jar, user).await?;
    Ok((StatusCode::CREATED, jar, axum::Json(session)))
}

/// Signs in with e-mail and password: the token in the body, and in an HttpOnly cookie.
/// Ten failed sign-ins for one e-mail from one client address lock that pair out for 15
/// minutes (429); the account's owner, elsewhere, is not locked out. A disabled account's
/// right password gets 403 `account_disabled`.
#[utoipa::path(
    post,
    path = "/login",
    operation_id = "login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 429, response = crate::error::responses::TooManyRequests),
        (status = 503, response = crate::error::responses::Unavailable),
    ),
    security(())
)]
async fn login(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    jar: CookieJar,
    Json(body): Json<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    let address = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.0.ip());
    // Counted before the password is checked, so that many at once cannot pass the limit.
    state
        .limiter
        .attempt(address, &email)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    // An unknown e-mail is checked against a dummy hash, so that the answer takes as
    // long as for a known one and does not tell which accounts exist.
    let (user, hash) = match state.accounts.user_with_password(&email).await? {
        Some((user, hash)) => (Some(user), hash),
        None => (None, password::dummy_hash().await?),
    };
    let matches = password::verify(body.password, hash).await;
    let Some(user) = user.filter(|_| matches) else {
        return Err(ApiError::InvalidCredentials);
    };
    state.limiter.succeeded(address, &email);
    if user.disabled_at.is_some() {
        return Err(ApiError::AccountDisabled);
    }
    tracing::info!(user_id = user.id, role = %user.role, "signed in");
    let (jar, session) = start_session(&state, jar, user).await?;
    Ok((jar, axum::Json(session)))
}

/// Starts a session for `user`: its row, its token, and the cookie carrying it.
async fn start_session(
    state: &AppState,
    jar: CookieJar,
    user: User,
) -> Result<(CookieJar, Session), ApiError> {
    let secret = new_secret();
    let started = state
        .accounts
        .start_session(user.id, &secret, state.tokens.rules())
        .await?;
    let token = state.tokens.issue(&user, &secret, started.expires_at)?;
    let expires_at = started.expires_at;
    let cookie = Cookie::build((SESSION_COOKIE, token.clone()))
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(state.settings.cookie_secure)
        .path("/")
        .max_age(time_duration(state.tokens.ttl))
        .build();
    Ok((
        jar.add(cookie),
        Session {
            token,
            user: user.into(),
            expires_at,
        },
    ))
}

fn time_duration(d: chrono::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(d.num_seconds())
}

/// The cookie jar with the session cookie cleared (whether or not the request sent it).
fn without_session_cookie(jar: CookieJar) -> CookieJar {
    let mut cookie = Cookie::build((SESSION_COOKIE, ""))
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .build();
    cookie.make_removal();
    jar.add(cookie)
}

/// Signs out: ends this request's session at once (its token no longer works anywhere)
/// and clears the cookie. Without a live session there is nothing to end; still 204.
#[utoipa::path(
    post,
    path = "/logout",
    operation_id = "logout",
    tag = "auth",
    responses(
        (status = 204, description = "Signed out: the session ended and the cookie is cleared"),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(())
)]
async fn logout(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    let claims = request_token(&headers).and_then(|t| state.tokens.verify(&t));
    if let Some(claims) = claims
        && let Some((user, session)) = state
            .accounts
            .session_user(&claims.secret, state.tokens.idle)
            .await?
    {
        state
            .accounts
            .end_session(session.id, SessionEnd::Logout)
            .await?;
        tracing::info!(user_id = user.id, "signed out");
    }
    Ok((StatusCode::NO_CONTENT, without_session_cookie(jar)))
}

/// Signs out everywhere: ends every session of the caller, this one too.
#[utoipa::path(
    post,
    path = "/logout-all",
    operation_id = "logoutAll",
    tag = "auth",
    responses(
        (status = 204, description = "Every session of this account ended; the cookie is cleared"),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn logout_all(
    State(state): State<AppState>,
    CurrentUser(user, _): CurrentUser,
    jar: CookieJar,
) -> Result<impl IntoResponse, ApiError> {
    let ended = state
        .accounts
        .end_user_sessions(user.id, None, SessionEnd::LogoutAll)
        .await?;
    tracing::info!(user_id = user.id, sessions = ended, "signed out everywhere");
    Ok((StatusCode::NO_CONTENT, without_session_cookie(jar)))
}

/// Changing one's own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Changes the caller's password (the current one required). Every other session of the
/// account ends; this one goes on. Wrong current passwords count toward the sign-in
/// limit, so this is no way round it.
#[utoipa::path(
    post,
    path = "/password",
    operation_id = "changePassword",
    tag = "auth",
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; the account's other sessions ended"),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 429, response = crate::error::responses::TooManyRequests),
        (status = 503, response = crate::error::responses::Unavailable),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn change_password(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    CurrentUser(user, session): CurrentUser,
    Json(body): Json<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    password::check_new("new_password", &body.new_password)?;
    confirm_password(&state, peer, &user, body.current_password).await?;
    let new_hash = password::hash(body.new_password).await?;
    state
        .accounts
        .change_password(
            user.id,
            &new_hash,
            Some(session.id),
            SessionEnd::PasswordChanged,
        )
        .await?;
    tracing::info!(user_id = user.id, "password changed; other sessions ended");
    Ok(StatusCode::NO_CONTENT)
}

/// Checks that `given` is the signed-in `user`'s password, before a change that needs it.
/// Wrong ones count toward the sign-in limit of the account and the client's address, so
/// this is no way round it (429 once past it); one is a 422 naming `current_password`.
async fn confirm_password(
    state: &AppState,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    user: &User,
    given: String,
) -> Result<(), ApiError> {
    let address = peer.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.0.ip());
    state
        .limiter
        .attempt(address, &user.email)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    let (_, hash) = state
        .accounts
        .user_with_password(&user.email)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !password::verify(given, hash).await {
        return Err(ApiError::field(
            "current_password",
            "this is not your current password",
        ));
    }
    state.limiter.succeeded(address, &user.email);
    Ok(())
}

/// Setting a new password with a one-time reset link's token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPasswordRequest {
    /// The token from the reset link (after `#token=`).
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Sets a new password with a reset link an admin issued (valid one hour, once). Every
/// session of the account ends; sign in with the new password.
#[utoipa::path(
    post,
    path = "/reset",
    operation_id = "resetPassword",
    tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "The password is set; every session of the account ended"),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 429, response = crate::error::responses::TooManyRequests),
        (status = 503, response = crate::error::responses::Unavailable),
    ),
    security(())
)]
async fn reset_password(
    State(state): State<AppState>,
    Json(body): Json<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    password::check_new("new_password", &body.new_password)?;
    let new_hash = password::hash(body.new_password).await?;
    let user_id = state
        .accounts
        .redeem_reset(body.token.trim(), &new_hash)
        .await?;
    tracing::info!(
        user_id,
        "password reset with a one-time link; every session ended"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Who the session is for.
#[utoipa::path(
    get,
    path = "/me",
    operation_id = "getMe",
    tag = "auth",
    responses(
        (status = 200, description = "The signed-in user", body = UserView),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 503, response = crate::error::responses::Unavailable),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn me(user: CurrentUser) -> axum::Json<UserView> {
    axum::Json(user.0.into())
}

/// What a user changes about their own account; an absent field stays as it is.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    /// The name shown on bookings, history and the console.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    pub name: Option<String>,
    /// The e-mail to sign in with from now on; needs `current_password`.
    #[schema(
        min_length = 1,
        max_length = 254,
        pattern = r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+$"
    )]
    pub email: Option<String>,
    /// Required when the e-mail changes. Wrong ones count toward the sign-in limit.
    #[schema(min_length = 1, max_length = 1024)]
    pub current_password: Option<String>,
}

/// Changes the caller's name or sign-in e-mail (a new e-mail needs the current password;
/// a taken one is 409 `duplicate_email`). A provider's login is refused (403): dispatch
/// keeps a provider's name and e-mail on the provider record. Sessions go on.
#[utoipa::path(
    patch,
    path = "/me",
    operation_id = "updateMe",
    tag = "auth",
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The account as it is now", body = UserView),
        (status = 400, response = crate::error::responses::BadRequest),
        (status = 401, response = crate::error::responses::Unauthorized),
        (status = 403, response = crate::error::responses::Forbidden),
        (status = 408, response = crate::error::responses::Timeout),
        (status = 409, response = crate::error::responses::Conflict),
        (status = 413, response = crate::error::responses::PayloadTooLarge),
        (status = 415, response = crate::error::responses::UnsupportedMediaType),
        (status = 422, response = crate::error::responses::Unprocessable),
        (status = 429, response = crate::error::responses::TooManyRequests),
        (status = 503, response = crate::error::responses::Unavailable),
    ),
    security(("bearer" = []), ("cookie" = []))
)]
async fn update_me(
    State(state): State<AppState>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    CurrentUser(user, _): CurrentUser,
    Json(body): Json<UpdateMeRequest>,
) -> Result<axum::Json<UserView>, ApiError> {
    let details = OwnDetails::check(
        &user,
        body.name.as_deref(),
        body.email.as_deref(),
        body.current_password.as_deref(),
    )?;
    if details.changes_email()
        && let Some(current) = body.current_password
    {
        confirm_password(&state, peer, &user, current).await?;
    }
    let updated = state.accounts.update_own_details(&user, &details).await?;
    tracing::info!(
        user_id = user.id,
        name = updated.name != user.name,
        email = updated.email != user.email,
        "account details changed"
    );
    Ok(axum::Json(updated.into()))
}

/// The demo accounts, when this server was asked to create them.
#[derive(Debug, Serialize, ToSchema)]
pub struct DemoLogins {
    pub enabled: bool,
    pub logins: Vec<crate::seed::DemoLogin>,
}

/// The demo logins, when this server seeded a demo (so a newcomer can try every role).
#[utoipa::path(
    get,
    path = "/demo",
    operation_id = "getDemoLogins",
    tag = "auth",
    responses(
        (status = 200, description = "The demo logins (none unless SEED_DEMO)", body = DemoLogins),
        (status = 429, response = crate::error::responses::TooManyRequests),
    ),
    security(())
)]
async fn demo(State(state): State<AppState>) -> axum::Json<DemoLogins> {
    let logins = state.settings.demo_logins.clone();
    axum::Json(DemoLogins {
        enabled: !logins.is_empty(),
        logins,
    })
}
