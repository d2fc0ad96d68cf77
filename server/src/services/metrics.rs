//! The metrics rollup at the edge: fills the I/O-free `Store` from the database at start, applies
//! each committed batch, and answers queries from memory (never from the raw events).

use std::sync::{Arc, RwLock};
use std::time::Instant;

use analytics::events::{Context, Event, Payload};
use analytics::metrics::{CampaignInfo, Config, Store};
use analytics::{CampaignStatus, CampaignType, DeliveryChannel, EventSource};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement};
use uuid::Uuid;

use crate::entities::{campaigns, creatives, spend};
use crate::error::{AppError, Result};

/// Rows read per query while loading the log.
const PAGE: i64 = 10_000;

/// One accepted event, and where its superseded version was (for a correction).
#[derive(Debug, Clone)]
pub struct Applied {
    /// Its position in the log.
    pub seq: i64,
    pub event: Event,
    pub replaces: Option<Superseded>,
}

/// What the store needs to take back a superseded version.
#[derive(Debug, Clone)]
pub struct Superseded {
    pub user_id: String,
    pub occurred_at: DateTime<Utc>,
}

/// How many change notices a slow listener may fall behind before it skips ahead.
const CHANGE_BACKLOG: usize = 256;

/// The PostgreSQL channel on which server processes announce new log rows.
pub const CHANNEL: &str = "swipesavvy_events";
/// A gap in the log older than this is a rolled-back insert, not one still committing.
const GAP_PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// The shared rollup, a feed of its versions for live clients, and how far into the log it is.
#[derive(Clone)]
pub struct MetricsHub {
    store: Arc<RwLock<Store>>,
    pub config: Arc<Config>,
    changes: tokio::sync::broadcast::Sender<u64>,
    position: Arc<std::sync::Mutex<LogPosition>>,
    catching_up: Arc<tokio::sync::Mutex<()>>,
    /// Catalogue reloads take turns: one that read the tables earlier must not write after one
    /// that read them later (the stale one would drop the newer campaigns' spend).
    reloading: Arc<tokio::sync::Mutex<()>>,
    origin: Uuid,
    /// Only a serving process keeps the rollup (set by `load`); command-line loads and imports
    /// leave it empty, so their memory stays flat whatever they write.
    active: Arc<std::sync::atomic::AtomicBool>,
}

/// Which log rows (`events.seq`) the store holds: all up to `watermark`, and `applied` beyond.
/// Concurrent writers commit out of `seq` order, so a gap may still fill; one that stays open
/// for `GAP_PATIENCE` was a rolled-back insert and is passed.
#[derive(Debug, Default)]
struct LogPosition {
    watermark: i64,
    applied: std::collections::BTreeSet<i64>,
    gap_since: Option<(i64, Instant)>,
}

impl LogPosition {
    fn advance(&mut self, now: Instant) {
        loop {
            while self.applied.remove(&(self.watermark + 1)) {
                self.watermark += 1;
            }
            let Some(next) = self.applied.first().copied() else {
                self.gap_since = None;
                return;
            };
            match self.gap_since {
                Some((at, since)) if at == self.watermark && now.duration_since(since) >= GAP_PATIENCE => {
                    self.watermark = next - 1;
                    self.gap_since = None;
                }
                Some((at, _)) if at == self.watermark => return,
                _ => {
                    self.gap_since = Some((self.watermark, now));
                    return;
                }
            }
        }
    }
}

impl Default for MetricsHub {
    fn default() -> MetricsHub {
        MetricsHub::new(Config::default())
    }
}

impl MetricsHub {
    pub fn new(config: Config) -> MetricsHub {
        MetricsHub {
            store: Arc::default(),
            config: Arc::new(config),
            changes: tokio::sync::broadcast::channel(CHANGE_BACKLOG).0,
            position: Arc::default(),
            catching_up: Arc::default(),
            reloading: Arc::default(),
            origin: Uuid::new_v4(),
            active: Arc::default(),
        }
    }

    /// The store's version after each change (bounded: a listener that falls behind gets
    /// `Lagged` and simply reads the latest state).
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<u64> {
        self.changes.subscribe()
    }

