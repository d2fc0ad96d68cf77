//! The 25 metrics' fixed facts: name, unit, formula as implemented, target, direction and the
//! spec's default window (docs/metrics.md is the prose of this table).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::domain::UnknownName;

/// The unit a value is in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// A multiple, shown as `3.2x`.
    Ratio,
    Percent,
    /// US dollars.
    Dollars,
    Count,
    Months,
    Hours,
    Minutes,
}

/// Which way is better.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
    /// Inside `[low, high]`.
    Range,
}

/// A target: a single threshold (`low` for higher-is-better, `high` for lower-is-better) or a
/// range.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Whether a value meets its target.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    OnTarget,
    OffTarget,
}

/// The spec's default window of a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DefaultWindow {
    Hours(i64),
    Days(i64),
    /// Everything up to the window's end (budget utilisation).
    ToDate,
    /// Not computed from a window (model accuracy).
    None,
}

macro_rules! metrics {
    ($($variant:ident = $number:literal, $code:literal, $name:literal, $unit:ident, $direction:ident, ($low:expr, $high:expr), $window:expr, $formula:literal;)+) => {
        /// One of the 25 metrics.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum MetricId {
            $(#[serde(rename = $code)] $variant,)+
        }

        impl MetricId {
            pub const ALL: [MetricId; 25] = [$(MetricId::$variant,)+];

            pub fn definition(self) -> Definition {
                match self {
                    $(MetricId::$variant => Definition {
                        id: MetricId::$variant,
                        number: $number,
                        code: $code,
                        name: $name,
                        unit: Unit::$unit,
                        direction: Direction::$direction,
                        target: Target { low: $low, high: $high },
                        window: $window,
                        formula: $formula,
                    },)+
                }
            }

            pub fn as_str(self) -> &'static str {
                self.definition().code
            }
        }

        impl FromStr for MetricId {
            type Err = UnknownName;
            fn from_str(value: &str) -> Result<MetricId, UnknownName> {
                match value {
                    $($code => Ok(MetricId::$variant),)+
                    other => match other.parse::<u8>() {
                        Ok(n @ 1..=25) => Ok(MetricId::ALL[usize::from(n - 1)]),
                        _ => Err(UnknownName { kind: "metric", value: other.to_owned(), expected: [$($code),+].join(", ") }),
                    },
                }
            }
        }
    };
}

