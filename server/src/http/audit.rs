//! `GET /api/v1/audit/verify`: walks the audit chain against the key and the checkpoints.

use axum::Json;
use axum::extract::State;

use crate::error::Result;
use crate::services::audit::{self, Verification};
use crate::state::AppState;

/// Whether the audit log is intact; `first_bad` names the first entry that fails and why.
#[utoipa::path(get, path = "/api/v1/audit/verify", tag = "compliance", responses((status = 200, body = Verification)))]
pub async fn verify(State(state): State<AppState>) -> Result<Json<Verification>> {
    Ok(Json(audit::verify(&state.db, &state.audit).await?))
}
