//! The Action Center over HTTP (docs/recommendations.md): `GET /api/v1/recommendations` (the
//! queue, with the spec's filters), `GET /api/v1/recommendations/{id}` (detail),
//! `GET /api/v1/recommendations/outcomes` (projected against actual, and the uptake),
//! `POST /api/v1/recommendations/refresh` (run the engine now) and
//! `POST /api/v1/recommendations/{id}/{execute|approve|schedule|dismiss}`.

use app::access::Caller;
use app::wire::{DismissRequest, ExecuteRequest, OutcomeReport, RecommendationList, RecommendationRun, RecommendationView, ScheduleRequest};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::{Extension, Json};
use uuid::Uuid;

use super::campaigns::body;
use crate::error::{AppError, Result};
use crate::services::catalogue::Actor;
use crate::services::recommendation_outcomes::{self, OutcomeQuery};
use crate::services::recommendations::{self, ListQuery};
use crate::state::AppState;

fn recommendation_id(text: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::invalid("id", format!("must be a recommendation's UUID, got '{}'", text.chars().take(60).collect::<String>())))
}

#[utoipa::path(get, path = "/api/v1/recommendations", tag = "recommendations", params(ListQuery), responses((status = 200, body = app::wire::RecommendationList), (status = 422, body = app::wire::ErrorBody)))]
pub async fn list(State(state): State<AppState>, query: std::result::Result<Query<ListQuery>, QueryRejection>) -> Result<Json<RecommendationList>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(format!("the query is not a recommendations filter: {}", e.body_text())))?;
    Ok(Json(recommendations::list(&state.db, &query, state.clock.now()).await?))
}

#[utoipa::path(get, path = "/api/v1/recommendations/outcomes", tag = "recommendations", params(OutcomeQuery), responses((status = 200, body = app::wire::OutcomeReport), (status = 422, body = app::wire::ErrorBody)))]
pub async fn outcomes(State(state): State<AppState>, query: std::result::Result<Query<OutcomeQuery>, QueryRejection>) -> Result<Json<OutcomeReport>> {
    let Query(query) = query.map_err(|e| AppError::BadRequest(format!("the query is not an outcomes filter (kind, from, to): {}", e.body_text())))?;
    Ok(Json(recommendation_outcomes::report(&state, &query).await?))
}

#[utoipa::path(get, path = "/api/v1/recommendations/{id}", tag = "recommendations", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = app::wire::RecommendationView), (status = 404, body = app::wire::ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<RecommendationView>> {
    Ok(Json(recommendations::get(&state.db, recommendation_id(&id)?).await?))
}

#[utoipa::path(post, path = "/api/v1/recommendations/refresh", tag = "recommendations", responses((status = 200, body = app::wire::RecommendationRun)))]
pub async fn refresh(State(state): State<AppState>) -> Result<Json<RecommendationRun>> {
    Ok(Json(recommendations::run(&state).await?))
}

#[utoipa::path(post, path = "/api/v1/recommendations/{id}/dismiss", tag = "recommendations", params(("id" = uuid::Uuid, Path)), request_body = app::wire::DismissRequest, responses((status = 200, body = app::wire::RecommendationView), (status = 403, body = app::wire::ErrorBody), (status = 409, body = app::wire::ErrorBody)))]
pub async fn dismiss(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: std::result::Result<Json<DismissRequest>, JsonRejection>,
) -> Result<Json<RecommendationView>> {
    let id = recommendation_id(&id)?;
    let request = body(payload)?;
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(recommendations::dismiss(&state.db, id, request, &actor, state.clock.now(), &state.settings.recommendations).await?))
}

/// An optional JSON body: none means the recommendation as proposed.
fn execute_request(payload: &[u8]) -> Result<ExecuteRequest> {
    if payload.iter().all(u8::is_ascii_whitespace) {
        return Ok(ExecuteRequest::default());
    }
    serde_json::from_slice(payload).map_err(|e| AppError::BadRequest(format!("the body is not an execution (alternative, customize, challenger, note): {e}")))
}

#[utoipa::path(post, path = "/api/v1/recommendations/{id}/execute", tag = "recommendations", params(("id" = uuid::Uuid, Path)), request_body(content = Option<app::wire::ExecuteRequest>, description = "Optional: an alternative, a customised action, a challenger's copy, a note"), responses((status = 200, body = app::wire::RecommendationView, description = "Executed, or awaiting a second person's approval"), (status = 403, body = app::wire::ErrorBody), (status = 409, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn execute(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>, payload: axum::body::Bytes) -> Result<Json<RecommendationView>> {
    let id = recommendation_id(&id)?;
    let request = execute_request(&payload)?;
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(recommendations::execute(&state, id, request, &actor).await?))
}

#[utoipa::path(post, path = "/api/v1/recommendations/{id}/approve", tag = "recommendations", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = app::wire::RecommendationView), (status = 403, body = app::wire::ErrorBody), (status = 409, body = app::wire::ErrorBody, description = "Not awaiting approval, or the approver asked for it")))]
pub async fn approve(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Json<RecommendationView>> {
    let id = recommendation_id(&id)?;
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(recommendations::approve(&state, id, &actor).await?))
}

#[utoipa::path(post, path = "/api/v1/recommendations/{id}/schedule", tag = "recommendations", params(("id" = uuid::Uuid, Path)), request_body = app::wire::ScheduleRequest, responses((status = 200, body = app::wire::RecommendationView), (status = 403, body = app::wire::ErrorBody), (status = 409, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    payload: std::result::Result<Json<ScheduleRequest>, JsonRejection>,
) -> Result<Json<RecommendationView>> {
    let id = recommendation_id(&id)?;
    let request = body(payload)?;
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(recommendations::schedule(&state, id, request, &actor).await?))
}
