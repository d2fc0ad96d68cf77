//! The event taxonomy of spec PART 5: the standard envelope, the 20 event types with typed
//! properties (plus `consent_updated`, which the compliance work needs, and `experiment_decided`, which the experiments need), and the Data Quality
//! Framework's ingestion rules. Parsing and validation are pure: the caller passes `now`.
//!
//! A problem is reported as an [`Issue`] naming the field (`properties.order_value`) and the
//! reason, so a producer can fix exactly what was wrong.

use chrono::{DateTime, Duration, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{CampaignType, DeliveryChannel, EventSource, SegmentType};

/// How far in the future a timestamp may be (clock skew), per the spec.
pub const MAX_FUTURE_SKEW: Duration = Duration::minutes(5);
/// How old an event may be without the backfill scope.
pub const MAX_AGE: Duration = Duration::days(30);
/// Older than this, an event is stored but tagged as a late arrival.
pub const LATE_AFTER: Duration = Duration::hours(24);

/// One problem with one field of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub field: String,
    pub reason: String,
    /// The event does not match its type's schema at all (unknown type, a property of the wrong
    /// type or missing), as opposed to breaking a rule (an age, a range): for schema compliance.
    #[serde(skip)]
    pub schema: bool,
}

impl Issue {
    fn new(field: impl Into<String>, reason: impl Into<String>) -> Issue {
        Issue { field: field.into(), reason: reason.into(), schema: false }
    }

    fn schema(field: impl Into<String>, reason: impl Into<String>) -> Issue {
        Issue { field: field.into(), reason: reason.into(), schema: true }
    }
}

/// The envelope as producers send it (spec PART 5 "standard schema"), before validation.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
pub struct RawEvent {
    pub event_id: Option<String>,
    pub event_type: Option<String>,
    pub timestamp: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub properties: Value,
    #[serde(default)]
    pub context: Value,
}

/// `context` of the envelope.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Context {
    pub app_version: Option<String>,
    pub platform: Option<crate::domain::Platform>,
    pub user_segment: Option<SegmentType>,
    pub region: Option<String>,
}

/// An event that passed every ingestion rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub event_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub user_id: String,
    pub session_id: Option<String>,
    pub source: EventSource,
    pub context: Context,
    pub payload: Payload,
    /// Older than 24 hours when it arrived.
    pub late_arrival: bool,
    /// Older than 30 days, accepted only under the backfill scope.
    pub backfilled: bool,
}

impl Event {
    pub fn event_type(&self) -> &'static str {
        self.payload.event_type()
    }

    /// The campaign the event is about, if any (checked against the catalogue by the server).
    pub fn campaign_id(&self) -> Option<Uuid> {
        self.payload.campaign_id()
    }

    /// The creative the event is about, if any.
    pub fn creative_id(&self) -> Option<Uuid> {
        self.payload.creative_id()
    }
}

