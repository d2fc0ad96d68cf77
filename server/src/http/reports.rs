//! Reports as PDF: `GET /api/v1/reports/board.pdf`, `…/campaign/{id}.pdf` and
//! `…/compliance.pdf` (the builders are in `crate::reports`). Each report is written to the
//! data-access log and the audit log like an export. `/api/v1/report-schedules` schedules them
//! (`crate::services::report_schedules`).

use app::access::Caller;
use app::wire::{ReportScheduleRequest, ReportScheduleView};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::error::{AppError, Result};
use crate::reports::{board, campaign, compliance, pdf};
use crate::services::{access_log, report_schedules};
use crate::services::catalogue::Actor;
use crate::state::AppState;

/// The PDF as a download named for what and when, logged as an export of `name`.
async fn respond(state: &AppState, caller: Caller, name: &str, file: String, report: pdf::Report, pairs: &[(String, String)]) -> Result<Response> {
    let sections = report.blocks.len() as u64;
    // Laying out and compressing is CPU work: off the async workers.
    let bytes = tokio::task::spawn_blocking(move || pdf::render(&report)).await.map_err(|e| AppError::Internal(e.into()))??;
    let (who, role) = Actor::new(caller, state.audit.clone()).who();
    access_log::record_export(&state.db, &state.audit, (&who, &role), name, pairs, sections, state.clock.now()).await?;
    let disposition = format!("attachment; filename=\"{file}\"");
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/board.pdf",
    tag = "reports",
    params(super::metrics::FilterParams),
    responses(
        (status = 200, description = "The board report for the period (`from`/`to` or `range`, default the last 30 days) and filters", content_type = "application/pdf"),
        (status = 422, body = app::wire::ErrorBody)
    )
)]
pub async fn board(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response> {
    let (report, period) = board::report(&state, &pairs).await?;
    respond(&state, caller, "board-report", format!("board-report_{}.pdf", period.days()), report, &pairs).await
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/campaign/{file}",
    tag = "reports",
    params(("file" = String, Path, description = "The campaign's id and `.pdf`: `…/campaign/6f1c…e2.pdf`"), super::metrics::FilterParams),
    responses(
        (status = 200, description = "The campaign report for the period (default the last 30 days) and filters", content_type = "application/pdf"),
        (status = 404, body = app::wire::ErrorBody),
        (status = 422, body = app::wire::ErrorBody)
    )
)]
pub async fn campaign(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(file): Path<String>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response> {
    // The router cannot match a parameter with a suffix, so the file name is read here.
    let id = file
        .strip_suffix(".pdf")
        .and_then(|id| uuid::Uuid::parse_str(id).ok())
        .ok_or_else(|| AppError::NotFound(format!("no report '{file}': ask for /api/v1/reports/campaign/<campaign id>.pdf")))?;
    let (report, _, name) = campaign::report(&state, id, &pairs).await?;
    respond(&state, caller, &format!("campaign-report:{id}"), name, report, &pairs).await
}

#[utoipa::path(
    get,
    path = "/api/v1/reports/compliance.pdf",
    tag = "reports",
    params(("range" = Option<String>, Query), ("from" = Option<String>, Query), ("to" = Option<String>, Query)),
    responses(
        (status = 200, description = "The compliance report for the period (default the last 30 days)", content_type = "application/pdf"),
        (status = 422, body = app::wire::ErrorBody)
    )
)]
pub async fn compliance(State(state): State<AppState>, Extension(caller): Extension<Caller>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Response> {
    let (report, period) = compliance::report(&state, &pairs).await?;
    respond(&state, caller, "compliance-report", format!("compliance-report_{}.pdf", period.days()), report, &pairs).await
}

fn schedule_id(text: &str) -> Result<uuid::Uuid> {
    uuid::Uuid::parse_str(text).map_err(|_| AppError::invalid("id", format!("must be a report schedule's UUID, got '{}'", text.chars().take(60).collect::<String>())))
}

/// The caller's report schedules (an administrator's: everyone's), soonest first.
#[utoipa::path(get, path = "/api/v1/report-schedules", tag = "reports", responses((status = 200, body = Vec<ReportScheduleView>)))]
pub async fn schedules(State(state): State<AppState>, Extension(caller): Extension<Caller>) -> Result<Json<Vec<ReportScheduleView>>> {
    Ok(Json(report_schedules::list(&state, caller).await?))
}

/// Schedules a report by e-mail or webhook; the caller's role must be allowed the report.
#[utoipa::path(post, path = "/api/v1/report-schedules", tag = "reports", request_body = ReportScheduleRequest, responses((status = 200, body = ReportScheduleView), (status = 403, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn create_schedule(State(state): State<AppState>, Extension(caller): Extension<Caller>, body: std::result::Result<Json<ReportScheduleRequest>, JsonRejection>) -> Result<Json<ReportScheduleView>> {
    let Json(request) = body.map_err(|e| AppError::BadRequest(format!("the body is not a report schedule: {}", e.body_text())))?;
    Ok(Json(report_schedules::create(&state, caller, request).await?))
}

/// One of the caller's schedules with its latest deliveries and their outcomes.
#[utoipa::path(get, path = "/api/v1/report-schedules/{id}", tag = "reports", params(("id" = uuid::Uuid, Path)), responses((status = 200, body = ReportScheduleView), (status = 404, body = app::wire::ErrorBody)))]
pub async fn schedule(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<Json<ReportScheduleView>> {
    Ok(Json(report_schedules::get(&state, caller, schedule_id(&id)?).await?))
}

#[utoipa::path(delete, path = "/api/v1/report-schedules/{id}", tag = "reports", params(("id" = uuid::Uuid, Path)), responses((status = 204), (status = 404, body = app::wire::ErrorBody)))]
pub async fn delete_schedule(State(state): State<AppState>, Extension(caller): Extension<Caller>, Path(id): Path<String>) -> Result<axum::http::StatusCode> {
    report_schedules::delete(&state, caller, schedule_id(&id)?).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
