//! `dashboard_accessed` (the spec's event 14): the browser reports each visit to a dashboard
//! section when the person leaves it (app/src/visits.rs); the server adds who and which role and
//! stores it in the event log as a marketer event (docs/events.md).

use analytics::EventSource;
use analytics::events::{Context, DashboardAccessed, Event, Payload, PersonaRole};
use app::access::{Caller, Role};
use app::wire::DashboardVisit;
use chrono::Duration;
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::state::AppState;

/// The longest visit taken: a tab left open over a weekend is not a day of reading.
const MAX_SECONDS: i64 = 86_400;
const MAX_FILTERS: usize = 30;
const MAX_FILTER_CHARS: usize = 200;

fn persona(role: Role) -> PersonaRole {
    match role {
        Role::Cmo => PersonaRole::Cmo,
        Role::PerfLead => PersonaRole::PerfLead,
        Role::LifecycleLead => PersonaRole::LifecycleLead,
        Role::RewardsPm => PersonaRole::RewardsPm,
        Role::DataScience => PersonaRole::DataScience,
        Role::Compliance => PersonaRole::Compliance,
        Role::Admin => PersonaRole::Admin,
    }
}

/// Stores one visit of the signed-in person; it began `time_spent_seconds` before now.
pub async fn record(state: &AppState, caller: &Caller, visit: DashboardVisit) -> Result<Event> {
    let person = caller.principal().ok_or(AppError::Unauthenticated)?;
    if !(0..=MAX_SECONDS).contains(&visit.time_spent_seconds) {
        return Err(AppError::invalid("time_spent_seconds", format!("must be from 0 to {MAX_SECONDS} seconds, not {}", visit.time_spent_seconds)));
    }
    if visit.filters.len() > MAX_FILTERS {
        return Err(AppError::invalid("filters", format!("at most {MAX_FILTERS} filters, not {}", visit.filters.len())));
    }
    if let Some((key, _)) = visit.filters.iter().find(|(k, v)| k.chars().count() > MAX_FILTER_CHARS || v.chars().count() > MAX_FILTER_CHARS) {
        return Err(AppError::invalid("filters", format!("\"{}\" is longer than {MAX_FILTER_CHARS} characters", key.chars().take(40).collect::<String>())));
    }
    let now = state.clock.now();
    let event = Event {
        event_id: Uuid::new_v4(),
        occurred_at: now - Duration::seconds(visit.time_spent_seconds),
        user_id: person.account_id.to_string(),
        session_id: None,
        source: EventSource::AdminPortal,
        context: Context::default(),
        payload: Payload::DashboardAccessed(DashboardAccessed {
            user_role: persona(person.role),
            dashboard_section: visit.section,
            time_spent_seconds: Some(visit.time_spent_seconds),
            filters_applied: Some(serde_json::to_value(&visit.filters).unwrap_or_default()),
            export_requested: Some(visit.export_requested),
        }),
        late_arrival: false,
        backfilled: false,
    };
    crate::ingest::append(&state.db, &event, now).await?;
    Ok(event)
}