// ----- property types of the 22 event types -----

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationMethod {
    AiOptimized,
    Random,
    Manual,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignDelivered {
    pub campaign_id: Uuid,
    pub campaign_type: CampaignType,
    pub creative_id: Uuid,
    /// The behavioural segment targeted, by its code (`HIGH_SPENDER`, …).
    pub segment_id: SegmentType,
    pub delivery_channel: DeliveryChannel,
    pub scheduled_time: Option<DateTime<Utc>>,
    /// A holdout assignment: recorded, never actually sent.
    pub is_holdout: bool,
    pub allocation_method: Option<AllocationMethod>,
    /// The test the delivery belongs to and the user's arm (its label), as the assignment
    /// endpoint answered them. Optional: the product checks them against the test's pinned hash
    /// and records them itself on every treatment delivery of a campaign under test.
    /// (Left out of the stored JSON when absent, so an event's content hash, and with it the
    /// recognition of a re-sent event, is what it was before these fields existed.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub experiment_arm: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ViewType {
    Received,
    Opened,
    ClickedCta,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignViewed {
    pub campaign_id: Uuid,
    pub creative_id: Uuid,
    pub view_duration_seconds: Option<i64>,
    pub view_type: Option<ViewType>,
    pub viewed_at: Option<DateTime<Utc>>,
    pub impression_position: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClickType {
    Cta,
    Headline,
    Image,
    DeepLink,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignClicked {
    pub campaign_id: Uuid,
    pub creative_id: Uuid,
    pub click_type: Option<ClickType>,
    pub destination_url: Option<String>,
    pub time_to_click_seconds: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributionModel {
    LastTouch,
    FirstTouch,
    Linear,
    TimeDecay,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignConverted {
    pub campaign_id: Uuid,
    pub creative_id: Uuid,
    pub conversion_delay_seconds: Option<i64>,
    pub order_id: Uuid,
    pub order_value: f64,
    pub attribution_model: Option<AttributionModel>,
    pub is_incremental: Option<bool>,
    pub incrementality_score: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbandonReason {
    Expired,
    Unsubscribed,
    OptOut,
    DeletionRequested,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignAbandoned {
    pub campaign_id: Uuid,
    pub reason: AbandonReason,
    pub days_to_abandon: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSegmented {
    pub segment_id: Option<String>,
    pub segment_type: SegmentType,
    pub segment_score: Option<f64>,
    pub previous_segment: Option<String>,
    pub segment_change_reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Card,
    Wallet,
    Other,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserPurchased {
    pub order_id: Uuid,
    pub order_value: f64,
    pub order_category: Option<String>,
    pub order_timestamp: Option<DateTime<Utc>>,
    pub payment_method: Option<PaymentMethod>,
    pub promo_code_used: Option<bool>,
    pub promotional_discount: Option<f64>,
    pub is_repeat_purchase: Option<bool>,
    pub days_since_last_purchase: Option<i64>,
}

/// `user_engaged.engagement_type`; `add_to_cart` extends the spec's list for the funnel's
/// "browse" step (documented in docs/events.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementType {
    AppOpen,
    ViewRewards,
    ViewCatalog,
    Search,
    SaveItem,
    AddToCart,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserEngaged {
    pub engagement_type: EngagementType,
    pub session_id: Option<String>,
    pub session_duration_seconds: Option<i64>,
    pub screen_name: Option<String>,
    pub search_query: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnsubscribeType {
    AllCampaigns,
    PushOnly,
    EmailOnly,
    FrequencyCap,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserUnsubscribed {
    pub unsubscribe_type: UnsubscribeType,
    pub unsubscribe_reason: Option<String>,
    pub previous_email_frequency: Option<i64>,
    /// The campaign that prompted it, when known (unsubscribe rate by campaign).
    pub campaign_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignCreated {
    pub campaign_id: Uuid,
    pub marketer_id: String,
    pub campaign_type: CampaignType,
    pub target_segment_id: Option<SegmentType>,
    pub initial_budget: f64,
    pub template_used: Option<String>,
    pub time_to_completion_minutes: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignLaunched {
    pub campaign_id: Uuid,
    pub marketer_id: String,
    pub actual_audience_size: Option<i64>,
    pub scheduled_delivery_time: Option<DateTime<Utc>>,
    pub budget_approved: Option<f64>,
    pub ai_recommendation_applied: Option<bool>,
    pub ai_recommendation_score: Option<f64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PauseReason {
    Manual,
    LowPerformance,
    BudgetExceeded,
    UserFeedback,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignPaused {
    pub campaign_id: Uuid,
    pub marketer_id: String,
    pub pause_reason: PauseReason,
    pub time_to_pause_hours: Option<i64>,
    pub pause_metrics_snapshot: Option<Value>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReallocationReason {
    Performance,
    Testing,
    Manual,
    AiRecommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BudgetReallocated {
    pub reallocation_id: Uuid,
    pub marketer_id: String,
    pub from_campaign_id: Uuid,
    pub to_campaign_id: Uuid,
    pub amount: f64,
    pub reallocation_reason: ReallocationReason,
    pub ai_recommendation_id: Option<Uuid>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PersonaRole {
    Cmo,
    PerfLead,
    LifecycleLead,
    RewardsPm,
    DataScience,
    Compliance,
    /// Added to the spec's six: the product's administrator may open every section too.
    Admin,
}

/// The dashboard's sections as `dashboard_accessed` names them.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DashboardSection {
    Kpi,
    Campaigns,
    Segments,
    Funnel,
    Heatmap,
    Roi,
    Health,
    ActionCenter,
    Compliance,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardAccessed {
    pub user_role: PersonaRole,
    pub dashboard_section: DashboardSection,
    pub time_spent_seconds: Option<i64>,
    pub filters_applied: Option<Value>,
    pub export_requested: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestMetric {
    ClickRate,
    ConversionRate,
    /// Added to the spec's three: an experiment may be judged on revenue per user.
    RevenuePerUser,
    Roas,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreativeVariantTested {
    pub test_id: Uuid,
    pub campaign_id: Uuid,
    pub variant_a_creative_id: Uuid,
    pub variant_b_creative_id: Uuid,
    pub split_percentage: i64,
    pub test_duration_days: i64,
    pub primary_metric: TestMetric,
    pub statistical_significance_threshold: f64,
}

/// What was decided about an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentDecision {
    Started,
    /// The winner rolled out to 100%.
    Shipped,
    Stopped,
    /// The planned duration lengthened.
    Extended,
}

/// Not in the spec's taxonomy (added): a decision on an A/B test, so the event log holds the
/// test's whole story beside `creative_variant_tested`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentDecided {
    pub test_id: Uuid,
    pub campaign_id: Uuid,
    pub decision: ExperimentDecision,
    pub marketer_id: String,
    /// The winning arm when shipped: its creative (creative tests) or campaign.
    pub winner_creative_id: Option<Uuid>,
    pub winner_campaign_id: Option<Uuid>,
    pub primary_metric: TestMetric,
    /// The deciding p-value (Holm-adjusted; always-valid before the planned end), if any.
    pub p_value: Option<f64>,
    /// Whether the product decided on its own (automatic shipping).
    pub automatic: bool,
    pub test_duration_days: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataRefreshCompleted {
    pub refresh_id: Uuid,
    pub data_source: String,
    pub records_processed: i64,
    pub refresh_duration_seconds: f64,
    pub data_lag_seconds: Option<i64>,
    pub errors_encountered: Option<i64>,
    pub error_messages: Option<Value>,
    pub data_quality_metrics: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricCalculationCompleted {
    pub metric_id: String,
    pub calculation_timestamp: Option<DateTime<Utc>>,
    pub calculation_duration_ms: Option<i64>,
    pub result_value: f64,
    pub dimension_breakdown: Option<Value>,
    pub data_completeness_percentage: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyType {
    Spike,
    Drop,
    ZeroValue,
    Duplicate,
    MissingData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnomalyDetected {
    pub anomaly_id: Uuid,
    pub metric_id: String,
    pub anomaly_type: AnomalyType,
    pub anomaly_severity: Severity,
    pub expected_value: Option<f64>,
    pub actual_value: Option<f64>,
    pub percentage_deviation: Option<f64>,
    pub affected_records: Option<i64>,
    pub auto_remediation_applied: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInferenceCompleted {
    pub model_name: String,
    pub inference_timestamp: Option<DateTime<Utc>>,
    pub input_record_id: Option<Uuid>,
    /// A number or a label, as the spec allows.
    pub prediction: Value,
    pub confidence_score: Option<f64>,
    pub inference_duration_ms: Option<i64>,
    pub feature_importance_top_3: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImpactProjection {
    pub projected_roas_change_percent: Option<f64>,
    pub projected_revenue_impact: Option<f64>,
    pub confidence_score: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidenceLevel {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserActionRecommended {
    pub recommendation_id: Uuid,
    pub recommendation_type: String,
    pub target_entity_id: Option<Uuid>,
    pub impact_projection: Option<ImpactProjection>,
    pub confidence_level: Option<ConfidenceLevel>,
    pub supporting_data: Option<Value>,
    pub expiration_time: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentStatus {
    OptedIn,
    OptedOut,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMethod {
    DoubleOptIn,
    SingleOptIn,
    Implied,
    Imported,
    Unsubscribe,
}

/// Added to the taxonomy for compliance: a change of marketing consent on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsentUpdated {
    pub channel: DeliveryChannel,
    pub status: ConsentStatus,
    pub method: ConsentMethod,
    pub source: Option<String>,
    pub region: Option<String>,
}

/// `name@domain.tld`: something with an `@` followed by a dotted domain.
fn looks_like_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.'))
}

/// Declares [`Payload`]: one variant per event type with its wire name, parsing by name with
/// field-level errors, and the variant's name back.
macro_rules! payloads {
    ($($variant:ident($props:ty) => $name:literal),+ $(,)?) => {
        /// The typed properties of an event, by event type.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Payload {
            $($variant($props),)+
        }

        /// Every event type's wire name, in the spec's order.
        pub const EVENT_TYPES: &[&str] = &[$($name,)+];

        impl Payload {
            pub fn event_type(&self) -> &'static str {
                match self { $(Payload::$variant(_) => $name,)+ }
            }

            /// Parses `properties` as the properties of `event_type`.
            pub fn parse(event_type: &str, properties: Value) -> Result<Payload, Issue> {
                match event_type {
                    $($name => typed::<$props>(properties).map(Payload::$variant),)+
                    other => Err(Issue::schema(
                        "event_type",
                        format!("unknown event type '{other}': expected one of {}", EVENT_TYPES.join(", ")),
                    )),
                }
            }
        }
    };
}

payloads! {
    CampaignDelivered(CampaignDelivered) => "campaign_delivered",
    CampaignViewed(CampaignViewed) => "campaign_viewed",
    CampaignClicked(CampaignClicked) => "campaign_clicked",
    CampaignConverted(CampaignConverted) => "campaign_converted",
    CampaignAbandoned(CampaignAbandoned) => "campaign_abandoned",
    UserSegmented(UserSegmented) => "user_segmented",
    UserPurchased(UserPurchased) => "user_purchased",
    UserEngaged(UserEngaged) => "user_engaged",
    UserUnsubscribed(UserUnsubscribed) => "user_unsubscribed",
    CampaignCreated(CampaignCreated) => "campaign_created",
    CampaignLaunched(CampaignLaunched) => "campaign_launched",
    CampaignPaused(CampaignPaused) => "campaign_paused",
    BudgetReallocated(BudgetReallocated) => "budget_reallocated",
    DashboardAccessed(DashboardAccessed) => "dashboard_accessed",
    CreativeVariantTested(CreativeVariantTested) => "creative_variant_tested",
    DataRefreshCompleted(DataRefreshCompleted) => "data_refresh_completed",
    MetricCalculationCompleted(MetricCalculationCompleted) => "metric_calculation_completed",
    AnomalyDetected(AnomalyDetected) => "anomaly_detected",
    ModelInferenceCompleted(ModelInferenceCompleted) => "model_inference_completed",
    UserActionRecommended(UserActionRecommended) => "user_action_recommended",
    ConsentUpdated(ConsentUpdated) => "consent_updated",
    ExperimentDecided(ExperimentDecided) => "experiment_decided",
}

/// Deserialises properties, naming the failing field as `properties.<path>`.
fn typed<T: DeserializeOwned>(properties: Value) -> Result<T, Issue> {
    let properties = if properties.is_null() { Value::Object(Default::default()) } else { properties };
    serde_path_to_error::deserialize(properties).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "properties".to_owned() } else { format!("properties.{path}") };
        let reason = err.into_inner().to_string();
        // serde says "missing field `x`" at the parent; name the missing field itself.
        match reason.strip_prefix("missing field `").and_then(|r| r.split('`').next()) {
            Some(missing) => {
                let field = if field == "properties" { format!("properties.{missing}") } else { format!("{field}.{missing}") };
                Issue::schema(field, "is required for this event type")
            }
            None => Issue::schema(field, reason),
        }
    })
}

impl Payload {
    pub fn campaign_id(&self) -> Option<Uuid> {
        match self {
            Payload::CampaignDelivered(p) => Some(p.campaign_id),
            Payload::CampaignViewed(p) => Some(p.campaign_id),
            Payload::CampaignClicked(p) => Some(p.campaign_id),
            Payload::CampaignConverted(p) => Some(p.campaign_id),
            Payload::CampaignAbandoned(p) => Some(p.campaign_id),
            Payload::UserUnsubscribed(p) => p.campaign_id,
            Payload::CampaignCreated(p) => Some(p.campaign_id),
            Payload::CampaignLaunched(p) => Some(p.campaign_id),
            Payload::CampaignPaused(p) => Some(p.campaign_id),
            Payload::CreativeVariantTested(p) => Some(p.campaign_id),
            Payload::ExperimentDecided(p) => Some(p.campaign_id),
            _ => None,
        }
    }

    pub fn creative_id(&self) -> Option<Uuid> {
        match self {
            Payload::CampaignDelivered(p) => Some(p.creative_id),
            Payload::CampaignViewed(p) => Some(p.creative_id),
            Payload::CampaignClicked(p) => Some(p.creative_id),
            Payload::CampaignConverted(p) => Some(p.creative_id),
            _ => None,
        }
    }

    /// Every campaign the event names, with the field naming it (all must be in the catalogue).
    pub fn campaign_references(&self) -> Vec<(&'static str, Uuid)> {
        match self {
            Payload::BudgetReallocated(p) => vec![("properties.from_campaign_id", p.from_campaign_id), ("properties.to_campaign_id", p.to_campaign_id)],
            Payload::ExperimentDecided(p) => {
                std::iter::once(("properties.campaign_id", p.campaign_id)).chain(p.winner_campaign_id.map(|c| ("properties.winner_campaign_id", c))).collect()
            }
            other => other.campaign_id().map(|c| ("properties.campaign_id", c)).into_iter().collect(),
        }
    }

    /// Every creative the event names, with the field naming it and the campaign it must belong to.
    pub fn creative_references(&self) -> Vec<(&'static str, Uuid, Uuid)> {
        match self {
            Payload::CreativeVariantTested(p) => vec![
                ("properties.variant_a_creative_id", p.variant_a_creative_id, p.campaign_id),
                ("properties.variant_b_creative_id", p.variant_b_creative_id, p.campaign_id),
            ],
            Payload::ExperimentDecided(p) => p.winner_creative_id.map(|c| ("properties.winner_creative_id", c, p.campaign_id)).into_iter().collect(),
            other => match (other.creative_id(), other.campaign_id()) {
                (Some(creative), Some(campaign)) => vec![("properties.creative_id", creative, campaign)],
                _ => Vec::new(),
            },
        }
    }

    /// The spec's range rules on amounts (≥ 0) and scores (0 to 1), and per-type sanity checks.
    fn check_ranges(&self) -> Vec<Issue> {
        let mut issues = Vec::new();
        let mut amount = |field: &str, value: Option<f64>| {
            if let Some(v) = value {
                if !v.is_finite() || v < 0.0 {
                    issues.push(Issue::new(format!("properties.{field}"), format!("must be a number ≥ 0, got {v}")));
                }
            }
        };
        match self {
            Payload::CampaignConverted(p) => amount("order_value", Some(p.order_value)),
            Payload::UserPurchased(p) => {
                amount("order_value", Some(p.order_value));
                amount("promotional_discount", p.promotional_discount);
            }
            Payload::CampaignCreated(p) => amount("initial_budget", Some(p.initial_budget)),
            Payload::CampaignLaunched(p) => amount("budget_approved", p.budget_approved),
            Payload::BudgetReallocated(p) => amount("amount", Some(p.amount)),
            _ => {}
        }
        let mut score = |field: &str, value: Option<f64>| {
            if let Some(v) = value {
                if !(0.0..=1.0).contains(&v) {
                    issues.push(Issue::new(format!("properties.{field}"), format!("must be between 0.0 and 1.0, got {v}")));
                }
            }
        };
        match self {
            Payload::CampaignConverted(p) => score("incrementality_score", p.incrementality_score),
            Payload::UserSegmented(p) => score("segment_score", p.segment_score),
            Payload::CampaignLaunched(p) => score("ai_recommendation_score", p.ai_recommendation_score),
            Payload::ModelInferenceCompleted(p) => score("confidence_score", p.confidence_score),
            Payload::UserActionRecommended(p) => {
                score("impact_projection.confidence_score", p.impact_projection.as_ref().and_then(|i| i.confidence_score))
            }
            Payload::CreativeVariantTested(p) => {
                score("statistical_significance_threshold", Some(p.statistical_significance_threshold))
            }
            Payload::ExperimentDecided(p) => score("p_value", p.p_value),
            _ => {}
        }
        let mut non_negative = |field: &str, value: Option<i64>| {
            if let Some(v) = value {
                if v < 0 {
                    issues.push(Issue::new(format!("properties.{field}"), format!("must be ≥ 0, got {v}")));
                }
            }
        };
        match self {
            Payload::CampaignViewed(p) => non_negative("view_duration_seconds", p.view_duration_seconds),
            Payload::CampaignClicked(p) => non_negative("time_to_click_seconds", p.time_to_click_seconds),
            Payload::CampaignConverted(p) => non_negative("conversion_delay_seconds", p.conversion_delay_seconds),
            Payload::UserEngaged(p) => non_negative("session_duration_seconds", p.session_duration_seconds),
            _ => {}
        }
        if let Payload::BudgetReallocated(p) = self {
            if p.from_campaign_id == p.to_campaign_id {
                issues.push(Issue::new("properties.to_campaign_id", "must be another campaign than from_campaign_id"));
            }
        }
        if let Payload::CampaignDelivered(p) = self {
            if p.is_holdout && (p.experiment_id.is_some() || p.experiment_arm.is_some()) {
                issues.push(Issue::new("properties.experiment_arm", "a holdout assignment is in no test arm"));
            } else if p.experiment_arm.is_some() != p.experiment_id.is_some() {
                issues.push(Issue::new("properties.experiment_id", "give experiment_id and experiment_arm together"));
            }
            if p.experiment_arm.as_ref().is_some_and(|a| a.trim().is_empty() || a.chars().count() > 200) {
                issues.push(Issue::new("properties.experiment_arm", "must be the arm's label (1 to 200 characters)"));
            }
        }
        if let Payload::CreativeVariantTested(p) = self {
            if !(1..=99).contains(&p.split_percentage) {
                issues.push(Issue::new("properties.split_percentage", format!("must be between 1 and 99, got {}", p.split_percentage)));
            }
        }
        issues
    }
}

/// Options that change the rules for one producer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rules {
    /// The key has the backfill scope: events older than 30 days are accepted (tagged).
    pub allow_backfill: bool,
}

/// Applies every ingestion rule of the spec to one event; all problems are reported, not just
/// the first.
pub fn validate(raw: RawEvent, now: DateTime<Utc>, rules: Rules) -> Result<Event, Vec<Issue>> {
    let mut issues = Vec::new();

    let event_id = match raw.event_id.as_deref().map(str::trim) {
        None | Some("") => {
            issues.push(Issue::new("event_id", "is required and must not be empty"));
            None
        }
        Some(text) => match Uuid::parse_str(text) {
            Ok(id) => Some(id),
            Err(_) => {
                issues.push(Issue::new("event_id", format!("must be a UUID, got '{}'", clip(text))));
                None
            }
        },
    };

    let user_id = match raw.user_id.as_deref().map(str::trim) {
        None | Some("") => {
            issues.push(Issue::new("user_id", "is required and must not be empty"));
            None
        }
        Some(text) if text.chars().count() > 100 => {
            issues.push(Issue::new("user_id", "must be at most 100 characters"));
            None
        }
        // Events carry pseudonymous ids only; contact details belong in the customer directory.
        Some(text) if looks_like_email(text) => {
            issues.push(Issue::new("user_id", "looks like an email address: send the pseudonymous user id (contact details go to POST /api/v1/customers)"));
            None
        }
        Some(text) => Some(text.to_owned()),
    };

    let source = match raw.source.as_deref() {
        None => {
            issues.push(Issue::new("source", "is required: mobile, admin_portal or backend"));
            None
        }
        Some(text) => match text.parse::<EventSource>() {
            Ok(source) => Some(source),
            Err(err) => {
                issues.push(Issue::new("source", err.to_string()));
                None
            }
        },
    };

    let mut late_arrival = false;
    let mut backfilled = false;
    let occurred_at = match raw.timestamp.as_deref() {
        None | Some("") => {
            issues.push(Issue::new("timestamp", "is required (ISO-8601, UTC)"));
            None
        }
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Err(_) => {
                issues.push(Issue::new("timestamp", format!("must be an ISO-8601 time such as 2026-11-25T09:00:00Z, got '{}'", clip(text))));
                None
            }
            Ok(t) => {
                let t = t.with_timezone(&Utc);
                if t > now + MAX_FUTURE_SKEW {
                    issues.push(Issue::new("timestamp", "is more than 5 minutes in the future (clock skew)"));
                    None
                } else if t < now - MAX_AGE && !rules.allow_backfill {
                    issues.push(Issue::new("timestamp", "is more than 30 days old (send it with a backfill-scoped key)"));
                    None
                } else {
                    late_arrival = t < now - LATE_AFTER;
                    backfilled = t < now - MAX_AGE;
                    Some(t)
                }
            }
        },
    };

    let payload = match raw.event_type.as_deref() {
        None | Some("") => {
            issues.push(Issue::schema("event_type", "is required"));
            None
        }
        Some(event_type) => match Payload::parse(event_type, raw.properties) {
            Ok(payload) => {
                issues.extend(payload.check_ranges());
                Some(payload)
            }
            Err(issue) => {
                issues.push(issue);
                None
            }
        },
    };

    let context = if raw.context.is_null() {
        Ok(Context::default())
    } else {
        serde_path_to_error::deserialize::<_, Context>(raw.context)
            .map_err(|err| Issue::schema(format!("context.{}", err.path()), err.into_inner().to_string()))
    };
    let context = match context {
        Ok(context) => Some(context),
        Err(issue) => {
            issues.push(issue);
            None
        }
    };

    match (event_id, user_id, source, occurred_at, payload, context) {
        (Some(event_id), Some(user_id), Some(source), Some(occurred_at), Some(payload), Some(context)) if issues.is_empty() => {
            Ok(Event { event_id, occurred_at, user_id, session_id: raw.session_id, source, context, payload, late_arrival, backfilled })
        }
        _ => Err(issues),
    }
}

/// Long input quoted back in an error is cut, so errors stay readable.
fn clip(text: &str) -> String {
    if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap()
    }

    fn purchase(overrides: Value) -> RawEvent {
        let mut event = json!({
            "event_id": "6f1c0f64-5a55-4a8e-9a0e-2f4f1b1f0c11",
            "event_type": "user_purchased",
            "timestamp": "2026-11-25T11:00:00Z",
            "user_id": "u-1",
            "source": "backend",
            "properties": { "order_id": "0b8f2c3e-98c4-4f58-bf9e-6f1d2a7b9c10", "order_value": 42.5 },
            "context": { "platform": "iOS", "region": "US-CA" }
        });
        if let (Value::Object(base), Value::Object(extra)) = (&mut event, overrides) {
            for (k, v) in extra {
                base.insert(k, v);
            }
        }
        serde_json::from_value(event).unwrap()
    }

    fn issues(raw: RawEvent) -> Vec<Issue> {
        validate(raw, now(), Rules::default()).unwrap_err()
    }

    #[test]
    fn a_good_event_passes_with_its_typed_properties() {
        let event = validate(purchase(json!({})), now(), Rules::default()).unwrap();
        assert_eq!(event.event_type(), "user_purchased");
        assert!(matches!(event.payload, Payload::UserPurchased(ref p) if p.order_value == 42.5));
        assert_eq!(event.context.region.as_deref(), Some("US-CA"));
        assert!(!event.late_arrival);
    }

    #[test]
    fn ids_must_be_present_and_event_ids_uuids() {
        let found = issues(purchase(json!({ "event_id": "", "user_id": null })));
        assert!(found.iter().any(|i| i.field == "event_id" && i.reason == "is required and must not be empty" && !i.schema));
        assert!(found.iter().any(|i| i.field == "user_id" && i.reason == "is required and must not be empty"));
        let found = issues(purchase(json!({ "event_id": "not-a-uuid" })));
        assert_eq!(found[0].field, "event_id");
        let found = issues(purchase(json!({ "user_id": "sarah.jones@example.com" })));
        assert!(found.iter().any(|i| i.field == "user_id" && i.reason.contains("email") && !i.reason.contains("sarah")), "{found:?}");
        assert!(validate(purchase(json!({ "user_id": "key:crm@v2" })), now(), Rules::default()).is_ok(), "an @ alone is no address");
    }

    #[test]
    fn uuid_properties_name_the_field() {
        let found = issues(purchase(json!({ "properties": { "order_id": "123", "order_value": 1.0 } })));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].field, "properties.order_id");
    }

    #[test]
    fn timestamps_are_bounded_by_clock_skew_and_age() {
        assert_eq!(issues(purchase(json!({ "timestamp": "2026-11-25T12:06:00Z" })))[0].field, "timestamp");
        assert!(validate(purchase(json!({ "timestamp": "2026-11-25T12:04:00Z" })), now(), Rules::default()).is_ok());
        let old = purchase(json!({ "timestamp": "2026-10-20T12:00:00Z" }));
        assert!(issues(old.clone())[0].reason.contains("30 days"));
        let event = validate(old, now(), Rules { allow_backfill: true }).unwrap();
        assert!(event.backfilled && event.late_arrival);
        let late = validate(purchase(json!({ "timestamp": "2026-11-23T12:00:00Z" })), now(), Rules::default()).unwrap();
        assert!(late.late_arrival && !late.backfilled);
        assert_eq!(issues(purchase(json!({ "timestamp": "yesterday" })))[0].field, "timestamp");
        assert_eq!(issues(purchase(json!({ "timestamp": null })))[0].field, "timestamp");
    }

    #[test]
    fn the_source_must_be_one_of_the_three() {
        let found = issues(purchase(json!({ "source": "web" })));
        assert_eq!(found[0].field, "source");
        assert!(found[0].reason.contains("mobile, admin_portal, backend"));
    }

    #[test]
    fn amounts_must_not_be_negative_and_scores_stay_in_zero_to_one() {
        let found = issues(purchase(json!({ "properties": { "order_id": "0b8f2c3e-98c4-4f58-bf9e-6f1d2a7b9c10", "order_value": -1 } })));
        assert_eq!(found[0].field, "properties.order_value");
        let converted = purchase(json!({
            "event_type": "campaign_converted",
            "properties": {
                "campaign_id": "11111111-1111-4111-8111-111111111111",
                "creative_id": "22222222-2222-4222-8222-222222222222",
                "order_id": "0b8f2c3e-98c4-4f58-bf9e-6f1d2a7b9c10",
                "order_value": 10.0,
                "incrementality_score": 1.5
            }
        }));
        assert_eq!(issues(converted)[0].field, "properties.incrementality_score");
    }

    #[test]
    fn required_properties_and_enum_values_are_named() {
        let missing = purchase(json!({ "event_type": "campaign_delivered", "properties": { "campaign_id": "11111111-1111-4111-8111-111111111111" } }));
        let found = issues(missing);
        assert!(found[0].schema, "a missing property is a schema failure");
        assert_eq!(found[0].field, "properties.campaign_type");
        assert_eq!(found[0].reason, "is required for this event type");
        let bad_enum = purchase(json!({ "event_type": "user_engaged", "properties": { "engagement_type": "teleport" } }));
        let found = issues(bad_enum);
        assert_eq!(found[0].field, "properties.engagement_type");
        assert!(found[0].reason.contains("teleport"));
    }

    #[test]
    fn an_unknown_event_type_lists_the_known_ones() {
        let found = issues(purchase(json!({ "event_type": "campaign_teleported" })));
        assert_eq!(found[0].field, "event_type");
        assert!(found[0].reason.contains("campaign_delivered") && found[0].reason.contains("consent_updated"));
        assert_eq!(EVENT_TYPES.len(), 22);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let found = issues(purchase(json!({ "event_id": "x", "source": "web", "timestamp": "2030-01-01T00:00:00Z" })));
        let fields: Vec<&str> = found.iter().map(|i| i.field.as_str()).collect();
        assert_eq!(fields, vec!["event_id", "source", "timestamp"]);
    }
}
