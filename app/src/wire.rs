//! Types that cross the network between server and browser (and to API clients). The database
//! rows never are the API: the server maps its entities into these.

use analytics::HourBucket;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Overall verdict of a health check (the spec's runbook checks for `healthy`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Healthy,
    Degraded,
    Unhealthy,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "healthy",
            HealthStatus::Degraded => "degraded",
            HealthStatus::Unhealthy => "unhealthy",
        }
    }
}

/// What the health check found out about the database.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    /// `sqlite` or `postgres`.
    pub backend: String,
    pub reachable: bool,
    /// Round trip of a trivial query, when it answered.
    pub latency_ms: Option<f64>,
    /// Why the database is not usable, when it is not.
    pub error: Option<String>,
}

/// `GET /api/v1/health`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HealthReport {
    pub status: HealthStatus,
    /// Why the status is not `healthy`; absent when it is.
    pub reason: Option<String>,
    pub database: DatabaseHealth,
    pub uptime_seconds: i64,
    pub version: String,
    pub checked_at: DateTime<Utc>,
}

/// One periodic probe of the database, kept in memory for the health page.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySample {
    pub at: DateTime<Utc>,
    /// `None` when the database did not answer.
    pub latency_ms: Option<f64>,
}

/// Ingested events per hour over a window ending now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventVolume {
    /// Oldest first, one bucket per hour, zeros included.
    pub hours: Vec<HourBucket>,
    pub total: i64,
    pub as_of: DateTime<Utc>,
}

/// A validation problem with one field of a request.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub reason: String,
}

/// The body of every error response of the HTTP API.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    /// A stable, machine-readable code such as `not_found` or `validation_failed`.
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

/// An account as the admin page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountRow {
    pub id: uuid::Uuid,
    pub email: String,
    pub role: crate::access::Role,
    pub disabled: bool,
    pub created_at: DateTime<Utc>,
}

/// A live browser session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: uuid::Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A personal read token (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: uuid::Uuid,
    pub owner_email: String,
    pub name: String,
    /// The first characters of the secret, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// A producer's API key (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: uuid::Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: Vec<crate::access::Scope>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked: bool,
}

/// What the admin page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub accounts: Vec<AccountRow>,
    pub sessions: Vec<SessionRow>,
    pub tokens: Vec<TokenRow>,
    pub api_keys: Vec<ApiKeyRow>,
}

/// A secret shown once, right after it was created (a generated password or a token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneTimeSecret {
    /// What the secret is for, e.g. `password for ana@example.com`.
    pub label: String,
    pub secret: String,
}

/// One refused event of a batch: its position, its id if it had one, and what was wrong.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub index: usize,
    pub event_id: Option<String>,
    pub field: String,
    pub reason: String,
}

/// `POST /api/v1/events`: what happened to each event of the batch.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestResult {
    /// Stored: new events and corrections.
    pub accepted: usize,
    /// Already stored with the same content (a retry): acknowledged, not stored again.
    pub duplicates: usize,
    /// Of `accepted`, how many were corrections of an event sent within the last 5 minutes.
    pub corrections: usize,
    /// One entry per problem (an event with two problems appears twice).
    pub rejected: Vec<Rejection>,
    /// Stored, with a part the product corrected (a delivery's test arm that contradicts the
    /// test's pinned hash): the field and what was kept instead.
    #[serde(default)]
    pub corrected: Vec<Rejection>,
}

/// A creative as the catalogue takes and shows it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreativeInput {
    /// The producer's own id, when it has one (else the catalogue assigns one).
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub name: String,
    pub headline: String,
    pub body: String,
    pub call_to_action: String,
}

/// `POST /api/v1/campaigns`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCampaignRequest {
    /// The planner's own id for the campaign, so its events can name it before the answer
    /// arrives; an id already in the catalogue is a 409.
    #[serde(default)]
    pub id: Option<uuid::Uuid>,
    pub name: String,
    pub campaign_type: analytics::CampaignType,
    pub channels: Vec<analytics::DeliveryChannel>,
    /// Segment codes; empty targets every segment.
    #[serde(default)]
    pub target_segments: Vec<analytics::SegmentType>,
    /// Region codes such as `US-CA`; empty targets every region.
    #[serde(default)]
    pub target_regions: Vec<String>,
    pub budget_cents: i64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Share of the audience held out to measure incrementality, in percent (default 10).
    pub holdout_percent: Option<f64>,
    pub creatives: Vec<CreativeInput>,
    pub consent_method: Option<analytics::events::ConsentMethod>,
    #[serde(default)]
    pub has_opt_out_link: bool,
    /// Whether the campaign shares personal data with third parties (CCPA/CPRA "sale or sharing").
    #[serde(default)]
    pub shares_data_with_third_parties: bool,
    /// At most this many deliveries to one user in any 7 days (1 to 50); absent: no cap.
    #[serde(default)]
    pub frequency_cap_per_week: Option<u32>,
}

/// What the dashboard's campaign form gets back: the new campaign, or every field to fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CreateOutcome {
    Created(CampaignView),
    Invalid(Vec<FieldError>),
}

/// `PATCH /api/v1/campaigns/{id}`: only the fields given change.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignPatch {
    pub name: Option<String>,
    pub status: Option<analytics::CampaignStatus>,
    pub budget_cents: Option<i64>,
    pub channels: Option<Vec<analytics::DeliveryChannel>>,
    pub target_segments: Option<Vec<analytics::SegmentType>>,
    pub target_regions: Option<Vec<String>>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub holdout_percent: Option<f64>,
    pub consent_method: Option<analytics::events::ConsentMethod>,
    pub has_opt_out_link: Option<bool>,
    pub shares_data_with_third_parties: Option<bool>,
    /// A new frequency cap (deliveries per user in any 7 days, 1 to 50); 0 removes the cap.
    pub frequency_cap_per_week: Option<u32>,
    /// Why (kept with the change; e.g. the pause reason).
    /// With `status: paused`: why (`manual` by default; `low_performance`, `budget_exceeded`,
    /// `user_feedback`), carried by the `campaign_paused` event.
    #[serde(default)]
    pub pause_reason: Option<analytics::events::PauseReason>,
    pub reason: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreativeView {
    pub id: uuid::Uuid,
    pub name: String,
    pub headline: String,
    pub body: String,
    pub call_to_action: String,
    pub status: CreativeStatus,
    /// Its share of the campaign's treatment users relative to the other active creatives, in
    /// percent of a normal share (100; a boost of 30% makes it 130).
    pub weight_percent: u32,
}

