//! The health check: is the database there, and how fast does it answer?

use std::time::{Duration, Instant};

use app::wire::{DatabaseHealth, HealthReport, HealthStatus};
use sea_orm::DatabaseConnection;

use crate::state::AppState;

/// How long a probe may take before the database counts as unreachable.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// A round trip slower than this makes the service `degraded`.
pub const SLOW_ROUND_TRIP_MS: f64 = 500.0;

/// One round trip to the database: its latency, or why it failed.
pub async fn probe_database(db: &DatabaseConnection) -> Result<f64, String> {
    let started = Instant::now();
    match tokio::time::timeout(PROBE_TIMEOUT, db.ping()).await {
        Ok(Ok(())) => Ok(started.elapsed().as_secs_f64() * 1000.0),
        Ok(Err(err)) => Err(format!("database error: {err}")),
        Err(_) => Err(format!("the database did not answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

pub async fn check(state: &AppState) -> HealthReport {
    let backend = state.settings.database.backend_name().to_owned();
    let probe = probe_database(&state.db).await;
    let (status, reason, database) = match probe {
        Ok(latency_ms) => {
            let (status, reason) = if latency_ms > SLOW_ROUND_TRIP_MS {
                (HealthStatus::Degraded, Some(format!("the database answered slowly ({latency_ms:.0} ms)")))
            } else {
                (HealthStatus::Healthy, None)
            };
            (status, reason, DatabaseHealth { backend, reachable: true, latency_ms: Some(latency_ms), error: None })
        }
        Err(error) => (
            HealthStatus::Unhealthy,
            Some(format!("the {backend} database is unreachable: {error}")),
            DatabaseHealth { backend, reachable: false, latency_ms: None, error: Some(error) },
        ),
    };
    let now = state.clock.now();
    HealthReport {
        status,
        reason,
        database,
        uptime_seconds: (now - state.started_at).num_seconds().max(0),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        checked_at: now,
    }
}
