//! Experiments with known true effects: each arm's true click rate and revenue lift, so tests
//! can check the product's statistics against the truth (A/A tests have identical arms).
//!
//! Users arrive every day; the pinned experiment hash puts each in an arm. A user's spending
//! propensity is drawn once (log-normal), and drives both their pre-period spend (the CUPED
//! covariate) and their spend during the test, which the arm's lift multiplies: so the covariate
//! correlates with the outcome, as real pre-period spend does, and the arm changes only the
//! outcome.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Rng;
use crate::experiment::{arm_for, position};

/// An arm's truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimArm {
    pub label: String,
    pub share_bp: u32,
    /// Chance a member clicks.
    pub click_rate: f64,
    /// Multiplies each member's expected spend during the test (0 = no effect).
    pub revenue_lift: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExperimentSim {
    pub seed: u64,
    pub users_per_day: u32,
    pub days: u32,
    pub arms: Vec<SimArm>,
}

/// Mean of the log-normal propensity (dollars over the test): 20 · e^(0.8²/2).
pub const MEAN_SPEND: f64 = 20.0 * 1.377_127_764_335_957;

impl ExperimentSim {
    /// The true difference in revenue per member of `arm` against arm 0.
    pub fn true_revenue_difference(&self, arm: usize) -> f64 {
        MEAN_SPEND * (self.arms[arm].revenue_lift - self.arms[0].revenue_lift)
    }

    /// The true difference in click rate of `arm` against arm 0.
    pub fn true_click_difference(&self, arm: usize) -> f64 {
        self.arms[arm].click_rate - self.arms[0].click_rate
    }
}

/// One member.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimMember {
    pub day: u32,
    pub arm: usize,
    pub clicked: bool,
    /// Dollars during the test, and over the 28 days before joining.
    pub revenue: f64,
    pub pre_spend: f64,
}

/// The test's id (drawn from the seed) and its members in joining order.
pub fn run(sim: &ExperimentSim) -> (Uuid, Vec<SimMember>) {
    let mut rng = Rng::new(sim.seed ^ 0x3C6E_F372_FE94_F82B);
    let id = rng.uuid();
    let shares: Vec<u32> = sim.arms.iter().map(|a| a.share_bp).collect();
    let mut members = Vec::with_capacity((sim.users_per_day * sim.days) as usize);
    for day in 0..sim.days {
        for i in 0..sim.users_per_day {
            let user = format!("sim-{}-{day}-{i}", sim.seed);
            let Some(arm) = arm_for(position(id, &user), &shares) else {
                continue;
            };
            let propensity = 20.0 * (0.8 * normal(&mut rng)).exp();
            let pre_spend = propensity * exponential(&mut rng);
            let revenue = propensity * (1.0 + sim.arms[arm].revenue_lift) * exponential(&mut rng);
            let clicked = rng.chance(sim.arms[arm].click_rate);
            members.push(SimMember {
                day,
                arm,
                clicked,
                revenue,
                pre_spend,
            });
        }
    }
    (id, members)
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut Rng) -> f64 {
    let u = rng.unit().max(f64::MIN_POSITIVE);
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// An exponential draw with mean 1.
fn exponential(rng: &mut Rng) -> f64 {
    -(1.0 - rng.unit()).ln()
}