/// A campaign of the catalogue.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignView {
    pub id: uuid::Uuid,
    pub name: String,
    pub campaign_type: analytics::CampaignType,
    pub status: analytics::CampaignStatus,
    /// Where the status may go next.
    pub next_statuses: Vec<analytics::CampaignStatus>,
    pub channels: Vec<analytics::DeliveryChannel>,
    pub target_segments: Vec<analytics::SegmentType>,
    pub target_regions: Vec<String>,
    pub budget_cents: i64,
    pub holdout_percent: f64,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub consent_method: Option<analytics::events::ConsentMethod>,
    pub has_opt_out_link: bool,
    pub shares_data_with_third_parties: bool,
    /// Deliveries per user in any 7 days; null: no cap.
    pub frequency_cap_per_week: Option<u32>,
    pub creatives: Vec<CreativeView>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/reallocations`: moves budget from one campaign to another in one step.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReallocationRequest {
    pub from_campaign_id: uuid::Uuid,
    pub to_campaign_id: uuid::Uuid,
    /// More than 0 and at most the giving campaign's budget.
    pub amount_cents: i64,
    pub reason: analytics::events::ReallocationReason,
    /// The recommendation this carries out, if any.
    #[serde(default)]
    pub recommendation_id: Option<uuid::Uuid>,
}

/// The two campaigns after a reallocation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReallocationResult {
    pub reallocation_id: uuid::Uuid,
    pub from: CampaignView,
    pub to: CampaignView,
}

/// `GET /api/v1/campaigns/{id}/consent`: how much of a campaign's audience (users now in its
/// target segments and regions) it may reach, by their region's consent regime. Approval shows it;
/// launch is refused below `threshold`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AudienceConsent {
    pub campaign_id: uuid::Uuid,
    pub audience: u64,
    /// Reachable on at least one of the campaign's channels.
    pub eligible: u64,
    /// Eligible ÷ audience, 0–1; null for an empty audience.
    pub share: Option<f64>,
    /// The configured share below which launch is refused (`compliance.min_eligible_share`).
    pub threshold: f64,
    pub launch_allowed: bool,
    pub by_channel: Vec<ChannelReach>,
    pub by_regime: Vec<RegimeReach>,
    /// One sentence: the share, of how many, and the rule.
    pub summary: String,
    pub as_of: DateTime<Utc>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelReach {
    pub channel: analytics::DeliveryChannel,
    pub eligible: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegimeReach {
    pub regime: String,
    pub audience: u64,
    pub eligible: u64,
}

/// `GET /api/v1/campaigns/{id}/assignment?user_id=…`: which group a user is in for a campaign,
/// by the pinned holdout hash (`analytics::holdout`), so a sender can hold the user out.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assignment {
    pub campaign_id: uuid::Uuid,
    pub user_id: String,
    /// `holdout` (record the delivery with `is_holdout=true` and send nothing), `treatment`,
    /// `other_arm` (see `experiment_id`), or `ineligible`: the user may not be reached on this channel (consent is checked before the
    /// holdout split, so both groups hold only eligible users); record nothing and send nothing.
    pub group: String,
    /// The channel the answer is for (the `channel` asked, else the campaign's first).
    pub channel: analytics::DeliveryChannel,
    /// Whether the user may receive the campaign on that channel.
    pub eligible: bool,
    /// Why, in words: the consent fact or its absence, and the regime's rule.
    pub eligibility: String,
    /// The consent regime of the user's region (`GDPR`, `CCPA/CPRA`…), when one covers it.
    pub regime: Option<String>,
    /// The user's fixed position in [0, 1); holdout when below the share.
    pub position: f64,
    pub holdout_percent: f64,
    /// For a treatment user, the creative to deliver: the campaign's active creatives split the
    /// treatment users by their weights (`analytics::holdout::creative_slot`); paused ones are
    /// never picked.
    /// Null for a held-out user, or when every creative is paused.
    /// While an experiment runs on the campaign, its arm's creative (or null when the arm's
    /// creative is paused).
    pub creative_id: Option<uuid::Uuid>,
    /// The running experiment the user is in, and their arm's label. With `group` = `other_arm`
    /// (a campaign test), the user belongs to another arm's campaign: send this one nothing.
    #[serde(default)]
    pub experiment_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub experiment_arm: Option<String>,
}

/// One line of `POST /api/v1/spend`: what a campaign cost on one channel in one day or hour.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendEntry {
    pub campaign_id: uuid::Uuid,
    pub channel: analytics::DeliveryChannel,
    /// The start of the day (00:00 UTC) or hour the amount covers.
    pub period_start: DateTime<Utc>,
    /// `day` or `hour`.
    pub granularity: String,
    pub amount_cents: i64,
}

/// `POST /api/v1/spend` takes `{"entries": [...]}`; all or nothing.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpendRequest {
    pub entries: Vec<SpendEntry>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendResult {
    pub recorded: usize,
    pub total_cents: i64,
}

/// Quality of one event category over the report's window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryQuality {
    pub category: analytics::quality::Category,
    pub counts: analytics::quality::QualityCounts,
    /// The spec's freshness target for the category (its "target latency").
    pub freshness_target_minutes: f64,
    pub metrics: analytics::quality::QualityMetrics,
}

/// `GET /api/v1/quality`: the spec's seven quality metrics, overall and per category, with
/// alerts, over the arrivals of the last `window_hours` hours.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityReport {
    pub window_hours: u32,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub as_of: DateTime<Utc>,
    pub counts: analytics::quality::QualityCounts,
    pub overall: analytics::quality::QualityMetrics,
    pub by_category: Vec<CategoryQuality>,
}

/// The API's requests, server errors and latency over the last minutes, as the server measured
/// them itself (every `/api/` request but the live socket).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiStats {
    pub window_minutes: u32,
    pub requests: u64,
    /// Answers of 500 and above.
    pub server_errors: u64,
    /// Server errors ÷ requests × 100; null without requests.
    pub error_rate: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// One alert of the system health module: how bad, and a sentence with the number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemAlert {
    pub level: analytics::quality::AlertLevel,
    pub message: String,
}

/// Module 9: `GET /api/v1/system`, everything the system health page shows but the live probe.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SystemStatus {
    pub as_of: DateTime<Utc>,
    /// The latest event that arrived, and when.
    pub last_event_at: Option<DateTime<Utc>>,
    /// The latest `data_refresh_completed` the refresh job wrote.
    pub last_refresh_at: Option<DateTime<Utc>>,
    pub api_last_15_minutes: ApiStats,
    pub api_last_hour: ApiStats,
    /// Metrics 22 (data freshness), 24 (uptime) and 25 (cost per query).
    pub metrics: Vec<analytics::metrics::MetricValue>,
    /// The last 24 hours of arrivals.
    pub quality: QualityReport,
    pub alerts: Vec<SystemAlert>,
    /// The server's background jobs and how their latest passes went.
    #[serde(default)]
    pub jobs: Vec<JobView>,
}

/// The API's latency target at the 95th percentile (spec PART 7: under 500 ms).
pub const API_P95_TARGET_MS: f64 = 500.0;
/// The API's error-rate target, and the rate that pages someone (spec PART 7).
pub const API_ERROR_RATE_TARGET: f64 = 1.0;
pub const API_ERROR_RATE_CRITICAL: f64 = 5.0;

/// One campaign of the leaderboard (Module 2): `GET /api/v1/campaigns`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardRow {
    pub rank: usize,
    pub campaign_id: uuid::Uuid,
    pub name: String,
    pub campaign_type: analytics::CampaignType,
    pub status: analytics::CampaignStatus,
    pub channels: Vec<analytics::DeliveryChannel>,
    /// Dollars: the budget, and what was spent of it up to the window's end.
    pub budget: f64,
    pub budget_spent: f64,
    #[serde(flatten)]
    pub performance: analytics::metrics::Performance,
}

/// One page of a sorted table, with the window it covers.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TablePage<T> {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Rows matching the filters, before paging.
    pub total: usize,
    pub page: usize,
    pub per_page: usize,
    pub rows: Vec<T>,
}

impl<T> TablePage<T> {
    /// How many pages the rows fill (at least one, so "page 1 of 1" reads right when empty).
    pub fn pages(&self) -> usize {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

/// One point of a KPI card's sparkline: the card's value as it stood at `at`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiPoint {
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    pub status: Option<analytics::metrics::Status>,
}

/// One executive KPI card (Module 1): the metric now, and its value at the end of each of the
/// last seven days over the same window length, for the sparkline and the 3-day alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiCard {
    pub metric: analytics::metrics::MetricValue,
    /// Oldest first; the last point is now.
    pub history: Vec<KpiPoint>,
    /// Consecutive days, counting back from now, on which the value was off target.
    pub off_target_days: u32,
}

/// The five executive KPI cards for a set of filters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KpiBoard {
    pub as_of: DateTime<Utc>,
    pub cards: Vec<KpiCard>,
}

// ---------------------------------------------------------------------------------------------
// Dashboard modules 3–8: what `server/src/http/views.rs` answers, and the pages render.

/// The filters a metrics query resolved to: `from`, `to` (`to` exclusive) and the filter lists.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FilterScope {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub filter: analytics::metrics::Filter,
}

/// Module 3: `GET /api/v1/segments`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SegmentsResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: FilterScope,
    pub segments: Vec<analytics::metrics::views::SegmentSummary>,
}

/// Whether a creative is still delivered.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CreativeStatus {
    #[default]
    Active,
    Paused,
}

impl CreativeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CreativeStatus::Active => "active",
            CreativeStatus::Paused => "paused",
        }
    }
}

impl std::str::FromStr for CreativeStatus {
    type Err = String;

    fn from_str(value: &str) -> Result<CreativeStatus, String> {
        match value {
            "active" => Ok(CreativeStatus::Active),
            "paused" => Ok(CreativeStatus::Paused),
            other => Err(format!("'{other}' is not a creative status (active or paused)")),
        }
    }
}

/// `PATCH /api/v1/creatives/{id}`: pauses or resumes a creative, or changes its share (Boost).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreativePatch {
    #[serde(default)]
    pub status: Option<CreativeStatus>,
    /// A new weight, 10 to 1,000 (percent of a normal share).
    #[serde(default)]
    pub weight_percent: Option<u32>,
    /// Why (kept in the audit log).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Module 5's bulk actions on a campaign's creatives, judged on the figures of a window.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum CreativeBulk {
    /// Pause every active creative whose ROAS is below this.
    PauseBelow(f64),
    /// Raise the weight of this many active creatives with the best ROAS by 30%.
    BoostTop(usize),
}

/// How much a boost raises a creative's weight: 30% (the spec's "+30% budget share").
pub const BOOST_FACTOR: f64 = 1.3;

/// One creative of a campaign with its figures and notes (Module 5).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreativeRow {
    pub creative_id: uuid::Uuid,
    pub campaign_id: uuid::Uuid,
    pub campaign_name: String,
    pub name: String,
    pub headline: String,
    pub body: String,
    pub call_to_action: String,
    pub status: CreativeStatus,
    pub weight_percent: u32,
    /// The share of the campaign's treatment users it gets now (its weight among the active
    /// creatives' weights), percent; 0 when paused.
    pub assignment_share: f64,
    #[serde(flatten)]
    pub performance: analytics::metrics::Performance,
    /// "Best CTR", "Lower conv rate", "Low ROAS" (Module 5).
    pub notes: Vec<String>,
}

/// Module 4 (and the campaign's Module 5): `GET /api/v1/campaigns/{id}/performance`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignPerformanceResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: FilterScope,
    /// The campaign as the catalogue has it (status, where it may go next, budget, creatives).
    pub campaign: CampaignView,
    /// Dollars spent up to the window's end.
    pub budget_spent: f64,
    pub totals: analytics::metrics::Performance,
    pub daily: Vec<analytics::metrics::views::SeriesPoint>,
    pub hourly: Vec<analytics::metrics::views::SeriesPoint>,
    pub segments: Vec<analytics::metrics::views::SegmentPerformance>,
    pub frequency: analytics::metrics::views::Frequency,
    pub creatives: Vec<CreativeRow>,
    pub notes: Vec<String>,
}

/// One funnel of a comparison: `segment:HIGH_SPENDER` or `campaign:<id>`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComparedFunnel {
    pub item: String,
    /// The segment's code or the campaign's name.
    pub label: String,
    pub funnel: analytics::metrics::views::Funnel,
}

/// Module 6: `GET /api/v1/funnel`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: FilterScope,
    /// The funnel of the filters.
    pub funnel: analytics::metrics::views::Funnel,
    /// With `compare`: one funnel per item, each the filters narrowed to that segment or
    /// campaign (an item replaces the filters' own segment or campaign list).
    pub compare: Vec<ComparedFunnel>,
    /// The compared item with the highest overall rate.
    pub best: Option<String>,
}

/// Module 7: `GET /api/v1/heatmap`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeatmapResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: FilterScope,
    #[serde(flatten)]
    pub heatmap: analytics::metrics::views::Heatmap,
}

/// Module 8: `GET /api/v1/roi`, treatment vs holdout per campaign.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoiResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub campaigns: Vec<analytics::metrics::RoiRow>,
    /// Incrementality by day of first assignment over the period (its last 92 days).
    #[serde(default)]
    pub over_time: Vec<analytics::metrics::DayLift>,
}

/// Module 8: `GET /api/v1/attribution`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributionResponse {
    pub as_of: DateTime<Utc>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub scope: FilterScope,
    #[serde(flatten)]
    pub attribution: analytics::metrics::attribution::Attribution,
}

/// One customer of `POST /api/v1/customers` (a JSON array of these, or CSV with the header
/// `user_id,email,phone,name`): contact details for a pseudonymous user id.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    pub user_id: String,
    pub email: Option<String>,
    /// Digits with an optional leading `+`; spaces, dots, dashes and brackets are dropped.
    pub phone: Option<String>,
    pub name: Option<String>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomersResult {
    pub created: u64,
    pub updated: u64,
}

/// `GET /api/v1/customers/{user_id}`: masked (`s***@e***.com`) unless a role that may unmask asks
/// with `unmask=true` and a reason; every read is in the data-access log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerView {
    pub user_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
    pub masked: bool,
    pub updated_at: DateTime<Utc>,
}

/// One entry of the data-access log.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessLogEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    /// `read_user_rows`, `unmask`, `consent_trail`, `privacy_query`, `export`.
    pub action: String,
    /// What was read; users appear by their keyed pseudonym (`user#…`).
    pub subject: String,
    pub filter: Option<serde_json::Value>,
    pub reason: Option<String>,
    pub rows: Option<i64>,
}

