//! Modules 3, 4, 6, 7 and 8 over HTTP: `GET /api/v1/segments`, `GET /api/v1/campaigns/{id}/performance`,
//! `GET /api/v1/funnel`, `GET /api/v1/heatmap` and `GET /api/v1/attribution`. Each takes the filters of `/api/v1/metrics`
//! (`parse_scope`); the window is the 7 days up to now unless `from`/`to` say otherwise, and it
//! never ends after now. The numbers come from `analytics::metrics::views`.

use analytics::SegmentType;
use analytics::metrics::compute::second_ceil;
use analytics::metrics::attribution::{self, Attribution};
use analytics::metrics::views::{self, Frequency, Funnel, Heatmap, SegmentPerformance, SegmentSummary, SeriesPoint};
use analytics::metrics::{Filter, Performance};
use analytics::{CampaignStatus, CampaignType, DeliveryChannel};
use app::wire::FieldError;
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::metrics::{Scope, compute, parse_scope};
use crate::error::{AppError, Result};
use crate::state::AppState;

fn invalid(field: &str, reason: String) -> AppError {
    AppError::Validation(vec![FieldError { field: field.to_owned(), reason }])
}

/// The window of a view: `from`/`to`, by default the 7 days up to now; `to` is never after now.
fn window(scope: &Scope, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let to = scope.to.unwrap_or(now).min(now);
    let from = scope.from.unwrap_or(to - Duration::days(7));
    if from >= to {
        return Err(invalid("from", format!("must be before the window's end ({to}); a window never ends after now")));
    }
    Ok((from, to))
}

// ---------------------------------------------------------------------------------------------
// Module 6.

/// One funnel of a comparison: `segment:HIGH_SPENDER` or `campaign:<id>`.
#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ComparedFunnel {
    pub item: String,
    /// The segment's code or the campaign's name.
    pub label: String,
    pub funnel: Funnel,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FunnelResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: Scope,
    /// The funnel of the filters.
    pub funnel: Funnel,
    /// With `compare`: one funnel per item, each the filters narrowed to that segment or
    /// campaign (an item replaces the filters' own segment or campaign list).
    pub compare: Vec<ComparedFunnel>,
    /// The compared item with the highest overall rate.
    pub best: Option<String>,
}

/// The most items `compare` takes.
const MAX_COMPARE: usize = 4;

enum Item {
    Segment(SegmentType),
    Campaign(Uuid),
}

fn parse_compare(pairs: &[(String, String)]) -> Result<Vec<(String, Item)>> {
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "compare") {
        for raw in value.split(',').map(str::trim).filter(|v| !v.is_empty()) {
            let item = match raw.split_once(':') {
                Some(("segment", code)) => code.parse::<SegmentType>().map(Item::Segment).map_err(|e| e.to_string()),
                Some(("campaign", id)) => Uuid::parse_str(id).map(Item::Campaign).map_err(|_| format!("'{id}' is not a campaign id (a UUID)")),
                _ => Err(format!("'{raw}' is neither segment:<code> nor campaign:<id>")),
            };
            match item {
                Ok(item) => items.push((raw.to_owned(), item)),
                Err(reason) => errors.push(FieldError { field: "compare".to_owned(), reason }),
            }
        }
    }
    if items.len() > MAX_COMPARE {
        errors.push(FieldError { field: "compare".to_owned(), reason: format!("compares at most {MAX_COMPARE} items, got {}", items.len()) });
    }
    if errors.is_empty() { Ok(items) } else { Err(AppError::Validation(errors)) }
}

/// `GET /api/v1/funnel`: impression → click → app open → add to cart → purchase, as users.
#[utoipa::path(get, path = "/api/v1/funnel", tag = "views", params(("compare" = Option<String>, Query, description = "Up to 4 of `segment:CODE` or `campaign:ID`, comma-separated"), super::metrics::FilterParams), responses((status = 200, body = FunnelResponse)))]
pub async fn funnel(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<FunnelResponse>> {
    let scope = parse_scope(&pairs, &["compare"], state.clock.now())?;
    let items = parse_compare(&pairs)?;
    let now = state.clock.now();
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let (funnel, compare) = compute(&state, move |store, config| {
        let (start, end) = (second_ceil(from), second_ceil(to));
        let mut compare = Vec::new();
        for (key, item) in items {
            let (narrowed, label) = match item {
                Item::Segment(s) => (Filter { segments: vec![s], ..filter.clone() }, s.as_str().to_owned()),
                Item::Campaign(id) => {
                    let Some(index) = store.campaign_index(id) else { return Err(format!("campaign {id} is not in the catalogue")) };
                    (Filter { campaigns: vec![id], ..filter.clone() }, store.campaigns[index as usize].name.clone())
                }
            };
            compare.push(ComparedFunnel { item: key, label, funnel: views::funnel(store, &narrowed, config, start, end) });
        }
        Ok((views::funnel(store, &filter, config, start, end), compare))
    })
    .await?
    .map_err(|reason| invalid("compare", reason))?;
    let best = compare
        .iter()
        .filter_map(|c| c.funnel.overall_rate.map(|r| (r, &c.item)))
        .fold(None::<(f64, &String)>, |best, (r, item)| if best.is_none_or(|b| r > b.0) { Some((r, item)) } else { best })
        .map(|(_, item)| item.clone());
    Ok(Json(FunnelResponse { as_of: now, from, to, scope, funnel, compare, best }))
}

// ---------------------------------------------------------------------------------------------
// Module 7.

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HeatmapResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: Scope,
    #[serde(flatten)]
    pub heatmap: Heatmap,
}

