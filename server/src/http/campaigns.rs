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
use crate::services::consent;
use crate::state::AppState;

/// A JSON body, or a 400 that says what is wrong with it (the field and the expected type).
pub(crate) fn body<T>(payload: std::result::Result<Json<T>, JsonRejection>) -> Result<T> {
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
    Ok(Json(change_campaign(&state, caller, id, body(payload)?).await?))
}

/// Applies a change to a campaign with what the catalogue cannot measure itself (recent figures
/// for a pause, the audience's consent for a submission, approval or launch); the API and the
/// dashboard's server functions both come here.
pub async fn change_campaign(state: &AppState, caller: Caller, id: Uuid, patch: CampaignPatch) -> Result<CampaignView> {
    change_campaign_as(state, &Actor::new(caller, state.audit.clone()), id, patch).await
}

/// The same for any actor (the product itself carrying out a scheduled recommendation).
pub async fn change_campaign_as(state: &AppState, actor: &Actor, id: Uuid, patch: CampaignPatch) -> Result<CampaignView> {
    let now = state.clock.now();
    let figures = super::views::pause_figures(state, id, &patch).await;
    // The audience is measured on the campaign as the change would leave it, so a launch that
    // also changes the targeting is judged on the new targeting.
    let retargets = patch.channels.is_some() || patch.target_segments.is_some() || patch.target_regions.is_some();
    let approving = matches!(
        patch.status,
        Some(analytics::CampaignStatus::PendingApproval | analytics::CampaignStatus::Scheduled | analytics::CampaignStatus::Active)
    );
    let audience = if approving || retargets {
        let mut campaign = catalogue::get(&state.db, id).await?;
        let moves = patch.status.is_some_and(|to| to != campaign.status);
        if let Some(channels) = &patch.channels {
            campaign.channels = channels.clone();
        }
        if let Some(segments) = &patch.target_segments {
            campaign.target_segments = segments.clone();
        }
        if let Some(regions) = &patch.target_regions {
            campaign.target_regions = regions.iter().map(|r| r.trim().to_owned()).collect();
        }
        if moves || retargets { Some(consent::audience(state, &campaign, now).await?) } else { None }
    } else {
        None
    };
    let view = catalogue::patch(&state.db, id, patch, actor, now, catalogue::Measured { figures, audience }).await?;
    state.metrics.after_catalogue_change(&state.db).await?;
    Ok(view)
}

/// How much of the campaign's audience it may reach under the consent rules, and whether that
/// allows a launch.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/consent", tag = "compliance", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = app::wire::AudienceConsent), (status = 404, body = app::wire::ErrorBody)))]
pub async fn audience_consent(State(state): State<AppState>, Path(id): Path<String>) -> Result<Json<app::wire::AudienceConsent>> {
    let id = id.parse::<Uuid>().map_err(|_| AppError::Validation(vec![app::wire::FieldError { field: "id".to_owned(), reason: format!("'{id}' is not a campaign id (a UUID)") }]))?;
    let campaign = catalogue::get(&state.db, id).await?;
    Ok(Json(consent::audience(&state, &campaign, state.clock.now()).await?))
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

/// Whether a user may be reached on the channel (consent, by their region's regime) and, if so,
/// which group (holdout or treatment) they are in, by the pinned hash the simulator and the
/// product share; a sender asks before delivering. A missing `user_id` is a 422 naming it (query
/// pairs, so no extractor answers first with a plain-text 400).
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/assignment", tag = "catalogue", params(("id" = uuid::Uuid, Path), ("user_id" = String, Query, description = "The user to place"), ("channel" = Option<String>, Query, description = "push, email, sms or in_app (default: the campaign's first channel)"), ("region" = Option<String>, Query, description = "The user's region, e.g. EU-DE (default: the one their consent facts name)")), responses((status = 200, body = app::wire::Assignment), (status = 404, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn assignment(State(state): State<AppState>, Path(id): Path<Uuid>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<Assignment>> {
    let value = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let request = catalogue::AssignmentRequest { user_id: value("user_id").unwrap_or_default(), channel: value("channel"), region: value("region") };
    Ok(Json(catalogue::assignment(&state.db, id, request, state.clock.now()).await?))
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
