//! The audit log over HTTP: `GET /api/v1/audit` (Module 11's table), its CSV export, and
//! `GET /api/v1/audit/verify`, which walks the chain against the key and the checkpoints.

use app::access::Caller;
use app::csv::text_cell;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use crate::error::{AppError, Result};
use crate::services::access_log;
use crate::services::audit::{self, Verification};
use crate::services::audit_query;
use crate::services::catalogue::Actor;
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

/// Every entry the filters allow, oldest first, as CSV (Module 11's "Export audit log"); the
/// export is written to the data-access log.
#[utoipa::path(get, path = "/api/v1/exports/audit.csv", tag = "exports", params(("from" = Option<String>, Query), ("to" = Option<String>, Query), ("actor" = Option<String>, Query), ("action" = Option<String>, Query), ("campaign" = Option<uuid::Uuid>, Query), ("status" = Option<String>, Query), ("q" = Option<String>, Query)), responses((status = 200, content_type = "text/csv", description = "The audit entries with the table's columns and the chain's MACs left out"), (status = 422, body = app::wire::ErrorBody)))]
pub async fn export_csv(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response> {
    let pairs: Vec<(String, String)> = pairs.into_iter().filter(|(k, _)| k != "page" && k != "per_page").collect();
    let query = audit_query::Query::parse(&pairs)?;
    // A byte-order mark tells Excel the file is UTF-8.
    let mut out = Vec::from("\u{feff}".as_bytes());
    let rows = {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer
            .write_record(["seq", "time_utc", "user", "role", "action", "target", "campaign", "target_segments", "consent_check", "consent_ok", "status", "reason"])
            .map_err(|e| AppError::Internal(e.into()))?;
        let rows = audit_query::all(&state.db, &query, |row| {
            let segments: Vec<&str> = row.target_segments.iter().map(|s| s.as_str()).collect();
            writer
                .write_record([
                    row.seq.to_string(),
                    row.at.to_rfc3339(),
                    text_cell(&row.actor),
                    row.actor_role,
                    row.action,
                    text_cell(&row.target),
                    text_cell(row.campaign_name.as_deref().unwrap_or_default()),
                    segments.join(" "),
                    text_cell(row.consent_check.as_deref().unwrap_or_default()),
                    row.consent_ok.map(|ok| ok.to_string()).unwrap_or_default(),
                    row.status.unwrap_or_default(),
                    text_cell(row.reason.as_deref().unwrap_or_default()),
                ])
                .map_err(|e| AppError::Internal(e.into()))
        })
        .await?;
        writer.flush().map_err(|e| AppError::Internal(e.into()))?;
        rows
    };
    let now = state.clock.now();
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    access_log::record_export(&state.db, &state.audit, (&who, &role), "audit_log", &pairs, rows, now).await?;
    let filename = format!("audit-log-{}.csv", now.format("%Y-%m-%d"));
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\""))],
        out,
    )
        .into_response())
}
