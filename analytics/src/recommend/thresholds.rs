//! The engine's thresholds: configuration (`[recommendations]` of swipesavvy.toml), defaults from
//! the spec (docs/recommendations.md).

use serde::{Deserialize, Serialize};

use super::RecommendationKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Thresholds {
    /// How often the server runs the engine.
    pub interval_minutes: u32,
    /// How long a dismissal holds while its situation persists.
    pub dismissal_days: u32,
    /// Compliance flags pause the campaign as soon as they are found.
    pub auto_execute_compliance: bool,
    /// Types whose execution waits for a second person's approval (spec PART 6's ranking table).
    pub approval_required: Vec<RecommendationKind>,
    pub pause_min_days: i64,
    pub pause_roas_below: f64,
    pub pause_ctr_min_days: i64,
    pub pause_ctr_below_percent: f64,
    pub overspend_share: f64,
    pub overspend_roas_below: f64,
    pub reallocate_to_roas_above: f64,
    pub reallocate_from_roas_below: f64,
    pub budget_used_share: f64,
    pub creative_min_days: i64,
    pub creative_ctr_benchmark_percent: f64,
    pub segment_expand_roas_above: f64,
    pub segment_focus_roas_below: f64,
    pub segment_growth_share: f64,
    pub unsubscribe_rate_above_percent: f64,
    pub frequency_per_week_at_least: f64,
    pub increase_roas_above: f64,
    pub increase_share: f64,
    pub targeting_ratio_at_least: f64,
    pub targeting_min_days: i64,
    pub holdout_percent: f64,
    pub freshness_minutes_above: f64,
    pub validation_errors_above_percent: f64,
    /// The fewest events received in an hour for its share of rejected ones to be judged.
    pub validation_min_events: u64,
    /// The fewest impressions a CTR rule judges.
    pub min_impressions: u64,
    /// Days after an execution before its outcome is measured against the projection.
    pub outcome_window_days: u32,
    /// An outcome within this share of its projection counts as a hit.
    pub outcome_tolerance: f64,
    /// How many outcomes' worth the model's own confidence counts for against the track record.
    pub outcome_prior_weight: f64,
}

impl Default for Thresholds {
    fn default() -> Thresholds {
        Thresholds {
            interval_minutes: 5,
            dismissal_days: 14,
            auto_execute_compliance: true,
            approval_required: vec![RecommendationKind::ReallocateBudget, RecommendationKind::TestCreative, RecommendationKind::BudgetIncrease],
            pause_min_days: 7,
            pause_roas_below: 2.0,
            pause_ctr_min_days: 5,
            pause_ctr_below_percent: 1.0,
            overspend_share: 0.10,
            overspend_roas_below: 1.5,
            reallocate_to_roas_above: 3.5,
            reallocate_from_roas_below: 2.0,
            budget_used_share: 0.90,
            creative_min_days: 5,
            creative_ctr_benchmark_percent: 1.5,
            segment_expand_roas_above: 3.5,
            segment_focus_roas_below: 2.0,
            segment_growth_share: 0.20,
            unsubscribe_rate_above_percent: 5.0,
            frequency_per_week_at_least: 3.0,
            increase_roas_above: 4.0,
            increase_share: 0.20,
            targeting_ratio_at_least: 3.0,
            targeting_min_days: 3,
            holdout_percent: 10.0,
            freshness_minutes_above: 30.0,
            validation_errors_above_percent: 5.0,
            validation_min_events: 100,
            min_impressions: 1_000,
            outcome_window_days: 7,
            outcome_tolerance: 0.5,
            outcome_prior_weight: 5.0,
        }
    }
}

impl Thresholds {
    /// Every problem, each naming its key; empty when the thresholds can be used.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut positive = |name: &str, value: f64| {
            if !(value.is_finite() && value > 0.0) {
                out.push(format!("recommendations.{name} must be a number above 0, got {value}"));
            }
        };
        positive("pause_roas_below", self.pause_roas_below);
        positive("pause_ctr_below_percent", self.pause_ctr_below_percent);
        positive("overspend_roas_below", self.overspend_roas_below);
        positive("reallocate_to_roas_above", self.reallocate_to_roas_above);
        positive("reallocate_from_roas_below", self.reallocate_from_roas_below);
        positive("creative_ctr_benchmark_percent", self.creative_ctr_benchmark_percent);
        positive("segment_expand_roas_above", self.segment_expand_roas_above);
        positive("segment_focus_roas_below", self.segment_focus_roas_below);
        positive("segment_growth_share", self.segment_growth_share);
        positive("unsubscribe_rate_above_percent", self.unsubscribe_rate_above_percent);
        positive("frequency_per_week_at_least", self.frequency_per_week_at_least);
        positive("increase_roas_above", self.increase_roas_above);
        positive("increase_share", self.increase_share);
        positive("targeting_ratio_at_least", self.targeting_ratio_at_least);
        positive("freshness_minutes_above", self.freshness_minutes_above);
        positive("validation_errors_above_percent", self.validation_errors_above_percent);
        positive("validation_min_events", self.validation_min_events as f64);
        positive("outcome_tolerance", self.outcome_tolerance);
        positive("outcome_prior_weight", self.outcome_prior_weight);
        if self.interval_minutes == 0 {
            out.push("recommendations.interval_minutes must be at least 1".to_owned());
        }
        if !(1..=90).contains(&self.outcome_window_days) {
            out.push(format!("recommendations.outcome_window_days must be 1 to 90, got {}", self.outcome_window_days));
        }
        if self.dismissal_days == 0 {
            out.push("recommendations.dismissal_days must be at least 1".to_owned());
        }
        for (name, share) in [("overspend_share", self.overspend_share), ("budget_used_share", self.budget_used_share)] {
            if !(0.0..=1.0).contains(&share) {
                out.push(format!("recommendations.{name} must be between 0 and 1, got {share}"));
            }
        }
        if !(self.holdout_percent > 0.0 && self.holdout_percent <= 50.0) {
            out.push(format!("recommendations.holdout_percent must be above 0 and at most 50, got {}", self.holdout_percent));
        }
        if self.reallocate_from_roas_below >= self.reallocate_to_roas_above {
            out.push("recommendations.reallocate_from_roas_below must be below reallocate_to_roas_above".to_owned());
        }
        if self.segment_focus_roas_below >= self.segment_expand_roas_above {
            out.push("recommendations.segment_focus_roas_below must be below segment_expand_roas_above".to_owned());
        }
        for (name, days) in [("pause_min_days", self.pause_min_days), ("pause_ctr_min_days", self.pause_ctr_min_days), ("creative_min_days", self.creative_min_days), ("targeting_min_days", self.targeting_min_days)] {
            if !(0..=365).contains(&days) {
                out.push(format!("recommendations.{name} must be 0 to 365 days, got {days}"));
            }
        }
        out
    }
}
