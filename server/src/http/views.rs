//! Modules 3, 4, 6, 7 and 8 over HTTP: `GET /api/v1/segments`, `GET /api/v1/campaigns/{id}/performance`,
//! `GET /api/v1/funnel`, `GET /api/v1/heatmap` and `GET /api/v1/attribution`. Each takes the filters of `/api/v1/metrics`
//! (`parse_scope`); the window is the 7 days up to now unless `from`/`to` say otherwise, and it
//! never ends after now. The numbers come from `analytics::metrics::views`.

use analytics::SegmentType;
use analytics::metrics::compute::second_ceil;
use analytics::metrics::attribution;
use analytics::metrics::views;
use analytics::metrics::{Filter, creative_notes};
use app::wire::{
    AttributionResponse, CampaignPerformanceResponse, ComparedFunnel, CreativeRow, FieldError, FunnelResponse, HeatmapResponse, SegmentsResponse,
};
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use super::metrics::{compute, parse_scope};
use app::wire::FilterScope as Scope;
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
    funnel_view(&state, &pairs).await.map(Json)
}

/// Module 6 for a query string's pairs (the API and the dashboard page share it).
pub async fn funnel_view(state: &AppState, pairs: &[(String, String)]) -> Result<FunnelResponse> {
    state.views.get(state, "funnel", pairs, || funnel_view_uncached(state, pairs)).await
}

async fn funnel_view_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<FunnelResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &["compare"], now)?;
    let items = parse_compare(pairs)?;
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let (funnel, compare) = compute(state, move |store, config| {
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
    Ok(FunnelResponse { as_of: now, from, to, scope, funnel, compare, best })
}

// ---------------------------------------------------------------------------------------------
// Module 7.

/// `GET /api/v1/heatmap`: impressions, clicks, click rate and attributed purchases by day of the
/// week (Monday first) and UTC hour; `segment=` overlays a segment like every filter.
#[utoipa::path(get, path = "/api/v1/heatmap", tag = "views", params(super::metrics::FilterParams), responses((status = 200, body = HeatmapResponse)))]
pub async fn heatmap(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<HeatmapResponse>> {
    heatmap_view(&state, &pairs).await.map(Json)
}

pub async fn heatmap_view(state: &AppState, pairs: &[(String, String)]) -> Result<HeatmapResponse> {
    state.views.get(state, "heatmap", pairs, || heatmap_view_uncached(state, pairs)).await
}

async fn heatmap_view_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<HeatmapResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let heatmap = compute(state, move |store, config| views::heatmap(store, &filter, config, second_ceil(from), second_ceil(to))).await?;
    Ok(HeatmapResponse { as_of: now, from, to, scope, heatmap })
}

// ---------------------------------------------------------------------------------------------
// Module 8: attribution (metric 21) per campaign and channel.

/// `GET /api/v1/attribution`: first touch, last touch, linear and time decay side by side, per
/// campaign and per delivery channel, in conversions and revenue; a conversion's credit adds up
/// to 1 across campaigns. Lookback and half-life come from `[metrics]` in the configuration.
#[utoipa::path(get, path = "/api/v1/attribution", tag = "views", params(super::metrics::FilterParams), responses((status = 200, body = AttributionResponse)))]
pub async fn attribution(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<AttributionResponse>> {
    attribution_view(&state, &pairs).await.map(Json)
}

pub async fn attribution_view(state: &AppState, pairs: &[(String, String)]) -> Result<AttributionResponse> {
    state.views.get(state, "attribution", pairs, || attribution_view_uncached(state, pairs)).await
}

async fn attribution_view_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<AttributionResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let attribution =
        compute(state, move |store, config| attribution::attribution(store, &filter, config, second_ceil(from), second_ceil(to))).await?;
    Ok(AttributionResponse { as_of: now, from, to, scope, attribution })
}

// ---------------------------------------------------------------------------------------------
// Module 3.

/// `GET /api/v1/segments`: the 8 segments (or those of `segment=`) with their size, LTV, CAC,
/// AOV, CTR, conversion rate, revenue and its trend.
#[utoipa::path(get, path = "/api/v1/segments", tag = "views", params(super::metrics::FilterParams), responses((status = 200, body = SegmentsResponse)))]
pub async fn segments(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<SegmentsResponse>> {
    segments_view(&state, &pairs, &[]).await.map(Json)
}

/// Module 3 for a query string's pairs; `extra` names parameters of the caller's own (the page's
/// comparison) that the filters should ignore.
pub async fn segments_view(state: &AppState, pairs: &[(String, String)], extra: &[&str]) -> Result<SegmentsResponse> {
    state.views.get(state, "segments", pairs, || segments_view_uncached(state, pairs, extra)).await
}

async fn segments_view_uncached(state: &AppState, pairs: &[(String, String)], extra: &[&str]) -> Result<SegmentsResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, extra, now)?;
    let (from, to) = window(&scope, now)?;
    let filter = scope.filter.clone();
    let segments = compute(state, move |store, config| views::segments(store, &filter, config, from, to)).await?;
    Ok(SegmentsResponse { as_of: now, from, to, scope, segments })
}

