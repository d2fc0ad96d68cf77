//! `GET /api/v1/quality?hours=24`: the spec's seven data-quality metrics with their alerts.

use app::wire::QualityReport;
use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;

use crate::error::{AppError, Result};
use crate::services;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct QualityQuery {
    /// The window of arrivals, in hours (default 24, at most 720).
    pub hours: Option<u32>,
}

#[utoipa::path(get, path = "/api/v1/quality", tag = "health", params(("hours" = Option<u32>, Query, description = "Window of arrivals, 1–720 hours (default 24)")), responses((status = 200, body = app::wire::QualityReport)))]
pub async fn quality(State(state): State<AppState>, Query(query): Query<QualityQuery>) -> Result<Json<QualityReport>> {
    let hours = query.hours.unwrap_or(24);
    if !(1..=720).contains(&hours) {
        return Err(AppError::Validation(vec![app::wire::FieldError {
            field: "hours".to_owned(),
            reason: format!("must be between 1 and 720, got {hours}"),
        }]));
    }
    Ok(Json(services::quality::report(&state.db, state.clock.now(), hours).await?))
}

/// `GET /api/v1/system`: Module 9: data arrival and refresh, the API's own latency and error
/// rate, metrics 22, 24 and 25, the last day's data quality, and the alerts they raise.
#[utoipa::path(get, path = "/api/v1/system", tag = "health", responses((status = 200, body = app::wire::SystemStatus)))]
pub async fn system(State(state): State<AppState>) -> Result<Json<app::wire::SystemStatus>> {
    Ok(Json(services::system_status::status(&state).await?))
}
