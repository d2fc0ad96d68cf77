//! Experiments: A/B/n tests of creatives (arms within one campaign) or of whole campaigns.
//!
//! - [`position`] and [`arm_for`]: the pinned assignment, independent of the holdout hash.
//! - [`observe`]: each member's outcomes, read from the metrics store (pure).
//! - [`analysis`]: per-arm results, tests, intervals, the sequential and Bayesian readings, the
//!   planner and the plain-words verdict. It works on sufficient statistics, so a native
//!   experiment and an imported per-user file go through the same code.
//!
//! `docs/experiments.md` states every rule and method with its reasons.

pub mod analysis;
pub mod observe;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use analysis::{
    Analysis, Design, Outcome, OutcomeKind, PlanRequest, Results, Verdict, VerdictState, analyse,
    plan,
};

/// A number in [0, 1) fixed for this experiment and user: the first 8 bytes of
/// SHA-256(`experiment:v1:<experiment uuid>:<user id>`), big-endian, over 2^64. Its own prefix
/// keeps it independent of the holdout position (`holdout:v1:…`), so arms and holdouts are
/// balanced against each other.
pub fn position(experiment: Uuid, user_id: &str) -> f64 {
    let digest =
        Sha256::digest(format!("experiment:v1:{}:{user_id}", experiment.hyphenated()).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0
}

/// The arm a position falls in: [0, 1) cut in order into one slice per arm by its share (in
/// basis points). A user never switches arm while the shares stay as they were.
pub fn arm_for(position: f64, shares_bp: &[u32]) -> Option<usize> {
    crate::holdout::creative_slot(position, 0.0, shares_bp)
}

/// What a native experiment can be judged on (per member, from their first delivery in the test
/// to the end of the analysis).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Members who clicked the campaign ÷ members.
    ClickRate,
    /// Members with a `campaign_converted` for the campaign ÷ members.
    ConversionRate,
    /// Purchase revenue per member (every purchase: the test's causal effect on spending).
    RevenuePerUser,
    /// The campaign's converted revenue ÷ the arm's share of the spend.
    Roas,
    /// Members who unsubscribed ÷ members (a guardrail: lower is better).
    UnsubscribeRate,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::ClickRate,
        Metric::ConversionRate,
        Metric::RevenuePerUser,
        Metric::Roas,
        Metric::UnsubscribeRate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Metric::ClickRate => "click_rate",
            Metric::ConversionRate => "conversion_rate",
            Metric::RevenuePerUser => "revenue_per_user",
            Metric::Roas => "roas",
            Metric::UnsubscribeRate => "unsubscribe_rate",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::ClickRate => "click rate",
            Metric::ConversionRate => "conversion rate",
            Metric::RevenuePerUser => "revenue per user",
            Metric::Roas => "ROAS",
            Metric::UnsubscribeRate => "unsubscribe rate",
        }
    }

    pub fn index(self) -> usize {
        Metric::ALL
            .iter()
            .position(|m| *m == self)
            .expect("every metric is in ALL")
    }

    pub fn outcome(self) -> Outcome {
        let (kind, unit) = match self {
            Metric::ClickRate | Metric::ConversionRate | Metric::UnsubscribeRate => {
                (OutcomeKind::Binary, "%")
            }
            Metric::RevenuePerUser => (OutcomeKind::Numeric, "$"),
            Metric::Roas => (OutcomeKind::Numeric, "×"),
        };
        Outcome {
            key: self.as_str().to_owned(),
            name: self.name().to_owned(),
            kind,
            unit: unit.to_owned(),
            higher_is_better: self != Metric::UnsubscribeRate,
        }
    }
}

impl std::str::FromStr for Metric {
    type Err = String;

    fn from_str(s: &str) -> Result<Metric, String> {
        Metric::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown metric '{s}': expected one of {}",
                    Metric::ALL.map(|m| m.as_str()).join(", ")
                )
            })
    }
}

/// The pre-period covariate CUPED adjusts with: each member's behaviour in the 28 days before
/// their assignment.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Covariate {
    /// Purchase revenue before assignment.
    #[default]
    Spend,
    /// App opens before assignment.
    Visits,
    /// No adjustment.
    None,
}

impl Covariate {
    pub const ALL: [Covariate; 3] = [Covariate::Spend, Covariate::Visits, Covariate::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Covariate::Spend => "spend",
            Covariate::Visits => "visits",
            Covariate::None => "none",
        }
    }
}

impl std::str::FromStr for Covariate {
    type Err = String;

    fn from_str(s: &str) -> Result<Covariate, String> {
        Covariate::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| "unknown covariate: expected spend, visits or none".to_owned())
    }
}

/// How far back the covariate looks.
pub const COVARIATE_DAYS: i64 = 28;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arm_hash_is_pinned_and_independent_of_the_holdout_hash() {
        let id = Uuid::parse_str("6f1c0f64-5a55-4a8e-9a0e-2f4f1b1f0c11").unwrap();
        let expected = {
            let d = Sha256::digest(b"experiment:v1:6f1c0f64-5a55-4a8e-9a0e-2f4f1b1f0c11:u-42");
            u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]) as f64
                / 2f64.powi(64)
        };
        assert_eq!(position(id, "u-42"), expected);
        assert_ne!(position(id, "u-42"), crate::holdout::position(id, "u-42"));
        // Independence: among the 10% held out of a campaign, the arms still split 50/50.
        let held: Vec<String> = (0..40_000)
            .map(|i| format!("u-{i}"))
            .filter(|u| crate::holdout::is_holdout(id, u, 0.10))
            .collect();
        let in_b = held
            .iter()
            .filter(|u| arm_for(position(id, u), &[5_000, 5_000]) == Some(1))
            .count();
        let share = in_b as f64 / held.len() as f64;
        assert!(
            (share - 0.5).abs() < 4.0 * (0.25 / held.len() as f64).sqrt(),
            "{share}"
        );
    }

    #[test]
    fn arms_follow_the_planned_split() {
        let id = Uuid::from_u128(11);
        let counts = (0..20_000).fold([0u32; 3], |mut c, i| {
            c[arm_for(position(id, &format!("u-{i}")), &[2_000, 3_000, 5_000]).unwrap()] += 1;
            c
        });
        for (count, share) in counts.iter().zip([0.2, 0.3, 0.5]) {
            let expected = share * 20_000.0;
            assert!(
                (f64::from(*count) - expected).abs() < 4.0 * (expected * (1.0 - share)).sqrt(),
                "{counts:?}"
            );
        }
    }

    #[test]
    fn metrics_parse_from_their_wire_names() {
        for m in Metric::ALL {
            assert_eq!(m.as_str().parse::<Metric>(), Ok(m));
        }
        assert!("ctr".parse::<Metric>().unwrap_err().contains("click_rate"));
    }
}

#[cfg(test)]
mod validation;
