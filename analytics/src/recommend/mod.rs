//! The recommendation engine (spec PART 6, docs/recommendations.md): facts about the campaigns,
//! segments and the system in; ranked, explained, executable recommendations out.
//!
//! `facts` measures what the rules read from the metrics rollup, `response` fits the budget
//! response curves, `rules` holds the ten types' triggers and scores. Nothing here stores,
//! executes or reads a clock: the server does that at the edge.

pub mod facts;
pub mod outcome;
pub mod response;
pub mod rules;
pub mod thresholds;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::SegmentType;
use crate::metrics::definitions::Unit;

pub use facts::{CampaignInput, ComplianceFacts, CreativeInput, Facts, SystemFacts};
pub use rules::{describe_trigger, evaluate};
pub use thresholds::Thresholds;

/// The ten recommendation types of spec PART 6.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecommendationKind {
    PauseCampaign,
    ReallocateBudget,
    TestCreative,
    ExpandFocusSegment,
    AdjustFrequency,
    BudgetIncrease,
    ChangeTargeting,
    LaunchHoldout,
    ImproveDataQuality,
    ComplianceFlag,
}

impl RecommendationKind {
    pub const ALL: [RecommendationKind; 10] = [
        RecommendationKind::PauseCampaign,
        RecommendationKind::ReallocateBudget,
        RecommendationKind::TestCreative,
        RecommendationKind::ExpandFocusSegment,
        RecommendationKind::AdjustFrequency,
        RecommendationKind::BudgetIncrease,
        RecommendationKind::ChangeTargeting,
        RecommendationKind::LaunchHoldout,
        RecommendationKind::ImproveDataQuality,
        RecommendationKind::ComplianceFlag,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationKind::PauseCampaign => "pause_campaign",
            RecommendationKind::ReallocateBudget => "reallocate_budget",
            RecommendationKind::TestCreative => "test_creative",
            RecommendationKind::ExpandFocusSegment => "expand_focus_segment",
            RecommendationKind::AdjustFrequency => "adjust_frequency",
            RecommendationKind::BudgetIncrease => "budget_increase",
            RecommendationKind::ChangeTargeting => "change_targeting",
            RecommendationKind::LaunchHoldout => "launch_holdout",
            RecommendationKind::ImproveDataQuality => "improve_data_quality",
            RecommendationKind::ComplianceFlag => "compliance_flag",
        }
    }

    /// A short title for the queue.
    pub fn title(self) -> &'static str {
        match self {
            RecommendationKind::PauseCampaign => "Pause campaign",
            RecommendationKind::ReallocateBudget => "Reallocate budget",
            RecommendationKind::TestCreative => "Test creative",
            RecommendationKind::ExpandFocusSegment => "Expand or focus segment",
            RecommendationKind::AdjustFrequency => "Adjust send frequency",
            RecommendationKind::BudgetIncrease => "Increase budget",
            RecommendationKind::ChangeTargeting => "Change targeting",
            RecommendationKind::LaunchHoldout => "Launch holdout",
            RecommendationKind::ImproveDataQuality => "Improve data quality",
            RecommendationKind::ComplianceFlag => "Compliance flag",
        }
    }

    pub fn parse(name: &str) -> Option<RecommendationKind> {
        RecommendationKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The priority band of a score (docs/recommendations.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Critical,
    High,
    Medium,
    Low,
}

impl Level {
    pub const ALL: [Level; 4] = [Level::Critical, Level::High, Level::Medium, Level::Low];

    pub fn of(priority: f64) -> Level {
        match priority {
            p if p >= 120.0 => Level::Critical,
            p if p >= 60.0 => Level::High,
            p if p >= 30.0 => Level::Medium,
            _ => Level::Low,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Critical => "critical",
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
    }

    pub fn parse(name: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

/// One named part of an impact score, so the detail view can show how it was reached.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScorePart {
    pub name: String,
    pub points: f64,
}

/// Priority = impact (0–100) × urgency (0.5–2.0) × feasibility (0.3–1.0).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub impact: f64,
    pub impact_parts: Vec<ScorePart>,
    pub urgency: f64,
    pub urgency_reason: String,
    pub feasibility: f64,
    pub feasibility_reason: String,
    pub priority: f64,
    pub level: Level,
}

impl Score {
    pub fn new(parts: Vec<ScorePart>, urgency: (f64, &str), feasibility: (f64, &str)) -> Score {
        let impact = parts.iter().map(|p| p.points).sum::<f64>().clamp(0.0, 100.0);
        let priority = impact * urgency.0 * feasibility.0;
        Score {
            impact,
            impact_parts: parts,
            urgency: urgency.0,
            urgency_reason: urgency.1.to_owned(),
            feasibility: feasibility.0,
            feasibility_reason: feasibility.1.to_owned(),
            priority,
            level: Level::of(priority),
        }
    }
}

/// What a recommendation is about.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    Campaign,
    Creative,
    Segment,
    System,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    /// A campaign's or creative's id, a segment's name, or `system`.
    pub id: String,
    pub name: String,
    /// The campaign a creative belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<Uuid>,
}

impl Target {
    pub fn key(&self) -> String {
        match self.kind {
            TargetKind::System => "system".to_owned(),
            kind => format!("{}/{}", serde_json::to_value(kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(), self.id),
        }
    }
}

/// A figure with its unit and, where there is one, the target it is judged against.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub value: Option<f64>,
    pub unit: Unit,
    /// The threshold in words, such as "≥ 2.0×".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// Whether the value meets its target (`None`: no target).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ok: Option<bool>,
}

impl Figure {
    pub fn plain(label: &str, value: Option<f64>, unit: Unit) -> Figure {
        Figure { label: label.to_owned(), value, unit, target: None, ok: None }
    }

    pub fn judged(label: &str, value: Option<f64>, unit: Unit, target: String, ok: Option<bool>) -> Figure {
        Figure { label: label.to_owned(), value, unit, target: Some(target), ok }
    }
}

/// A comparable entity and the figure it is compared on.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Similar {
    pub id: String,
    pub name: String,
    pub figure: Figure,
}

