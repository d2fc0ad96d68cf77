//! The campaign catalogue and the spend ledger over HTTP: `POST /api/v1/campaigns`,
//! `GET|PATCH /api/v1/campaigns/{id}`, `GET /api/v1/campaigns/{id}/assignment`,
//! `PATCH /api/v1/creatives/{id}`, `POST /api/v1/reallocations`, `POST /api/v1/spend`. People with the capability and
//! API keys with the `catalogue` scope may use them; each change is checked again in the service.

use app::access::Caller;
use app::wire::{Assignment, CampaignPatch, CampaignView, CreativePatch, NewCampaignRequest, ReallocationRequest, ReallocationResult, SpendRequest, SpendResult};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::services::catalogue::{self, Actor};
use crate::state::AppState;

/// A JSON body, or a 400 that says what is wrong with it (the field and the expected type).
fn body<T>(payload: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
    payload.map(|Json(value)| value).map_err(|rejection| AppError::BadRequest(rejection.body_text()))
}

#[utoipa::path(post, path = "/api/v1/campaigns", tag = "catalogue", request_body = app::wire::NewCampaignRequest, responses((status = 201, body = app::wire::CampaignView), (status = 422, body = app::wire::ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: std::result::Result<Json<NewCampaignRequest>, JsonRejection>,
) -> Result<(StatusCode, Json<CampaignView>)> {
    let request = body(payload)?;
    let view = catalogue::create(&state.db, request, &Actor::new(caller, state.audit.clone()), state.clock.now()).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/api/v1/campaigns/{id}", tag = "catalogue", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = app::wire::CampaignView), (status = 404, body = app::wire::ErrorBody)))]
pub async fn get(State(state): State<AppState>, Path(id): Path<Uuid>) -> Result<Json<CampaignView>> {
    Ok(Json(catalogue::get(&state.db, id).await?))
}

#[utoipa::path(patch, path = "/api/v1/campaigns/{id}", tag = "catalogue", params(("id" = uuid::Uuid, Path)), request_body = app::wire::CampaignPatch, responses((status = 200, body = app::wire::CampaignView), (status = 409, body = app::wire::ErrorBody, description = "An illegal status transition")))]
pub async fn patch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<Uuid>,
    payload: std::result::Result<Json<CampaignPatch>, JsonRejection>,
) -> Result<Json<CampaignView>> {
    let patch = body(payload)?;
    let figures = super::views::pause_figures(&state, id, &patch).await;
    let view = catalogue::patch(&state.db, id, patch, &Actor::new(caller, state.audit.clone()), state.clock.now(), figures).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(Json(view))
}

/// Pauses or resumes one creative, or sets its weight (Boost); answers with its campaign.
#[utoipa::path(patch, path = "/api/v1/creatives/{id}", tag = "catalogue", params(("id" = uuid::Uuid, Path)), request_body = app::wire::CreativePatch, responses((status = 200, body = app::wire::CampaignView), (status = 404, body = app::wire::ErrorBody)))]
pub async fn patch_creative(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<Uuid>,
    payload: std::result::Result<Json<CreativePatch>, JsonRejection>,
) -> Result<Json<CampaignView>> {
    let patch = body(payload)?;
    let view = catalogue::change_creative(&state.db, id, patch, &Actor::new(caller, state.audit.clone()), state.clock.now()).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(Json(view))
}

#[utoipa::path(post, path = "/api/v1/spend", tag = "catalogue", request_body = app::wire::SpendRequest, responses((status = 200, body = app::wire::SpendResult), (status = 422, body = app::wire::ErrorBody)))]
pub async fn spend(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: std::result::Result<Json<SpendRequest>, JsonRejection>,
) -> Result<Json<SpendResult>> {
    let request = body(payload)?;
    let result = catalogue::record_spend(&state.db, request, &Actor::new(caller, state.audit.clone()), state.clock.now()).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(Json(result))
}

/// Which group (holdout or treatment) a user is in for a campaign, by the pinned hash the
/// simulator and the product share; a sender asks before delivering. A missing `user_id` is a 422
/// naming it (query pairs, so no extractor answers first with a plain-text 400).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/assignment", tag = "catalogue", params(("id" = uuid::Uuid, Path), ("user_id" = String, Query, description = "The user to place")), responses((status = 200, body = app::wire::Assignment), (status = 404, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn assignment(State(state): State<AppState>, Path(id): Path<Uuid>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Assignment>> {
    let user_id = pairs.iter().find(|(k, _)| k == "user_id").map_or("", |(_, v)| v.as_str());
    Ok(Json(catalogue::assignment(&state.db, id, user_id).await?))
}

/// Moves budget between two campaigns at once and logs `budget_reallocated`.
#[utoipa::path(post, path = "/api/v1/reallocations", tag = "catalogue", request_body = app::wire::ReallocationRequest, responses((status = 200, body = app::wire::ReallocationResult), (status = 422, body = app::wire::ErrorBody)))]
pub async fn reallocate(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: std::result::Result<Json<ReallocationRequest>, JsonRejection>,
) -> Result<Json<ReallocationResult>> {
    let request = body(payload)?;
    let result = catalogue::reallocate(&state.db, request, &Actor::new(caller, state.audit.clone()), state.clock.now()).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(Json(result))
}
