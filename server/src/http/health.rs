//! `GET /health` and `GET /api/v1/health`: no login, a real database round trip, 503 when the
//! database cannot be used.

use app::wire::{HealthReport, HealthStatus};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use crate::services;
use crate::state::AppState;

#[utoipa::path(get, path = "/health", tag = "health", description = "The same as `/api/v1/health` (the spec's runbook)", responses((status = 200, body = HealthReport), (status = 503, body = HealthReport)))]
pub async fn health(state: State<AppState>) -> (StatusCode, Json<HealthReport>) {
    health_v1(state).await
}

#[utoipa::path(get, path = "/api/v1/health", tag = "health", description = "No login. A real database round trip; 503 when the database cannot be used", responses((status = 200, body = HealthReport), (status = 503, body = HealthReport)))]
pub async fn health_v1(State(state): State<AppState>) -> (StatusCode, Json<HealthReport>) {
    let report = services::health::check(&state).await;
    let status = match report.status {
        HealthStatus::Healthy | HealthStatus::Degraded => StatusCode::OK,
        HealthStatus::Unhealthy => StatusCode::SERVICE_UNAVAILABLE,
    };
    (status, Json(report))
}
