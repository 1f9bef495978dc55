//! `GET /healthz` and `GET /readyz`: 200 when the database answers, 503 when it does not.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::startup::AppState;

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "health check: database unreachable");
        ApiError::Unavailable
    })?;
    Ok(Json(
        json!({ "status": "ok", "database": state.store.backend().as_str() }),
    ))
}
