//! Retention: raw events older than `compliance.raw_event_retention_days` are deleted once a day;
//! the audit and data-access logs are never deleted (kept at least `log_retention_years`, which
//! each run reports against their oldest entry). Every run is recorded in `retention_runs`, the
//! fact the regulatory checks read. Aggregates (hourly volume, quality counters, consent
//! violations) and the consent history are kept: they hold no event-level personal data, and
//! consent records are the proof a regulator asks for.

use app::wire::{RetentionRun, RetentionStatus};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entities::{audit_log, data_access_log, events, retention_runs};
use crate::error::Result;
use crate::state::AppState;

fn wire(row: retention_runs::Model) -> RetentionRun {
    RetentionRun {
        started_at: row.started_at,
        finished_at: row.finished_at,
        events_cutoff: row.events_cutoff,
        events_deleted: row.events_deleted,
        oldest_audit_entry: row.oldest_audit_entry,
        oldest_access_entry: row.oldest_access_entry,
        outcome: row.outcome,
        error: row.error,
    }
}

/// Runs retention now and records the run (a failed run is recorded too, with its error).
pub async fn run(state: &AppState) -> Result<RetentionRun> {
    let started_at = state.clock.now();
    let cutoff = started_at - Duration::days(i64::from(state.settings.compliance.raw_event_retention_days));
    let outcome = enforce(state, cutoff).await;
    let (deleted, audit, access, mut error) = match &outcome {
        Ok((deleted, audit, access)) => (*deleted, *audit, *access, None),
        Err(err) => (0, None, None, Some(err.one_line())),
    };
    if deleted > 0 {
        // The rollup still holds the deleted events: read it again from the log before the run
        // counts as done.
        if let Err(err) = state.metrics.load(&state.db).await {
            error = Some(format!("events deleted, but the metrics could not be reloaded: {}", err.one_line()));
        }
        state.metrics.announce(&state.db).await;
    }
    let row = retention_runs::ActiveModel {
        id: sea_orm::ActiveValue::NotSet,
        started_at: Set(started_at),
        finished_at: Set(state.clock.now()),
        events_cutoff: Set(cutoff),
        events_deleted: Set(deleted as i64),
        oldest_audit_entry: Set(audit),
        oldest_access_entry: Set(access),
        outcome: Set(if error.is_none() { "ok" } else { "failed" }.to_owned()),
        error: Set(error),
    }
    .insert(&state.db)
    .await?;
    tracing::info!(deleted, cutoff = %cutoff, outcome = %row.outcome, "retention run");
    outcome?;
    Ok(wire(row))
}

/// Deletes raw events before `cutoff`; returns how many, and the oldest audit and access entries.
async fn enforce(state: &AppState, cutoff: DateTime<Utc>) -> Result<(u64, Option<DateTime<Utc>>, Option<DateTime<Utc>>)> {
    let deleted = events::Entity::delete_many().filter(events::Column::OccurredAt.lt(cutoff)).exec(&state.db).await?.rows_affected;
    let oldest_audit: Option<DateTime<Utc>> =
        audit_log::Entity::find().select_only().column(audit_log::Column::At).order_by_asc(audit_log::Column::Seq).into_tuple().one(&state.db).await?;
    let oldest_access: Option<DateTime<Utc>> = data_access_log::Entity::find()
        .select_only()
        .column(data_access_log::Column::At)
        .order_by_asc(data_access_log::Column::Seq)
        .into_tuple()
        .one(&state.db)
        .await?;
    Ok((deleted, oldest_audit, oldest_access))
}

/// The latest run, if any.
pub async fn latest(db: &impl sea_orm::ConnectionTrait) -> Result<Option<RetentionRun>> {
    Ok(retention_runs::Entity::find().order_by_desc(retention_runs::Column::Id).one(db).await?.map(wire))
}

/// The policy and the last 30 runs.
pub async fn status(state: &AppState) -> Result<RetentionStatus> {
    let runs = retention_runs::Entity::find().order_by_desc(retention_runs::Column::Id).limit(30).all(&state.db).await?;
    Ok(RetentionStatus {
        raw_event_retention_days: state.settings.compliance.raw_event_retention_days,
        log_retention_years: state.settings.compliance.log_retention_years,
        runs: runs.into_iter().map(wire).collect(),
    })
}
