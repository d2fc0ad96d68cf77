//! `GET /api/v1/metrics`, `GET /api/v1/metrics/{id}`, `GET /api/v1/roi` and the seed's
//! `GET /metrics/roas`: the 25 metrics and incrementality, computed from the in-memory rollup.

use analytics::metrics::{Filter, MetricId, MetricValue, Query as MetricQuery, RoiRow, SystemStats, roi_row, tally};
use analytics::{CampaignStatus, CampaignType, Platform, SegmentType};
use app::wire::FieldError;
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::state::AppState;

/// The filters every metrics query takes: `from`, `to` (UTC dates or RFC 3339 times, `to`
/// exclusive), and comma-separated or repeated `campaign`, `type`, `status`, `segment`, `region`,
/// `platform`, `creative`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scope {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub filter: Filter,
}

/// Parses the query string into a scope, naming every bad parameter.
pub fn parse_scope(pairs: &[(String, String)], extra: &[&str]) -> Result<Scope> {
    let mut scope = Scope::default();
    let mut errors = Vec::new();
    for (key, value) in pairs {
        let values = value.split(',').map(str::trim).filter(|v| !v.is_empty());
        let mut bad = |reason: String| errors.push(FieldError { field: key.clone(), reason });
        match key.as_str() {
            "from" | "to" => match parse_time(value) {
                Ok(t) if key == "from" => scope.from = Some(t),
                Ok(t) => scope.to = Some(t),
                Err(reason) => bad(reason),
            },
            "campaign" | "campaign_id" => {
                for v in values {
                    match Uuid::parse_str(v) {
                        Ok(id) => scope.filter.campaigns.push(id),
                        Err(_) => bad(format!("'{v}' is not a campaign id (a UUID)")),
                    }
                }
            }
            "creative" => {
                for v in values {
                    match Uuid::parse_str(v) {
                        Ok(id) => scope.filter.creatives.push(id),
                        Err(_) => bad(format!("'{v}' is not a creative id (a UUID)")),
                    }
                }
            }
            "type" => values.for_each(|v| match v.parse::<CampaignType>() {
                Ok(t) => scope.filter.types.push(t),
                Err(e) => bad(e.to_string()),
            }),
            "status" => values.for_each(|v| match v.parse::<CampaignStatus>() {
                Ok(s) => scope.filter.statuses.push(s),
                Err(e) => bad(e.to_string()),
            }),
            "segment" => values.for_each(|v| match v.parse::<SegmentType>() {
                Ok(s) => scope.filter.segments.push(s),
                Err(e) => bad(e.to_string()),
            }),
            "platform" => values.for_each(|v| match v.parse::<Platform>() {
                Ok(p) => scope.filter.platforms.push(p),
                Err(e) => bad(e.to_string()),
            }),
            "region" => scope.filter.regions.extend(values.map(str::to_owned)),
            other if extra.contains(&other) => {}
            other => bad(format!(
                "unknown parameter '{other}': expected from, to, campaign, type, status, segment, region, platform, creative{}",
                extra.iter().map(|e| format!(", {e}")).collect::<String>()
            )),
        }
    }
    if let (Some(from), Some(to)) = (scope.from, scope.to)
        && from >= to
    {
        errors.push(FieldError { field: "from".to_owned(), reason: format!("must be before `to` ({to})") });
    }
    if errors.is_empty() { Ok(scope) } else { Err(AppError::Validation(errors)) }
}

fn parse_time(value: &str) -> std::result::Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("'{value}' is neither a date (2026-11-25) nor an RFC 3339 time"))
}

/// `GET /api/v1/metrics` answers all 25.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsResponse {
    pub as_of: DateTime<Utc>,
    pub scope: Scope,
    pub metrics: Vec<MetricValue>,
}

/// Runs a computation over the rollup off the async threads.
async fn compute<T: Send + 'static>(state: &AppState, f: impl FnOnce(&analytics::metrics::Store, &analytics::metrics::Config) -> T + Send + 'static) -> Result<T> {
    let hub = state.metrics.clone();
    tokio::task::spawn_blocking(move || hub.read(|store| f(store, &hub.config))).await.map_err(|e| AppError::Internal(e.into()))
}

