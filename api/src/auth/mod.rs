//! Sign-in: password hashing, signed expiring tokens, and the extractors that say who is
//! calling. A token arrives as `Authorization: Bearer ...` or in the HttpOnly `session`
//! cookie (which is how the browser's EventSource carries it).

pub mod limiter;
pub mod password;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use shared::account::User;
use shared::{Accounts, Actor, Role};

use crate::error::ApiError;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "session";

/// Signs and checks tokens. The secret never leaves this struct (and is never logged).
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl: chrono::Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    role: Role,
    iat: i64,
    exp: i64,
}

impl TokenKeys {
    pub fn new(secret: &[u8], ttl: chrono::Duration) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl,
        }
    }

    /// A token for `user`, expiring after the configured time.
    pub fn issue(&self, user: &User) -> Result<String, ApiError> {
        let now = Utc::now();
        let claims = Claims {
            sub: user.id.to_string(),
            role: user.role,
            iat: now.timestamp(),
            exp: (now + self.ttl).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| ApiError::Internal(format!("signing a token: {e}")))
    }

    /// The user id of a valid, unexpired token.
    pub(crate) fn verify(&self, token: &str) -> Option<i64> {
        self.verify_until(token).map(|(user_id, _)| user_id)
    }

    /// The user id of a valid, unexpired token, and when it expires.
    pub(crate) fn verify_until(&self, token: &str) -> Option<(i64, DateTime<Utc>)> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation).ok()?;
        let expires = DateTime::from_timestamp(data.claims.exp, 0)?;
        Some((data.claims.sub.parse().ok()?, expires))
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

/// The signed-in caller. Extracting it is what makes a route require sign-in (401).
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

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
    Accounts: FromRef<S>,
    TokenKeys: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = request_token(&parts.headers).ok_or(ApiError::Unauthenticated)?;
        let user_id = TokenKeys::from_ref(state)
            .verify(&token)
            .ok_or(ApiError::Unauthenticated)?;
        // The account must still exist: a token outlives nothing it was issued for.
        let user = Accounts::from_ref(state)
            .user(user_id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(CurrentUser(user))
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
    Accounts: FromRef<S>,
    TokenKeys: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let CurrentUser(user) = CurrentUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(ApiError::Forbidden("only an admin may do this".into()));
        }
        Ok(AdminUser(user))
    }
}
