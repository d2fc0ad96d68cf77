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

/// The shared rollup, and a feed of its versions for live clients.
#[derive(Clone)]
pub struct MetricsHub {
    store: Arc<RwLock<Store>>,
    pub config: Arc<Config>,
    changes: tokio::sync::broadcast::Sender<u64>,
}

impl Default for MetricsHub {
    fn default() -> MetricsHub {
        MetricsHub::new(Config::default())
    }
}

impl MetricsHub {
    pub fn new(config: Config) -> MetricsHub {
        MetricsHub { store: Arc::default(), config: Arc::new(config), changes: tokio::sync::broadcast::channel(CHANGE_BACKLOG).0 }
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
        let backend = db.get_database_backend();
        let mut last_seq: i64 = 0;
        loop {
            let sql = "SELECT e.seq, e.event_id, e.event_type, e.occurred_at, e.received_at, e.user_id, e.session_id, e.source, \
                 e.properties, e.context, e.late_arrival, e.backfilled FROM events e \
                 WHERE e.seq > $1 AND e.version = (SELECT MAX(v.version) FROM events v WHERE v.event_id = e.event_id) \
                 ORDER BY e.seq LIMIT $2";
            let sql = match backend {
                sea_orm::DatabaseBackend::Postgres => sql.to_owned(),
                _ => sql.replace("$1", "?").replace("$2", "?"),
            };
            let rows = db.query_all_raw(Statement::from_sql_and_values(backend, sql, [last_seq.into(), PAGE.into()])).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                last_seq = row.try_get("", "seq")?;
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
                        .map_err(|issue| AppError::Internal(anyhow::anyhow!("stored event {last_seq} no longer parses: {} {}", issue.field, issue.reason)))?,
                    late_arrival: row.try_get("", "late_arrival")?,
                    backfilled: row.try_get("", "backfilled")?,
                };
                let received_at: DateTime<Utc> = row.try_get("", "received_at")?;
                store.apply(&event, received_at);
            }
        }
        tracing::info!(facts = store.fact_count(), users = store.users.len(), elapsed = ?started.elapsed(), "metrics rollup loaded");
        self.write(|s| *s = store);
        Ok(())
    }

    /// Re-reads the catalogue and the spend ledger (small tables) after they change.
    pub async fn reload_catalogue(&self, db: &DatabaseConnection) -> Result<()> {
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
    pub async fn after_catalogue_change(&self, db: &DatabaseConnection, events: &[Event], received_at: DateTime<Utc>) -> Result<()> {
        self.reload_catalogue(db).await?;
        self.write(|store| events.iter().for_each(|e| store.apply(e, received_at)));
        Ok(())
    }

    /// Applies a committed batch; campaigns the store has not seen yet are read first.
    pub async fn apply(&self, db: &DatabaseConnection, applied: &[Applied], received_at: DateTime<Utc>) -> Result<()> {
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
            for a in applied {
                if let Some(old) = &a.replaces {
                    store.retract(a.event.event_id, &old.user_id, old.occurred_at);
                }
                store.apply(&a.event, received_at);
            }
        });
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