/// `GET /api/v1/heatmap`: impressions, clicks, click rate and attributed purchases by day of the
/// week (Monday first) and UTC hour; `segment=` overlays a segment like every filter.
#[utoipa::path(get, path = "/api/v1/heatmap", tag = "views", params(super::metrics::FilterParams), responses((status = 200, body = HeatmapResponse)))]
pub async fn heatmap(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<HeatmapResponse>> {
    let scope = parse_scope(&pairs, &[], state.clock.now())?;
    let now = state.clock.now();
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let heatmap = compute(&state, move |store, config| views::heatmap(store, &filter, config, second_ceil(from), second_ceil(to))).await?;
    Ok(Json(HeatmapResponse { as_of: now, from, to, scope, heatmap }))
}

// ---------------------------------------------------------------------------------------------
// Module 8: attribution (metric 21) per campaign and channel.

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttributionResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: Scope,
    #[serde(flatten)]
    pub attribution: Attribution,
}

/// `GET /api/v1/attribution`: first touch, last touch, linear and time decay side by side, per
/// campaign and per delivery channel, in conversions and revenue; a conversion's credit adds up
/// to 1 across campaigns. Lookback and half-life come from `[metrics]` in the configuration.
#[utoipa::path(get, path = "/api/v1/attribution", tag = "views", params(super::metrics::FilterParams), responses((status = 200, body = AttributionResponse)))]
pub async fn attribution(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<AttributionResponse>> {
    let scope = parse_scope(&pairs, &[], state.clock.now())?;
    let now = state.clock.now();
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let attribution =
        compute(&state, move |store, config| attribution::attribution(store, &filter, config, second_ceil(from), second_ceil(to))).await?;
    Ok(Json(AttributionResponse { as_of: now, from, to, scope, attribution }))
}

// ---------------------------------------------------------------------------------------------
// Module 3.

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SegmentsResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: Scope,
    pub segments: Vec<SegmentSummary>,
}

/// `GET /api/v1/segments`: the 8 segments (or those of `segment=`) with their size, LTV, CAC,
/// AOV, CTR, conversion rate, revenue and its trend.
#[utoipa::path(get, path = "/api/v1/segments", tag = "views", params(super::metrics::FilterParams), responses((status = 200, body = SegmentsResponse)))]
pub async fn segments(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<SegmentsResponse>> {
    let scope = parse_scope(&pairs, &[], state.clock.now())?;
    let now = state.clock.now();
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let segments = compute(&state, move |store, config| views::segments(store, &filter, config, from, to)).await?;
    Ok(Json(SegmentsResponse { as_of: now, from, to, scope, segments }))
}

// ---------------------------------------------------------------------------------------------
// Module 4.

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignSummary {
    pub id: Uuid,
    pub name: String,
    pub campaign_type: CampaignType,
    pub status: CampaignStatus,
    pub channels: Vec<DeliveryChannel>,
    /// Dollars.
    pub budget: f64,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreativeFigures {
    pub creative_id: Uuid,
    pub name: String,
    pub headline: String,
    pub call_to_action: String,
    #[serde(flatten)]
    pub performance: Performance,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CampaignPerformanceResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: Scope,
    pub campaign: CampaignSummary,
    pub totals: Performance,
    pub daily: Vec<SeriesPoint>,
    pub hourly: Vec<SeriesPoint>,
    pub segments: Vec<SegmentPerformance>,
    pub frequency: Frequency,
    pub creatives: Vec<CreativeFigures>,
    pub notes: Vec<String>,
}

/// `GET /api/v1/campaigns/{id}/performance`: one campaign's totals, daily and hourly series,
/// segments, frequency and creatives over the window.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/performance", tag = "views", params(("id" = String, Path), super::metrics::FilterParams), responses((status = 200, body = CampaignPerformanceResponse), (status = 404, body = app::wire::ErrorBody)))]
pub async fn campaign_performance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<CampaignPerformanceResponse>> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let id = Uuid::parse_str(&id).map_err(|_| invalid("id", format!("'{id}' is not a campaign id (a UUID)")))?;
    let scope = parse_scope(&pairs, &[], state.clock.now())?;
    if !scope.filter.campaigns.is_empty() {
        return Err(invalid("campaign", "the campaign is the one in the path; filter by type, status, segment, region, platform or creative".to_owned()));
    }
    let now = state.clock.now();
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let found = compute(&state, move |store, config| {
        let info = store.campaign_index(id).map(|i| store.campaigns[i as usize].clone())?;
        views::campaign_detail(store, &filter, config, id, second_ceil(from), second_ceil(to)).map(|d| (info, d))
    })
    .await?;
    let Some((info, detail)) = found else { return Err(AppError::NotFound(format!("campaign {id}"))) };
    let catalogue = crate::entities::creatives::Entity::find().filter(crate::entities::creatives::Column::CampaignId.eq(id)).all(&state.db).await?;
    let creatives = detail
        .creatives
        .into_iter()
        .map(|c| {
            let k = catalogue.iter().find(|k| k.id == c.creative_id);
            CreativeFigures {
                creative_id: c.creative_id,
                name: k.map_or_else(String::new, |k| k.name.clone()),
                headline: k.map_or_else(String::new, |k| k.headline.clone()),
                call_to_action: k.map_or_else(String::new, |k| k.call_to_action.clone()),
                performance: c.performance,
            }
        })
        .collect();
    let campaign = CampaignSummary {
        id,
        name: info.name,
        campaign_type: info.campaign_type,
        status: info.status,
        channels: info.channels,
        budget: info.budget_cents as f64 / 100.0,
    };
    Ok(Json(CampaignPerformanceResponse {
        as_of: now,
        from,
        to,
        scope,
        campaign,
        totals: detail.totals,
        daily: detail.daily,
        hourly: detail.hourly,
        segments: detail.segments,
        frequency: detail.frequency,
        creatives,
        notes: detail.notes,
    }))
}
