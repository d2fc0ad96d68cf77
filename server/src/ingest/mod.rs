//! Ingestion: validate a batch, check it against the catalogue, deduplicate, and store it with
//! its rollups in one transaction. Nothing is acknowledged before that transaction commits.
//!
//! Deduplication (spec PART 5): the same `event_id` with the same content is a retry, counted as
//! a duplicate; different content within 5 minutes of the first arrival is a correction, stored as
//! the next version (the latest version wins, earlier ones are kept); later it is a conflict.

pub mod body;
pub mod import;

use std::collections::{BTreeMap, HashMap, HashSet};

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
use crate::services::{consent, event_volume, quality};
use crate::state::AppState;

/// The most events one request may carry.
pub const MAX_BATCH: usize = 1_000;
/// How long after its first arrival an event may still be corrected.
pub const CORRECTION_WINDOW: Duration = Duration::minutes(5);
/// SQLite allows at most 32,766 bound parameters; stay well below in `IN (…)` lookups.
pub(crate) const LOOKUP_CHUNK: usize = 500;

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
    /// The content hashes of every version: a retry of any of them is a duplicate.
    hashes: HashSet<String>,
    first_received_at: DateTime<Utc>,
    event_type: String,
    occurred_at: DateTime<Utc>,
    user_id: String,
}

/// Validates and stores a batch; good events are stored even when others are rejected.
pub async fn ingest(state: &AppState, items: Vec<Value>, producer: Producer) -> Result<IngestResult> {
    let now = state.clock.now();
    let mut result = IngestResult::default();
    let mut valid: Vec<Valid> = Vec::with_capacity(items.len());
    // Quality counters of what arrived, by category; storing adds what became of it.
    // Ordered maps: rollup rows are updated in one order in every batch, so concurrent batches
    // take their row locks in the same order and never deadlock.
    let mut arrived: BTreeMap<Category, QualityCounts> = BTreeMap::new();
    for (index, item) in items.into_iter().enumerate() {
        let id_hint = item.get("event_id").and_then(Value::as_str).map(str::to_owned);
        let category = Category::of(item.get("event_type").and_then(Value::as_str).unwrap_or_default());
        let counts = arrived.entry(category).or_default();
        counts.received += 1;
        // PostgreSQL cannot store a NUL character in text or JSON; refuse the event, not the batch.
        if let Some(field) = nul_path(&item, String::new()) {
            result.rejected.push(Rejection { index, event_id: id_hint, field, reason: "contains a NUL character (\\u0000), which cannot be stored".to_owned() });
            continue;
        }
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
                valid.push(Valid::new(index, event)?);
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
                // The stored events move to the rollup (no copies: the batch is done with them).
                let mut events: Vec<Option<Event>> = valid.into_iter().map(|v| Some(v.event)).collect();
                let applied: Vec<Applied> = outcome
                    .applied
                    .into_iter()
                    .map(|(k, seq, replaces)| Applied { seq, event: events[k].take().expect("each event is stored once"), replaces })
                    .collect();
                if let Err(err) = state.metrics.apply(&state.db, &applied, now).await {
                    tracing::error!(error = %err.one_line(), "the metrics rollup could not apply a committed batch");
                }
                result.accepted += outcome.accepted;
                result.duplicates += outcome.duplicates;
                result.corrections += outcome.corrections;
                result.rejected.extend(outcome.rejected);
                result.rejected.sort_by_key(|r| r.index);
                result.corrected.extend(outcome.corrected);
                result.corrected.sort_by_key(|r| r.index);
                return Ok(result);
            }
            Err(AppError::Database(err)) if attempt < 3 && matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_))) => {
                tracing::debug!("concurrent insert of the same event; deciding the batch again");
            }
            // Two batches holding the same new event can still wait on each other (each on the
            // other's row); PostgreSQL then aborts one, which is simply run again.
            Err(AppError::Database(err)) if attempt < 3 && err.to_string().contains("deadlock detected") => {
                tracing::debug!("deadlock with a concurrent batch; deciding the batch again");
            }
            Err(err) => return Err(err),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// The path of the first string (or key) in `value` that holds a NUL character.