// ---------------------------------------------------------------------------------------------
// Module 4.

/// `GET /api/v1/campaigns/{id}/performance`: one campaign's totals, daily and hourly series,
/// segments, frequency and creatives (with their status and Module 5's notes) over the window.
#[utoipa::path(get, path = "/api/v1/campaigns/{id}/performance", tag = "views", params(("id" = String, Path), super::metrics::FilterParams), responses((status = 200, body = CampaignPerformanceResponse), (status = 404, body = app::wire::ErrorBody)))]
pub async fn campaign_performance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<CampaignPerformanceResponse>> {
    let id = Uuid::parse_str(&id).map_err(|_| invalid("id", format!("'{id}' is not a campaign id (a UUID)")))?;
    campaign_performance_view(&state, id, &pairs).await.map(Json)
}

/// For a pause, what the campaign did over the last 7 days (the `campaign_paused` event's
/// `pause_metrics_snapshot`); nothing for other changes, or when the figures cannot be read.
pub async fn pause_figures(state: &AppState, id: Uuid, patch: &app::wire::CampaignPatch) -> Option<serde_json::Value> {
    if patch.status != Some(analytics::CampaignStatus::Paused) {
        return None;
    }
    let pairs = [("range".to_owned(), "7d".to_owned())];
    let detail = campaign_performance_view(state, id, &pairs).await.ok()?;
    let t = &detail.totals;
    Some(serde_json::json!({
        "window_days": 7,
        "impressions": t.impressions,
        "clicks": t.clicks,
        "ctr_percent": t.ctr,
        "conversions": t.conversions,
        "conversion_rate_percent": t.conversion_rate,
        "spend": t.spend,
        "revenue": t.revenue,
        "roas": t.roas,
        "budget_spent": detail.budget_spent,
    }))
}

/// A creative's share of its campaign's treatment users, percent: its weight among the active
/// creatives' weights; nothing when paused.
pub fn assignment_share(status: app::wire::CreativeStatus, weight: u32, active_weights: u32) -> f64 {
    if status == app::wire::CreativeStatus::Active && active_weights > 0 { 100.0 * f64::from(weight) / f64::from(active_weights) } else { 0.0 }
}

pub async fn campaign_performance_view(state: &AppState, id: Uuid, pairs: &[(String, String)]) -> Result<CampaignPerformanceResponse> {
    state.views.get(state, &format!("campaign/{id}"), pairs, || campaign_performance_view_uncached(state, id, pairs)).await
}

async fn campaign_performance_view_uncached(state: &AppState, id: Uuid, pairs: &[(String, String)]) -> Result<CampaignPerformanceResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    if !scope.filter.campaigns.is_empty() {
        return Err(invalid("campaign", "the campaign is the one in the path; filter by type, status, segment, region, platform or creative".to_owned()));
    }
    let (from, to) = window(&scope, now)?;
    let campaign = crate::services::catalogue::get(&state.db, id).await?;
    let filter = scope.filter.clone();
    let found = compute(state, move |store, config| {
        let index = store.campaign_index(id)?;
        let spent = store.spend.iter().filter(|l| l.campaign == index && l.at < second_ceil(to)).map(|l| l.cents).sum::<i64>();
        views::campaign_detail(store, &filter, config, id, second_ceil(from), second_ceil(to)).map(|d| (spent, d))
    })
    .await?;
    let Some((spent_cents, detail)) = found else { return Err(AppError::NotFound(format!("campaign {id}"))) };
    let active_weights: u32 = campaign.creatives.iter().filter(|k| k.status == app::wire::CreativeStatus::Active).map(|k| k.weight_percent).sum();
    let mut creatives: Vec<CreativeRow> = detail
        .creatives
        .into_iter()
        .filter_map(|c| {
            let k = campaign.creatives.iter().find(|k| k.id == c.creative_id)?;
            Some(CreativeRow {
                creative_id: c.creative_id,
                campaign_id: id,
                campaign_name: campaign.name.clone(),
                name: k.name.clone(),
                headline: k.headline.clone(),
                body: k.body.clone(),
                call_to_action: k.call_to_action.clone(),
                status: k.status,
                weight_percent: k.weight_percent,
                assignment_share: assignment_share(k.status, k.weight_percent, active_weights),
                performance: c.performance,
                notes: Vec::new(),
            })
        })
        .collect();
    let notes = creative_notes(&creatives.iter().map(|c| ((), &c.performance, &detail.totals)).collect::<Vec<_>>());
    for (row, notes) in creatives.iter_mut().zip(notes) {
        row.notes = notes;
    }
    Ok(CampaignPerformanceResponse {
        as_of: now,
        from,
        to,
        scope,
        budget_spent: spent_cents as f64 / 100.0,
        campaign,
        totals: detail.totals,
        daily: detail.daily,
        hourly: detail.hourly,
        segments: detail.segments,
        frequency: detail.frequency,
        creatives,
        notes: detail.notes,
    })
}