    pub fn version(&self) -> u64 {
        self.read(|s| s.version)
    }

    /// Reads the store (queries compute under the read lock).
    pub fn read<T>(&self, f: impl FnOnce(&Store) -> T) -> T {
        let store = self.store.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&store)
    }

    fn write<T>(&self, f: impl FnOnce(&mut Store) -> T) -> T {
        let (result, version) = {
            let mut store = self.store.write().unwrap_or_else(|poisoned| poisoned.into_inner());
            let result = f(&mut store);
            (result, store.version)
        };
        // Nobody listening is fine.
        let _ = self.changes.send(version);
        result
    }

    /// Fills the store from the database: catalogue, spend, then the latest version of every event.
    pub async fn load(&self, db: &DatabaseConnection) -> Result<()> {
        let started = Instant::now();
        let mut store = Store::new();
        load_catalogue(db, &mut store).await?;
        let mut last_seq: i64 = 0;
        loop {
            let rows = read_log(db, last_seq, true).await?;
            let Some(last) = rows.last() else { break };
            last_seq = last.seq;
            for row in &rows {
                store.apply(&row.event, row.received_at);
            }
        }
        tracing::info!(facts = store.fact_count(), users = store.users.len(), elapsed = ?started.elapsed(), "metrics rollup loaded");
        // Everything up to the last row read is in; later rows come by `catch_up`.
        *self.position() = LogPosition { watermark: last_seq, ..LogPosition::default() };
        // Versions only go up, so nothing cached against an earlier store (views, live pushes)
        // is taken for the rebuilt one.
        self.write(|s| {
            store.version = store.version.max(s.version + 1);
            *s = store;
        });
        self.active.store(true, std::sync::atomic::Ordering::Release);
        Ok(())
    }

    fn position(&self) -> std::sync::MutexGuard<'_, LogPosition> {
        self.position.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Applies what other writers (another server process, a command-line load) committed to the
    /// log since this process last looked: every row after the watermark it has not applied.
    pub async fn catch_up(&self, db: &DatabaseConnection) -> Result<usize> {
        if !self.is_active() {
            return Ok(0);
        }
        let mut applied = 0;
        loop {
            // Reading the log happens outside the turn-taking, so ingestion never waits on it.
            let after = self.position().watermark;
            let rows = read_log(db, after, false).await?;
            let Some(last) = rows.last().map(|r| r.seq) else { break };
            let unapplied = |r: &&LogRow| !self.position().applied.contains(&r.seq);
            if rows.iter().filter(unapplied).any(|r| r.event.campaign_id().is_some_and(|c| self.read(|s| s.campaign_index(c).is_none()))) {
                self.reload_catalogue(db).await?;
            }
            let mut superseded = Vec::new();
            for row in &rows {
                superseded.push(if row.version > 1 && unapplied(&row) { previous_version(db, row.event.event_id, row.version - 1).await? } else { None });
            }
            // Now take turns with `apply`, and skip what it (or another catch-up) applied meanwhile.
            let _turn = self.catching_up.lock().await;
            let (fresh, superseded): (Vec<&LogRow>, Vec<&Option<Superseded>>) = {
                let position = self.position();
                rows.iter().zip(&superseded).filter(|(r, _)| r.seq > position.watermark && !position.applied.contains(&r.seq)).unzip()
            };
            self.write(|store| {
                for (row, old) in fresh.iter().zip(&superseded) {
                    if let Some(old) = old.as_ref() {
                        store.retract(row.event.event_id, &old.user_id, old.occurred_at);
                    }
                    store.apply(&row.event, row.received_at);
                }
            });
            applied += fresh.len();
            let moved = {
                let mut position = self.position();
                position.applied.extend(fresh.iter().map(|r| r.seq));
                position.advance(Instant::now());
                position.watermark > after
            };
            // Rows after a gap that is still open are read again next time; stop here.
            if !moved || last <= self.position().watermark && rows.len() < PAGE as usize {
                break;
            }
        }
        Ok(applied)
    }

    /// Tells the other server processes on PostgreSQL that the log grew (they `catch_up`).
    pub async fn announce(&self, db: &DatabaseConnection) {
        if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return;
        }
        let statement = Statement::from_sql_and_values(sea_orm::DatabaseBackend::Postgres, "SELECT pg_notify($1, $2)", [CHANNEL.into(), self.origin.to_string().into()]);
        if let Err(err) = db.execute_raw(statement).await {
            tracing::warn!(error = %err, "change notice not sent; other processes catch up on their next poll");
        }
    }

    fn is_active(&self) -> bool {
        self.active.load(std::sync::atomic::Ordering::Acquire)
    }

    /// This process's id in change notices (its own are ignored).
    pub fn origin(&self) -> Uuid {
        self.origin
    }

    /// Re-reads the catalogue and the spend ledger (small tables) after they change.
    pub async fn reload_catalogue(&self, db: &DatabaseConnection) -> Result<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let mut fresh = Store::new();
        load_catalogue(db, &mut fresh).await?;
        self.write(|store| {
            for campaign in &fresh.campaigns {
                let creatives: Vec<Uuid> = fresh.creatives.iter().filter(|(_, owner)| fresh.campaigns[*owner as usize].id == campaign.id).map(|(id, _)| *id).collect();
                store.set_campaign(campaign.clone(), &creatives);
            }
            store.spend.clear();
            for line in &fresh.spend {
                let id = fresh.campaigns[line.campaign as usize].id;
                store.add_spend(id, DateTime::from_timestamp(line.at, 0).unwrap_or_default(), line.cents);
            }
        });
        Ok(())
    }

    /// After a committed catalogue change: the new catalogue, and the marketer-action events the
    /// change wrote to the log.
    pub async fn after_catalogue_change(&self, db: &DatabaseConnection) -> Result<()> {
        self.reload_catalogue(db).await?;
        self.catch_up(db).await?;
        self.announce(db).await;
        Ok(())
    }

    /// Applies a committed batch; campaigns the store has not seen yet are read first.
    pub async fn apply(&self, db: &DatabaseConnection, applied: &[Applied], received_at: DateTime<Utc>) -> Result<()> {
        if !self.is_active() {
            // Not serving: just tell the servers on this database that the log grew.
            self.announce(db).await;
            return Ok(());
        }
        // The rows are committed, so a concurrent `catch_up` may have read and applied them
        // already: take turns with it, and skip what it took.
        let _one_at_a_time = self.catching_up.lock().await;
        let applied: Vec<&Applied> = {
            let position = self.position();
            applied.iter().filter(|a| a.seq > position.watermark && !position.applied.contains(&a.seq)).collect()
        };
        let unknown = self.read(|store| {
            applied.iter().any(|a| {
                a.event.campaign_id().is_some_and(|c| store.campaign_index(c).is_none())
                    || a.event.creative_id().is_some_and(|c| store.creative_index(c).is_none())
            })
        });
        if unknown {
            self.reload_catalogue(db).await?;
        }
        self.write(|store| {
            for a in &applied {
                if let Some(old) = &a.replaces {
                    store.retract(a.event.event_id, &old.user_id, old.occurred_at);
                }
                store.apply(&a.event, received_at);
            }
        });
        {
            let mut position = self.position();
            position.applied.extend(applied.iter().map(|a| a.seq));
            position.advance(Instant::now());
        }
        drop(_one_at_a_time);
        self.announce(db).await;
        Ok(())
    }
}

