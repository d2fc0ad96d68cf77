//! Emits the spec's `data_refresh_completed` event (PART 5, event 16, and "Quality Metrics")
//! into the event log: at most once a minute of the [`Clock`](crate::clock::Clock), and only
//! when events were stored since the previous one. Its `data_quality_metrics` are the seven
//! metrics of `GET /api/v1/quality` (overall, last 24 hours), so the log keeps a history of them.
//!
//! The job keeps no state of its own: the previous emission is read from the log each time, so
//! a restart (or a second server on the same database) continues where the last one left off.

use std::time::Instant;

use analytics::events::{DataRefreshCompleted, Event, Payload};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::events;
use crate::error::Result;
use crate::state::AppState;

/// The least time between two emissions.
pub const EVERY: Duration = Duration::minutes(1);
/// How often (real time) the job looks at the clock; the clock decides whether one is due.
const POLL: std::time::Duration = std::time::Duration::from_secs(1);
/// The quality report's window, the same as `GET /api/v1/quality`'s default.
pub const WINDOW_HOURS: u32 = 24;
const EVENT_TYPE: &str = "data_refresh_completed";

pub async fn run(state: AppState) {
    // Without an earlier emission in the log, the first one is due a minute after start.
    let started_at = state.clock.now();
    let mut ticker = tokio::time::interval(POLL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let job = state.jobs.register("data_refresh", "emits data_refresh_completed with the quality metrics when events arrived", POLL.as_secs());
    loop {
        ticker.tick().await;
        let mut turn = job.turn(&state.clock);
        if let Err(err) = tick(&state, started_at).await {
            tracing::warn!(error = %err.one_line(), "data_refresh_completed not emitted");
            turn.fail(err.one_line());
        }
    }
}

/// Emits the event when one is due; returns it when it did.
pub async fn tick(state: &AppState, started_at: DateTime<Utc>) -> Result<Option<Event>> {
    let now = state.clock.now();
    let previous: Option<(i64, DateTime<Utc>)> = events::Entity::find()
        .select_only()
        .column(events::Column::Seq)
        .column(events::Column::OccurredAt)
        .filter(events::Column::EventType.eq(EVENT_TYPE))
        .order_by_desc(events::Column::OccurredAt)
        .order_by_desc(events::Column::Seq)
        .into_tuple()
        .one(&state.db)
        .await?;
    let last_at = previous.map_or(started_at, |(_, at)| at);
    if now - last_at < EVERY {
        return Ok(None);
    }
    let since_seq = previous.map_or(0, |(seq, _)| seq);
    let records_processed = events::Entity::find()
        .filter(events::Column::Seq.gt(since_seq))
        .filter(events::Column::EventType.ne(EVENT_TYPE))
        .count(&state.db)
        .await?;
    if records_processed == 0 {
        return Ok(None);
    }

    let computing = Instant::now();
    let report = crate::services::quality::report(&state.db, now, WINDOW_HOURS).await?;
    let overall = &report.overall;
    let metrics = serde_json::json!({
        "ingestion_rate_percent": overall.ingestion_rate_percent,
        "validation_pass_rate_percent": overall.validation_pass_rate_percent,
        "duplicate_rate_percent": overall.duplicate_rate_percent,
        "late_arrival_rate_percent": overall.late_arrival_rate_percent,
        "data_freshness_minutes": overall.data_freshness_minutes,
        "completeness_percent": overall.completeness_percent,
        "schema_compliance_percent": overall.schema_compliance_percent,
        "alerts": overall.alerts,
        "window_hours": WINDOW_HOURS,
    });
    let errors = (report.counts.received - report.counts.valid).max(0);
    let messages: Vec<&str> = overall.alerts.iter().map(|a| a.message.as_str()).collect();
    let event = crate::ingest::system_event(
        now,
        Payload::DataRefreshCompleted(DataRefreshCompleted {
            refresh_id: Uuid::new_v4(),
            data_source: "event_log".to_owned(),
            records_processed: records_processed as i64,
            refresh_duration_seconds: computing.elapsed().as_secs_f64(),
            data_lag_seconds: overall.data_freshness_minutes.map(|m| (m * 60.0).round() as i64),
            errors_encountered: Some(errors),
            error_messages: (!messages.is_empty()).then(|| serde_json::json!(messages)),
            data_quality_metrics: Some(metrics),
        }),
    );
    crate::ingest::append(&state.db, &event, now).await?;
    tracing::debug!(records_processed, "data_refresh_completed emitted");
    Ok(Some(event))
}