metrics! {
    Roas = 1, "roas", "ROAS", Ratio, Higher, (Some(3.5), None), DefaultWindow::Days(7),
        "attributed revenue ÷ spend";
    Ctr = 2, "ctr", "Click-through rate", Percent, Higher, (Some(1.5), None), DefaultWindow::Days(1),
        "clicks ÷ impressions × 100";
    ConversionRate = 3, "conversion_rate", "Conversion rate", Percent, Higher, (Some(5.0), None), DefaultWindow::Days(7),
        "users with a purchase after a click (same session or within 24 h) ÷ users who clicked × 100";
    Cac = 4, "cac", "Customer acquisition cost", Dollars, Lower, (None, Some(15.0)), DefaultWindow::Days(7),
        "spend ÷ new customers (first-ever purchase in the window, attributed to a campaign)";
    Cpc = 5, "cpc", "Cost per click", Dollars, Lower, (None, Some(2.0)), DefaultWindow::Days(7),
        "spend ÷ clicks";
    Impressions = 6, "impressions", "Impression volume", Count, Higher, (Some(50_000.0), None), DefaultWindow::Days(1),
        "impressions (campaign_viewed)";
    BudgetUtilization = 7, "budget_utilization", "Budget utilisation", Percent, Range, (Some(75.0), Some(105.0)), DefaultWindow::ToDate,
        "spend to the window's end ÷ budget × 100, active, paused and completed campaigns";
    Aov = 8, "aov", "Average order value", Dollars, Range, (Some(10.0), Some(50.0)), DefaultWindow::Days(7),
        "attributed revenue ÷ attributed orders";
    Ltv = 9, "ltv", "Customer lifetime value (12 months)", Dollars, Higher, (Some(450.0), None), DefaultWindow::Days(365),
        "revenue in the first 365 days after signup ÷ users who signed up in the window and purchased in that year";
    CacPayback = 10, "cac_payback", "CAC payback period", Months, Lower, (None, Some(6.0)), DefaultWindow::Days(7),
        "CAC ÷ (12-month LTV ÷ 12)";
    RepeatPurchaseRate = 11, "repeat_purchase_rate", "Repeat purchase rate", Percent, Higher, (Some(25.0), None), DefaultWindow::Days(90),
        "users with ≥ 2 purchases ÷ users with ≥ 1 purchase × 100";
    GrossMargin = 12, "gross_margin", "Gross margin", Percent, Range, (Some(20.0), Some(40.0)), DefaultWindow::Days(90),
        "(Σ order value × category margin rate − spend) ÷ Σ order value × 100";
    CohortRetention = 13, "cohort_retention", "Cohort retention (30 days)", Percent, Higher, (Some(30.0), None), DefaultWindow::Days(90),
        "users with a purchase within 30 days of signup ÷ users who signed up (at least 30 days before the window's end) × 100";
    OpenRate = 14, "open_rate", "Open rate (e-mail and push)", Percent, Higher, (Some(25.0), None), DefaultWindow::Days(7),
        "users sent to who had an impression ÷ users sent to × 100";
    ClickRate = 15, "click_rate", "Click rate (e-mail and push)", Percent, Higher, (Some(5.0), None), DefaultWindow::Days(7),
        "users with an impression who clicked ÷ users with an impression × 100";
    AvgFrequency = 16, "avg_frequency", "Average message frequency", Ratio, Range, (Some(1.5), Some(3.5)), DefaultWindow::Days(7),
        "impressions ÷ users with an impression";
    TimeToFirstConversion = 17, "time_to_first_conversion", "Time to first conversion", Hours, Lower, (None, Some(72.0)), DefaultWindow::Days(7),
        "median hours from a user's first impression of a campaign to their first purchase within 7 days after it";
    Incrementality = 18, "incrementality", "Incrementality", Percent, Higher, (Some(40.0), None), DefaultWindow::Days(7),
        "Σ (Ct − Nt·Cc/Nc) ÷ Σ Ct × 100 over campaigns with both groups";
    HoldoutLift = 19, "holdout_lift", "Holdout lift", Percent, Higher, (Some(0.0), None), DefaultWindow::Days(7),
        "(pt − pc) ÷ pc × 100, pooled: Σ (Ct − Nt·Cc/Nc) ÷ Σ Nt·Cc/Nc";
    NetIncrementalRevenue = 20, "net_incremental_revenue", "Net incremental revenue", Dollars, Higher, (Some(0.0), None), DefaultWindow::Days(7),
        "Σ (Rt − Nt·Rc/Nc) − spend of those campaigns";
    AttributionSpread = 21, "attribution_spread", "Attribution model spread", Percent, Range, (Some(10.0), Some(30.0)), DefaultWindow::Days(7),
        "(largest − smallest) ÷ mean of the revenue credited by first touch, last touch, linear and time decay × 100";
    DataFreshness = 22, "data_freshness", "Data freshness (p95 lag)", Minutes, Lower, (None, Some(5.0)), DefaultWindow::Days(1),
        "95th percentile of arrival − occurrence, events that arrived in the window, backfills excluded";
    ModelAccuracy = 23, "model_accuracy", "Model accuracy (Qini)", Ratio, Higher, (None, None), DefaultWindow::None,
        "Qini coefficient of the uplift model";
    Uptime = 24, "uptime", "System uptime", Percent, Higher, (Some(99.5), None), DefaultWindow::Hours(24),
        "health probes that succeeded within 1 s ÷ probes × 100";
    CostPerQuery = 25, "cost_per_query", "Cost per query", Dollars, Lower, (None, Some(0.01)), DefaultWindow::Days(30),
        "Σ query CPU seconds × cost per CPU-second ÷ queries";
}

/// The five primary KPI cards (the spec's executive table): ROAS, incrementality, LTV, CAC and
/// open rate.
pub const KPI_CARDS: [MetricId; 5] = [MetricId::Roas, MetricId::Incrementality, MetricId::Ltv, MetricId::Cac, MetricId::OpenRate];

/// The fixed facts of one metric.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Definition {
    pub id: MetricId,
    pub number: u8,
    pub code: &'static str,
    pub name: &'static str,
    pub unit: Unit,
    pub direction: Direction,
    pub target: Target,
    pub window: DefaultWindow,
    pub formula: &'static str,
}

impl Definition {
    /// On or off target, by direction; `None` without a target.
    pub fn status(&self, value: f64) -> Option<Status> {
        let ok = match self.direction {
            Direction::Higher => value >= self.target.low?,
            Direction::Lower => value <= self.target.high?,
            Direction::Range => value >= self.target.low? && value <= self.target.high?,
        };
        Some(if ok { Status::OnTarget } else { Status::OffTarget })
    }
}

impl fmt::Display for MetricId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_25_numbered_in_order_with_unique_codes() {
        for (i, id) in MetricId::ALL.iter().enumerate() {
            assert_eq!(usize::from(id.definition().number), i + 1);
            assert_eq!(id.as_str().parse::<MetricId>().unwrap(), *id);
            assert_eq!((i + 1).to_string().parse::<MetricId>().unwrap(), *id);
        }
        let err = "roi".parse::<MetricId>().unwrap_err().to_string();
        assert!(err.contains("unknown metric 'roi'") && err.contains("roas"), "{err}");
    }

    #[test]
    fn status_follows_the_direction() {
        let cac = MetricId::Cac.definition();
        assert_eq!(cac.status(14.0), Some(Status::OnTarget));
        assert_eq!(cac.status(16.0), Some(Status::OffTarget), "CAC above $15 is off target");
        assert_eq!(MetricId::Roas.definition().status(3.0), Some(Status::OffTarget));
        assert_eq!(MetricId::BudgetUtilization.definition().status(110.0), Some(Status::OffTarget));
        assert_eq!(MetricId::BudgetUtilization.definition().status(90.0), Some(Status::OnTarget));
        assert_eq!(MetricId::ModelAccuracy.definition().status(0.5), None);
    }
}
