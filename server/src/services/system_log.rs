//! The server's own measurements, per hour, for metrics 24 (uptime) and 25 (cost per query).
//! Several server processes may share a database: each adds its own probes and queries.

use std::sync::{Arc, Mutex, PoisonError};

use analytics::metrics::SystemStats;
use analytics::series::hour_floor;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ConnectionTrait, EntityTrait, Set};

use crate::entities::{probe_hourly, query_hourly};
use crate::error::Result;

/// A probe counts as up when it succeeded within this many milliseconds (spec metric 24).
pub const UP_WITHIN_MS: f64 = 1_000.0;

/// Probes that could not be written (the database was down) wait here for the next success, so
/// an outage is still counted.
#[derive(Clone, Default)]
pub struct PendingProbes {
    pending: Arc<Mutex<Vec<(DateTime<Utc>, bool)>>>,
}

impl PendingProbes {
    /// Records a probe: writes it and any earlier ones that are waiting, or keeps them all.
    pub async fn record(&self, db: &impl ConnectionTrait, at: DateTime<Utc>, up: bool) {
        let waiting: Vec<(DateTime<Utc>, bool)> = {
            let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
            pending.push((at, up));
            std::mem::take(&mut *pending)
        };
        for (i, (at, up)) in waiting.iter().enumerate() {
            if let Err(err) = add_probe(db, *at, *up).await {
                tracing::debug!(error = %err.one_line(), "probe not recorded yet; kept for later");
                let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                // Keep a day's worth at most (8,640 probes at the default 10 s).
                let mut rest = waiting[i..].to_vec();
                rest.append(&mut pending);
                let excess = rest.len().saturating_sub(8_640);
                pending.extend(rest.into_iter().skip(excess));
                return;
            }
        }
    }
}

async fn add_probe(db: &impl ConnectionTrait, at: DateTime<Utc>, up: bool) -> Result<()> {
    let row = probe_hourly::ActiveModel { hour_start: Set(hour_floor(at)), probes: Set(1), succeeded: Set(i64::from(up)) };
    probe_hourly::Entity::insert(row)
        .on_conflict(
            OnConflict::column(probe_hourly::Column::HourStart)
                .value(probe_hourly::Column::Probes, Expr::col((probe_hourly::Entity, probe_hourly::Column::Probes)).add(Expr::cust("excluded.probes")))
                .value(
                    probe_hourly::Column::Succeeded,
                    Expr::col((probe_hourly::Entity, probe_hourly::Column::Succeeded)).add(Expr::cust("excluded.succeeded")),
                )
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Adds one metrics query and its compute time to its hour.
pub async fn add_query(db: &impl ConnectionTrait, at: DateTime<Utc>, cpu_seconds: f64) -> Result<()> {
    let row = query_hourly::ActiveModel { hour_start: Set(hour_floor(at)), queries: Set(1), cpu_seconds: Set(cpu_seconds) };
    query_hourly::Entity::insert(row)
        .on_conflict(
            OnConflict::column(query_hourly::Column::HourStart)
                .value(query_hourly::Column::Queries, Expr::col((query_hourly::Entity, query_hourly::Column::Queries)).add(Expr::cust("excluded.queries")))
                .value(
                    query_hourly::Column::CpuSeconds,
                    Expr::col((query_hourly::Entity, query_hourly::Column::CpuSeconds)).add(Expr::cust("excluded.cpu_seconds")),
                )
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// Every hour's probes and queries (one row per hour: small).
pub async fn stats(db: &impl ConnectionTrait) -> Result<SystemStats> {
    let mut stats = SystemStats::default();
    for row in probe_hourly::Entity::find().all(db).await? {
        stats.probes.insert(row.hour_start.timestamp(), (row.succeeded as u64, row.probes as u64));
    }
    for row in query_hourly::Entity::find().all(db).await? {
        stats.queries.insert(row.hour_start.timestamp(), (row.queries as u64, row.cpu_seconds));
    }
    Ok(stats)
}
