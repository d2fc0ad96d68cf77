//! `GET /api/v1/metrics`, `GET /api/v1/metrics/{id}`, `GET /api/v1/roi` and the seed's
//! `GET /metrics/roas`: the 25 metrics and incrementality, computed from the in-memory rollup.

use analytics::metrics::compute::{Parts, Window, second_ceil, tally_windows};
use analytics::metrics::{Filter, KPI_CARDS, MetricId, Status, MetricValue, Performance, Query as MetricQuery, SortColumn, Tally, creative_notes, roi_row, sort_rows, tally};
use analytics::metrics::roi::{day_lifts, day_windows};
use analytics::{CampaignStatus, CampaignType, Platform, SegmentType};
use app::filters::{FILTER_KEYS, Range};
use app::wire::{CreativeRow, FieldError, KpiBoard, KpiCard, KpiPoint, LeaderboardRow, RoiResponse, TablePage};
use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{AppError, Result};
use crate::services::system_log;
use crate::state::AppState;

pub use app::wire::FilterScope as Scope;

/// The filters, for the OpenAPI document (the handlers read them from the raw query so that
/// every bad value is named, and lists may repeat or be comma-separated).
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FilterParams {
    /// A window ending at `to` (or now): `7d`, `30d`, `90d` (any `1d` to `3660d`) or `ytd`; not with `from`.
    range: Option<String>,
    /// Start, inclusive: a date (`2026-11-01`, UTC) or an RFC 3339 time.
    from: Option<String>,
    /// End, exclusive: a date or an RFC 3339 time (default now; never later than now).
    to: Option<String>,
    /// Campaign ids (UUIDs).
    campaign: Option<String>,
    /// Campaign types (`DISCOUNT`, `CASHBACK`, …).
    r#type: Option<String>,
    /// Campaign statuses (`active`, `paused`, …).
    status: Option<String>,
    /// Segment codes (`HIGH_SPENDER`, …).
    segment: Option<String>,
    /// Regions (`US-CA`, …).
    region: Option<String>,
    /// Platforms (`iOS`, `Android`, `Web`).
    platform: Option<String>,
    /// Creative ids (UUIDs).
    creative: Option<String>,
}

/// Sorting and paging, for the OpenAPI document.
#[allow(dead_code)]
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagingParams {
    /// A column: name, status, type, sends, impressions, clicks, conversions, spend, revenue, roas, ctr, conversion_rate, cac, aov, incrementality.
    sort: Option<String>,
    /// `asc` or `desc` (default).
    order: Option<String>,
    /// From 1.
    page: Option<u32>,
    /// 1–500 (default 50).
    per_page: Option<u32>,
    /// Only rows with a ROAS below this multiple (rows without a ROAS are left out).
    roas_below: Option<f64>,
}

/// Parses the query string into a scope, naming every bad parameter. A `range` (`7d`, `30d`,
/// `90d`, any `Nd`, or `ytd`) becomes the `from` of a window ending at `to` (or `now`).
pub fn parse_scope(pairs: &[(String, String)], extra: &[&str], now: DateTime<Utc>) -> Result<Scope> {
    let mut scope = Scope::default();
    let mut range: Option<Range> = None;
    let mut errors = Vec::new();
    for (key, value) in pairs {
        // An empty value (`segment=`, as an empty form field sends it) sets no filter.
        if value.trim().is_empty() && FILTER_KEYS.contains(&key.as_str()) {
            continue;
        }
        let values = value.split(',').map(str::trim).filter(|v| !v.is_empty());
        let mut bad = |reason: String| errors.push(FieldError { field: key.clone(), reason });
        match key.as_str() {
            "range" => match value.parse::<Range>() {
                Ok(r) => range = Some(r),
                Err(reason) => bad(reason),
            },
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
                "unknown parameter '{other}': expected range, from, to, campaign, type, status, segment, region, platform, creative{}",
                extra.iter().map(|e| format!(", {e}")).collect::<String>()
            )),
        }
    }
    if let Some(range) = range {
        if scope.from.is_some() {
            errors.push(FieldError { field: "range".to_owned(), reason: "give either a range or a `from`, not both".to_owned() });
        } else {
            scope.from = Some(range.start(scope.to.unwrap_or(now).min(now)));
        }
    }
    if let (Some(from), Some(to)) = (scope.from, scope.to)
        && from >= to
    {
        errors.push(FieldError { field: "from".to_owned(), reason: format!("must be before `to` ({to})") });
    }
    if errors.is_empty() { Ok(scope) } else { Err(AppError::Validation(errors)) }
}