/// `GET /api/v1/access-log`: newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessLogPage {
    pub entries: Vec<AccessLogEntry>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// One consent fact in a user's trail.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentFact {
    pub channel: analytics::DeliveryChannel,
    /// `opted_in` or `opted_out`.
    pub status: String,
    pub method: String,
    pub source: Option<String>,
    pub region: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
}

/// Whether the user may be reached on one channel now, and why.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelConsent {
    pub channel: analytics::DeliveryChannel,
    pub eligible: bool,
    pub reason: String,
}

/// `GET /api/v1/privacy/consent-trail?user_id=…` (or `email=…` through the directory): a user's
/// whole consent history, oldest first, and where it leaves them on each channel now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentTrail {
    pub user_id: String,
    pub region: Option<String>,
    pub regime: Option<String>,
    pub channels: Vec<ChannelConsent>,
    pub history: Vec<ConsentFact>,
    pub as_of: DateTime<Utc>,
}

/// One campaign of a privacy query.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyCampaign {
    pub campaign_id: uuid::Uuid,
    pub name: String,
    pub status: analytics::CampaignStatus,
    pub channels: Vec<analytics::DeliveryChannel>,
    pub target_segments: Vec<analytics::SegmentType>,
    pub target_regions: Vec<String>,
    /// When it could first reach anyone: its start, else its creation.
    pub from: DateTime<Utc>,
    /// Its end, if it has one.
    pub until: Option<DateTime<Utc>>,
    pub consent_method: Option<analytics::events::ConsentMethod>,
    pub has_opt_out_link: bool,
}