fn nul_path(value: &Value, path: String) -> Option<String> {
    let here = || if path.is_empty() { "event".to_owned() } else { path.clone() };
    match value {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| nul_path(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let inner = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
            if k.contains('\0') { Some(here()) } else { nul_path(v, inner) }
        }),
        _ => None,
    }
}

/// A valid event of the batch with its stored JSON and content hash, made once.
struct Valid {
    /// Its position in the batch.
    index: usize,
    event: Event,
    properties: Value,
    context: Value,
    hash: String,
}

impl Valid {
    fn new(index: usize, event: Event) -> Result<Valid> {
        let properties = serde_json::to_value(&event.payload).map_err(|e| AppError::Internal(e.into()))?;
        let context = serde_json::to_value(&event.context).map_err(|e| AppError::Internal(e.into()))?;
        let hash = content_hash(&event, &properties, &context);
        Ok(Valid { index, event, properties, context, hash })
    }
}

/// SHA-256 of the event's content (everything but the arrival) as canonical JSON: one object with
/// its keys in sorted order, nested objects sorted too (serde_json's maps are), no spaces. It is
/// written straight into the hash rather than built as a string first.
fn content_hash(event: &Event, properties: &Value, context: &Value) -> String {
    struct Hashing(Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut out = Hashing(Sha256::new());
    let fields: [(&str, &dyn erased::Json); 7] = [
        ("context", context),
        ("event_type", &event.event_type()),
        ("properties", properties),
        ("session_id", &event.session_id),
        ("source", &event.source),
        ("timestamp", &event.occurred_at),
        ("user_id", &event.user_id),
    ];
    for (k, (key, value)) in fields.iter().enumerate() {
        out.0.update(if k == 0 { b"{\"" as &[u8] } else { b",\"" });
        out.0.update(key.as_bytes());
        out.0.update(b"\":");
        value.write_to(&mut out);
    }
    out.0.update(b"}");
    hex::encode(out.0.finalize())
}

/// Writing differently typed values as JSON through one list.
mod erased {
    pub trait Json {
        fn write_to(&self, out: &mut dyn std::io::Write);
    }
    impl<T: serde::Serialize> Json for T {
        fn write_to(&self, out: &mut dyn std::io::Write) {
            // Writing these types into a hash cannot fail.
            serde_json::to_writer(out, self).expect("JSON of an event's fields");
        }
    }
}

struct Outcome {
    accepted: usize,
    duplicates: usize,
    corrections: usize,
    rejected: Vec<Rejection>,
    corrected: Vec<Rejection>,
    /// What the metrics rollup applies once the transaction has committed: the event's place in
    /// `valid`, its `seq`, and the version it supersedes.
    applied: Vec<(usize, i64, Option<Superseded>)>,
}

async fn store(
    state: &AppState,
    valid: &[Valid],
    arrived: &BTreeMap<Category, QualityCounts>,
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
    valid: &[Valid],
    arrived: &BTreeMap<Category, QualityCounts>,
    producer: Producer,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let mut outcome = Outcome { accepted: 0, duplicates: 0, corrections: 0, rejected: Vec::new(), corrected: Vec::new(), applied: Vec::new() };
    let mut counts = arrived.clone();

    // Events must name campaigns and creatives the catalogue knows, each creative its campaign's.
    let campaign_ids: Vec<Uuid> =
        valid.iter().flat_map(|v| v.event.payload.campaign_references()).map(|(_, c)| c).collect::<HashSet<_>>().into_iter().collect();
    let creative_ids: Vec<Uuid> =
        valid.iter().flat_map(|v| v.event.payload.creative_references()).map(|(_, c, _)| c).collect::<HashSet<_>>().into_iter().collect();
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
    if txn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Until autovacuum has analysed a young, fast-growing log, PostgreSQL has no statistics
        // for `event_id` and guesses that 500 ids match most of the table, so it scans all of it
        // (12 ms a batch at 200k events and growing, against ~1 ms through the unique index).
        // Only this transaction is affected.
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await?;
    }
    let event_ids: Vec<Uuid> = valid.iter().map(|v| v.event.event_id).collect::<HashSet<_>>().into_iter().collect();
    let mut stored: HashMap<Uuid, Stored> = HashMap::new();
    for chunk in event_ids.chunks(LOOKUP_CHUNK) {
        let rows = events::Entity::find().filter(events::Column::EventId.is_in(chunk.to_vec())).all(txn).await?;
        for row in rows {
            let entry = stored.entry(row.event_id).or_insert_with(|| Stored {
                version: row.version,
                hashes: HashSet::new(),
                first_received_at: row.received_at,
                event_type: row.event_type.clone(),
                occurred_at: row.occurred_at,
                user_id: row.user_id.clone(),
            });
            entry.first_received_at = entry.first_received_at.min(row.received_at);
            entry.hashes.insert(row.content_hash);
            if row.version >= entry.version {
                entry.version = row.version;
                entry.event_type = row.event_type;
                entry.occurred_at = row.occurred_at;
                entry.user_id = row.user_id;
            }
        }
    }

    // A treatment delivery of a campaign under test is recorded with its test and arm.
    let delivery_arms = crate::services::experiments::DeliveryArms::load(txn, valid.iter().map(|v| &v.event), now).await?;

    // Consent is checked before anything is stored, holdout assignments included, so both groups
    // of every campaign hold only users it may reach.
    let mut gate = consent::Gate::load(txn, valid.iter().map(|v| &v.event)).await?;
    let mut consent_facts: Vec<(&Event, bool)> = Vec::new();

    let mut rows: Vec<events::ActiveModel> = Vec::new();
    let mut volume: BTreeMap<(DateTime<Utc>, String), i64> = BTreeMap::new();
    for (k, Valid { index, event, properties, context, hash }) in valid.iter().enumerate() {
        let reject = |field: &str, reason: String| Rejection {
            index: *index,
            event_id: Some(event.event_id.to_string()),
            field: field.to_owned(),
            reason,
        };
        let unknown_campaign = event.payload.campaign_references().into_iter().find(|(_, c)| !known_campaigns.contains(c));
        if let Some((field, campaign)) = unknown_campaign {
            outcome.rejected.push(reject(field, format!("unknown campaign {campaign}: add it to the catalogue first")));
            continue;
        }
        let bad_creative = event.payload.creative_references().into_iter().find_map(|(field, creative, campaign)| match creative_owner.get(&creative) {
            None => Some((field, format!("unknown creative {creative}"))),
            Some(owner) if *owner != campaign => Some((field, format!("creative {creative} belongs to another campaign"))),
            Some(_) => None,
        });
        if let Some((field, reason)) = bad_creative {
            outcome.rejected.push(reject(field, reason));
            continue;
        }
        // A claim that contradicts the test is corrected, not refused: the delivery happened.
        let (arm, contradiction) = delivery_arms.arm_of(event);
        let retry = stored.get(&event.event_id).is_some_and(|s| s.hashes.contains(hash));
        if !retry && let Some(refusal) = gate.refuse(event) {
            outcome.rejected.push(reject("user_id", refusal.reason));
            continue;
        }
        let replaces = stored.get(&event.event_id).map(|s| Superseded { user_id: s.user_id.clone(), occurred_at: s.occurred_at });
        let version = match stored.get(&event.event_id) {
            None => 1,
            Some(previous) if previous.hashes.contains(hash) => {
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
        let mut hashes = stored.remove(&event.event_id).map(|s| s.hashes).unwrap_or_default();
        hashes.insert(hash.clone());
        stored.insert(
            event.event_id,
            Stored {
                version,
                hashes,
                first_received_at,
                event_type: event.event_type().to_owned(),
                occurred_at: event.occurred_at,
                user_id: event.user_id.clone(),
            },
        );
        consent_facts.push((event, version > 1));
        let mut properties = properties.clone();
        if let Some(map) = properties.as_object_mut() {
            if let Some((field, reason)) = &contradiction {
                let claim = serde_json::json!({ "experiment_id": map.remove("experiment_id"), "experiment_arm": map.remove("experiment_arm"), "corrected": reason });
                map.insert("experiment_claim".to_owned(), claim);
                outcome.corrected.push(reject(field, reason.clone()));
            }
            if let Some((experiment, label)) = arm {
                map.insert("experiment_id".to_owned(), Value::String(experiment.to_string()));
                map.insert("experiment_arm".to_owned(), Value::String(label));
            }
        }
        rows.push(event_row(event, hash, version, now, producer.key_id, properties, context.clone()));
        outcome.applied.push((k, 0, if version > 1 { replaces } else { None }));
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
        applied.1 = seq;
    }
    consent::record(txn, &consent_facts, now).await?;
    gate.record_violations(txn).await?;
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

/// The stored row of one version of an event (`properties` and `context` are its JSON).
fn event_row(event: &Event, hash: &str, version: i32, now: DateTime<Utc>, key_id: Option<Uuid>, properties: Value, context: Value) -> events::ActiveModel {
    events::ActiveModel {
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
        properties: Set(properties),
        context: Set(context),
        late_arrival: Set(event.late_arrival),
        backfilled: Set(event.backfilled),
        ingestion_lag_seconds: Set((now - event.occurred_at).num_seconds().max(0)),
        key_id: Set(key_id),
    }
}

/// An event the server itself emits (`user_id` "system", source `backend`).
pub fn system_event(occurred_at: DateTime<Utc>, payload: analytics::events::Payload) -> Event {
    Event {
        event_id: Uuid::new_v4(),
        occurred_at,
        user_id: "system".to_owned(),
        session_id: None,
        source: analytics::EventSource::Backend,
        context: analytics::events::Context::default(),
        payload,
        late_arrival: false,
        backfilled: false,
    }
}

/// Appends an event the product itself produced (a marketer action in the catalogue), inside
/// the caller's transaction, with its rollup.
pub async fn append(db: &impl ConnectionTrait, event: &Event, now: DateTime<Utc>) -> Result<()> {
    let valid = Valid::new(0, event.clone())?;
    events::Entity::insert(event_row(event, &valid.hash, 1, now, None, valid.properties, valid.context)).exec(db).await?;
    event_volume::record(db, event.occurred_at, event.event_type(), 1).await
}

/// Runs a statement count check the tests use: how many versions are stored for an event.
pub async fn versions_of(db: &impl ConnectionTrait, event_id: Uuid) -> Result<Vec<events::Model>> {
    use sea_orm::QueryOrder;
    Ok(events::Entity::find().filter(events::Column::EventId.eq(event_id)).order_by_asc(events::Column::Version).all(db).await?)
}

#[cfg(test)]
mod tests {
    use analytics::simulator::{Faults, SimConfig, run, world};
    use chrono::TimeZone;

    use super::*;

    /// The hash written field by field equals the plain definition: SHA-256 of the canonical JSON
    /// object (sorted keys, compact) of the event's content.
    #[test]
    fn the_content_hash_is_that_of_the_canonical_json() {
        let config = SimConfig { seed: 5, users: 50, days: 10, campaigns: 2, start: Utc.with_ymd_and_hms(2026, 9, 1, 0, 0, 0).unwrap(), holdout_share: 0.2, faults: Faults::default(), experiments: 0 };
        let mut events = Vec::new();
        run(&world(&config), |_, batch| events.extend(batch));
        let now = config.start + Duration::days(11);
        let events: Vec<Event> = events
            .into_iter()
            .filter_map(|v| validate(serde_json::from_value::<RawEvent>(v).ok()?, now, Rules { allow_backfill: true }).ok())
            .collect();
        let mut kinds = HashSet::new();
        for event in events.iter().filter(|e| kinds.insert(e.event_type())) {
            let canonical = serde_json::json!({
                "event_type": event.event_type(),
                "timestamp": event.occurred_at,
                "user_id": event.user_id,
                "session_id": event.session_id,
                "source": event.source,
                "context": event.context,
                "properties": event.payload,
            });
            let expected = hex::encode(Sha256::digest(canonical.to_string().as_bytes()));
            assert_eq!(Valid::new(0, event.clone()).unwrap().hash, expected, "{}", event.event_type());
        }
        assert!(kinds.len() >= 5, "{kinds:?}");
    }
}