/// What acting, and not acting, is projected to do over the next 7 days.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// How the figures were projected, in words.
    pub method: String,
    pub if_act: Vec<Figure>,
    pub if_not: Vec<Figure>,
    /// The weekly dollar effect of acting (positive: better off), where it has one.
    pub net_weekly_dollars: Option<f64>,
    /// 0–1: the model's own, blended with the type's track record (`outcome::TrackRecord`).
    pub confidence: f64,
    /// How past outcomes of the type moved the confidence, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub track_record: Option<String>,
}

/// A state change the product can make. Executing a recommendation carries out its action,
/// possibly customised (docs/recommendations.md).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    PauseCampaign { campaign_id: Uuid },
    MoveBudget { from_campaign_id: Uuid, to_campaign_id: Uuid, amount_cents: i64 },
    TestCreative { campaign_id: Uuid, creative_id: Uuid },
    AddTargetSegment { campaign_id: Uuid, segment: SegmentType },
    RemoveTargetSegment { campaign_ids: Vec<Uuid>, segment: SegmentType },
    SetFrequencyCap { campaign_id: Uuid, per_week: u32 },
    SetBudget { campaign_id: Uuid, budget_cents: i64 },
    SetTargetSegments { campaign_id: Uuid, segments: Vec<SegmentType> },
    SetHoldout { campaign_id: Uuid, percent: f64 },
    RefreshData,
}

impl Action {
    /// The number a person may change before executing (Customize): what it is, and its value.
    pub fn adjustable(&self) -> Option<(&'static str, f64)> {
        match self {
            Action::MoveBudget { amount_cents, .. } => Some(("Amount to move ($)", *amount_cents as f64 / 100.0)),
            Action::SetBudget { budget_cents, .. } => Some(("New budget ($)", *budget_cents as f64 / 100.0)),
            Action::SetFrequencyCap { per_week, .. } => Some(("Cap (deliveries per user per week)", f64::from(*per_week))),
            Action::SetHoldout { percent, .. } => Some(("Holdout share (%)", *percent)),
            _ => None,
        }
    }

    /// The same action with its adjustable number set to `value` (`None`: nothing to adjust, or
    /// not a number of the right kind). The rules of the catalogue judge the result.
    pub fn adjusted(&self, value: f64) -> Option<Action> {
        if !value.is_finite() || value < 0.0 {
            return None;
        }
        let cents = (value * 100.0).round() as i64;
        Some(match self {
            Action::MoveBudget { from_campaign_id, to_campaign_id, .. } => Action::MoveBudget { from_campaign_id: *from_campaign_id, to_campaign_id: *to_campaign_id, amount_cents: cents },
            Action::SetBudget { campaign_id, .. } => Action::SetBudget { campaign_id: *campaign_id, budget_cents: cents },
            Action::SetFrequencyCap { campaign_id, .. } if value.fract() == 0.0 && value <= f64::from(u32::MAX) => Action::SetFrequencyCap { campaign_id: *campaign_id, per_week: value as u32 },
            Action::SetHoldout { campaign_id, .. } => Action::SetHoldout { campaign_id: *campaign_id, percent: value },
            _ => return None,
        })
    }
}

/// Another way to answer the same situation, itself executable.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    pub kind: RecommendationKind,
    pub description: String,
    pub projected: String,
    pub action: Action,
}

/// One recommendation as the engine makes it (spec PART 6's structure).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    pub kind: RecommendationKind,
    /// Type + target + trigger: at most one open recommendation per key.
    pub situation_key: String,
    /// The rule that fired, such as `low_roas`.
    pub trigger: String,
    pub title: String,
    pub target: Target,
    /// Other entities the action touches (the campaign budget moves to, the campaigns a segment is
    /// removed from).
    pub related: Vec<Target>,
    pub current: Vec<Figure>,
    pub primary_reason: String,
    pub evidence: Vec<String>,
    pub similar: Vec<Similar>,
    pub projection: Projection,
    pub alternatives: Vec<Alternative>,
    pub action: Action,
    /// Carried out as soon as it is found (compliance flags by default).
    pub auto_execute: bool,
    pub score: Score,
}

#[cfg(test)]
mod tests;
