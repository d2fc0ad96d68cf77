//! The Data Quality Framework's quality metrics and alert levels (spec PART 5, "Quality
//! Metrics"), computed from counters the ingestion keeps. Definitions, where the spec leaves
//! them open, are ours and documented in docs/quality.md:
//!
//! - ingestion rate: events received in the window ÷ the average received in windows of the
//!   same length over the previous 7 days (capped at 100%); unknown without history;
//! - validation pass rate: events that passed every rule ÷ events received;
//! - duplicate rate: retries of stored events ÷ events received;
//! - late-arrival rate: stored events older than 24 h on arrival ÷ events stored;
//! - data freshness: minutes since the newest stored event occurred;
//! - completeness: stored events with their context (platform, region, segment) ÷ stored;
//! - schema compliance: events whose envelope and properties parsed as their type ÷ received.

use serde::{Deserialize, Serialize};

/// The spec's four event categories (its freshness SLA table), plus events of no known type.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Campaign,
    UserBehavior,
    MarketerAction,
    System,
    Unknown,
}

impl Category {
    pub const ALL: [Category; 5] = [Category::Campaign, Category::UserBehavior, Category::MarketerAction, Category::System, Category::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Campaign => "campaign",
            Category::UserBehavior => "user_behavior",
            Category::MarketerAction => "marketer_action",
            Category::System => "system",
            Category::Unknown => "unknown",
        }
    }

    pub fn parse(text: &str) -> Category {
        Category::ALL.into_iter().find(|c| c.as_str() == text).unwrap_or(Category::Unknown)
    }

    /// The category an event type belongs to.
    pub fn of(event_type: &str) -> Category {
        match event_type {
            "campaign_delivered" | "campaign_viewed" | "campaign_clicked" | "campaign_converted" | "campaign_abandoned" => {
                Category::Campaign
            }
            "user_purchased" | "user_engaged" | "user_segmented" | "user_unsubscribed" | "consent_updated" => Category::UserBehavior,
            "campaign_created" | "campaign_launched" | "campaign_paused" | "budget_reallocated" | "dashboard_accessed"
            | "creative_variant_tested" | "experiment_decided" => Category::MarketerAction,
            "data_refresh_completed" | "metric_calculation_completed" | "anomaly_detected" | "model_inference_completed"
            | "user_action_recommended" => Category::System,
            _ => Category::Unknown,
        }
    }

    /// The spec's freshness target for the category, in minutes (its "target latency").
    pub fn freshness_target_minutes(self) -> f64 {
        match self {
            Category::Campaign | Category::System => 1.0,
            Category::UserBehavior => 5.0,
            Category::MarketerAction => 10.0 / 60.0,
            Category::Unknown => 1.0,
        }
    }
}

/// What the ingestion counted for a category over a window.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualityCounts {
    /// Every event sent, whatever became of it.
    pub received: i64,
    /// Parsed as its type (envelope and properties).
    pub schema_ok: i64,
    /// Passed every rule (valid), stored or duplicate.
    pub valid: i64,
    /// Retries of events already stored.
    pub duplicates: i64,
    /// Stored (new events and corrections).
    pub stored: i64,
    /// Stored more than 24 hours after they occurred.
    pub late: i64,
    /// Stored with platform, region and segment in their context.
    pub complete: i64,
}

impl QualityCounts {
    pub fn add(&mut self, other: &QualityCounts) {
        self.received += other.received;
        self.schema_ok += other.schema_ok;
        self.valid += other.valid;
        self.duplicates += other.duplicates;
        self.stored += other.stored;
        self.late += other.late;
        self.complete += other.complete;
    }
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Info,
    Warning,
    Critical,
}

/// One raised alert: its level, the metric, and a sentence with the number.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityAlert {
    pub level: AlertLevel,
    pub metric: String,
    pub message: String,
}

/// The seven metrics; `None` where there is nothing to compute from (no events, no history).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QualityMetrics {
    pub ingestion_rate_percent: Option<f64>,
    pub validation_pass_rate_percent: Option<f64>,
    pub duplicate_rate_percent: Option<f64>,
    pub late_arrival_rate_percent: Option<f64>,
    pub data_freshness_minutes: Option<f64>,
    pub completeness_percent: Option<f64>,
    pub schema_compliance_percent: Option<f64>,
    pub alerts: Vec<QualityAlert>,
}

fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

impl QualityMetrics {
    /// `expected_received`: the average received per window of this length over the previous
    /// 7 days, if there is history. `freshness_minutes`: minutes since the newest stored event.
    pub fn compute(counts: &QualityCounts, expected_received: Option<f64>, freshness_minutes: Option<f64>) -> QualityMetrics {
        let ingestion_rate_percent =
            expected_received.filter(|e| *e > 0.0).map(|expected| (100.0 * counts.received as f64 / expected).min(100.0));
        let mut metrics = QualityMetrics {
            ingestion_rate_percent,
            validation_pass_rate_percent: percent(counts.valid, counts.received),
            duplicate_rate_percent: percent(counts.duplicates, counts.received),
            late_arrival_rate_percent: percent(counts.late, counts.stored),
            data_freshness_minutes: freshness_minutes,
            completeness_percent: percent(counts.complete, counts.stored),
            schema_compliance_percent: percent(counts.schema_ok, counts.received),
            alerts: Vec::new(),
        };
        metrics.alerts = metrics.evaluate();
        metrics
    }