/// `GET /api/v1/privacy/campaigns?segment=…&region=…&channel=…&from=…&to=…`: every campaign that
/// targeted them in the period (a campaign with no target regions targets every region).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrivacyQueryResult {
    pub campaigns: Vec<PrivacyCampaign>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// `POST /api/v1/privacy/erasure`: erase one person's data (GDPR article 17), by user id or by the
/// email the directory holds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    pub user_id: Option<String>,
    pub email: Option<String>,
    /// The request's own reference (ticket number, say), kept in the audit log; it must not hold
    /// the person's id or contact details.
    pub reference: String,
}

/// What an erasure removed. The audit entry names `request_id` and these counts, never the person.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErasureResult {
    pub request_id: uuid::Uuid,
    pub events_deleted: u64,
    pub consent_facts_deleted: u64,
    pub directory_entry_deleted: bool,
    pub completed_at: DateTime<Utc>,
}

/// One run of the retention job.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionRun {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// Raw events that occurred before this were deleted.
    pub events_cutoff: DateTime<Utc>,
    pub events_deleted: i64,
    pub oldest_audit_entry: Option<DateTime<Utc>>,
    pub oldest_access_entry: Option<DateTime<Utc>>,
    /// `ok` or `failed`.
    pub outcome: String,
    pub error: Option<String>,
}

/// `GET /api/v1/compliance/retention`: the policy and the latest runs, newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionStatus {
    pub raw_event_retention_days: u32,
    pub log_retention_years: u32,
    pub runs: Vec<RetentionRun>,
}

/// One campaign's regulatory checks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignCompliance {
    pub campaign_id: uuid::Uuid,
    pub name: String,
    pub status: analytics::CampaignStatus,
    /// The worst of the checks.
    pub overall: analytics::regulation::CheckStatus,
    pub checks: Vec<analytics::regulation::Check>,
    /// How much of its audience it may reach, and whether that allows a launch.
    pub audience: AudienceConsent,
}