async fn load_catalogue(db: &DatabaseConnection, store: &mut Store) -> Result<()> {
    let all_creatives = creatives::Entity::find().all(db).await?;
    for c in campaigns::Entity::find().all(db).await? {
        let channels = c.channels.split(',').filter(|s| !s.is_empty()).filter_map(|s| s.parse::<DeliveryChannel>().ok()).collect();
        let info = CampaignInfo {
            id: c.id,
            name: c.name.clone(),
            campaign_type: c.campaign_type.parse::<CampaignType>().map_err(|e| AppError::Internal(e.into()))?,
            status: c.status.parse::<CampaignStatus>().map_err(|e| AppError::Internal(e.into()))?,
            channels,
            budget_cents: c.budget_cents,
            holdout_share: f64::from(c.holdout_share_bp) / 10_000.0,
            starts_at: c.starts_at,
        };
        let ids: Vec<Uuid> = all_creatives.iter().filter(|k| k.campaign_id == c.id).map(|k| k.id).collect();
        store.set_campaign(info, &ids);
    }
    for line in spend::Entity::find().all(db).await? {
        store.add_spend(line.campaign_id, line.period_start, line.amount_cents);
    }
    Ok(())
}

/// One log row, decoded.
struct LogRow {
    seq: i64,
    version: i32,
    received_at: DateTime<Utc>,
    event: Event,
}