pub fn parse_time(value: &str) -> std::result::Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc())
        .map_err(|_| format!("'{value}' is neither a date (2026-11-25) nor an RFC 3339 time"))
}

/// `GET /api/v1/metrics` answers all 25.
#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricsResponse {
    pub as_of: DateTime<Utc>,
    pub scope: Scope,
    pub metrics: Vec<MetricValue>,
}

/// Runs a computation over the rollup off the async threads, and logs its compute time for
/// metric 25 (the computation is single-threaded, so its duration is its CPU time).
pub(crate) async fn compute<T: Send + 'static>(state: &AppState, f: impl FnOnce(&analytics::metrics::Store, &analytics::metrics::Config) -> T + Send + 'static) -> Result<T> {
    let hub = state.metrics.clone();
    let (value, seconds) = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let value = hub.read(|store| f(store, &hub.config));
        (value, started.elapsed().as_secs_f64())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    if let Err(err) = system_log::add_query(&state.db, state.clock.now(), seconds).await {
        tracing::warn!(error = %err.one_line(), "query time not recorded");
    }
    Ok(value)
}

/// All 25 metrics for the filters. The same query at the same store version within a few seconds
/// is answered from the view cache; `as_of` is when its figures were computed.
#[utoipa::path(get, path = "/api/v1/metrics", tag = "metrics", params(FilterParams), responses((status = 200, body = MetricsResponse), (status = 422, body = app::wire::ErrorBody)))]
pub async fn all(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<MetricsResponse>> {
    state.views.get(&state, "metrics", &pairs, || all_uncached(&state, &pairs)).await.map(Json)
}

async fn all_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<MetricsResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let system = system_log::stats(&state.db).await?;
    let for_query = scope.clone();
    let metrics = compute(state, move |store, config| {
        MetricQuery { store, system: &system, filter: &for_query.filter, config, from: for_query.from, to: for_query.to, now }.all()
    })
    .await?;
    Ok(MetricsResponse { as_of: now, scope, metrics })
}

/// Some metrics for a query string, as `GET /api/v1/metrics` computes them (current value, the
/// previous window's and the trend), without the KPI cards' day-by-day history.
pub async fn metrics_of(state: &AppState, pairs: &[(String, String)], ids: &'static [MetricId]) -> Result<Vec<MetricValue>> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let system = system_log::stats(&state.db).await?;
    compute(state, move |store, config| MetricQuery { store, system: &system, filter: &scope.filter, config, from: scope.from, to: scope.to, now }.some(ids)).await
}

/// Attributed revenue (dollars) by UTC day over `[from, to)` for a query string's filters, in
/// one pass over the facts (the last-touch credit of `/api/v1/metrics`' revenue).
pub async fn revenue_by_day(state: &AppState, pairs: &[(String, String)], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<(DateTime<Utc>, f64)>> {
    let scope = parse_scope(pairs, &[], state.clock.now())?;
    let first = from.date_naive().and_hms_opt(0, 0, 0).expect("midnight").and_utc().timestamp();
    let (from, to) = (from.timestamp(), to.timestamp());
    let days = ((to - first + 86_399) / 86_400).max(0) as usize;
    let counts = compute(state, move |store, config| {
        analytics::metrics::views::bucketed(store, &scope.filter, config, from, to, days, |at| usize::try_from((at - first) / 86_400).ok().filter(|d| *d < days))
    })
    .await?;
    Ok(counts.iter().enumerate().map(|(d, c)| (DateTime::from_timestamp(first + d as i64 * 86_400, 0).unwrap_or_default(), c.revenue_cents as f64 / 100.0)).collect())
}

/// Days of history on a KPI card: its sparkline, and enough for the 3-day alert.
const KPI_HISTORY_DAYS: i64 = 7;

/// The executive KPI cards (Module 1) for a query string: each card's metric now, and its value
/// as it stood at the end of each of the last seven days over the same window (the same
/// explicit period shifted back, or the metric's default window ending then).
pub async fn kpi_board(state: &AppState, pairs: &[(String, String)]) -> Result<KpiBoard> {
    state.views.get(state, "kpis", pairs, || kpi_board_uncached(state, pairs)).await
}

async fn kpi_board_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<KpiBoard> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let system = system_log::stats(&state.db).await?;
    let cards = compute(state, move |store, config| {
        let end = scope.to.unwrap_or(now).min(now);
        let values_days_back = |days: i64| {
            let shift = Duration::days(days);
            let query = MetricQuery { store, system: &system, filter: &scope.filter, config, from: scope.from.map(|f| f - shift), to: Some(end - shift), now };
            query.some(&KPI_CARDS)
        };
        let history: Vec<Vec<MetricValue>> = (0..KPI_HISTORY_DAYS).rev().map(values_days_back).collect();
        let current = history.last().cloned().unwrap_or_default();
        current
            .into_iter()
            .enumerate()
            .map(|(i, metric)| {
                let points: Vec<KpiPoint> = history.iter().map(|day| KpiPoint { at: day[i].to, value: day[i].value, status: day[i].status }).collect();
                let off_target_days = points.iter().rev().take_while(|p| p.status == Some(Status::OffTarget)).count() as u32;
                KpiCard { metric, history: points, off_target_days }
            })
            .collect()
    })
    .await?;
    Ok(KpiBoard { as_of: now, cards })
}

