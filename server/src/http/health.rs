//! `GET /health` and `GET /api/v1/health`: no login, a real database round trip, 503 when the
//! database cannot be used.

use app::wire::{HealthReport, HealthStatus};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::services;
use crate::state::AppState;

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    let report = services::health::check(&state).await;
    let status = match report.status {
        HealthStatus::Healthy | HealthStatus::Degraded => StatusCode::OK,
        HealthStatus::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(report))
}