pub async fn all(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<MetricsResponse>> {
    let scope = parse_scope(&pairs, &[])?;
    let now = state.clock.now();
    let for_query = scope.clone();
    let metrics = compute(&state, move |store, config| {
        let system = SystemStats::default();
        MetricQuery { store, system: &system, filter: &for_query.filter, config, from: for_query.from, to: for_query.to, now }.all()
    })
    .await?;
    Ok(Json(MetricsResponse { as_of: now, scope, metrics }))
}

/// One point of a metric's series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricResponse {
    pub metric: MetricValue,
    pub granularity: String,
    pub series: Vec<SeriesPoint>,
}

/// The most points a series may have.
const MAX_POINTS: i64 = 744;

pub async fn one(State(state): State<AppState>, Path(id): Path<String>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<MetricResponse>> {
    let id: MetricId = id.parse().map_err(|e: analytics::UnknownName| AppError::NotFound(e.to_string()))?;
    let scope = parse_scope(&pairs, &["granularity"])?;
    let granularity = pairs.iter().find(|(k, _)| k == "granularity").map_or("day", |(_, v)| v.as_str()).to_owned();
    let step = match granularity.as_str() {
        "hour" => Duration::hours(1),
        "day" => Duration::days(1),
        other => {
            return Err(AppError::Validation(vec![FieldError { field: "granularity".to_owned(), reason: format!("'{other}' is not hour or day") }]));
        }
    };
    let now = state.clock.now();
    let for_query = scope.clone();
    let (metric, series) = compute(&state, move |store, config| {
        let system = SystemStats::default();
        let query = MetricQuery { store, system: &system, filter: &for_query.filter, config, from: for_query.from, to: for_query.to, now };
        let metric = query.some(&[id]).remove(0);
        // The series splits the metric's window into buckets (a to-date metric shows its last 30 days).
        let to = metric.to;
        let from = metric.from.unwrap_or(to - Duration::days(30));
        let mut points = Vec::new();
        let mut start = if step == Duration::days(1) { from.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc() } else { from };
        while start < to && (points.len() as i64) < MAX_POINTS {
            let end = (start + step).min(to);
            let bucket = MetricQuery { from: Some(start), to: Some(end), ..MetricQuery { store, system: &system, filter: &for_query.filter, config, from: None, to: None, now } };
            let value = bucket.some(&[id]).remove(0).value;
            points.push(SeriesPoint { from: start, to: end, value });
            start = end;
        }
        (metric, points)
    })
    .await?;
    Ok(Json(MetricResponse { metric, granularity, series }))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RoiResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub campaigns: Vec<RoiRow>,
}

/// `GET /api/v1/roi`: treatment vs holdout per campaign, users first assigned in the window
/// (default the last 7 days).
pub async fn roi(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<RoiResponse>> {
    let scope = parse_scope(&pairs, &[])?;
    let now = state.clock.now();
    let to = scope.to.unwrap_or(now).min(now);
    let from = scope.from.unwrap_or(to - Duration::days(7));
    let filter = scope.filter.clone();
    let campaigns = compute(&state, move |store, config| {
        let t = tally(store, &filter, config, from.timestamp(), to.timestamp());
        let split = filter.splits_spend();
        t.campaigns
            .iter()
            .filter(|(_, c)| c.treated + c.held > 0)
            .map(|(index, c)| {
                let info = &store.campaigns[*index as usize];
                roi_row(info.id, &info.name, c, c.spend(split), info.holdout_share)
            })
            .collect::<Vec<_>>()
    })
    .await?;
    Ok(Json(RoiResponse { as_of: now, from, to, campaigns }))
}

/// The spec runbook's `GET /metrics/roas?campaign_id=…` → `{"roas": …, "confidence": …}`.
pub async fn seed_roas(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<serde_json::Value>> {
    let scope = parse_scope(&pairs, &[])?;
    let now = state.clock.now();
    let metric = compute(&state, move |store, config| {
        let system = SystemStats::default();
        MetricQuery { store, system: &system, filter: &scope.filter, config, from: scope.from, to: scope.to, now }.some(&[MetricId::Roas]).remove(0)
    })
    .await?;
    Ok(Json(serde_json::json!({ "roas": metric.value, "confidence": metric.confidence, "complete": metric.complete, "reason": metric.reason })))
}