/// `GET /api/v1/compliance/checks`: the compliance scan of every active, scheduled or pending
/// campaign (or of `campaign=…`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceScan {
    pub as_of: DateTime<Utc>,
    pub campaigns: Vec<CampaignCompliance>,
}

/// One row of Module 11's audit table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_role: String,
    /// `campaign.approve`, `privacy.erasure`, …
    pub action: String,
    /// `campaign:<id>`, `account:<email>`, `erasure:<request id>`, …
    pub target: String,
    /// For a campaign: its name and target segments now.
    pub campaign_id: Option<uuid::Uuid>,
    pub campaign_name: Option<String>,
    pub target_segments: Vec<analytics::SegmentType>,
    /// The consent check in words (`78% of the audience reachable`, `double opt-in, opt-out link`),
    /// or none when the action concerns no campaign.
    pub consent_check: Option<String>,
    /// Whether the consent check passed: reachable share at or above the launch threshold, or a
    /// declared consent method with an opt-out link. None when there was no check.
    pub consent_ok: Option<bool>,
    /// The status the target was left in (a campaign's status after the action).
    pub status: Option<String>,
    pub reason: Option<String>,
}

/// `GET /api/v1/audit`: newest first, with the filters `from`, `to`, `actor`, `action`,
/// `campaign`, `status`, `q` (free text over actor, action, target and reason).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// Reachable users on one channel.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelShare {
    pub channel: analytics::DeliveryChannel,
    pub eligible: u64,
    /// Eligible ÷ users with any consent fact, 0–1; null when there are none.
    pub share: Option<f64>,
}

/// Reachable users of one region.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegionShare {
    pub region: String,
    pub regime: String,
    pub users: u64,
    /// Reachable on at least one channel.
    pub eligible: u64,
    pub share: Option<f64>,
}

/// A count under a label (a campaign, region or reason).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelledCount {
    pub label: String,
    pub count: u64,
}

/// `GET /api/v1/compliance/consent`: Module 11's consent dashboard. Reach is as of now, over
/// every user with a consent fact; unsubscribes and refused deliveries are those of the window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentOverview {
    pub users: u64,
    pub by_channel: Vec<ChannelShare>,
    pub by_region: Vec<RegionShare>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Unsubscribes per day of the window (UTC days, every day present).
    pub unsubscribes_by_day: Vec<DayCount>,
    pub unsubscribes_by_campaign: Vec<LabelledCount>,
    pub unsubscribes_by_region: Vec<LabelledCount>,
    pub unsubscribes_by_reason: Vec<LabelledCount>,
    /// Deliveries refused for want of consent, per campaign.
    pub violations_by_campaign: Vec<LabelledCount>,
    pub as_of: DateTime<Utc>,
}

/// A count for one UTC day.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayCount {
    pub day: chrono::NaiveDate,
    pub count: u64,
}

/// Whether the audit chain verified, as the compliance page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditChainStatus {
    pub ok: bool,
    pub entries: u64,
    pub checkpoints: u64,
    /// The first entry that fails, and why.
    pub first_bad: Option<String>,
}

/// Everything Module 11's page shows at once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplianceOverview {
    pub scan: ComplianceScan,
    pub consent: ConsentOverview,
    pub retention: RetentionStatus,
    pub audit: AuditPage,
    pub chain: AuditChainStatus,
}

// ----- experiments (issue #8; rules in docs/experiments.md) -----

/// What an experiment's arms are.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentKind {
    /// Creatives of one campaign.
    #[default]
    Creative,
    /// Whole campaigns: each arm's users get only that arm's campaign.
    Campaign,
    /// A test run elsewhere, analysed from an uploaded per-user file.
    Imported,
}

impl ExperimentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentKind::Creative => "creative",
            ExperimentKind::Campaign => "campaign",
            ExperimentKind::Imported => "imported",
        }
    }
}

/// Where an experiment is in its life.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentStatus {
    Draft,
    Running,
    Stopped,
    Shipped,
    Imported,
}

impl ExperimentStatus {
    pub const ALL: [ExperimentStatus; 5] =
        [ExperimentStatus::Draft, ExperimentStatus::Running, ExperimentStatus::Stopped, ExperimentStatus::Shipped, ExperimentStatus::Imported];

    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentStatus::Draft => "draft",
            ExperimentStatus::Running => "running",
            ExperimentStatus::Stopped => "stopped",
            ExperimentStatus::Shipped => "shipped",
            ExperimentStatus::Imported => "imported",
        }
    }
}

impl std::str::FromStr for ExperimentStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ExperimentStatus::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| format!("unknown experiment status '{s}'"))
    }
}

/// One arm as asked for: an existing creative, a new challenger creative (Module 5's "clone +
/// modify"; created paused, delivered only by the test), or a campaign.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArmInput {
    /// Default: the creative's or campaign's name.
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub creative_id: Option<uuid::Uuid>,
    #[serde(default)]
    pub new_creative: Option<CreativeInput>,
    #[serde(default)]
    pub campaign_id: Option<uuid::Uuid>,
    /// Percent of the test's users (default: an even split).
    #[serde(default)]
    pub share_percent: Option<f64>,
}

/// `POST /api/v1/experiments`: a draft test.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewExperiment {
    pub name: String,
    #[serde(default)]
    pub kind: ExperimentKind,
    /// The campaign whose creatives are tested; for a campaign test, the control campaign.
    pub campaign_id: uuid::Uuid,
    /// Two to six arms.
    pub arms: Vec<ArmInput>,
    /// Which arm is the control (default the first).
    #[serde(default)]
    pub control: Option<usize>,
    pub primary_metric: analytics::experiment::Metric,
    /// Default: unsubscribe rate.
    #[serde(default)]
    pub guardrails: Option<Vec<analytics::experiment::Metric>>,
    #[serde(default)]
    pub covariate: Option<analytics::experiment::Covariate>,
    /// The smallest relative change worth finding, in percent of the baseline (default 10).
    #[serde(default)]
    pub minimum_effect_percent: Option<f64>,
    /// Default 0.05.
    #[serde(default)]
    pub alpha: Option<f64>,
    /// Default 0.8.
    #[serde(default)]
    pub power: Option<f64>,
    /// 1 to 90 (default 14).
    #[serde(default)]
    pub duration_days: Option<u32>,
    /// The primary metric's expected control value; default measured from the campaign's last
    /// 28 days at start.
    #[serde(default)]
    pub baseline: Option<f64>,
    /// Ship the winner automatically when the always-valid test finds one and no guardrail is harmed.
    #[serde(default)]
    pub auto_ship: bool,
}

