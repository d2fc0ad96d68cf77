//! The audit log over HTTP: `GET /api/v1/audit` (Module 11's table) and `GET /api/v1/audit/verify`,
//! which walks the chain against the key and the checkpoints. Its exports are `exports.rs`'s.

use axum::Json;
use axum::extract::{Query, State};

use crate::error::Result;
use crate::services::audit::{self, Verification};
use crate::services::audit_query;
use crate::state::AppState;

/// Whether the audit log is intact; `first_bad` names the first entry that fails and why.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "compliance", responses((status = 200, body = Verification)))]
pub async fn verify(State(state): State<AppState>) -> Result<Json<Verification>> {
    Ok(Json(audit::verify(&state.db, &state.audit).await?))
}

/// The audit log, newest first, a page at a time.
#[utoipa::path(get, path = "/api/v1/audit", tag = "compliance", params(("from" = Option<String>, Query), ("to" = Option<String>, Query), ("actor" = Option<String>, Query), ("action" = Option<String>, Query, description = "An action (`campaign.approve`) or its object (`campaign`)"), ("campaign" = Option<uuid::Uuid>, Query), ("status" = Option<String>, Query, description = "The status the campaign was left in"), ("q" = Option<String>, Query, description = "Free text over actor, action, target and reason"), ("page" = Option<u64>, Query), ("per_page" = Option<u64>, Query)), responses((status = 200, body = app::wire::AuditPage), (status = 422, body = app::wire::ErrorBody)))]
pub async fn list(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<app::wire::AuditPage>> {
    let query = audit_query::Query::parse(&pairs)?;
    Ok(Json(audit_query::page(&state.db, &query).await?))
}
