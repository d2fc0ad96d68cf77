//! `POST /api/v1/events` (batches) and `POST /api/analytics/events` (one event, the spec's
//! runbook shape too), both for API keys with the `events` scope.

use app::access::{Caller, Scope};
use app::wire::IngestResult;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::{Extension, Json};

use crate::error::{AppError, Result};
use crate::ingest::{self, Producer, body};
use crate::state::AppState;

/// The largest request body taken (a full batch of large events fits well within it).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

fn producer(caller: &Caller) -> Result<Producer> {
    match caller {
        Caller::Key(key) => Ok(Producer {
            key_id: Some(key.key_id),
            rules: analytics::events::Rules { allow_backfill: key.scopes.contains(&Scope::Backfill) },
        }),
        // The pipeline only lets keys in; anything else here is a wiring mistake.
        _ => Err(AppError::Unauthenticated),
    }
}

/// The body, or a JSON error: too large (413, naming the limit) or unreadable (400).
fn read_body(bytes: std::result::Result<Bytes, BytesRejection>) -> Result<Bytes> {
    bytes.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge(format!("the body is larger than the {} MiB a request may carry; send fewer events per batch", MAX_BODY_BYTES / 1024 / 1024))
        } else {
            AppError::BadRequest(rejection.body_text())
        }
    })
}

fn is_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-ndjson") || v.starts_with("application/ndjson"))
}

#[utoipa::path(post, path = "/api/v1/events", tag = "ingestion", security(("api_key" = [])), request_body(content = Vec<analytics::events::RawEvent>, description = "Up to 1,000 events: a JSON array, `{\"events\": [...]}`, or NDJSON (`application/x-ndjson`)"), responses((status = 200, body = app::wire::IngestResult, description = "Per-event result; good events are stored even when others are rejected"), (status = 400, body = app::wire::ErrorBody, description = "Not JSON (names the line and column)"), (status = 401, body = app::wire::ErrorBody), (status = 403, body = app::wire::ErrorBody), (status = 413, body = app::wire::ErrorBody), (status = 429, body = app::wire::ErrorBody)))]
pub async fn batch(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    bytes: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResult>> {
    let producer = producer(&caller)?;
    let bytes = read_body(bytes)?;
    let items = body::parse(&bytes, is_ndjson(&headers))?;
    Ok(Json(ingest::ingest(&state, items, producer).await?))
}

/// One event, answered 200 with its result whether accepted or rejected (as track endpoints do).
#[utoipa::path(post, path = "/api/analytics/events", tag = "ingestion", security(("api_key" = [])), request_body(content = analytics::events::RawEvent, description = "One event, in the envelope or flat (the spec's runbook)"), responses((status = 200, body = app::wire::IngestResult)))]
pub async fn single(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    bytes: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<IngestResult>> {
    let producer = producer(&caller)?;
    let bytes = read_body(bytes)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|err| {
        AppError::BadRequest(format!("the body is not valid JSON: {err} (line {}, column {})", err.line(), err.column()))
    })?;
    if !value.is_object() {
        return Err(AppError::BadRequest("expected one event as a JSON object".to_owned()));
    }
    Ok(Json(ingest::ingest(&state, vec![body::envelope_from_flat(value)], producer).await?))
}

/// One visit to a dashboard section, reported by the browser as the person leaves it and stored
/// as `dashboard_accessed`. Sent as a beacon, so the body is read as JSON whatever its content
/// type says.
#[utoipa::path(post, path = "/api/v1/dashboard-visits", tag = "ingestion", request_body = app::wire::DashboardVisit, responses((status = 204, description = "Stored"), (status = 400, body = app::wire::ErrorBody, description = "Not a visit (names the field)"), (status = 401, body = app::wire::ErrorBody), (status = 422, body = app::wire::ErrorBody)))]
pub async fn dashboard_visit(State(state): State<AppState>, Extension(caller): Extension<Caller>, bytes: std::result::Result<Bytes, BytesRejection>) -> Result<axum::http::StatusCode> {
    let bytes = read_body(bytes)?;
    let visit: app::wire::DashboardVisit = serde_json::from_slice(&bytes).map_err(|e| AppError::BadRequest(format!("the body is not a dashboard visit: {e}")))?;
    crate::services::visits::record(&state, &caller, visit).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}
