//! `POST /api/v1/admin/clock`: the administrator moves this server's clock forward, so that a
//! test's planned end, a session's expiry or a schedule can be seen without waiting. Mounted only
//! on a server started with `serve --clock-control` (end-to-end tests, demos); every move is in
//! the audit log.

use app::access::Caller;
use app::wire::{ClockAdvance, ClockReading};
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::{Extension, Json};
use chrono::Duration;

use super::campaigns::body;
use crate::error::{AppError, Result};
use crate::services::audit::{self, Entry};
use crate::services::catalogue::Actor;
use crate::state::AppState;

/// The longest single move: a year and a day covers every window and retention rule short of the
/// seven-year logs.
const MAX_ADVANCE_SECONDS: i64 = 366 * 24 * 3600;

#[utoipa::path(post, path = "/api/v1/admin/clock", tag = "admin",
    description = "Only on a server started with `serve --clock-control` (404 otherwise). Moves the server's clock forward; audited as `clock.advance`",
    request_body = ClockAdvance,
    responses((status = 200, body = ClockReading), (status = 400, body = app::wire::ErrorBody)))]
pub async fn advance(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    payload: std::result::Result<Json<ClockAdvance>, JsonRejection>,
) -> Result<Json<ClockReading>> {
    let request = body(payload)?;
    if !(1..=MAX_ADVANCE_SECONDS).contains(&request.advance_seconds) {
        return Err(AppError::BadRequest(format!(
            "advance_seconds must be between 1 and {MAX_ADVANCE_SECONDS} (366 days); the clock only moves forward, got {}",
            request.advance_seconds
        )));
    }
    let before = state.clock.now();
    let after = before + Duration::seconds(request.advance_seconds);
    // Recorded at the new time, before anything else can happen at it.
    let (actor, role) = Actor::new(caller, state.audit.clone()).who();
    let entry = Entry {
        actor,
        role,
        action: "clock.advance".to_owned(),
        target: "clock".to_owned(),
        before: Some(serde_json::json!({ "now": before })),
        after: Some(serde_json::json!({ "now": after, "advanced_seconds": request.advance_seconds })),
        ..Entry::default()
    };
    audit::record_alone(&state.db, &state.audit, entry, after).await?;
    state.clock.advance(Duration::seconds(request.advance_seconds));
    Ok(Json(ClockReading { now: state.clock.now(), ahead_seconds: state.clock.ahead_of_system().num_seconds() }))
}
