//! Ingestion: validate a batch, check it against the catalogue, deduplicate, and store it with
//! its rollups in one transaction. Nothing is acknowledged before that transaction commits.
//!
//! Deduplication (spec PART 5): the same `event_id` with the same content is a retry, counted as
//! a duplicate; different content within 5 minutes of the first arrival is a correction, stored as
//! the next version (the latest version wins, earlier ones are kept); later it is a conflict.

pub mod body;
pub mod import;

use std::collections::{HashMap, HashSet};

use analytics::events::{Event, RawEvent, Rules, validate};
use analytics::quality::{Category, QualityCounts};
use analytics::series::hour_floor;
use app::wire::{IngestResult, Rejection};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::entities::{campaigns, creatives, events};
use crate::error::{AppError, Result};
use crate::services::metrics::{Applied, Superseded};
use crate::services::{event_volume, quality};
use crate::state::AppState;

/// The most events one request may carry.
pub const MAX_BATCH: usize = 1_000;
/// How long after its first arrival an event may still be corrected.
pub const CORRECTION_WINDOW: Duration = Duration::minutes(5);
/// SQLite allows at most 32,766 bound parameters; stay well below in `IN (…)` lookups.
const LOOKUP_CHUNK: usize = 500;

/// Who sent the batch and under which rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Producer {
    pub key_id: Option<Uuid>,
    pub rules: Rules,
}

/// What is known of an event already stored.
#[derive(Debug, Clone)]
struct Stored {
    version: i32,
    content_hash: String,
    first_received_at: DateTime<Utc>,
    event_type: String,
    occurred_at: DateTime<Utc>,
    user_id: String,
}