/// One point of a metric's series.
#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesPoint {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub value: Option<f64>,
}

#[derive(utoipa::ToSchema)]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricResponse {
    pub metric: MetricValue,
    pub granularity: String,
    pub series: Vec<SeriesPoint>,
}

/// The most points a series may have.
const MAX_POINTS: i64 = 744;

#[utoipa::path(get, path = "/api/v1/metrics/{id}", tag = "metrics", params(("id" = String, Path, description = "A metric id (`roas`) or number (1–25)"), ("granularity" = Option<String>, Query, description = "`hour` or `day` (default)"), FilterParams), responses((status = 200, body = MetricResponse), (status = 404, body = app::wire::ErrorBody)))]
pub async fn one(State(state): State<AppState>, Path(id): Path<String>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<MetricResponse>> {
    let id: MetricId = id.parse().map_err(|e: analytics::UnknownName| AppError::NotFound(e.to_string()))?;
    metric_series(&state, id, &pairs).await.map(Json)
}

/// One metric for a query string, with its series over its window (`granularity`: `hour` or
/// `day`, the default).
pub async fn metric_series(state: &AppState, id: MetricId, pairs: &[(String, String)]) -> Result<MetricResponse> {
    let scope = parse_scope(pairs, &["granularity"], state.clock.now())?;
    let granularity = pairs.iter().find(|(k, _)| k == "granularity").map_or("day", |(_, v)| v.as_str()).to_owned();
    let step = match granularity.as_str() {
        "hour" => Duration::hours(1),
        "day" => Duration::days(1),
        other => {
            return Err(AppError::Validation(vec![FieldError { field: "granularity".to_owned(), reason: format!("'{other}' is not hour or day") }]));
        }
    };
    let now = state.clock.now();
    let system = system_log::stats(&state.db).await?;
    let for_query = scope.clone();
    let (metric, series) = compute(state, move |store, config| {
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
    Ok(MetricResponse { metric, granularity, series })
}

/// `GET /api/v1/roi`: treatment vs holdout per campaign, users first assigned in the window
/// (default the last 7 days).
#[utoipa::path(get, path = "/api/v1/roi", tag = "metrics", params(FilterParams), responses((status = 200, body = RoiResponse)))]
pub async fn roi(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<RoiResponse>> {
    roi_view(&state, &pairs).await.map(Json)
}

/// Module 8's treatment-vs-holdout table for a query string's pairs.
pub async fn roi_view(state: &AppState, pairs: &[(String, String)]) -> Result<RoiResponse> {
    state.views.get(state, "roi", pairs, || roi_view_uncached(state, pairs)).await
}

async fn roi_view_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<RoiResponse> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let to = scope.to.unwrap_or(now).min(now);
    let from = scope.from.unwrap_or(to - Duration::days(7));
    let filter = scope.filter.clone();
    let (campaigns, over_time) = compute(state, move |store, config| {
        // The period and its days in one walk over the users.
        let period = Window { from: second_ceil(from), to: second_ceil(to), parts: Parts::ALL };
        let days = day_windows(period.from, period.to);
        let mut tallies = tally_windows(store, &filter, config, &[&[period][..], &days].concat());
        let t = tallies.remove(0);
        let split = filter.splits_spend();
        let rows = t
            .campaigns
            .iter()
            .filter(|(_, c)| c.treated + c.held > 0)
            .map(|(index, c)| {
                let info = &store.campaigns[*index as usize];
                roi_row(info.id, &info.name, c, c.spend(split), info.holdout_share)
            })
            .collect::<Vec<_>>();
        (rows, day_lifts(&days, tallies))
    })
    .await?;
    Ok(RoiResponse { as_of: now, from, to, campaigns, over_time })
}

/// The spec runbook's `GET /metrics/roas?campaign_id=…` → `{"roas": …, "confidence": …}`.
#[utoipa::path(get, path = "/metrics/roas", tag = "metrics", description = "The spec's runbook: `{\"roas\": …, \"confidence\": …}`", params(FilterParams), responses((status = 200, body = Object)))]
pub async fn seed_roas(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<serde_json::Value>> {
    let now = state.clock.now();
    let scope = parse_scope(&pairs, &[], now)?;
    let system = system_log::stats(&state.db).await?;
    let metric = compute(&state, move |store, config| {
        MetricQuery { store, system: &system, filter: &scope.filter, config, from: scope.from, to: scope.to, now }.some(&[MetricId::Roas]).remove(0)
    })
    .await?;
    Ok(Json(serde_json::json!({ "roas": metric.value, "confidence": metric.confidence, "complete": metric.complete, "reason": metric.reason })))
}

/// Sorting and paging of a table: `sort` (a column), `order` (`asc` or `desc`, default `desc`),
/// `page` (from 1) and `per_page` (1–500, default 50).
/// `roas_below` keeps only rows whose ROAS is known and below it (the CMO's "campaigns under
/// 2.5x" drill-down).
#[derive(Debug, Clone, Copy)]
struct Paging {
    sort: SortColumn,
    descending: bool,
    page: usize,
    per_page: usize,
    roas_below: Option<f64>,
}

impl Paging {
    fn keeps(&self, performance: &Performance) -> bool {
        self.roas_below.is_none_or(|limit| performance.roas.is_some_and(|roas| roas < limit))
    }
}

const PAGING_PARAMS: &[&str] = &["sort", "order", "page", "per_page", "roas_below"];

fn parse_paging(pairs: &[(String, String)], default_sort: SortColumn) -> Result<Paging> {
    let mut paging = Paging { sort: default_sort, descending: true, page: 1, per_page: 50, roas_below: None };
    let mut errors = Vec::new();
    for (key, value) in pairs {
        let mut bad = |reason: String| errors.push(FieldError { field: key.clone(), reason });
        match key.as_str() {
            "sort" => match value.parse::<SortColumn>() {
                Ok(column) => paging.sort = column,
                Err(e) => bad(e.to_string()),
            },
            "order" => match value.as_str() {
                "asc" => paging.descending = false,
                "desc" => paging.descending = true,
                other => bad(format!("'{other}' is not asc or desc")),
            },
            "page" => match value.parse::<usize>() {
                Ok(n) if (1..=1_000_000).contains(&n) => paging.page = n,
                _ => bad(format!("'{value}' is not a page number (1 to 1,000,000)")),
            },
            "per_page" => match value.parse::<usize>() {
                Ok(n) if (1..=500).contains(&n) => paging.per_page = n,
                _ => bad(format!("'{value}' is not between 1 and 500")),
            },
            "roas_below" => match value.parse::<f64>() {
                Ok(x) if x.is_finite() && x > 0.0 => paging.roas_below = Some(x),
                _ => bad(format!("'{value}' is not a ROAS above 0 (e.g. 2.5)")),
            },
            _ => {}
        }
    }
    if errors.is_empty() { Ok(paging) } else { Err(AppError::Validation(errors)) }
}

fn page<T>(rows: Vec<T>, paging: Paging) -> Vec<T> {
    rows.into_iter().skip((paging.page - 1) * paging.per_page).take(paging.per_page).collect()
}

/// The window of a table: the filters' `from`/`to`, by default the last 7 days.
fn table_window(scope: &Scope, now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let to = scope.to.unwrap_or(now).min(now);
    (scope.from.unwrap_or(to - Duration::days(7)), to)
}

/// `GET /api/v1/campaigns`: every campaign the filters allow, with its figures over the window,
/// sorted (default ROAS, descending) and paged.
#[utoipa::path(get, path = "/api/v1/campaigns", tag = "metrics", params(FilterParams, PagingParams), responses((status = 200, body = TablePage<LeaderboardRow>)))]
pub async fn leaderboard(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<TablePage<LeaderboardRow>>> {
    Ok(Json(leaderboard_page(&state, &pairs).await?))
}

/// The leaderboard page a query string asks for (the API's and the dashboard's).
pub async fn leaderboard_page(state: &AppState, pairs: &[(String, String)]) -> Result<TablePage<LeaderboardRow>> {
    state.views.get(state, "leaderboard", pairs, || leaderboard_page_uncached(state, pairs)).await
}

async fn leaderboard_page_uncached(state: &AppState, pairs: &[(String, String)]) -> Result<TablePage<LeaderboardRow>> {
    let (mut whole, paging) = sorted_leaderboard(state, pairs).await?;
    whole.page = paging.page;
    whole.per_page = paging.per_page;
    whole.rows = page(whole.rows, paging);
    Ok(whole)
}

/// Every leaderboard row a query string's filters allow, sorted, in one page (for exports).
pub async fn leaderboard_all(state: &AppState, pairs: &[(String, String)]) -> Result<TablePage<LeaderboardRow>> {
    Ok(sorted_leaderboard(state, pairs).await?.0)
}

/// The rows the filters and `roas_below` keep, sorted, as one page; and the paging asked for.
async fn sorted_leaderboard(state: &AppState, pairs: &[(String, String)]) -> Result<(TablePage<LeaderboardRow>, Paging)> {
    let now = state.clock.now();
    let scope = parse_scope(pairs, PAGING_PARAMS, now)?;
    let paging = parse_paging(pairs, SortColumn::Roas)?;
    let (from, to) = table_window(&scope, now);
    let filter = scope.filter.clone();
    let mut rows = compute(state, move |store, config| leaderboard_rows(store, config, &filter, from, to, paging.sort, paging.descending)).await?;
    rows.retain(|r| paging.keeps(&r.performance));
    let total = rows.len();
    Ok((TablePage { as_of: now, from, to, total, page: 1, per_page: total.max(1), rows }, paging))
}

/// Every campaign the filter allows with its figures over `[from, to)`, sorted and ranked.
pub fn leaderboard_rows(
    store: &analytics::metrics::Store,
    config: &analytics::metrics::Config,
    filter: &Filter,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sort: SortColumn,
    descending: bool,
) -> Vec<LeaderboardRow> {
    let t = tally(store, filter, config, second_ceil(from), second_ceil(to));
    leaderboard_rows_of(store, filter, &t, sort, descending)
}

/// The leaderboard from the tally of its window (a complete one: `Parts::ALL`).
pub fn leaderboard_rows_of(store: &analytics::metrics::Store, filter: &Filter, t: &Tally, sort: SortColumn, descending: bool) -> Vec<LeaderboardRow> {
    let split = filter.splits_spend();
    let empty = analytics::metrics::CampaignTally::default();
    // Spend to the window's end, per campaign, in one pass over the spend lines.
    let mut spent = vec![0i64; store.campaigns.len()];
    for line in store.spend.iter().filter(|l| l.at < t.to) {
        spent[line.campaign as usize] += line.cents;
    }
    let mut rows: Vec<LeaderboardRow> = store
        .campaigns
        .iter()
        .enumerate()
        .filter(|(_, c)| filter.allows_campaign(c))
        .map(|(i, c)| LeaderboardRow {
            rank: 0,
            campaign_id: c.id,
            name: c.name.clone(),
            campaign_type: c.campaign_type,
            status: c.status,
            channels: c.channels.clone(),
            budget: c.budget_cents as f64 / 100.0,
            budget_spent: spent[i] as f64 / 100.0,
            performance: Performance::of(t.campaigns.get(&(i as u32)).unwrap_or(&empty), split),
        })
        .collect();
    sort_rows(&mut rows, sort, descending, |r| &r.performance, |r, column| match column {
        SortColumn::Status => r.status.as_str().to_owned(),
        SortColumn::Type => r.campaign_type.as_str().to_owned(),
        _ => r.name.clone(),
    });
    for (i, row) in rows.iter_mut().enumerate() {
        row.rank = i + 1;
    }
    rows
}

/// `GET /api/v1/creatives`: every creative of the campaigns the filters allow, with its figures
/// and notes, sorted (default ROAS, descending) and paged.
#[utoipa::path(get, path = "/api/v1/creatives", tag = "metrics", params(FilterParams, PagingParams), responses((status = 200, body = TablePage<CreativeRow>)))]
pub async fn creatives(State(state): State<AppState>, Query(pairs): Query<Vec<(String, String)>>) -> Result<Json<TablePage<CreativeRow>>> {
    let (mut whole, paging) = sorted_creatives(&state, &pairs).await?;
    whole.page = paging.page;
    whole.per_page = paging.per_page;
    whole.rows = page(whole.rows, paging);
    Ok(Json(whole))
}

/// Every creative row a query string's filters allow, sorted, in one page (for exports).
pub async fn creatives_all(state: &AppState, pairs: &[(String, String)]) -> Result<TablePage<CreativeRow>> {
    Ok(sorted_creatives(state, pairs).await?.0)
}

async fn sorted_creatives(state: &AppState, pairs: &[(String, String)]) -> Result<(TablePage<CreativeRow>, Paging)> {
    use sea_orm::EntityTrait;
    let now = state.clock.now();
    let scope = parse_scope(pairs, PAGING_PARAMS, now)?;
    let paging = parse_paging(pairs, SortColumn::Roas)?;
    let (from, to) = table_window(&scope, now);
    let catalogue = crate::entities::creatives::Entity::find().all(&state.db).await?;
    let mut active_weights: std::collections::HashMap<Uuid, u32> = std::collections::HashMap::new();
    for k in catalogue.iter().filter(|k| crate::services::catalogue::creative_status(k) == app::wire::CreativeStatus::Active) {
        *active_weights.entry(k.campaign_id).or_default() += k.weight_percent.max(0) as u32;
    }
    let filter = scope.filter.clone();
    let rows = compute(state, move |store, config| {
        let t = tally(store, &filter, config, second_ceil(from), second_ceil(to));
        let split = filter.splits_spend();
        let empty = analytics::metrics::CampaignTally::default();
        let mut rows: Vec<(CreativeRow, Performance)> = catalogue
            .into_iter()
            .filter_map(|k| {
                let index = store.creative_index(k.id)?;
                let campaign_index = store.creatives[index as usize].1;
                let c = &store.campaigns[campaign_index as usize];
                let allowed = filter.allows_campaign(c) && (filter.creatives.is_empty() || filter.creatives.contains(&k.id));
                allowed.then(|| {
                    let row = CreativeRow {
                        status: crate::services::catalogue::creative_status(&k),
                        weight_percent: k.weight_percent.max(0) as u32,
                        assignment_share: super::views::assignment_share(
                            crate::services::catalogue::creative_status(&k),
                            k.weight_percent.max(0) as u32,
                            active_weights.get(&k.campaign_id).copied().unwrap_or(0),
                        ),
                        creative_id: k.id,
                        campaign_id: c.id,
                        campaign_name: c.name.clone(),
                        name: k.name,
                        headline: k.headline,
                        body: k.body,
                        call_to_action: k.call_to_action,
                        performance: Performance::of(t.creatives.get(&index).unwrap_or(&empty), true),
                        notes: Vec::new(),
                    };
                    (row, Performance::of(t.campaigns.get(&campaign_index).unwrap_or(&empty), split))
                })
            })
            .collect();
        let notes = creative_notes(&rows.iter().map(|(r, whole)| (r.campaign_id, &r.performance, whole)).collect::<Vec<_>>());
        for ((row, _), notes) in rows.iter_mut().zip(notes) {
            row.notes = notes;
        }
        let mut rows: Vec<CreativeRow> = rows.into_iter().map(|(r, _)| r).filter(|r| paging.keeps(&r.performance)).collect();
        sort_rows(&mut rows, paging.sort, paging.descending, |r| &r.performance, |r, _| format!("{} {}", r.campaign_name, r.name));
        rows
    })
    .await?;
    let total = rows.len();
    Ok((TablePage { as_of: now, from, to, total, page: 1, per_page: total.max(1), rows }, paging))
}
