//! `/api/v1/openapi.json`: the API described for clients and tools.

use axum::http::header;
use axum::response::IntoResponse;

/// The OpenAPI document, kept beside the crate and checked against the router by tests.
pub const OPENAPI: &str = include_str!("../../openapi.json");

pub async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}