/// `PATCH /api/v1/experiments/{id}`. A draft may change anything; a running test only its name,
/// automatic shipping and its duration (extending it is a decision, audited and emitted).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub duration_days: Option<u32>,
    #[serde(default)]
    pub auto_ship: Option<bool>,
    #[serde(default)]
    pub guardrails: Option<Vec<analytics::experiment::Metric>>,
    #[serde(default)]
    pub primary_metric: Option<analytics::experiment::Metric>,
    #[serde(default)]
    pub covariate: Option<analytics::experiment::Covariate>,
    #[serde(default)]
    pub minimum_effect_percent: Option<f64>,
    #[serde(default)]
    pub alpha: Option<f64>,
    #[serde(default)]
    pub power: Option<f64>,
    #[serde(default)]
    pub baseline: Option<f64>,
    /// New shares in percent, one per arm (drafts only).
    #[serde(default)]
    pub shares_percent: Option<Vec<f64>>,
    /// Why (kept in the audit log).
    #[serde(default)]
    pub reason: Option<String>,
}

/// `POST /api/v1/experiments/{id}/ship` and `/stop`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentDecisionRequest {
    /// The arm to ship (default: the verdict's winner). Shipping an arm the verdict does not name
    /// is a manual override and needs a reason.
    #[serde(default)]
    pub arm: Option<usize>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// One arm as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentArm {
    pub label: String,
    pub share_percent: f64,
    pub creative_id: Option<uuid::Uuid>,
    pub campaign_id: Option<uuid::Uuid>,
}

/// An experiment with its results (`GET /api/v1/experiments/{id}`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentView {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: ExperimentKind,
    pub status: ExperimentStatus,
    pub campaign_id: Option<uuid::Uuid>,
    pub campaign_name: Option<String>,
    pub arms: Vec<ExperimentArm>,
    pub control: usize,
    /// A metric name for native tests; the outcome column for imported ones.
    pub primary_metric: String,
    pub guardrails: Vec<String>,
    pub covariate: String,
    pub minimum_effect_percent: f64,
    pub alpha: f64,
    pub power: f64,
    pub duration_days: u32,
    pub baseline: Option<f64>,
    pub auto_ship: bool,
    pub started_at: Option<DateTime<Utc>>,
    /// The planned end (start + duration).
    pub ends_at: Option<DateTime<Utc>>,
    pub stopped_at: Option<DateTime<Utc>>,
    pub winner_arm: Option<usize>,
    /// The last decision in words.
    pub decision: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// Results once the test has started (or for an imported one); for a draft, the planner's
    /// figures from the campaign's history are in `plan`.
    pub results: Option<analytics::experiment::Results>,
    pub plan: Option<analytics::experiment::analysis::Plan>,
    /// Deliveries that sent a creative or campaign other than the member's arm (a caveat: the
    /// results are by assigned arm, so such deliveries dilute them).
    pub off_arm_deliveries: u64,
    /// When the results were computed.
    pub as_of: DateTime<Utc>,
    /// The test's own decisions (from the audit log), oldest first.
    #[serde(default)]
    pub history: Vec<ExperimentHistoryEntry>,
}

/// One audited action on an experiment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentHistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    /// `experiment.start`, `experiment.ship`, …
    pub action: String,
    pub reason: Option<String>,
}

/// What the dashboard's test form gets back: the new test, or the fields to fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum CreateExperimentOutcome {
    Created(uuid::Uuid),
    Invalid(Vec<FieldError>),
}

/// A decision taken from the experiment page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentAction {
    Start,
    Stop,
    Ship,
}

/// A row of `GET /api/v1/experiments`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSummary {
    pub id: uuid::Uuid,
    pub name: String,
    pub kind: ExperimentKind,
    pub status: ExperimentStatus,
    pub campaign_id: Option<uuid::Uuid>,
    pub campaign_name: Option<String>,
    pub primary_metric: String,
    pub arms: Vec<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// When it was stopped or shipped (`None` while it runs).
    #[serde(default)]
    pub stopped_at: Option<DateTime<Utc>>,
    pub users: u64,
    pub verdict: Option<String>,
    pub verdict_state: Option<analytics::experiment::VerdictState>,
}


/// `POST /api/v1/admin/clock` (only on a server started with `serve --clock-control`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockAdvance {
    /// How far to move the clock forward, in seconds (1 second to 366 days). Time never goes back:
    /// events, sessions and schedules already stored would contradict it.
    pub advance_seconds: i64,
}

/// The server's clock after a move.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockReading {
    pub now: DateTime<Utc>,
    /// How far the server's clock now runs ahead of the system's, in seconds.
    pub ahead_seconds: i64,
}

/// Where a recommendation stands (docs/recommendations.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationStatus {
    /// Waiting for someone to act.
    Open,
    /// To be executed at `scheduled_for`.
    Scheduled,
    /// Executed by someone whose change needs an approval first.
    AwaitingApproval,
    Executed,
    /// Dismissed with a reason; holds until the situation clears or the dismissal lapses.
    Dismissed,
    /// The trigger no longer holds.
    Expired,
    /// Its execution was refused or failed (`closed_reason` says why).
    Failed,
}

impl RecommendationStatus {
    pub const ALL: [RecommendationStatus; 7] = [
        RecommendationStatus::Open,
        RecommendationStatus::Scheduled,
        RecommendationStatus::AwaitingApproval,
        RecommendationStatus::Executed,
        RecommendationStatus::Dismissed,
        RecommendationStatus::Expired,
        RecommendationStatus::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationStatus::Open => "open",
            RecommendationStatus::Scheduled => "scheduled",
            RecommendationStatus::AwaitingApproval => "awaiting_approval",
            RecommendationStatus::Executed => "executed",
            RecommendationStatus::Dismissed => "dismissed",
            RecommendationStatus::Expired => "expired",
            RecommendationStatus::Failed => "failed",
        }
    }

    pub fn parse(name: &str) -> Option<RecommendationStatus> {
        RecommendationStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Still waiting on someone or something (at most one per situation).
    pub fn is_pending(self) -> bool {
        matches!(self, RecommendationStatus::Open | RecommendationStatus::Scheduled | RecommendationStatus::AwaitingApproval)
    }
}