    /// The spec's alert thresholds: critical (ingestion or validation < 95%), warning
    /// (freshness > 15 min or completeness < 90%), info (late arrivals > 5% or duplicates > 1%).
    fn evaluate(&self) -> Vec<QualityAlert> {
        let mut alerts = Vec::new();
        let mut raise = |level, metric: &str, message: String| alerts.push(QualityAlert { level, metric: metric.to_owned(), message });
        if let Some(v) = self.ingestion_rate_percent.filter(|v| *v < 95.0) {
            raise(AlertLevel::Critical, "ingestion_rate_percent", format!("only {v:.1}% of the expected events arrived (below 95%)"));
        }
        if let Some(v) = self.validation_pass_rate_percent.filter(|v| *v < 95.0) {
            raise(AlertLevel::Critical, "validation_pass_rate_percent", format!("{v:.1}% of events passed validation (below 95%)"));
        }
        if let Some(v) = self.data_freshness_minutes.filter(|v| *v > 15.0) {
            raise(AlertLevel::Warning, "data_freshness_minutes", format!("the newest event is {v:.0} minutes old (over 15)"));
        }
        if let Some(v) = self.completeness_percent.filter(|v| *v < 90.0) {
            raise(AlertLevel::Warning, "completeness_percent", format!("{v:.1}% of events carry their full context (below 90%)"));
        }
        if let Some(v) = self.late_arrival_rate_percent.filter(|v| *v > 5.0) {
            raise(AlertLevel::Info, "late_arrival_rate_percent", format!("{v:.1}% of events arrived more than 24 h late (over 5%)"));
        }
        if let Some(v) = self.duplicate_rate_percent.filter(|v| *v > 1.0) {
            raise(AlertLevel::Info, "duplicate_rate_percent", format!("{v:.1}% of events were duplicates (over 1%)"));
        }
        alerts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_shares_of_what_was_received_or_stored() {
        let counts = QualityCounts { received: 200, schema_ok: 196, valid: 190, duplicates: 4, stored: 186, late: 2, complete: 93 };
        let m = QualityMetrics::compute(&counts, Some(250.0), Some(3.0));
        assert_eq!(m.validation_pass_rate_percent, Some(95.0));
        assert_eq!(m.duplicate_rate_percent, Some(2.0));
        assert_eq!(m.schema_compliance_percent, Some(98.0));
        assert_eq!(m.ingestion_rate_percent, Some(80.0));
        assert!((m.late_arrival_rate_percent.unwrap() - 100.0 * 2.0 / 186.0).abs() < 1e-9);
        assert_eq!(m.completeness_percent, Some(50.0));
    }

    #[test]
    fn alerts_follow_the_spec_thresholds() {
        let counts = QualityCounts { received: 100, schema_ok: 100, valid: 94, duplicates: 2, stored: 92, late: 6, complete: 80 };
        let m = QualityMetrics::compute(&counts, Some(100.0), Some(20.0));
        let levels: Vec<(AlertLevel, &str)> = m.alerts.iter().map(|a| (a.level, a.metric.as_str())).collect();
        assert_eq!(
            levels,
            vec![
                (AlertLevel::Critical, "validation_pass_rate_percent"),
                (AlertLevel::Warning, "data_freshness_minutes"),
                (AlertLevel::Warning, "completeness_percent"),
                (AlertLevel::Info, "late_arrival_rate_percent"),
                (AlertLevel::Info, "duplicate_rate_percent"),
            ]
        );
        // Exactly at a threshold is not an alert (the spec's "below 95%").
        let fine = QualityCounts { received: 100, schema_ok: 100, valid: 95, duplicates: 1, stored: 95, late: 0, complete: 95 };
        assert!(QualityMetrics::compute(&fine, None, Some(15.0)).alerts.is_empty());
    }

    #[test]
    fn nothing_to_compute_from_is_none_never_a_number() {
        let m = QualityMetrics::compute(&QualityCounts::default(), None, None);
        assert_eq!(m.validation_pass_rate_percent, None);
        assert_eq!(m.ingestion_rate_percent, None);
        assert!(m.alerts.is_empty());
    }

    #[test]
    fn every_event_type_has_a_category() {
        for event_type in crate::events::EVENT_TYPES {
            assert_ne!(Category::of(event_type), Category::Unknown, "{event_type}");
        }
        assert_eq!(Category::of("teleported"), Category::Unknown);
    }
}
