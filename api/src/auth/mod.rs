//! Sign-in: password hashing, signed expiring tokens that name a session, and the
//! extractors that say who is calling. A token arrives as `Authorization: Bearer ...` or
//! in the HttpOnly `session` cookie (which is how the browser's EventSource carries it).
//!
//! The signature keeps forged tokens away from the database; the session row it names
//! (by a secret the store keeps only hashed) is what makes it end: at logout, "sign out
//! everywhere", a password change, or when an admin disables the account.

pub mod limiter;
pub mod password;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use shared::account::{ActiveSession, SessionRules, User};
use shared::{Actor, Role};

use crate::AppState;
use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "session";

/// Signs and checks tokens. The secret never leaves this struct (and is never logged).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// A session's absolute life.
    pub ttl: chrono::Duration,
    /// How long a session lives without a request.
    pub idle: chrono::Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .field("idle", &self.idle)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    /// The session's secret (the store keeps its hash).
    sid: String,
    iat: i64,
    exp: i64,
}

/// What a validly signed, unexpired token says.
#[derive(Debug, Clone)]
pub(crate) struct TokenClaims {
    pub user_id: i64,
    /// The secret of the session it names.
    pub secret: String,
}

/// A fresh session secret: 256 random bits, hex.
pub(crate) fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl TokenKeys {
    /// Keys for tokens living `ttl`; sessions idle for four hours end (see [`Self::with_idle`]).
    pub fn new(secret: &[u8], ttl: chrono::Duration) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
            idle: chrono::Duration::hours(4),
        }
    }

    /// Sessions end after `idle` without a request.
    pub fn with_idle(mut self, idle: chrono::Duration) -> Self {
        self.idle = idle;
        self
    }

    /// How long the sessions these keys sign live.
    pub fn rules(&self) -> SessionRules {
        SessionRules {
            absolute: self.ttl,
            idle: self.idle,
        }
    }

    /// A token for `user`'s session whose secret is `secret`, expiring at `expires_at`.
    pub fn issue(
        &self,
        user: &User,
        secret: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role,
            sid: secret.to_owned(),
            iat: Utc::now().timestamp(),
            exp: expires_at.timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
    }

    /// What a validly signed, unexpired token says; whether its session is still live is
    /// the store's to say.
    pub(crate) fn verify(&self, token: &str) -> Option<TokenClaims> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        Some(TokenClaims {
            user_id: data.claims.sub.parse().ok()?,
            secret: data.claims.sid,
        })
    }
}

/// The token a request carries: its bearer token, or else its session cookie.
pub(crate) fn request_token(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .or_else(|| {
            CookieJar::from_headers(headers)
                .get(SESSION_COOKIE)
                .map(|c| c.value().to_owned())
        })
}

/// The signed-in caller, and the session they came with. Extracting it is what makes a
/// route require sign-in (401).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User, pub ActiveSession);

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }

    pub fn role(&self) -> Role {
        self.0.role
    }
}

impl<S> FromRequestParts<S> for CurrentUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = request_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let app = AppState::from_ref(state);
        let claims = app.tokens.verify(&token).ok_or(ApiError::Unauthenticated)?;
        // The session must be live and its account enabled: one indexed lookup.
        let (user, session) = app
            .accounts
            .session_user(&claims.secret, app.tokens.idle)
            .await?
            .filter(|(user, _)| user.id == claims.user_id)
            .ok_or(ApiError::Unauthenticated)?;
        Ok(CurrentUser(user, session))
    }
}

/// A signed-in admin; anyone else signed in gets 403.
#[derive(Debug, Clone)]
pub struct AdminUser(pub User);

impl AdminUser {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl<S> FromRequestParts<S> for AdminUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user, _) = CurrentUser::from_request_parts(parts, state).await?;
        if user.role == Role::Viewer {
            return Err(ApiError::Forbidden(
                "a viewer may look but not act: only an admin may do this".into(),
            ));
        }
        if user.role != Role::Admin {
            return Err(ApiError::Forbidden("only an admin may do this".into()));
        }
        Ok(AdminUser(user))
    }
}

/// A signed-in operator: an admin, or a viewer who may look at everything the console
/// shows and change nothing. Anyone else signed in gets 403. Routes that read take this;
/// routes that act take [`AdminUser`], which refuses a viewer.
#[derive(Debug, Clone)]
pub struct OperatorUser(pub User);

impl OperatorUser {
    pub fn actor(&self) -> Actor {
        self.0.actor()
    }
}

impl<S> FromRequestParts<S> for OperatorUser
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user, _) = CurrentUser::from_request_parts(parts, state).await?;
        if !user.role.sees_everything() {
            return Err(ApiError::Forbidden(
                "only an admin or a viewer may see this".into(),
            ));
        }
        Ok(OperatorUser(user))
    }
}
