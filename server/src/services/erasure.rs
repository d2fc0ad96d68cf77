//! GDPR erasure (article 17): one person's raw events, directory entry, consent history and
//! user-level rows are deleted, the derived numbers they fed are corrected, and one audit entry
//! names the request, never the person. Erasure is the one exception to append-only raw events,
//! and it is itself audited.
//!
//! Derived numbers: the hourly event volume loses the person's events (their latest versions),
//! the ingestion quality counters lose each stored row as ingestion counted it, and the
//! in-memory metrics rollup is reloaded from the log. Counts of the person's events that were
//! refused at ingestion stay: they never held anything of theirs.

use analytics::events::Context;
use analytics::quality::{Category, QualityCounts};
use app::access::Capability;
use app::wire::{ErasureRequest, ErasureResult};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};
use uuid::Uuid;

use crate::entities::{consent_history, customers, events};
use crate::error::{AppError, Result};
use crate::services::catalogue::Actor;
use crate::services::{audit, event_volume, quality};
use crate::state::AppState;

/// Erases the person `request` names, for a signed-in person who may, and reloads this server's
/// metrics rollup without them.
pub async fn erase(state: &AppState, request: ErasureRequest, actor: &Actor) -> Result<ErasureResult> {
    actor.require(Capability::ErasePersonalData)?;
    let result = erase_stored(&state.db, &state.audit, request, actor.who(), state.clock.now()).await?;
    // The rollup held the person's facts: read it again from the log without them.
    state.metrics.load(&state.db).await?;
    state.metrics.announce(&state.db).await;
    Ok(result)
}

/// Erases the person from the database, audited as `who` (actor, role). A server running against
/// the same database keeps their facts in its in-memory rollup until it restarts (`erase` reloads
/// its own): erase through the API on a running server.
pub async fn erase_stored(db: &DatabaseConnection, audit_key: &audit::Audit, request: ErasureRequest, who: (String, String), now: DateTime<Utc>) -> Result<ErasureResult> {
    let reference = request.reference.trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 200 || reference.contains('\0') {
        return Err(AppError::invalid("reference", "give the request's reference (1 to 200 characters), e.g. a ticket number"));
    }
    let user_id = match (request.user_id.as_deref().map(str::trim).filter(|u| !u.is_empty()), request.email.as_deref().map(str::trim).filter(|e| !e.is_empty())) {
        (Some(user), None) => user.to_owned(),
        (None, Some(email)) => crate::services::customers::user_for_email(db, email)
            .await?
            .ok_or_else(|| AppError::NotFound("a customer with that email in the directory".to_owned()))?,
        _ => return Err(AppError::invalid("user_id", "give either user_id or email")),
    };
    let email = crate::services::customers::email_of(db, &user_id).await?;
    let holds_person = |text: &str| {
        let text = text.to_lowercase();
        text.contains(&user_id.to_lowercase()) || email.as_deref().is_some_and(|e| text.contains(&e.to_lowercase()))
    };
    if holds_person(&reference) {
        return Err(AppError::invalid("reference", "must not hold the person's id or contact details: the audit log keeps it for years"));
    }

    let request_id = Uuid::new_v4();
    let txn = db.begin().await?;
    let result = async {
        // What ingestion counted for each stored row of the person, to take back out.
        let rows: Vec<(Uuid, i32, String, DateTime<Utc>, DateTime<Utc>, bool, serde_json::Value)> = events::Entity::find()
            .select_only()
            .columns([
                events::Column::EventId,
                events::Column::Version,
                events::Column::EventType,
                events::Column::OccurredAt,
                events::Column::ReceivedAt,
                events::Column::LateArrival,
                events::Column::Context,
            ])
            .filter(events::Column::UserId.eq(user_id.as_str()))
            .into_tuple()
            .all(&txn)
            .await?;
        let mut latest: std::collections::HashMap<Uuid, (i32, String, DateTime<Utc>)> = std::collections::HashMap::new();
        let mut counted: std::collections::BTreeMap<(DateTime<Utc>, Category), QualityCounts> = std::collections::BTreeMap::new();
        for (event_id, version, event_type, occurred_at, received_at, late, context) in &rows {
            let entry = latest.entry(*event_id).or_insert((*version, event_type.clone(), *occurred_at));
            if *version >= entry.0 {
                *entry = (*version, event_type.clone(), *occurred_at);
            }
            let context: Context = serde_json::from_value(context.clone()).unwrap_or_default();
            let c = counted.entry((analytics::series::hour_floor(*received_at), Category::of(event_type))).or_default();
            c.received -= 1;
            c.schema_ok -= 1;
            c.valid -= 1;
            c.stored -= 1;
            c.late -= i64::from(*late);
            c.complete -= i64::from(context.platform.is_some() && context.region.is_some() && context.user_segment.is_some());
        }
        for (_, event_type, occurred_at) in latest.values() {
            event_volume::record(&txn, *occurred_at, event_type, -1).await?;
        }
        for ((hour, category), counts) in &counted {
            quality::record(&txn, *hour, *category, counts).await?;
        }
        let events_deleted = events::Entity::delete_many().filter(events::Column::UserId.eq(user_id.as_str())).exec(&txn).await?.rows_affected;
        let consent_facts_deleted =
            consent_history::Entity::delete_many().filter(consent_history::Column::UserId.eq(user_id.as_str())).exec(&txn).await?.rows_affected;
        let directory_entry_deleted = customers::Entity::delete_by_id(user_id.clone()).exec(&txn).await?.rows_affected > 0;
        // The spec's profile table (no entity: nothing else reads it yet).
        let backend = txn.get_database_backend();
        let sql = match backend {
            sea_orm::DatabaseBackend::Postgres => "DELETE FROM behavioral_profiles WHERE user_id = $1",
            _ => "DELETE FROM behavioral_profiles WHERE user_id = ?",
        };
        txn.execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [user_id.clone().into()])).await?;
        let result = ErasureResult { request_id, events_deleted, consent_facts_deleted, directory_entry_deleted, completed_at: now };
        let entry = audit::Entry {
            actor: who.0.clone(),
            role: who.1.clone(),
            action: "privacy.erasure".to_owned(),
            target: format!("erasure:{request_id}"),
            after: Some(serde_json::json!({
                "events_deleted": result.events_deleted,
                "consent_facts_deleted": result.consent_facts_deleted,
                "directory_entry_deleted": result.directory_entry_deleted,
            })),
            reason: Some(reference.clone()),
            ..Default::default()
        };
        audit::record(&txn, audit_key, entry, now).await?;
        Ok::<_, AppError>(result)
    }
    .await;
    let result = match result {
        Ok(result) => {
            txn.commit().await?;
            result
        }
        Err(err) => {
            let _ = txn.rollback().await;
            return Err(err);
        }
    };
    tracing::info!(request = %request_id, events = result.events_deleted, "erasure completed");
    Ok(result)
}
