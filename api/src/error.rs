//! The one place errors become HTTP responses, all in one envelope:
//! `{"error": {"code": "snake_case", "message": "A sentence.", "details": {...}}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use shared::error::{DomainError, FieldErrors, StoreError};

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    BadRequest {
        code: &'static str,
        message: String,
        details: Value,
    },
    #[error("sign in first")]
    Unauthenticated,
    #[error("the e-mail or password is wrong")]
    InvalidCredentials,
    #[error("this account is disabled; ask an administrator to enable it")]
    AccountDisabled,
    #[error("{0}")]
    Forbidden(String),
    #[error(
        "a change must come from this app's own pages: another site's page started this request"
    )]
    CrossOrigin,
    #[error("{0}")]
    NotFound(String),
    #[error("the request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("too many attempts; try again in {}", wait_in_words(*retry_after_secs))]
    RateLimited { retry_after_secs: u64 },
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("internal error: {0}")]
    Internal(String),
}

/// A wait as people say it: "42 seconds", "1 minute", "15 minutes" (whole minutes from two
/// minutes on, rounded up).
fn wait_in_words(secs: u64) -> String {
    match secs {
        1 => "1 second".into(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        ApiError::Store(StoreError::Domain(e))
    }
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(FieldErrors::from([(field.to_owned(), message.into())]))
    }

    /// 400 `invalid_query`: query parameter `parameter` is wrong; `message` says how,
    /// after its name.
    pub fn invalid_query(parameter: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`{parameter}` {}", message.into()),
            details: json!({"parameter": parameter}),
        }
    }
}

/// Builds an envelope response.
pub fn envelope(status: StatusCode, code: &str, message: &str, details: Value) -> Response {
    (
        status,
        Json(json!({"error": {"code": code, "message": message, "details": details}})),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, code, details) = match self {
            ApiError::BadRequest { code, details, .. } => (StatusCode::BAD_REQUEST, code, details),
            ApiError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated", json!({})),
            ApiError::InvalidCredentials => {
                (StatusCode::UNAUTHORIZED, "invalid_credentials", json!({}))
            }
            ApiError::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled", json!({})),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", json!({})),
            ApiError::CrossOrigin => (StatusCode::FORBIDDEN, "cross_origin_request", json!({})),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", json!({})),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                json!({"limit_bytes": limit}),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                json!({}),
            ),
            ApiError::RateLimited { retry_after_secs } => {
                let mut response = envelope(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    &message,
                    json!({"retry_after_secs": retry_after_secs}),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
                return response;
            }
            ApiError::Validation(fields) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                json!({"fields": fields}),
            ),
            ApiError::Store(StoreError::Domain(e)) => return domain_response(e),
            ApiError::Store(e) if e.is_transient() => {
                tracing::warn!(error = %e, "database busy");
                let mut response = envelope(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the service is busy; try again in a moment",
                    json!({}),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(1));
                return response;
            }
            ApiError::Store(e) if e.is_disk_full() => {
                tracing::error!(error = %e, "the database's disk is full");
                let mut response = envelope(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "storage_full",
                    "the service cannot save anything right now (its storage is full); nothing was changed, try again later",
                    json!({}),
                );
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(30));
                return response;
            }
            ApiError::Store(e) => return internal(&e.to_string()),
            ApiError::Internal(cause) => return internal(&cause),
        };
        envelope(status, code, &message, details)
    }
}

/// A 500 whose body says nothing of the cause; the cause is logged once, in the request span.
fn internal(cause: &str) -> Response {
    tracing::error!(error = %cause, "internal error");
    envelope(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "something went wrong on our side; it has been logged",
        json!({}),
    )
}

