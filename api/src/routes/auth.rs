//! `/auth`: sign up, sign in, sign out, who am I, and the demo logins.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};

use shared::Role;
use shared::account::{NewUser, User};
use shared::booking::validation::{is_email, required};
use shared::error::FieldErrors;

use crate::AppState;
use crate::auth::{CurrentUser, SESSION_COOKIE, password};
use crate::error::ApiError;
use crate::extract::Json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/register", post(register))
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/demo", get(demo))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    name: String,
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    email: String,
    password: String,
}

#[derive(Serialize)]
struct Session {
    token: String,
    user: User,
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// Creates a customer account and signs it in.
async fn register(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(body): Json<RegisterBody>,
) -> Result<impl IntoResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let name = required(&mut errors, "name", &body.name, 200);
    let email = required(&mut errors, "email", &body.email, 254).to_lowercase();
    if !email.is_empty() && !is_email(&email) {
        errors.insert(
            "email".into(),
            "must be an e-mail address like name@example.com".into(),
        );
    }
    if let Err(ApiError::Validation(e)) = password::check_new(&body.password) {
        errors.extend(e);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let password_hash = password::hash(body.password).await?;
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
    let (jar, session) = start_session(&state, jar, user)?;
    Ok((StatusCode::CREATED, jar, axum::Json(session)))
}

/// Signs in with e-mail and password: the token in the body, and in an HttpOnly cookie.
async fn login(
    State(state): State<AppState>,
    jar: CookieJar,
    Json(body): Json<LoginBody>,
) -> Result<impl IntoResponse, ApiError> {
    let email = body.email.trim().to_lowercase();
    state
        .limiter
        .check(&email)
        .map_err(|retry_after_secs| ApiError::RateLimited { retry_after_secs })?;
    // An unknown e-mail is checked against a dummy hash, so that the answer takes as
    // long as for a known one and does not tell which accounts exist.
    let (user, hash) = match state.accounts.user_with_password(&email).await? {
        Some((user, hash)) => (Some(user), hash),
        None => (None, password::dummy_hash().await?),
    };
    let matches = password::verify(body.password, hash).await;
    let Some(user) = user.filter(|_| matches) else {
        state.limiter.record_failure(&email);
        return Err(ApiError::InvalidCredentials);
    };
    state.limiter.record_success(&email);
    tracing::info!(user_id = user.id, role = %user.role, "signed in");
    let (jar, session) = start_session(&state, jar, user)?;
    Ok((jar, axum::Json(session)))
}

fn start_session(
    state: &AppState,
    jar: CookieJar,
    user: User,
) -> Result<(CookieJar, Session), ApiError> {
    let token = state.tokens.issue(&user)?;
    let expires_at = chrono::Utc::now() + state.tokens.ttl;
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
            user,
            expires_at,
        },
    ))
}

fn time_duration(d: chrono::Duration) -> cookie::time::Duration {
    cookie::time::Duration::seconds(d.num_seconds())
}

/// Clears the session cookie. (Tokens are stateless; they lapse at their expiry.)
async fn logout(jar: CookieJar) -> impl IntoResponse {
    let cookie = Cookie::build((SESSION_COOKIE, "")).path("/").build();
    (StatusCode::NO_CONTENT, jar.remove(cookie))
}

async fn me(user: CurrentUser) -> axum::Json<User> {
    axum::Json(user.0)
}

#[derive(Serialize)]
struct DemoLogins {
    enabled: bool,
    logins: Vec<crate::seed::DemoLogin>,
}

/// The demo logins, when this server seeded a demo (so a newcomer can try every role).
async fn demo(State(state): State<AppState>) -> axum::Json<DemoLogins> {
    let logins = state.settings.demo_logins.clone();
    axum::Json(DemoLogins {
        enabled: !logins.is_empty(),
        logins,
    })
}
