//! Module 9's figures beyond the live probe: when data last arrived and was refreshed, the API's
//! own latency and error rate, the system metrics (22, 24, 25), the quality of the last day's
//! arrivals, and the alerts all of these raise.

use analytics::quality::AlertLevel;
use analytics::metrics::{Filter, MetricId, Query as MetricQuery, Status};
use app::wire::{API_ERROR_RATE_CRITICAL, API_ERROR_RATE_TARGET, API_P95_TARGET_MS, SystemAlert, SystemStatus};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::events;
use crate::error::Result;
use crate::http::metrics::compute;
use crate::services::{quality, system_log};
use crate::state::AppState;

/// Minutes of API traffic the alerts read.
const ALERT_MINUTES: u32 = 15;

pub async fn status(state: &AppState) -> Result<SystemStatus> {
    let now = state.clock.now();
    let db = &state.db;
    let last_event_at = events::Entity::find().order_by_desc(events::Column::Seq).one(db).await?.map(|e| e.received_at);
    let last_refresh_at = events::Entity::find()
        .filter(events::Column::EventType.eq("data_refresh_completed"))
        .order_by_desc(events::Column::OccurredAt)
        .one(db)
        .await?
        .map(|e| e.occurred_at);
    let quality = quality::report(db, now, 24).await?;
    let system = system_log::stats(db).await?;
    let metrics = compute(state, move |store, config| {
        let filter = Filter::default();
        MetricQuery { store, system: &system, filter: &filter, config, from: None, to: None, now }.some(&[MetricId::DataFreshness, MetricId::Uptime, MetricId::CostPerQuery])
    })
    .await?;
    let api_last_15_minutes = state.request_stats.summary(now, ALERT_MINUTES);
    let api_last_hour = state.request_stats.summary(now, 60);

    let mut alerts = Vec::new();
    let mut alert = |level: AlertLevel, message: String| alerts.push(SystemAlert { level, message });
    if let Some(p95) = api_last_15_minutes.p95_ms.filter(|p| *p > API_P95_TARGET_MS) {
        alert(AlertLevel::Warning, format!("API latency p95 is {p95:.0} ms over the last {ALERT_MINUTES} minutes (target under {API_P95_TARGET_MS:.0} ms)"));
    }
    if let Some(rate) = api_last_15_minutes.error_rate.filter(|r| *r > API_ERROR_RATE_TARGET) {
        let level = if rate > API_ERROR_RATE_CRITICAL { AlertLevel::Critical } else { AlertLevel::Warning };
        alert(level, format!("{rate:.1}% of API requests failed with a server error over the last {ALERT_MINUTES} minutes (target under {API_ERROR_RATE_TARGET:.0}%)"));
    }
    for m in metrics.iter().filter(|m| m.status == Some(Status::OffTarget)) {
        let value = m.value.map_or_else(|| "no value".to_owned(), |v| app::format::metric(v, m.unit, false));
        alert(AlertLevel::Warning, format!("{} is off target: {value} ({})", m.name, app::format::target(m.target, m.unit)));
    }
    for a in &quality.overall.alerts {
        alert(a.level, a.message.clone());
    }
    Ok(SystemStatus { as_of: now, last_event_at, last_refresh_at, api_last_15_minutes, api_last_hour, metrics, quality, alerts, jobs: state.jobs.list() })
}
