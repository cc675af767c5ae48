//! `/healthz` (the process answers) and `/readyz` (the database answers and is migrated).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;
use crate::error::envelope;

pub async fn healthz() -> impl IntoResponse {
    axum::Json(json!({"status": "ok"}))
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.db.is_ready().await {
        axum::Json(json!({"status": "ready"})).into_response()
    } else {
        envelope(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "the database is not reachable or not migrated",
            json!({}),
        )
    }
}