/// One stored recommendation: what the engine found and what happened to it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationView {
    pub id: uuid::Uuid,
    pub status: RecommendationStatus,
    /// When the engine first found it, and last refreshed its figures.
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why it expired or failed, and when it closed.
    pub closed_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub dismissed_by: Option<String>,
    pub dismissed_reason: Option<String>,
    /// A dismissed situation stays quiet until then (or until it clears).
    pub suppress_until: Option<DateTime<Utc>>,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub scheduled_by: Option<String>,
    pub executed_by: Option<String>,
    pub executed_at: Option<DateTime<Utc>>,
    /// The action carried out and what it changed.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub execution: Option<serde_json::Value>,
    /// What really happened against the projection, once the evaluation window has passed.
    pub outcome: Option<analytics::recommend::outcome::Outcome>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub recommendation: analytics::recommend::Recommendation,
}

/// `GET /api/v1/recommendations`: the queue, highest priority first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationList {
    pub as_of: DateTime<Utc>,
    /// Matching recommendations before the limit.
    pub total: u64,
    pub items: Vec<RecommendationView>,
}

/// `POST /api/v1/recommendations/refresh`: what one run of the engine did.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationRun {
    pub as_of: DateTime<Utc>,
    /// Situations the engine found.
    pub found: usize,
    /// New recommendations, ones refreshed in place, ones expired, situations kept quiet by a
    /// dismissal.
    pub opened: usize,
    pub refreshed: usize,
    pub expired: usize,
    pub suppressed: usize,
    /// New ones carried out at once (compliance flags, by default).
    pub auto_executed: usize,
    pub took_ms: u64,
    /// Of it: reading the catalogue and the database's facts, measuring the rollup and applying
    /// the rules, storing the result.
    pub inputs_ms: u64,
    pub measure_ms: u64,
    pub store_ms: u64,
}

/// How many recommendations were shown and what came of them. Recommendations carried out
/// automatically (compliance flags) were never put to anyone and are left out.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Acceptance {
    pub shown: u64,
    pub executed: u64,
    pub dismissed: u64,
    pub expired: u64,
    /// Open, scheduled or awaiting approval.
    pub pending: u64,
    /// Scheduled executions that failed.
    pub failed: u64,
    /// Executed ÷ shown (`None` when none was shown).
    pub rate: Option<f64>,
}

/// One type's uptake and track record.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KindOutcomes {
    pub kind: analytics::recommend::RecommendationKind,
    pub acceptance: Acceptance,
    /// Executed ones whose evaluation window has not passed yet.
    pub awaiting_evaluation: u64,
    pub track_record: analytics::recommend::outcome::TrackRecord,
    /// The mean of |actual − projected| ÷ |projected| on the headline figure, percent.
    pub mean_absolute_error_percent: Option<f64>,
}

/// One executed recommendation and, once measured, its outcome.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeItem {
    pub id: uuid::Uuid,
    pub kind: analytics::recommend::RecommendationKind,
    pub title: String,
    pub target: analytics::recommend::Target,
    pub executed_by: Option<String>,
    pub executed_at: DateTime<Utc>,
    /// When the evaluation window ends.
    pub due_at: DateTime<Utc>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub outcome: Option<analytics::recommend::outcome::Outcome>,
}

/// `GET /api/v1/recommendations/outcomes`: what executed recommendations really did against their
/// projections, per type, and how many of those shown were taken up.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutcomeReport {
    pub as_of: DateTime<Utc>,
    /// Recommendations first shown in `[from, to)`, when given.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub window_days: u32,
    /// An outcome within this share of its projection is a hit.
    pub tolerance: f64,
    pub acceptance: Acceptance,
    /// The spec's target acceptance rate (30%).
    pub acceptance_target: f64,
    pub by_kind: Vec<KindOutcomes>,
    /// Newest execution first.
    pub items: Vec<OutcomeItem>,
}

/// `POST /api/v1/recommendations/{id}/dismiss`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DismissRequest {
    /// Why (kept in the audit log), 3 to 500 characters.
    pub reason: String,
}

/// `POST /api/v1/recommendations/{id}/execute`, and the plan `…/schedule` stores. Every field is
/// optional: by default the recommendation's own action, as proposed.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecuteRequest {
    /// Carry out this alternative (its index in `alternatives`) instead of the recommendation.
    #[serde(default)]
    pub alternative: Option<usize>,
    /// Customize: the same action with other parameters (the amount moved, the cap, the budget,
    /// the holdout share, the segments); the campaigns it touches stay the recommendation's.
    #[serde(default)]
    pub customize: Option<analytics::recommend::Action>,
    /// A creative test's challenger: the copy the marketer wrote (required for `test_creative`).
    #[serde(default)]
    pub challenger: Option<CreativeInput>,
    /// A note kept with the execution in the audit log.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/recommendations/{id}/schedule`: execute at a time (a durable job runs it once,
/// across restarts).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// When, in the future (at most 90 days ahead).
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub alternative: Option<usize>,
    #[serde(default)]
    pub customize: Option<analytics::recommend::Action>,
    #[serde(default)]
    pub challenger: Option<CreativeInput>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A person's decision on a recommendation, from the Action Center's dialogs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RecommendationAction {
    Execute(ExecuteRequest),
    Approve,
    Schedule(ScheduleRequest),
    Dismiss(DismissRequest),
}

/// A recommendation just found, as the live WebSocket announces it (`{"type": "recommendations",
/// "opened": [...]}`) to the people who may see the Action Center.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationNotice {
    pub id: uuid::Uuid,
    pub kind: analytics::recommend::RecommendationKind,
    pub level: analytics::recommend::Level,
    pub title: String,
    pub priority: f64,
}