/// A page of the log after `after`: only latest versions (for a full load), or every row (to
/// catch up, where a correction's row is followed by its retraction of the earlier one).
async fn read_log(db: &DatabaseConnection, after: i64, latest_only: bool) -> Result<Vec<LogRow>> {
    let backend = db.get_database_backend();
    let latest = if latest_only { "AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.event_id = e.event_id)" } else { "" };
    let sql = format!(
        "SELECT e.seq, e.event_id, e.version, e.event_type, e.occurred_at, e.received_at, e.user_id, e.session_id, e.source, \
         e.properties, e.context, e.late_arrival, e.backfilled FROM events e WHERE e.seq > $1 {latest} ORDER BY e.seq LIMIT $2"
    );
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => sql,
        _ => sql.replace("$1", "?").replace("$2", "?"),
    };
    let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [after.into(), PAGE.into()])).await?;
    rows.iter()
        .map(|row| {
            let seq: i64 = row.try_get("", "seq")?;
            let event_type: String = row.try_get("", "event_type")?;
            let properties: serde_json::Value = row.try_get("", "properties")?;
            let context: serde_json::Value = row.try_get("", "context")?;
            let source: String = row.try_get("", "source")?;
            let event = Event {
                event_id: row.try_get("", "event_id")?,
                occurred_at: row.try_get("", "occurred_at")?,
                user_id: row.try_get("", "user_id")?,
                session_id: row.try_get("", "session_id")?,
                source: source.parse::<EventSource>().map_err(|e| AppError::Internal(e.into()))?,
                context: serde_json::from_value::<Context>(context).unwrap_or_default(),
                payload: Payload::parse(&event_type, properties)
                    .map_err(|issue| AppError::Internal(anyhow::anyhow!("stored event {seq} no longer parses: {} {}", issue.field, issue.reason)))?,
                late_arrival: row.try_get("", "late_arrival")?,
                backfilled: row.try_get("", "backfilled")?,
            };
            Ok(LogRow { seq, version: row.try_get("", "version")?, received_at: row.try_get("", "received_at")?, event })
        })
        .collect()
}

/// Where an earlier version of an event was (to take it back before applying its correction).
async fn previous_version(db: &DatabaseConnection, event_id: Uuid, version: i32) -> Result<Option<Superseded>> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let row = crate::entities::events::Entity::find()
        .filter(crate::entities::events::Column::EventId.eq(event_id))
        .filter(crate::entities::events::Column::Version.eq(version))
        .one(db)
        .await?;
    Ok(row.map(|r| Superseded { user_id: r.user_id, occurred_at: r.occurred_at }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_waits_for_gaps_then_passes_them() {
        let start = Instant::now();
        let mut p = LogPosition { watermark: 10, ..LogPosition::default() };
        p.applied.extend([11, 12, 14]);
        p.advance(start);
        assert_eq!(p.watermark, 12, "13 may still be committing");
        p.advance(start + std::time::Duration::from_secs(5));
        assert_eq!(p.watermark, 12);
        p.applied.insert(13);
        p.advance(start + std::time::Duration::from_secs(6));
        assert_eq!((p.watermark, p.applied.len()), (14, 0), "the gap filled");
        p.applied.extend([16]);
        p.advance(start);
        p.advance(start + GAP_PATIENCE);
        assert_eq!(p.watermark, 16, "15 was rolled back");
    }
}