fn domain_response(e: DomainError) -> Response {
    let message = e.to_string();
    match e {
        DomainError::InvalidTransition { from, to } => envelope(
            StatusCode::CONFLICT,
            "invalid_transition",
            &message,
            json!({"from": from, "to": to, "allowed": from.successors()}),
        ),
        DomainError::NotPermitted { role, .. } => envelope(
            StatusCode::FORBIDDEN,
            "forbidden",
            &message,
            json!({"role": role}),
        ),
        DomainError::NotFound { entity, id } => envelope(
            StatusCode::NOT_FOUND,
            "not_found",
            &message,
            json!({"entity": entity, "id": id}),
        ),
        DomainError::VersionConflict { expected, actual } => envelope(
            StatusCode::CONFLICT,
            "version_conflict",
            &message,
            json!({"expected_version": expected, "current_version": actual}),
        ),
        DomainError::Conflict {
            code: "idempotency_key_reused",
            ..
        } => envelope(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            &message,
            json!({}),
        ),
        DomainError::Conflict { code, .. } => {
            envelope(StatusCode::CONFLICT, code, &message, json!({}))
        }
        DomainError::Validation(fields) => envelope(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "some fields are invalid",
            json!({"fields": fields}),
        ),
        DomainError::ProviderBusy {
            provider_id,
            booking_id,
        } => envelope(
            StatusCode::CONFLICT,
            "provider_busy",
            &message,
            json!({"provider_id": provider_id, "booking_id": booking_id}),
        ),
        DomainError::TooEarly { from, .. } => envelope(
            StatusCode::CONFLICT,
            "too_early",
            &message,
            json!({"from": from}),
        ),
        DomainError::TooLate { until, .. } => envelope(
            StatusCode::CONFLICT,
            "too_late",
            &message,
            json!({"until": until}),
        ),
    }
}

/// Middleware: any error response not already in the envelope (an unknown route, a
/// wrong method, a timeout, a limit hit in a layer) is rewritten into it.
pub async fn ensure_envelope(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return response;
    }
    let (code, message) = match status {
        StatusCode::NOT_FOUND => ("not_found", "there is nothing at this address"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this method is not allowed here"),
        StatusCode::REQUEST_TIMEOUT => ("timeout", "the request took too long"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is too large"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "this content type is not supported",
        ),
        s if s.is_server_error() => (
            "internal",
            "something went wrong on our side; it has been logged",
        ),
        _ => ("bad_request", "the request could not be understood"),
    };
    let mut out = envelope(status, code, message, json!({}));
    for name in [header::ALLOW, header::RETRY_AFTER] {
        if let Some(v) = response.headers().get(&name) {
            out.headers_mut().insert(name, v.clone());
        }
    }
    out
}

/// The error envelope as the OpenAPI document describes it.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong: a stable code, a sentence, and details (e.g. `fields` for 422).
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ErrorDetail {
    /// A snake_case code, stable for clients to branch on.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// More about it: `fields` (field -> message) on 422, `retry_after_secs` on 429, ...
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// The error responses, one per status, as components the document's operations refer to.
pub mod responses {
    use super::ErrorBody;

    macro_rules! error_response {
        ($name:ident, $description:literal) => {
            #[derive(utoipa::ToResponse)]
            #[response(description = $description, content_type = "application/json")]
            #[allow(dead_code)]
            pub struct $name(#[to_schema] ErrorBody);
        };
        ($name:ident, $description:literal, retry_after) => {
            #[derive(utoipa::ToResponse)]
            #[response(
                description = $description,
                content_type = "application/json",
                headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))
            )]
            #[allow(dead_code)]
            pub struct $name(#[to_schema] ErrorBody);
        };
    }

    error_response!(
        BadRequest,
        "Malformed JSON, query string or path id (`malformed_json`, `invalid_query`, `invalid_id`, ...)"
    );
    error_response!(
        Unauthorized,
        "Not signed in, or the token is invalid or expired (`unauthenticated`, `invalid_credentials`)"
    );
    error_response!(
        Forbidden,
        "Signed in, but not allowed to do this (`forbidden`), or a change another site's page started (`cross_origin_request`)"
    );
    error_response!(
        NotFound,
        "No such thing, or not one the caller may see (`not_found`)"
    );
    error_response!(Timeout, "The request took too long (`timeout`)");
    error_response!(
        Conflict,
        "An invalid transition, a stale version, a duplicate, a provider busy then, a move too early or too late (`invalid_transition`, `version_conflict`, `duplicate_email`, `provider_busy`, `too_early`, `too_late`, ...)"
    );
    error_response!(
        PayloadTooLarge,
        "The body is over 64 KiB (`payload_too_large`)"
    );
    error_response!(
        UnsupportedMediaType,
        "The body is not JSON (`unsupported_media_type`)"
    );
    error_response!(
        Unprocessable,
        "Some fields are invalid; `details.fields` names each (`validation_failed`)"
    );
    error_response!(
        TooManyRequests,
        "Too many attempts (`rate_limited`)",
        retry_after
    );
    error_response!(
        Unavailable,
        "The database is busy or unreachable (`unavailable`)",
        retry_after
    );
}