/// Validates and stores a batch; good events are stored even when others are rejected.
pub async fn ingest(state: &AppState, items: Vec<Value>, producer: Producer) -> Result<IngestResult> {
    let now = state.clock.now();
    let mut result = IngestResult::default();
    let mut valid: Vec<(usize, Event, String)> = Vec::with_capacity(items.len());
    // Quality counters of what arrived, by category; storing adds what became of it.
    let mut arrived: HashMap<Category, QualityCounts> = HashMap::new();
    for (index, item) in items.into_iter().enumerate() {
        let id_hint = item.get("event_id").and_then(Value::as_str).map(str::to_owned);
        let category = Category::of(item.get("event_type").and_then(Value::as_str).unwrap_or_default());
        let counts = arrived.entry(category).or_default();
        counts.received += 1;
        let raw: RawEvent = match serde_path_to_error::deserialize(item) {
            Ok(raw) => raw,
            Err(err) => {
                let field = err.path().to_string();
                let field = if field == "." { "event".to_owned() } else { field };
                result.rejected.push(Rejection { index, event_id: id_hint, field, reason: err.into_inner().to_string() });
                continue;
            }
        };
        match validate(raw, now, producer.rules) {
            Ok(event) => {
                counts.schema_ok += 1;
                let hash = content_hash(&event);
                valid.push((index, event, hash));
            }
            Err(issues) => {
                if issues.iter().all(|i| !i.schema) {
                    counts.schema_ok += 1;
                }
                result.rejected.extend(
                    issues.into_iter().map(|i| Rejection { index, event_id: id_hint.clone(), field: i.field, reason: i.reason }),
                );
            }
        }
    }
    if valid.is_empty() {
        for (category, counts) in &arrived {
            quality::record(&state.db, now, *category, counts).await?;
        }
        return Ok(result);
    }

    // A concurrent batch may store the same new event between our read and our write; the
    // unique (event_id, version) index catches it, and the batch is simply decided again.
    for attempt in 1..=3 {
        match store(state, &valid, &arrived, producer, now).await {
            Ok(outcome) => {
                // The events are committed: a failure to refresh the in-memory rollup must not
                // turn the acknowledgement into an error (a restart reloads it from the log).
                if let Err(err) = state.metrics.apply(&state.db, &outcome.applied, now).await {
                    tracing::error!(error = %err.one_line(), "the metrics rollup could not apply a committed batch");
                }
                result.accepted += outcome.accepted;
                result.duplicates += outcome.duplicates;
                result.corrections += outcome.corrections;
                result.rejected.extend(outcome.rejected);
                result.rejected.sort_by_key(|r| r.index);
                return Ok(result);
            }
            Err(AppError::Database(err)) if attempt < 3 && matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                tracing::debug!("concurrent insert of the same event; deciding the batch again");
            }
            Err(err) => return Err(err),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// SHA-256 of the event's content (everything but the arrival), as canonical JSON.
fn content_hash(event: &Event) -> String {
    let canonical = serde_json::json!({
        "event_type": event.event_type(),
        "timestamp": event.occurred_at,
        "user_id": event.user_id,
        "session_id": event.session_id,
        "source": event.source,
        "context": event.context,
        "properties": event.payload,
    });
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

struct Outcome {
    accepted: usize,
    duplicates: usize,
    corrections: usize,
    rejected: Vec<Rejection>,
    /// What the metrics rollup applies once the transaction has committed.
    applied: Vec<Applied>,
}

async fn store(
    state: &AppState,
    valid: &[(usize, Event, String)],
    arrived: &HashMap<Category, QualityCounts>,
    producer: Producer,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let txn = state.db.begin().await?;
    // A failed batch gives up its transaction (and SQLite's write lock) at once.
    match store_in(&txn, valid, arrived, producer, now).await {
        Ok(outcome) => {
            txn.commit().await?;
            Ok(outcome)
        }
        Err(err) => {
            let _ = txn.rollback().await;
            Err(err)
        }
    }
}

async fn store_in(
    txn: &sea_orm::DatabaseTransaction,
    valid: &[(usize, Event, String)],
    arrived: &HashMap<Category, QualityCounts>,
    producer: Producer,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let mut outcome = Outcome { accepted: 0, duplicates: 0, corrections: 0, rejected: Vec::new(), applied: Vec::new() };
    let mut counts = arrived.clone();

    // Events must name campaigns and creatives the catalogue knows.
    let campaign_ids: Vec<Uuid> = valid.iter().filter_map(|(_, e, _)| e.campaign_id()).collect::<HashSet<_>>().into_iter().collect();
    let creative_ids: Vec<Uuid> = valid.iter().filter_map(|(_, e, _)| e.creative_id()).collect::<HashSet<_>>().into_iter().collect();
    let mut known_campaigns = HashSet::new();
    for chunk in campaign_ids.chunks(LOOKUP_CHUNK) {
        let ids: Vec<Uuid> =
            campaigns::Entity::find().select_only().column(campaigns::Column::Id).filter(campaigns::Column::Id.is_in(chunk.to_vec())).into_tuple().all(txn).await?;
        known_campaigns.extend(ids);
    }
    let mut creative_owner: HashMap<Uuid, Uuid> = HashMap::new();
    for chunk in creative_ids.chunks(LOOKUP_CHUNK) {
        let rows: Vec<(Uuid, Uuid)> = creatives::Entity::find()
            .select_only()
            .column(creatives::Column::Id)
            .column(creatives::Column::CampaignId)
            .filter(creatives::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(txn)
            .await?;
        creative_owner.extend(rows);
    }

    // What is already stored under these event ids (latest version, first arrival).
    let event_ids: Vec<Uuid> = valid.iter().map(|(_, e, _)| e.event_id).collect::<HashSet<_>>().into_iter().collect();
    let mut stored: HashMap<Uuid, Stored> = HashMap::new();
    for chunk in event_ids.chunks(LOOKUP_CHUNK) {
        let rows = events::Entity::find().filter(events::Column::EventId.is_in(chunk.to_vec())).all(txn).await?;
        for row in rows {
            let entry = stored.entry(row.event_id).or_insert_with(|| Stored {
                version: row.version,
                content_hash: row.content_hash.clone(),
                first_received_at: row.received_at,
                event_type: row.event_type.clone(),
                occurred_at: row.occurred_at,
                user_id: row.user_id.clone(),
            });
            entry.first_received_at = entry.first_received_at.min(row.received_at);
            if row.version >= entry.version {
                entry.version = row.version;
                entry.content_hash = row.content_hash;
                entry.event_type = row.event_type;
                entry.occurred_at = row.occurred_at;
                entry.user_id = row.user_id;
            }
        }
    }

    let mut rows: Vec<events::ActiveModel> = Vec::new();
    let mut volume: HashMap<(DateTime<Utc>, String), i64> = HashMap::new();
    for (index, event, hash) in valid {
        let reject = |field: &str, reason: String| Rejection {
            index: *index,
            event_id: Some(event.event_id.to_string()),
            field: field.to_owned(),
            reason,
        };
        if let Some(campaign) = event.campaign_id() {
            if !known_campaigns.contains(&campaign) {
                outcome.rejected.push(reject("properties.campaign_id", format!("unknown campaign {campaign}: add it to the catalogue first")));
                continue;
            }
            if let Some(creative) = event.creative_id() {
                match creative_owner.get(&creative) {
                    None => {
                        outcome.rejected.push(reject("properties.creative_id", format!("unknown creative {creative}")));
                        continue;
                    }
                    Some(owner) if *owner != campaign => {
                        outcome.rejected.push(reject("properties.creative_id", format!("creative {creative} belongs to another campaign")));
                        continue;
                    }
                    Some(_) => {}
                }
            }
        }
        let replaces = stored.get(&event.event_id).map(|s| Superseded { user_id: s.user_id.clone(), occurred_at: s.occurred_at });
        let version = match stored.get(&event.event_id) {
            None => 1,
            Some(previous) if previous.content_hash == *hash => {
                outcome.duplicates += 1;
                let c = counts.entry(Category::of(event.event_type())).or_default();
                c.valid += 1;
                c.duplicates += 1;
                continue;
            }
            Some(previous) if now - previous.first_received_at <= CORRECTION_WINDOW => {
                // The latest version wins: move the old version's count to the new one.
                *volume.entry((hour_floor(previous.occurred_at), previous.event_type.clone())).or_default() -= 1;
                outcome.corrections += 1;
                previous.version + 1
            }
            Some(_) => {
                outcome.rejected.push(reject(
                    "event_id",
                    "conflicts with an event stored more than 5 minutes ago with different content".to_owned(),
                ));
                continue;
            }
        };
        *volume.entry((hour_floor(event.occurred_at), event.event_type().to_owned())).or_default() += 1;
        let first_received_at = stored.get(&event.event_id).map_or(now, |s| s.first_received_at);
        stored.insert(
            event.event_id,
            Stored {
                version,
                content_hash: hash.clone(),
                first_received_at,
                event_type: event.event_type().to_owned(),
                occurred_at: event.occurred_at,
                user_id: event.user_id.clone(),
            },
        );
        rows.push(event_row(event, hash, version, now, producer.key_id)?);
        outcome.applied.push(Applied { seq: 0, event: event.clone(), replaces: if version > 1 { replaces } else { None } });
        outcome.accepted += 1;
        let c = counts.entry(Category::of(event.event_type())).or_default();
        c.valid += 1;
        c.stored += 1;
        c.late += i64::from(event.late_arrival);
        let context = &event.context;
        c.complete += i64::from(context.platform.is_some() && context.region.is_some() && context.user_segment.is_some());
    }

    // Insert in slices that keep every statement under SQLite's parameter limit, noting each
    // row's `seq` so the metrics rollup knows which log positions it has applied.
    let mut seqs: Vec<i64> = Vec::with_capacity(rows.len());
    let mut pending = rows.into_iter().peekable();
    while pending.peek().is_some() {
        let slice: Vec<events::ActiveModel> = pending.by_ref().take(LOOKUP_CHUNK / 2).collect();
        let n = slice.len() as i64;
        match txn.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => seqs.extend(events::Entity::insert_many(slice).exec_with_returning_keys(txn).await?),
            // One writer at a time: a statement's rowids are consecutive, ending at the last one.
            _ => {
                let last = events::Entity::insert_many(slice).exec(txn).await?.last_insert_id;
                let last = last.ok_or_else(|| AppError::Internal(anyhow::anyhow!("the database did not say where the events were stored")))?;
                seqs.extend(last - n + 1..=last);
            }
        }
    }
    for (applied, seq) in outcome.applied.iter_mut().zip(seqs) {
        applied.seq = seq;
    }
    for ((hour, event_type), delta) in volume {
        if delta != 0 {
            event_volume::record(txn, hour, &event_type, delta).await?;
        }
    }
    for (category, counts) in &counts {
        quality::record(txn, now, *category, counts).await?;
    }
    Ok(outcome)
}

/// The stored row of one version of an event.
fn event_row(event: &Event, hash: &str, version: i32, now: DateTime<Utc>, key_id: Option<Uuid>) -> Result<events::ActiveModel> {
    Ok(events::ActiveModel {
        seq: sea_orm::ActiveValue::NotSet,
        event_id: Set(event.event_id),
        version: Set(version),
        content_hash: Set(hash.to_owned()),
        event_type: Set(event.event_type().to_owned()),
        occurred_at: Set(event.occurred_at),
        received_at: Set(now),
        user_id: Set(event.user_id.clone()),
        session_id: Set(event.session_id.clone()),
        source: Set(event.source.as_str().to_owned()),
        campaign_id: Set(event.campaign_id()),
        creative_id: Set(event.creative_id()),
        properties: Set(serde_json::to_value(&event.payload).map_err(|e| AppError::Internal(e.into()))?),
        context: Set(serde_json::to_value(&event.context).map_err(|e| AppError::Internal(e.into()))?),
        late_arrival: Set(event.late_arrival),
        backfilled: Set(event.backfilled),
        ingestion_lag_seconds: Set((now - event.occurred_at).num_seconds().max(0)),
        key_id: Set(key_id),
    })
}

/// Appends an event the product itself produced (a marketer action in the catalogue), inside
/// the caller's transaction, with its rollup.
pub async fn append(db: &impl ConnectionTrait, event: &Event, now: DateTime<Utc>) -> Result<()> {
    events::Entity::insert(event_row(event, &content_hash(event), 1, now, None)?).exec(db).await?;
    event_volume::record(db, event.occurred_at, event.event_type(), 1).await
}

/// Runs a statement count check the tests use: how many versions are stored for an event.
pub async fn versions_of(db: &impl ConnectionTrait, event_id: Uuid) -> Result<Vec<events::Model>> {
    use sea_orm::QueryOrder;
    Ok(events::Entity::find().filter(events::Column::EventId.eq(event_id)).order_by_asc(events::Column::Version).all(db).await?)
}