/// An alert (docs/alerts.md): a rule's threshold crossed, or an anomaly the detector found.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: uuid::Uuid,
    /// `threshold` (a rule's), `anomaly`, or `recommendation` (a compliance flag carried out
    /// automatically, a data-quality problem: people must hear of them at once).
    pub source: String,
    pub rule_id: Option<uuid::Uuid>,
    /// A metric id (`roas`, …) for a rule; the detector's metric code for an anomaly.
    pub metric: String,
    pub campaign_id: Option<uuid::Uuid>,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// `below`/`above` for a rule; `spike`, `drop`, `zero_value` or `missing_data` for an anomaly;
    /// the recommendation's type for a recommendation's.
    pub kind: String,
    pub message: String,
    pub observed: Option<f64>,
    pub expected: Option<f64>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub details: serde_json::Value,
    pub fired_at: DateTime<Utc>,
    /// The last time the condition was seen holding.
    pub last_seen_at: DateTime<Utc>,
    /// When the condition stopped holding (`None`: it still does).
    pub cleared_at: Option<DateTime<Utc>>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub acknowledge_note: Option<String>,
    /// The webhook delivery: `pending`, `delivered` or `failed`, with its attempts (`None`: not sent).
    pub delivery: Option<String>,
}

/// `GET /api/v1/alerts`: newest first.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertList {
    pub as_of: DateTime<Utc>,
    pub total: u64,
    pub items: Vec<AlertView>,
}

/// `POST /api/v1/alerts/{id}/acknowledge`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcknowledgeRequest {
    /// What is being done about it (kept in the audit log), at most 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/alert-rules`: "ROAS of campaign X below 2.5× for 2 days".
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleInput {
    /// 3 to 200 characters.
    pub name: String,
    /// One of the 25 metric ids (`GET /api/v1/metrics`), e.g. `roas`.
    pub metric: String,
    /// The metrics API's filters as a query string, e.g. `campaign=<id>&segment=HIGH_SPENDER` (empty: everything).
    #[serde(default)]
    pub filters: String,
    /// `below` or `above`.
    pub comparison: String,
    pub threshold: f64,
    /// Each of the last this many days (1–30) must cross the threshold.
    pub for_days: u32,
}

/// A stored alert rule and whether it is firing now.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRuleView {
    pub id: uuid::Uuid,
    pub name: String,
    pub metric: String,
    pub metric_name: String,
    pub filters: String,
    pub comparison: String,
    pub threshold: f64,
    pub for_days: u32,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    /// The open alert it fired, if its condition holds now.
    pub firing: Option<uuid::Uuid>,
}

/// A change to alerts from the dashboard (one server function for the forms of Module 9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AlertChange {
    Acknowledge { id: uuid::Uuid, request: AcknowledgeRequest },
    CreateRule(AlertRuleInput),
    DeleteRule(uuid::Uuid),
}

// ---------------------------------------------------------------------------------------------
// Scheduled reports: `/api/v1/report-schedules` (docs/reports.md, "Scheduled delivery").

/// A change to the caller's report schedules from the account page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReportScheduleChange {
    Create(ReportScheduleRequest),
    Delete(uuid::Uuid),
}

/// `POST /api/v1/report-schedules`: a report to receive at a local time.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportScheduleRequest {
    /// What the schedule is called ("Weekly board report"), 1 to 200 characters.
    pub name: String,
    /// `board`, `campaign` or `compliance`.
    pub report: String,
    /// The campaign of a campaign report.
    #[serde(default)]
    pub campaign_id: Option<uuid::Uuid>,
    /// The report's filters and period as its API's query string (`range=7d&segment=HIGH_SPENDER`);
    /// each delivery's period ends at its scheduled time. Default: the report's own (30 days).
    #[serde(default)]
    pub query: String,
    /// `daily`, `weekly` or `monthly`.
    pub frequency: String,
    /// Weekly: 1 (Monday) to 7 (Sunday).
    #[serde(default)]
    pub weekday: Option<u8>,
    /// Monthly: 1 to 28.
    #[serde(default)]
    pub day_of_month: Option<u8>,
    pub hour: u8,
    #[serde(default)]
    pub minute: u8,
    /// An IANA time zone (`Europe/Paris`); the local time follows its daylight-saving changes.
    pub time_zone: String,
    /// `email` or `webhook`.
    pub channel: String,
    /// E-mail: 1 to 20 addresses. Webhook: one http(s) URL.
    pub destination: Vec<String>,
}

/// One delivery of a schedule.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDelivery {
    pub id: uuid::Uuid,
    /// The scheduled time (the report's period ends then).
    pub due_at: DateTime<Utc>,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    pub attempts: u32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub bytes: Option<u64>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A schedule and its latest deliveries.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportScheduleView {
    pub id: uuid::Uuid,
    /// What was asked for.
    pub schedule: ReportScheduleRequest,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub next_run_at: DateTime<Utc>,
    pub last_run_at: Option<DateTime<Utc>>,
    /// Newest first, at most 20.
    pub deliveries: Vec<ReportDelivery>,
}

/// `POST /api/v1/dashboard-visits`: the browser's report of one visit to a dashboard section,
/// sent when the person leaves it (stored as the spec's `dashboard_accessed`, docs/events.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardVisit {
    pub section: analytics::events::DashboardSection,
    /// Whole seconds on the section (0 to 86,400).
    pub time_spent_seconds: i64,
    /// The page's query string as pairs: period, segment, type, status and the rest.
    #[serde(default)]
    pub filters: std::collections::BTreeMap<String, String>,
    /// Whether a download (an export or a report) was asked for during the visit.
    #[serde(default)]
    pub export_requested: bool,
}

/// One background job of the server (Module 9's job list, in `GET /api/v1/system`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub name: String,
    /// What it does, in a sentence.
    pub about: String,
    /// How often it runs.
    pub every_seconds: u64,
    /// Passes since this server started, and how many of them failed.
    pub runs: u64,
    pub failures: u64,
    /// Set while a pass is in progress.
    pub running_since: Option<DateTime<Utc>>,
    pub last_started_at: Option<DateTime<Utc>>,
    pub last_finished_at: Option<DateTime<Utc>>,
    pub last_took_ms: Option<u64>,
    /// Whether the latest pass succeeded (`None`: none finished yet).
    pub last_ok: Option<bool>,
    /// The latest failure's error and time, kept after later passes succeed.
    pub last_error: Option<String>,
    pub last_failed_at: Option<DateTime<Utc>>,
}
