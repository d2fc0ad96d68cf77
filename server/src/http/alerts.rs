//! Alerts over HTTP (docs/alerts.md): `GET /api/v1/alerts` and `POST /api/v1/alerts/{id}/acknowledge`
//! (Module 9's list), and the rules anyone signed in may set: `GET`/`POST /api/v1/alert-rules`,
//! `DELETE /api/v1/alert-rules/{id}`.

use app::access::Caller;
use app::wire::{AcknowledgeRequest, AlertList, AlertRuleInput, AlertRuleView, AlertView};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use uuid::Uuid;

use super::campaigns::body;
use crate::error::{AppError, Result};
use crate::services::alerts;
use crate::services::catalogue::Actor;
use crate::state::AppState;

fn id_of(text: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(text).map_err(|_| AppError::invalid("id", format!("must be an {what}'s UUID, got '{}'", text.chars().take(60).collect::<String>())))
}

#[utoipa::path(get, path = "/api/v1/alerts", tag = "alerts", params(("status" = Option<String>, Query, description = "open (default), unacknowledged, cleared or all"), ("source" = Option<String>, Query, description = "threshold, anomaly or recommendation"), ("kind" = Option<String>, Query, description = "e.g. spike, below, compliance_flag"), ("limit" = Option<u32>, Query, description = "1–500 (default 100)")), responses((status = 200, body = app::wire::AlertList), (status = 422, body = app::wire::ErrorBody)))]
pub async fn list(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<AlertList>> {
    Ok(Json(alerts::list(&state.db, &pairs, state.clock.now()).await?))
}

#[utoipa::path(post, path = "/api/v1/alerts/{id}/acknowledge", tag = "alerts", params(("id" = uuid::Uuid, Path)), request_body(content = Option<app::wire::AcknowledgeRequest>, description = "Optional: a note"), responses((status = 200, body = app::wire::AlertView), (status = 404, body = app::wire::ErrorBody), (status = 409, body = app::wire::ErrorBody)))]
pub async fn acknowledge(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>, payload: axum::body::Bytes) -> Result<Json<AlertView>> {
    let id = id_of(&id, "alert")?;
    let request = if payload.iter().all(u8::is_ascii_whitespace) {
        AcknowledgeRequest::default()
    } else {
        serde_json::from_slice(&payload).map_err(|e| AppError::BadRequest(format!("the body is not an acknowledgement ({{\"note\": …}}): {e}")))?
    };
    let actor = Actor::new(caller, state.audit.clone());
    Ok(Json(alerts::acknowledge(&state, id, request, &actor).await?))
}

#[utoipa::path(get, path = "/api/v1/alert-rules", tag = "alerts", responses((status = 200, body = Vec<app::wire::AlertRuleView>)))]
pub async fn rules(State(state): State<AppState>) -> Result<Json<Vec<AlertRuleView>>> {
    Ok(Json(alerts::rules(&state.db).await?))
}

#[utoipa::path(post, path = "/api/v1/alert-rules", tag = "alerts", request_body = app::wire::AlertRuleInput, responses((status = 201, body = app::wire::AlertRuleView), (status = 422, body = app::wire::ErrorBody)))]
pub async fn create_rule(State(state): State<AppState>, Extension(caller): Extension<Caller>, payload: std::result::Result<Json<AlertRuleInput>, JsonRejection>) -> Result<(StatusCode, Json<AlertRuleView>)> {
    let input = body(payload)?;
    let actor = Actor::new(caller, state.audit.clone());
    Ok((StatusCode::CREATED, Json(alerts::create_rule(&state, input, &actor).await?)))
}

#[utoipa::path(delete, path = "/api/v1/alert-rules/{id}", tag = "alerts", params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 403, body = app::wire::ErrorBody), (status = 404, body = app::wire::ErrorBody)))]
pub async fn delete_rule(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<StatusCode> {
    let id = id_of(&id, "alert rule")?;
    let actor = Actor::new(caller.clone(), state.audit.clone());
    alerts::delete_rule(&state, id, &caller, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
